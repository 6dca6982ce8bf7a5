"""Bulk writes through the driver store exactly what SQLAlchemy's own insert would, on both backends, through
executemany and (PostgreSQL, large batches) COPY, inside the caller's transaction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import String, cast, insert, select

from auditor.storage.bulk import COPY_MIN_ROWS, bulk_insert, bulk_update, json_text
from auditor.storage.tables import InvGrant

NOW = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
TABLE = InvGrant.__table__
COLUMNS = ("account_id", "asset_id", "role", "privileged", "granted_at", "granted_by", "raw", "digest")


def _row(i: int) -> dict:
    return {"account_id": f"u{i}", "asset_id": f"page-{i % 7}", "role": "ADMIN" if i % 3 == 0 else "EDITOR",
            "privileged": i % 3 == 0, "granted_at": NOW - timedelta(days=i % 40) if i % 2 else None,
            "granted_by": None if i % 5 else "Zażółć gęślą jaźń", "digest": f"d{i}",
            "raw": {"line": i, "name": "Łukasz \"Ł\" <b>", "nested": {"list": [1, None, True]}, "none": None}}


def _stored(database) -> dict[str, dict]:
    with database.session() as session:
        rows = session.exec(select(TABLE).order_by(TABLE.c.id)).mappings().all()
    return {row["account_id"]: dict(row) for row in rows}


@pytest.mark.parametrize("count", [3, COPY_MIN_ROWS + 1], ids=["executemany", "copy-sized"])
def test_bulk_insert_stores_what_sqlalchemy_stores(database, count) -> None:
    rows = [_row(i) for i in range(count)]
    constants = {"platform": "Meta", "tenant": "b1", "first_seen": NOW, "last_seen": NOW, "gone_at": None}
    with database.session() as session:
        bulk_insert(session, TABLE, COLUMNS, [{**r, "raw": json_text(r["raw"]) if r["account_id"] != "u1" else r["raw"]}
                                              for r in rows], constants=constants)
    bulk = _stored(database)
    with database.session() as session:  # the same rows through SQLAlchemy, in another tenant
        session.exec(insert(TABLE), params=[{**r, **constants, "tenant": "b2"} for r in rows])
    reference = {k: v for k, v in _stored(database).items() if v["tenant"] == "b2"}
    assert len(bulk) == count
    for account, row in bulk.items():
        expected = reference[account]
        for column in (*COLUMNS, "platform", "first_seen", "last_seen", "gone_at"):
            assert row[column] == expected[column], (account, column)
    assert bulk["u1"]["granted_at"] == NOW - timedelta(days=1) and bulk["u1"]["granted_at"].tzinfo is not None
    # stored alike to the letter, not only read back alike: SQL compares the stored text (SQLite) of dates
    stored = [cast(TABLE.c[name], String) for name in ("granted_at", "first_seen", "last_seen", "raw", "privileged")]
    with database.session() as session:
        as_text = {(tenant, account): rest for tenant, account, *rest in session.exec(
            select(TABLE.c.tenant, TABLE.c.account_id, *stored)).all()}
    for (tenant, account), values in as_text.items():
        if tenant == "b1":
            assert values == as_text[("b2", account)], account
    assert bulk["u0"]["raw"]["name"] == "Łukasz \"Ł\" <b>" and bulk["u0"]["raw"]["none"] is None


def test_bulk_writes_roll_back_with_the_transaction(database) -> None:
    rows = [_row(i) for i in range(COPY_MIN_ROWS + 5)]
    constants = {"platform": "Meta", "tenant": "b1", "first_seen": NOW, "last_seen": NOW, "gone_at": None}
    with pytest.raises(RuntimeError), database.session() as session:
        bulk_insert(session, TABLE, COLUMNS, rows, constants=constants)
        raise RuntimeError("the scan fails after its writes")
    assert _stored(database) == {}


def test_bulk_update_changes_only_the_named_columns_of_the_keyed_rows(database) -> None:
    constants = {"platform": "Meta", "tenant": "b1", "first_seen": NOW, "last_seen": NOW, "gone_at": None}
    with database.session() as session:
        bulk_insert(session, TABLE, COLUMNS, [_row(i) for i in range(4)], constants=constants)
    ids = {account: row["id"] for account, row in _stored(database).items()}
    later = NOW + timedelta(days=1)
    with database.session() as session:
        bulk_update(session, TABLE, ("role", "raw"), [
            {"b_id": ids["u1"], "role": "OWNER", "raw": {"line": 99}},
            {"b_id": ids["u2"], "role": "VIEWER", "raw": json_text({"line": 98})},
        ], constants={"last_seen": later})
    stored = _stored(database)
    assert (stored["u1"]["role"], stored["u1"]["raw"], stored["u1"]["last_seen"]) == ("OWNER", {"line": 99}, later)
    assert (stored["u2"]["role"], stored["u2"]["raw"]) == ("VIEWER", {"line": 98})
    assert (stored["u0"]["role"], stored["u0"]["last_seen"]) == ("ADMIN", NOW), "rows not named stay as they were"
    assert stored["u3"]["granted_by"] is None and stored["u1"]["privileged"] is False
