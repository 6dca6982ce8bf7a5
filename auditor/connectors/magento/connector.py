"""The Magento 2 / Adobe Commerce connector: admin users, their roles and 2FA, and integrations, read from the
shop's database through a read-only account (SQLAlchemy Core, SELECTs only; it never writes).

Magento has no REST endpoint that lists admin users or integrations (see ``contract.yaml``), so a self-hosted
shop gives the auditor a database account with ``SELECT`` on its schema; a hosted shop without database access
uses the generic import (kind ``import``) of an admin export instead.

Settings: ``tenant_id`` names the shop (its host, e.g. ``sklep.example``); ``options``:

- ``database_url_env``: the environment variable (or secrets-file key) holding the SQLAlchemy URL, e.g.
  ``mysql+pymysql://ro:PASSWORD@127.0.0.1:3306/shop`` (the password never goes into the config file);
- ``database_file``: instead, a SQLite file holding the same schema subset (the demo's copy of a shop),
  relative to the config file;
- ``table_prefix`` (Magento's ``db_prefix``), ``shop_name``.

Failure policy of ``fetch``: a connection that cannot be opened (refused, bad credentials) raises
``ConnectorError`` (``ConnectorAuthError`` for MariaDB error 1045). A table that cannot be read (missing, not
granted, a column missing, the connection dropped) marks scope ``tenant`` incomplete with a reason naming the
table; what was read is kept (an unread ``tfa_user_config`` leaves every admin's 2FA unknown). After a dropped
connection nothing more is read.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import field_validator, model_validator
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.pool import NullPool

from auditor.connectors.base import Connector, ConnectorOptions, register
from auditor.connectors.http import ConnectorAuthError
from auditor.connectors.magento import mapping, tables
from auditor.errors import ConfigError, ConnectorError
from auditor.model import Account, Capabilities, Grant, TenantSnapshot

DIALECTS = ("mysql", "mariadb", "sqlite")
ACCESS_DENIED = 1045
PREFIX = re.compile(r"[A-Za-z0-9_]*")


class MagentoOptions(ConnectorOptions):
    """Where the shop's database is (exactly one of ``database_url_env`` and ``database_file``), its table
    prefix and a display name."""

    database_url_env: str | None = None
    database_file: Path | None = None
    table_prefix: str = ""
    shop_name: str | None = None

    @field_validator("table_prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        if not PREFIX.fullmatch(value):
            raise ValueError("letters, digits and _ only (Magento's db_prefix)")
        return value

    @model_validator(mode="after")
    def _one_source(self) -> MagentoOptions:
        if (self.database_url_env is None) == (self.database_file is None):
            raise ValueError("give exactly one of database_url_env (a server) and database_file (a SQLite copy)")
        return self

    def resolved(self, resolve: Any) -> MagentoOptions:
        """The SQLite file taken relative to the config file's folder."""
        if self.database_file is None:
            return self
        return self.model_copy(update={"database_file": resolve(self.database_file) or self.database_file})


