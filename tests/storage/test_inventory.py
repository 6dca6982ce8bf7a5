"""Inventory diff through save_scan: bulk writes, gone_at only on complete snapshots, events dedup."""

from __future__ import annotations

from sqlalchemy import event as sa_event
from sqlalchemy import select

from auditor.model import Grant
from auditor.storage.inventory import last_event_time
from auditor.storage.repository import save_scan
from auditor.storage.tables import AuditEventRow, InvAccount, InvApp, InvAsset, InvGrant, ScanPlatform
from tests.storage.builders import T0, account, at, event, record, snapshot, standard_snapshot


def _rows(database, model) -> dict[tuple, dict]:
    table = model.__table__
    key_columns = {
        "inv_account": ("account_id",), "inv_asset": ("asset_id",),
        "inv_grant": ("account_id", "asset_id", "role"), "inv_app": ("app_id", "token_ref"),
        "audit_event": ("event_id",),
    }[table.name]
    with database.session() as session:
        return {
            tuple(row[k] for k in key_columns): dict(row)
            for row in session.exec(select(table)).mappings()
        }


def _save(database, when, snapshots, **kwargs):
    with database.session() as session:
        return save_scan(session, record(when, snapshots, [], **kwargs), [])


def test_first_scan_stores_every_record(database):
    summary = _save(database, at(0), [standard_snapshot()], account_people={("meta", "u1"): "ann"})
    accounts = _rows(database, InvAccount)
    assert set(accounts) == {("u1",), ("u2",)}
    assert accounts[("u1",)]["person_uid"] == "ann"
    assert accounts[("u2",)]["person_uid"] is None
    assert accounts[("u1",)]["two_factor"] is False
    assert accounts[("u1",)]["emails"] == ["ann@shop.example"]
    assert accounts[("u1",)]["first_seen"] == at(0) and accounts[("u1",)]["gone_at"] is None
    expected = {("u1", "p1", "ADMIN"), ("u2", "p2", "EDITOR"), ("u1", "", "ADMIN")}
    assert set(_rows(database, InvGrant)) == expected
    assert _rows(database, InvAsset)[("p1",)]["name"] == "Shop page"
    assert _rows(database, InvApp)[("app1", "")]["scopes"] == ["pages_manage_posts"]
    assert summary.platforms == [("meta", "complete", [])]
    with database.session() as session:
        platform = session.exec(select(ScanPlatform.__table__)).mappings().one()
    assert platform["counts"]["grants"] == {"present": 3, "new": 3, "changed": 0, "gone": 0}
    assert platform["capabilities"]["per_user_2fa"] is True
    assert platform["tenant_name"] == "biz1 name"


def test_complete_snapshot_marks_missing_rows_gone_and_partial_never_does(database):
    _save(database, at(0), [standard_snapshot()])
    # complete: the tenant-level grant of u1 and the app are gone; u1's 2FA changed
    second = standard_snapshot(
        accounts=[account("u1", emails=("ann@shop.example",), two_factor=True),
                  account("u2", emails=("bob@shop.example",), two_factor=True)],
        grants=[Grant("u1", "p1", "ADMIN", True), Grant("u2", "p2", "EDITOR", False)], apps=[],
    )
    _save(database, at(1), [second])
    grants = _rows(database, InvGrant)
    assert grants[("u1", "", "ADMIN")]["gone_at"] == at(1)
    assert grants[("u1", "", "ADMIN")]["last_seen"] == at(0)
    assert grants[("u1", "p1", "ADMIN")]["gone_at"] is None
    assert grants[("u1", "p1", "ADMIN")]["last_seen"] == at(1)
    assert _rows(database, InvApp)[("app1", "")]["gone_at"] == at(1)
    accounts = _rows(database, InvAccount)
    assert accounts[("u1",)]["two_factor"] is True
    assert accounts[("u1",)]["first_seen"] == at(0)

    # partial: u2 and its grant are missing, but nothing may be marked gone; what was read moves on
    partial = snapshot(accounts=[account("u1", emails=("ann@shop.example",), two_factor=True)],
                       grants=[Grant("u1", "p1", "ADMIN", True)], complete=False,
                       errors=["meta: 500 on /users"])
    summary = _save(database, at(2), [partial])
    assert summary.platforms == [("meta", "partial", ["meta: 500 on /users"])]
    accounts = _rows(database, InvAccount)
    assert accounts[("u2",)]["gone_at"] is None
    assert accounts[("u2",)]["last_seen"] == at(1)
    assert accounts[("u1",)]["last_seen"] == at(2)
    grants = _rows(database, InvGrant)
    assert grants[("u2", "p2", "EDITOR")]["gone_at"] is None
    assert grants[("u1", "p1", "ADMIN")]["last_seen"] == at(2)
    assert _rows(database, InvAsset)[("p1",)]["gone_at"] is None, "assets missing from a partial read stay"

    # the tenant grant comes back: gone_at is cleared, first_seen kept
    _save(database, at(3), [standard_snapshot()])
    grants = _rows(database, InvGrant)
    assert grants[("u1", "", "ADMIN")]["gone_at"] is None
    assert grants[("u1", "", "ADMIN")]["first_seen"] == at(0)
    assert grants[("u1", "", "ADMIN")]["last_seen"] == at(3)


