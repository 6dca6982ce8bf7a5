"""Magento 2 / Adobe Commerce connector: ``MagentoConnector`` registers itself as kind "magento".

Modules: ``connector`` (options, the connection and the failure policy), ``tables`` (the schema subset read,
the SELECTs and the classification of database errors), ``mapping`` (ACL and 2FA vocabulary, rows -> model).
"""

from auditor.connectors.magento.connector import MagentoConnector, MagentoOptions

__all__ = ["MagentoConnector", "MagentoOptions"]
