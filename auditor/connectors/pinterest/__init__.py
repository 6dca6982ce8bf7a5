"""Pinterest connector: ``PinterestConnector`` registers itself as kind "pinterest".

Modules: ``connector`` (HTTP orchestration and failure policy), ``mapping`` (business-role and permission
tables, the pure mapping of API v5 objects), ``dialect`` (errors and bookmark paging).
"""

from auditor.connectors.pinterest.connector import DEFAULT_BASE_URL, REQUIRED_SCOPES, PinterestConnector

__all__ = ["DEFAULT_BASE_URL", "REQUIRED_SCOPES", "PinterestConnector"]
