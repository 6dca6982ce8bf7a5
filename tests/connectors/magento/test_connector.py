"""The Magento connector against a real MariaDB loaded with the documented schema subset, read-only account."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from auditor.connectors.http import ConnectorAuthError
from auditor.errors import ConfigError
from auditor.model import AccountKind
from tests.connectors.magento.conftest import NOW, base_rows


def by_id(snap):
    return {a.account_id: a for a in snap.accounts}


def grants(snap):
    return {g.account_id: g for g in snap.grants}


def test_fetch_reads_admins_roles_2fa_and_integrations(make_shop) -> None:
    snap = make_shop().connector().fetch(now=NOW)
    assert snap.complete and not snap.errors
    accounts, held = by_id(snap), grants(snap)
    assert set(accounts) == {"admin:1", "admin:2", "admin:3", "integration:2"}
    alice, bob, carol = accounts["admin:1"], accounts["admin:2"], accounts["admin:3"]
    assert (alice.two_factor, bob.two_factor, carol.two_factor) == (True, False, False)
    assert alice.emails == ("alice@corp.example",) and alice.name == "Alice Admin (alice)"
    assert alice.last_activity is not None and alice.last_activity.tzinfo is not None
    assert (held["admin:1"].privileged, held["admin:2"].privileged, held["admin:3"].privileged) == (True, True, False)
    assert held["admin:3"].raw["allowed_resources"] == ["Magento_Cms::page"]
    assert alice.role == "Administrators" and held["admin:1"].role == "Administrators (all resources)"
    # the inactive admin cannot sign in: kept as evidence only
    assert snap.tenant.raw["inactive_admins"][0]["username"] == "dave"
    erp = accounts["integration:2"]
    assert erp.kind == AccountKind.SYSTEM_USER and erp.emails == ("erp.owner@corp.example",)
    assert erp.last_activity is None  # Magento records no last use of a token
    assert snap.tenant.raw["integrations_without_token"][0]["name"] == "Old feed"


def test_no_secret_column_is_selected(make_shop) -> None:
    shop = make_shop()
    connector = shop.connector()
    seen: list[str] = []
    original = connector._engine

    def engine():
        created = original()
        event.listen(created, "before_cursor_execute", lambda *a: seen.append(a[2]))
        return created

    connector._engine = engine
    connector.fetch(now=NOW)
    assert seen and all(s.lstrip().upper().startswith("SELECT") for s in seen)
    text = " ".join(seen).lower()
    assert "password" not in text and "rp_token" not in text and "encoded_config" not in text
    assert "token." not in text.replace("oauth_token.", "") and ".secret" not in text


def test_lookup_finds_an_admin_by_email(make_shop) -> None:
    snap = make_shop().connector().lookup(now=NOW, emails=["BOB@corp.example"])
    assert [a.account_id for a in snap.accounts] == ["admin:2"]
    assert [g.account_id for g in snap.grants] == ["admin:2"]


def test_wrong_password_is_an_auth_error_without_the_password(make_shop) -> None:
    shop = make_shop()
    wrong = shop.url.replace("@127.0.0.1", "x@127.0.0.1")
    with pytest.raises(ConnectorAuthError) as caught:
        shop.connector(url=wrong).fetch(now=NOW)
    assert "1045" in str(caught.value) and wrong.split(":")[2].split("@")[0] not in str(caught.value)


def test_bad_urls_are_plain_config_errors(make_shop) -> None:
    shop = make_shop()
    with pytest.raises(ConfigError, match="does not hold a database URL"):
        shop.connector(url="not a url").fetch(now=NOW)
    with pytest.raises(ConfigError, match="'postgresql' is not MySQL/MariaDB or SQLite"):
        shop.connector(url="postgresql://u:p@127.0.0.1/x").fetch(now=NOW)
    assert shop.connector(url="mysql+pymysql://ro:pw@127.0.0.1:1/shop").check()[0].startswith("shop-magento: cannot")


def test_unknown_values_are_kept_as_evidence_and_treated_as_unknown(make_shop) -> None:
    rows = base_rows()
    rows["admin_user"][0]["is_active"] = 7
    rows["tfa_user_config"][0]["encoded_providers"] = "google"  # not a JSON list
    rows["authorization_rule"].append({"role_id": 2, "resource_id": "Magento_Backend::all", "permission": "maybe"})
    rows["authorization_role"].append({"role_id": 8, "parent_id": 0, "tree_level": 1, "role_type": "X", "user_id": 9,
                                       "user_type": "2", "role_name": "odd"})
    snap = make_shop(rows).connector().fetch(now=NOW)
    alice, held = by_id(snap)["admin:1"], grants(snap)
    assert alice.state == "unknown" and alice.raw["unknown_is_active"] == 7
    assert alice.two_factor is None and alice.raw["unknown_tfa_providers"] == "google"
    assert held["admin:3"].privileged is False
    assert held["admin:3"].raw["unknown_rules"][0]["permission"] == "maybe"
    assert snap.tenant.raw["unknown_role_rows"][0]["role_type"] == "X"


def test_malformed_rows_are_skipped_and_the_tenant_is_incomplete(make_shop) -> None:
    rows = base_rows()
    rows["admin_user"][1]["logdate"] = "0000-00-00 00:00:00"  # MariaDB keeps zero dates (no NO_ZERO_DATE)
    shop = make_shop(rows)
    shop.server.execute("ALTER TABLE admin_user MODIFY user_id varchar(10) NOT NULL",
                        "INSERT INTO admin_user (user_id, username, password, is_active) VALUES ('x1', 'junk', 'h', 1)",
                        database=shop.database)
    snap = shop.connector().fetch(now=NOW)
    bob = by_id(snap)["admin:2"]
    assert bob.last_activity is None and bob.raw["logdate"] == "0000-00-00 00:00:00"  # kept as evidence
    assert "admin:1" in by_id(snap)
    assert snap.incomplete_scopes["tenant"] == "shop-magento: 1 malformed admin_user row(s) skipped (no user_id)"


def test_a_connection_dropped_mid_read_leaves_the_platform_incomplete(make_shop) -> None:
    shop = make_shop()
    connector = shop.connector()
    original = connector._engine

    def engine():
        created = original()

        @event.listens_for(created, "before_cursor_execute")
        def kill(conn, cursor, statement, params, context, many):  # noqa: ARG001 - SQLAlchemy's signature
            if "FROM tfa_user_config" in statement:
                thread_id = conn.connection.dbapi_connection.thread_id()
                shop.server.execute(f"KILL CONNECTION {thread_id}")
        return created

    connector._engine = engine
    snap = connector.fetch(now=NOW)
    reason = snap.incomplete_scopes["tenant"]
    assert not snap.complete and "connection was lost while reading table tfa_user_config" in reason
    assert any("table integration was not read" in e for e in snap.errors)
    assert {a.account_id for a in snap.accounts} == {"admin:1", "admin:2", "admin:3"}
    assert all(a.two_factor is None for a in snap.accounts)  # unread 2FA is unknown, not off
