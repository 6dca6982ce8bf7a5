"""TikTok for Business connector: ``TikTokConnector`` registers itself as kind "tiktok".

Modules: ``connector`` (orchestration and failure policy), ``mapping`` (role tables and the pure mapping of
API items to the model), ``dialect`` (the ``{code, message, data}`` envelope, error codes, permissions),
``run`` (paging and concurrent reads).
"""

from auditor.connectors.tiktok.connector import DEFAULT_BASE_URL, TikTokConnector
from auditor.connectors.tiktok.dialect import REQUIRED_PERMISSIONS

__all__ = ["DEFAULT_BASE_URL", "REQUIRED_PERMISSIONS", "TikTokConnector"]