@register
class MagentoConnector(Connector):
    """Magento back office: admin users (roles, 2FA, last login, locks) and integrations with their tokens."""

    kind = "magento"
    Options = MagentoOptions
    options: MagentoOptions
    capabilities = Capabilities(
        per_user_2fa=True,
        account_emails=True,
        notes=(
            "read from the shop's database with a read-only account: Magento has no REST endpoint that lists "
            "admin users or integrations",
            "2FA is per admin user (Magento_TwoFactorAuth's tfa_user_config); there is no tenant 2FA policy to read",
            "last activity of an admin user is the last login (admin_user.logdate); Magento records no last use "
            "of an integration's access token, and no audit log (Adobe Commerce's action log is not read)",
            "privileged = the role allows Magento_Backend::all (full admin)",
            "inactive admin users (is_active 0) cannot sign in and are listed in the tenant's raw data only; "
            "integrations without a live access token likewise",
        ),
    )

    # -- plumbing ------------------------------------------------------------------------------------------

    def _shop(self) -> str:
        value = self.settings.tenant_id or self.settings.business_id
        if not value:
            raise ConfigError(f"platform {self.name!r}: tenant_id (the shop's name or host) is not set")
        return str(value)

    def _url(self) -> URL:
        if self.options.database_file is not None:
            path = self.options.database_file
            if not path.is_file():
                raise ConfigError(f"platform {self.name!r}: options.database_file {path} does not exist")
            return URL.create("sqlite", database=f"file:{path}", query={"mode": "ro", "uri": "true"})
        secret = self.secret(self.options.database_url_env, "options.database_url_env")
        try:
            url = make_url(secret.strip())
        except ArgumentError:
            raise ConfigError(f"platform {self.name!r}: options.database_url_env: {self.options.database_url_env} does "
                              "not hold a database URL (e.g. mysql+pymysql://ro:PASSWORD@host:3306/shop)") from None
        if url.get_backend_name() not in DIALECTS:
            raise ConfigError(f"platform {self.name!r}: options.database_url_env: the URL's database "
                              f"{url.get_backend_name()!r} is not MySQL/MariaDB or SQLite")
        return url

    def _engine(self) -> Engine:
        url = self._url()
        args: dict[str, Any] = {}
        if url.get_backend_name() != "sqlite":
            args["connect_timeout"] = max(1, int(self.settings.timeout))
            args["read_timeout"] = max(1, int(self.settings.timeout))
        try:
            return create_engine(url, poolclass=NullPool, connect_args=args)
        except (NoSuchModuleError, ModuleNotFoundError) as exc:
            raise ConfigError(f"platform {self.name!r}: the database driver for {url.drivername!r} is not "
                              f"installed ({exc}); install PyMySQL: pip install 'auditor[magento]'") from None

    def _connect(self, engine: Engine) -> Any:
        try:
            return engine.connect()
        except DBAPIError as exc:
            where = engine.url.render_as_string(hide_password=True)
            code = tables.error_code(exc)
            if code == ACCESS_DENIED:
                raise ConnectorAuthError(self.name, f"the database refused the account of {where} (error 1045)",
                                         status=code) from None
            raise ConnectorError(self.name, f"cannot connect to the shop's database {where}: "
                                            f"{str(exc.orig).splitlines()[0][:200]}", status=code,
                                 retryable=True) from None

    # -- check ---------------------------------------------------------------------------------------------

    def check(self) -> list[str]:
        """Connect and read every table of the schema subset once; the problems found (empty when all is well)."""
        try:
            self._shop()
            engine = self._engine()
        except ConfigError as exc:
            return [str(exc)]
        try:
            with self._connect(engine) as conn:
                return [f"{self.name}: {r.reason}" for _, r in tables.read_all(conn, self.options.table_prefix)
                        if isinstance(r, tables.ReadFailure)]
        except ConnectorError as exc:
            return [str(exc)]
        finally:
            engine.dispose()

    # -- fetch ---------------------------------------------------------------------------------------------

    def fetch(self, *, now: datetime, events_since: datetime | None = None) -> TenantSnapshot:
        """Read the shop's admin users, roles, 2FA and integrations; see the module docstring for failures."""
        shop = self._shop()
        prefix = self.options.table_prefix
        engine = self._engine()
        read: dict[str, list[dict[str, Any]]] = {}
        failures: list[tables.ReadFailure] = []
        try:
            with self._connect(engine) as conn:
                for name, result in tables.read_all(conn, prefix):
                    if isinstance(result, tables.ReadFailure):
                        failures.append(result)
                    else:
                        read[name] = result
        finally:
            engine.dispose()
        snap = TenantSnapshot(platform=self.name, kind=self.kind,
                              tenant=mapping.tenant_from(self.name, shop, self.options.shop_name, prefix),
                              capabilities=dataclasses.replace(self.capabilities))
        acl = mapping.Acl(read.get("authorization_role", []), read.get("authorization_rule", []))
        snap.accounts, snap.grants = self._admins(read, acl, snap, now)
        accounts, grants = self._integrations(read, acl, snap)
        snap.accounts += accounts
        snap.grants += grants
        if acl.unknown_roles:
            snap.tenant.raw["unknown_role_rows"] = acl.unknown_roles
        for failure in failures:
            snap.scope_failed("tenant", f"{self.name}: {failure.reason}")
        return snap

    def _admins(self, read: dict[str, list[dict[str, Any]]], acl: mapping.Acl, snap: TenantSnapshot,
                now: datetime) -> tuple[list[Account], list[Grant]]:
        tfa_read = "tfa_user_config" in read
        tfa = {mapping.integer(r.get("user_id")): r for r in read.get("tfa_user_config", [])}
        accounts: list[Account] = []
        grants: list[Grant] = []
        inactive: list[dict[str, Any]] = []
        bad = 0
        for row in read.get("admin_user", []):
            user_id = mapping.integer(row.get("user_id"))
            if user_id is None:
                bad += 1
                continue
            account = mapping.admin_account(row, tfa.get(user_id), now=now, tfa_read=tfa_read)
            if account.state == "inactive":
                inactive.append({"user_id": user_id, "username": row.get("username"), "email": row.get("email")})
                continue
            grant = acl.grant(account.account_id, mapping.USER_TYPE_ADMIN, user_id)
            if grant is not None:
                account.role = grant.raw["role_name"]
                grants.append(grant)
            accounts.append(account)
        snap.tenant.raw["inactive_admins"] = inactive
        if bad:
            snap.scope_failed("tenant", f"{self.name}: {bad} malformed admin_user row(s) skipped (no user_id)")
        return accounts, grants

    def _integrations(self, read: dict[str, list[dict[str, Any]]], acl: mapping.Acl,
                      snap: TenantSnapshot) -> tuple[list[Account], list[Grant]]:
        tokens = read.get("oauth_token", [])
        accounts: list[Account] = []
        grants: list[Grant] = []
        without: list[dict[str, Any]] = []
        bad = 0
        for row in read.get("integration", []):
            integration_id = mapping.integer(row.get("integration_id"))
            if integration_id is None:
                bad += 1
                continue
            live = mapping.live_tokens(tokens, mapping.integer(row.get("consumer_id")))
            if not live:
                without.append({"integration_id": integration_id, "name": row.get("name"),
                                "status": row.get("status")})
                continue
            account = mapping.integration_account(row, live)
            grant = acl.grant(account.account_id, mapping.USER_TYPE_INTEGRATION, integration_id)
            if grant is not None:
                account.role = grant.role
                grants.append(grant)
            accounts.append(account)
        snap.tenant.raw["integrations_without_token"] = without
        if bad:
            snap.scope_failed("tenant", f"{self.name}: {bad} malformed integration row(s) skipped (no integration_id)")
        return accounts, grants
