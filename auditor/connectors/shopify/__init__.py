"""Shopify connector: ``ShopifyConnector`` registers itself as kind "shopify".

Modules: ``connector`` (orchestration and failure policy), ``mapping`` (staff account types and permissions, the
pure mapping of Admin GraphQL objects), ``dialect`` (GraphQL over HTTP: errors, cost-based throttling, cursors).
"""

from auditor.connectors.shopify.connector import DEFAULT_API_VERSION, READ_SCOPES, ShopifyConnector

__all__ = ["DEFAULT_API_VERSION", "READ_SCOPES", "ShopifyConnector"]
