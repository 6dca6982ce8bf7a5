"""Meta (Facebook Business Manager) connector: ``MetaConnector`` registers itself as kind "meta".

Modules: ``connector`` (HTTP orchestration and failure policy), ``mapping`` (role/task tables and the pure
mapping of Graph objects to the model), ``dialect`` (Graph error codes, rate limits, paging), ``tokens``
(appsecret_proof, token inspection and expiry), ``page_access`` (Page assignees via Page tokens or the
per-principal views).
"""

from auditor.connectors.meta.connector import DEFAULT_BASE_URL, REQUIRED_SCOPES, MetaConnector

__all__ = ["DEFAULT_BASE_URL", "REQUIRED_SCOPES", "MetaConnector"]
