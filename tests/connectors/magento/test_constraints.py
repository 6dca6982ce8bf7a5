"""Each contract constraint of Magento, proved against a real MariaDB (the platform's own "emulator")."""

from __future__ import annotations

import pymysql
import pytest

from auditor.connectors.magento.tables import reads
from tests.connectors.magento.conftest import NOW, base_rows


@pytest.mark.constraint("magento", "read_only_account")
def test_the_read_only_account_is_refused_writes(make_shop) -> None:
    shop = make_shop()
    user, password = shop.url.split("//")[1].split("@")[0].split(":")
    conn = shop.server.connect(shop.database, user=user, password=password)
    try:
        for sql in ("INSERT INTO admin_user (username, password) VALUES ('x', 'y')",
                    "UPDATE admin_user SET is_active = 0", "DELETE FROM oauth_token"):
            with pytest.raises(pymysql.err.OperationalError) as caught, conn.cursor() as cursor:
                cursor.execute(sql)
            assert caught.value.args[0] == 1142
        with conn.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM admin_user")
            assert cursor.fetchone() == (4,)
    finally:
        conn.close()
    assert shop.connector().fetch(now=NOW).complete  # and the connector needs nothing more
    secret_columns = {"password", "rp_token", "encoded_config", "token", "secret"}
    assert not secret_columns & {c for columns in reads().values() for c in columns}


@pytest.mark.constraint("magento", "missing_table")
def test_a_missing_table_is_a_could_not_verify_naming_it(make_shop) -> None:
    snap = make_shop(skip=("tfa_user_config",)).connector().fetch(now=NOW)
    assert not snap.complete
    assert "table tfa_user_config does not exist (MariaDB error 1146)" in snap.incomplete_scopes["tenant"]
    assert {a.account_id for a in snap.accounts} == {"admin:1", "admin:2", "admin:3", "integration:2"}
    assert all(a.two_factor is None for a in snap.accounts if a.account_id.startswith("admin:"))
    assert any(g.privileged for g in snap.grants)  # the tables after it were still read


@pytest.mark.constraint("magento", "select_not_granted")
def test_a_table_not_granted_is_a_could_not_verify_naming_it(make_shop) -> None:
    tables = [t for t in reads() if t != "oauth_token"]
    snap = make_shop(tables=tables).connector().fetch(now=NOW)
    reason = snap.incomplete_scopes["tenant"]
    assert "may not SELECT from table oauth_token (error 1142)" in reason
    assert not any(a.account_id.startswith("integration:") for a in snap.accounts)
    assert make_shop(tables=tables).connector().check() == [f"shop-magento: {reason.split(': ', 1)[1]}"]


@pytest.mark.constraint("magento", "role_type_group_user")
def test_roles_are_g_rows_and_users_link_to_them_with_u_rows(make_shop) -> None:
    rows = base_rows()
    # Carol's U row points at the Administrators G role; a U row as a parent is not a role
    rows["authorization_role"][4]["parent_id"] = 1
    rows["authorization_role"][3]["parent_id"] = 5  # Bob's parent is Carol's U row: no role at all
    snap = make_shop(rows).connector().fetch(now=NOW)
    held = {g.account_id: g for g in snap.grants}
    assert held["admin:3"].privileged and held["admin:3"].raw["role_name"] == "Administrators"
    assert held["admin:2"].privileged is False and held["admin:2"].raw["missing_parent_role"] == 5


@pytest.mark.constraint("magento", "user_type_integration_admin")
def test_user_type_tells_an_admin_from_an_integration_with_the_same_id(make_shop) -> None:
    snap = make_shop().connector().fetch(now=NOW)
    held = {g.account_id: g for g in snap.grants}
    assert held["admin:2"].privileged and held["admin:2"].raw["role_name"] == "Administrators"
    assert held["integration:2"].privileged is False
    assert held["integration:2"].raw["allowed_resources"] == ["Magento_Sales::sales"]


@pytest.mark.constraint("magento", "full_admin")
def test_full_admin_is_magento_backend_all_allowed(make_shop) -> None:
    rows = base_rows()
    rows["authorization_rule"][0]["permission"] = "deny"
    rows["authorization_rule"].append({"role_id": 7, "resource_id": "Magento_Backend::all", "permission": "allow"})
    snap = make_shop(rows).connector().fetch(now=NOW)
    held = {g.account_id: g for g in snap.grants}
    assert not held["admin:1"].privileged and held["admin:1"].raw["denied_resources"] == ["Magento_Backend::all"]
    assert held["integration:2"].privileged and held["integration:2"].role == "integration resources (all resources)"


@pytest.mark.constraint("magento", "tfa_not_enrolled")
def test_no_row_or_no_provider_is_not_enrolled(make_shop) -> None:
    rows = base_rows()
    rows["tfa_user_config"].append({"user_id": 2, "encoded_providers": None, "encoded_config": None})
    snap = make_shop(rows).connector().fetch(now=NOW)
    two_factor = {a.account_id: a.two_factor for a in snap.accounts}
    assert (two_factor["admin:1"], two_factor["admin:2"], two_factor["admin:3"]) == (True, False, False)


@pytest.mark.constraint("magento", "table_prefix")
def test_tables_carry_the_prefix(make_shop) -> None:
    shop = make_shop(prefix="mg_")
    assert len(shop.connector().fetch(now=NOW).accounts) == 4
    snap = shop.connector(table_prefix="").fetch(now=NOW)
    assert "table admin_user does not exist" in snap.incomplete_scopes["tenant"] and not snap.accounts


@pytest.mark.constraint("magento", "connection_lost")
def test_a_killed_connection_stops_the_read(make_shop) -> None:
    shop = make_shop()
    connector = shop.connector()
    original = connector._engine

    def engine():
        from sqlalchemy import event

        created = original()

        @event.listens_for(created, "before_cursor_execute")
        def kill(conn, cursor, statement, params, context, many):  # noqa: ARG001 - SQLAlchemy's signature
            if "FROM admin_user" in statement:
                shop.server.execute(f"KILL CONNECTION {conn.connection.dbapi_connection.thread_id()}")
        return created

    connector._engine = engine
    snap = connector.fetch(now=NOW)
    assert not snap.accounts and not snap.complete
    assert "connection was lost while reading table admin_user" in snap.incomplete_scopes["tenant"]
    assert len([e for e in snap.errors if "was not read" in e]) == len(reads()) - 1
