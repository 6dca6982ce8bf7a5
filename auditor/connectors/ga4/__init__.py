"""Google Analytics 4 connector: ``Ga4Connector`` registers itself as kind "ga4".

Modules: ``connector`` (HTTP orchestration and failure policy), ``mapping`` (roles, bindings, access-report
rows); Google's error body and page tokens are read by ``auditor.connectors.gtm.dialect``.
"""

from auditor.connectors.ga4.connector import DEFAULT_BASE_URL, SCOPE, Ga4Connector

__all__ = ["DEFAULT_BASE_URL", "SCOPE", "Ga4Connector"]