def test_failed_platform_is_recorded_and_touches_nothing(database):
    _save(database, at(0), [standard_snapshot()])
    summary = _save(database, at(1), [snapshot(complete=False, errors=["meta: token expired"])])
    assert summary.platforms == [("meta", "failed", ["meta: token expired"])]
    assert summary.status == "partial"
    grants = _rows(database, InvGrant).values()
    assert all(row["gone_at"] is None and row["last_seen"] == at(0) for row in grants)


def test_events_are_deduplicated_and_give_the_cursor(database):
    with database.session() as session:
        assert last_event_time(session, "meta", "biz1") is None
    _save(database, at(0), [standard_snapshot(events=[event("e1", 0), event("e2", 1), event("e2", 1)])])
    _save(database, at(1), [standard_snapshot(events=[event("e2", 1), event("e3", 5)])])
    events = _rows(database, AuditEventRow)
    assert set(events) == {("e1",), ("e2",), ("e3",)}
    assert events[("e3",)]["actor_id"] == "u1"
    with database.session() as session:
        counts = [row["counts"] for row in session.exec(
            select(ScanPlatform.__table__).order_by(ScanPlatform.__table__.c.id)).mappings()]
        assert [c["events_new"] for c in counts] == [2, 1]
        cursor = last_event_time(session, "meta", "biz1")
        assert last_event_time(session, "meta", "other") is None
    assert cursor == event("e3", 5).time
    assert cursor.tzinfo is not None


def test_an_event_id_seen_before_outside_the_time_window_is_not_duplicated(database):
    _save(database, at(0), [standard_snapshot(events=[event("e1", 0)])])
    moved = event("e1", 48)  # same id, different time: the unique key still wins
    _save(database, at(1), [standard_snapshot(events=[moved, event("e9", 50)])])
    events = _rows(database, AuditEventRow)
    assert set(events) == {("e1",), ("e9",)}
    assert events[("e1",)]["time"] == T0


def test_writes_are_bulk_statement_count_does_not_grow_with_rows(database):
    def statements(size: int, when) -> int:
        snap = snapshot(
            platform=f"p{size}",
            accounts=[account(f"a{i}") for i in range(size)],
            grants=[Grant(f"a{i}", f"asset{i % 7}", "ADMIN", True) for i in range(size)],
            events=[event(f"e{i}", i % 24, actor=f"a{i}") for i in range(size)],
        )
        count = 0

        def on_execute(*_args):
            nonlocal count
            count += 1

        sa_event.listen(database.engine, "before_cursor_execute", on_execute)
        try:
            _save(database, when, [snap])
        finally:
            sa_event.remove(database.engine, "before_cursor_execute", on_execute)
        return count

    small = statements(5, at(0))
    large = statements(1500, at(1))
    assert large <= small + 6, (small, large)
    with database.session() as session:
        stored = session.exec(select(InvGrant.__table__.c.platform)).scalars().all()
    assert sorted(set(stored)) == ["p1500", "p5"]
    assert len(stored) == 1505

