"""Google Tag Manager connector: ``GtmConnector`` registers itself as kind "gtm".

Modules: ``connector`` (HTTP orchestration and failure policy), ``mapping`` (the v2 permission vocabulary),
``dialect`` (Google's error body and pageToken paging, shared with the GA4 connector).
"""

from auditor.connectors.gtm.connector import DEFAULT_BASE_URL, SCOPE, GtmConnector

__all__ = ["DEFAULT_BASE_URL", "SCOPE", "GtmConnector"]
