"""X (Twitter) Ads connector: ``XConnector`` registers itself as kind "x".

Modules: ``connector`` (reads and failure policy), ``mapping`` (permission tables and the pure mapping),
``dialect`` (error bodies, rate-limit headers, cursor paging), ``oauth`` (OAuth 1.0a request signing).
"""

from auditor.connectors.x.connector import DEFAULT_BASE_URL, GAP_NOTE, XConnector

__all__ = ["DEFAULT_BASE_URL", "GAP_NOTE", "XConnector"]
