"""WooCommerce / WordPress connector: ``WooCommerceConnector`` registers itself as kind "woocommerce".

Modules: ``connector`` (orchestration and failure policy), ``mapping`` (roles, capabilities and application
passwords as accounts), ``dialect`` (WordPress REST errors and ``X-WP-TotalPages`` paging).
"""

from auditor.connectors.woocommerce.connector import WooCommerceConnector

__all__ = ["WooCommerceConnector"]
