"""The Magento schema subset as DDL: the "emulator" of Magento is a database holding these tables.

The tables and columns are those of docs/platforms/magento.md, with the column types of Magento's
``db_schema.xml`` files (cited per table in ``auditor/connectors/magento/contract.yaml``). The same metadata is
created in the demo's SQLite file and, in the tests, in a real MariaDB server, so the connector reads the same
shape from either. ``load`` writes rows; only the demo and the tests write, never the connector.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    func,
    insert,
)


def metadata(prefix: str = "") -> MetaData:
    """The schema subset, each table named with Magento's ``db_prefix``."""
    meta = MetaData()
    now = func.current_timestamp()
    Table(f"{prefix}admin_user", meta,  # magento/magento2 app/code/Magento/User/etc/db_schema.xml
          Column("user_id", Integer, primary_key=True, autoincrement=True),
          Column("firstname", String(32)), Column("lastname", String(32)), Column("email", String(128)),
          Column("username", String(40), unique=True), Column("password", String(255), nullable=False),
          Column("created", DateTime, nullable=False, server_default=now),
          Column("modified", DateTime, nullable=False, server_default=now),
          Column("logdate", DateTime), Column("lognum", SmallInteger, nullable=False, server_default="0"),
          Column("reload_acl_flag", SmallInteger, nullable=False, server_default="0"),
          Column("is_active", SmallInteger, nullable=False, server_default="1"), Column("extra", Text),
          Column("rp_token", Text), Column("rp_token_created_at", DateTime), Column("interface_locale", String(16),
                                                                                  server_default="en_US"),
          Column("failures_num", SmallInteger, server_default="0"), Column("first_failure", DateTime),
          Column("lock_expires", DateTime))
    Table(f"{prefix}authorization_role", meta,  # app/code/Magento/Authorization/etc/db_schema.xml
          Column("role_id", Integer, primary_key=True, autoincrement=True),
          Column("parent_id", Integer, nullable=False, server_default="0"),
          Column("tree_level", SmallInteger, nullable=False, server_default="0"),
          Column("sort_order", SmallInteger, nullable=False, server_default="0"),
          Column("role_type", String(1), nullable=False, server_default="0"),
          Column("user_id", Integer, nullable=False, server_default="0"), Column("user_type", String(16)),
          Column("role_name", String(50)))
    Table(f"{prefix}authorization_rule", meta,
          Column("rule_id", Integer, primary_key=True, autoincrement=True),
          Column("role_id", Integer, nullable=False, server_default="0"), Column("resource_id", String(255)),
          Column("privileges", String(20)), Column("permission", String(10)))
    Table(f"{prefix}tfa_user_config", meta,  # magento/security-package TwoFactorAuth/etc/db_schema.xml
          Column("config_id", Integer, primary_key=True, autoincrement=True),
          Column("user_id", Integer, nullable=False, unique=True), Column("encoded_providers", Text),
          Column("encoded_config", Text), Column("default_provider", String(255)))
    Table(f"{prefix}integration", meta,  # app/code/Magento/Integration/etc/db_schema.xml
          Column("integration_id", Integer, primary_key=True, autoincrement=True),
          Column("name", String(255), nullable=False, unique=True), Column("email", String(255)),
          Column("endpoint", String(255)), Column("status", SmallInteger, nullable=False),
          Column("consumer_id", Integer), Column("created_at", DateTime, nullable=False, server_default=now),
          Column("updated_at", DateTime, nullable=False, server_default=now),
          Column("setup_type", SmallInteger, nullable=False, server_default="0"),
          Column("identity_link_url", String(255)))
    Table(f"{prefix}oauth_consumer", meta,
          Column("entity_id", Integer, primary_key=True, autoincrement=True),
          Column("created_at", DateTime, nullable=False, server_default=now), Column("updated_at", DateTime),
          Column("name", String(255), nullable=False), Column("key", String(32), nullable=False, unique=True),
          Column("secret", String(128), nullable=False), Column("callback_url", Text),
          Column("rejected_callback_url", Text, nullable=False))
    Table(f"{prefix}oauth_token", meta,
          Column("entity_id", Integer, primary_key=True, autoincrement=True), Column("consumer_id", Integer),
          Column("admin_id", Integer), Column("customer_id", Integer), Column("type", String(16), nullable=False),
          Column("token", String(32), nullable=False, unique=True), Column("secret", String(128), nullable=False),
          Column("verifier", String(32)), Column("callback_url", Text, nullable=False),
          Column("revoked", SmallInteger, nullable=False, server_default="0"),
          Column("authorized", SmallInteger, nullable=False, server_default="0"), Column("user_type", Integer),
          Column("created_at", DateTime, nullable=False, server_default=now))
    return meta


def load(conn: Connection, rows: Mapping[str, list[dict[str, Any]]], prefix: str = "",
         *, skip: tuple[str, ...] = ()) -> None:
    """Create the schema subset (all tables but ``skip``) and insert ``rows`` (table name without prefix ->
    rows)."""
    meta = metadata(prefix)
    wanted = [t for name, t in meta.tables.items() if name[len(prefix):] not in skip]
    meta.create_all(conn, tables=wanted)
    for name, items in rows.items():
        for item in items if name not in skip else ():
            conn.execute(insert(meta.tables[prefix + name]).values(**item))
