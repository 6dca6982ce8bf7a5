"""Fixtures: a private MariaDB server, a shop database loaded with the Magento schema subset (as root) and
read by the connector through a read-only account, the way a shop grants it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from auditor.config import PlatformSettings
from auditor.connectors.magento import MagentoConnector
from auditor.demo.magento.schema import load
from auditor.errors import ConfigError
from tests.support.mariadb import MariaDBServer

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
URL_ENV = "MAGENTO_DB_URL"


def ago(days: float) -> datetime:
    """A naive UTC time ``days`` before NOW (Magento stores UTC timestamps)."""
    return (NOW - timedelta(days=days)).replace(tzinfo=None, microsecond=0)


def base_rows() -> dict[str, list[dict[str, Any]]]:
    """A small shop: two full admins (one without 2FA), an editor, an inactive admin, two integrations
    (one with a live access token, one revoked). Admin 2 and integration 2 share the id 2 on purpose."""
    def admin(uid: int, first: str, last: str, active: int = 1, logdate: Any = None, **extra: Any) -> dict[str, Any]:
        return {"user_id": uid, "firstname": first, "lastname": last, "email": f"{first.lower()}@corp.example",
                "username": first.lower(), "password": "hash", "created": ago(400), "modified": ago(10),
                "logdate": logdate if logdate is not None else ago(2), "lognum": 10, "is_active": active, **extra}
    return {
        "admin_user": [admin(1, "Alice", "Admin"), admin(2, "Bob", "Boss"), admin(3, "Carol", "Content"),
                       admin(4, "Dave", "Gone", active=0)],
        "authorization_role": [
            {"role_id": 1, "parent_id": 0, "tree_level": 1, "role_type": "G", "user_id": 0, "user_type": "2",
             "role_name": "Administrators"},
            {"role_id": 2, "parent_id": 0, "tree_level": 1, "role_type": "G", "user_id": 0, "user_type": "2",
             "role_name": "Content editors"},
            {"role_id": 3, "parent_id": 1, "tree_level": 2, "role_type": "U", "user_id": 1, "user_type": "2",
             "role_name": "alice"},
            {"role_id": 4, "parent_id": 1, "tree_level": 2, "role_type": "U", "user_id": 2, "user_type": "2",
             "role_name": "bob"},
            {"role_id": 5, "parent_id": 2, "tree_level": 2, "role_type": "U", "user_id": 3, "user_type": "2",
             "role_name": "carol"},
            {"role_id": 6, "parent_id": 1, "tree_level": 2, "role_type": "U", "user_id": 4, "user_type": "2",
             "role_name": "dave"},
            {"role_id": 7, "parent_id": 0, "tree_level": 1, "role_type": "U", "user_id": 2, "user_type": "1",
             "role_name": "2"},
        ],
        "authorization_rule": [
            {"role_id": 1, "resource_id": "Magento_Backend::all", "permission": "allow"},
            {"role_id": 2, "resource_id": "Magento_Backend::all", "permission": "deny"},
            {"role_id": 2, "resource_id": "Magento_Cms::page", "permission": "allow"},
            {"role_id": 7, "resource_id": "Magento_Sales::sales", "permission": "allow"},
            {"role_id": 7, "resource_id": "Magento_Backend::all", "permission": "deny"},
        ],
        "tfa_user_config": [
            {"user_id": 1, "encoded_providers": '["google"]', "encoded_config": "{}", "default_provider": "google"},
            {"user_id": 3, "encoded_providers": "[]", "encoded_config": "{}", "default_provider": None},
        ],
        "integration": [
            {"integration_id": 2, "name": "ERP sync", "email": "erp.owner@corp.example", "status": 1,
             "consumer_id": 1, "created_at": ago(300), "updated_at": ago(300), "setup_type": 0},
            {"integration_id": 3, "name": "Old feed", "email": None, "status": 0, "consumer_id": 2,
             "created_at": ago(500), "updated_at": ago(500), "setup_type": 0},
        ],
        "oauth_consumer": [
            {"entity_id": 1, "name": "Integration2", "key": "k" * 32, "secret": "s" * 32,
             "rejected_callback_url": ""},
            {"entity_id": 2, "name": "Integration3", "key": "q" * 32, "secret": "t" * 32,
             "rejected_callback_url": ""},
        ],
        "oauth_token": [
            {"consumer_id": 1, "type": "access", "token": "a" * 32, "secret": "b" * 32, "callback_url": "oob",
             "revoked": 0, "authorized": 1, "user_type": 1, "created_at": ago(299)},
            {"consumer_id": 2, "type": "access", "token": "c" * 32, "secret": "d" * 32, "callback_url": "oob",
             "revoked": 1, "authorized": 1, "user_type": 1, "created_at": ago(499)},
        ],
    }


@pytest.fixture(scope="session")
def mariadb() -> Iterator[MariaDBServer]:
    """One private MariaDB server for the Magento tests."""
    server = MariaDBServer().start()
    try:
        yield server
    finally:
        server.stop()


@dataclass
class Shop:
    """A loaded shop database: its name, the read-only URL and a connector factory."""

    server: MariaDBServer
    database: str
    url: str
    prefix: str = ""

    def connector(self, *, url: str | None = None, **options: Any) -> MagentoConnector:
        """A connector reading this shop (through ``url``, default the read-only account)."""
        secrets = {URL_ENV: url or self.url}

        def resolve(env: str | None, key: str) -> str:
            if env not in secrets:
                raise ConfigError(f"test config: {key} names {env}, which is not set")
            return secrets[env]

        opts = {"database_url_env": URL_ENV, "table_prefix": self.prefix, **options}
        settings = PlatformSettings(kind="magento", name="shop-magento", tenant_id="sklep.example", options=opts)
        return MagentoConnector(settings, resolve)


@pytest.fixture
def make_shop(mariadb: MariaDBServer) -> Callable[..., Shop]:
    """``make_shop(rows=None, prefix="", skip=(), tables=None)``: a fresh database with the schema subset and
    ``rows`` (default ``base_rows()``), read through a user granted SELECT on it (or only on ``tables``)."""
    def make(rows: dict[str, list[dict[str, Any]]] | None = None, *, prefix: str = "", skip: tuple[str, ...] = (),
             tables: list[str] | None = None) -> Shop:
        database = mariadb.create_database()
        engine = create_engine(mariadb.url(database, "root", ""), poolclass=NullPool)
        with engine.begin() as conn:
            load(conn, base_rows() if rows is None else rows, prefix, skip=skip)
        engine.dispose()
        user, password = mariadb.create_read_only_user(
            database, tables=[prefix + t for t in tables] if tables is not None else None)
        return Shop(mariadb, database, mariadb.url(database, user, password), prefix)
    return make
