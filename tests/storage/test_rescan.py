"""A rescan writes only what changed, and reads the audit log from the stored cursor (both backends)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from sqlalchemy import event as sa_event
from sqlalchemy import select

from auditor.model import Capabilities, Grant
from auditor.storage.event_log import (
    EVENT_OVERLAP,
    complete_event_log,
    event_cursors,
    events_since,
    log_read_completely,
)
from auditor.storage.repository import save_scan
from auditor.storage.tables import InvGrant
from tests.storage.builders import T0, account, at, event, record, standard_snapshot

INVENTORY = ("inv_account", "inv_asset", "inv_grant", "inv_app")


def _writes(database, when, snap) -> list[tuple[str, int]]:
    """Save one scan; the inventory INSERT / UPDATE statements it ran, each with its number of rows."""
    seen: list[tuple[str, int]] = []

    def capture(_conn, _cursor, statement, parameters, _context, executemany):
        words = [*statement.split(), "", "", ""]
        table = words[2] if words[0] == "INSERT" else words[1]
        if words[0] in ("INSERT", "UPDATE") and table in INVENTORY:
            seen.append((" ".join(words[:2 if words[0] == "UPDATE" else 3]) + (" ... last_seen" if
                         "last_seen <" in statement else ""), len(parameters) if executemany else 1))

    sa_event.listen(database.engine, "before_cursor_execute", capture)
    try:
        with database.session() as session:
            save_scan(session, record(when, [snap], []), [])
    finally:
        sa_event.remove(database.engine, "before_cursor_execute", capture)
    return seen


def test_a_rescan_with_nothing_changed_writes_no_inventory_row(database):
    first = _writes(database, at(0), standard_snapshot())
    assert {statement for statement, _ in first if statement.startswith("INSERT")} == {
        f"INSERT INTO {table}" for table in INVENTORY}
    again = _writes(database, at(1), standard_snapshot())
    assert again == [(f"UPDATE {table} ... last_seen", 1) for table in INVENTORY], \
        "only the one set-based statement moving last_seen per table; no row inserted or rewritten"


def test_a_new_role_is_inserted_and_the_old_one_marked_gone(database):
    _writes(database, at(0), standard_snapshot())
    changed = standard_snapshot(grants=[Grant("u1", "p1", "ADMIN", True), Grant("u2", "p2", "ADMIN", True),
                                        Grant("u1", None, "ADMIN", True)])
    writes = _writes(database, at(1), changed)
    assert [w for w in writes if "last_seen" not in w[0]] == [("INSERT INTO inv_grant", 1), ("UPDATE inv_grant", 1)]
    with database.session() as session:
        row = session.exec(select(InvGrant.__table__).where(InvGrant.__table__.c.account_id == "u2")
                           ).mappings().all()
    # the key includes the role: the EDITOR grant is gone, the ADMIN one is new
    assert {(r["role"], r["gone_at"]) for r in row} == {("EDITOR", at(1)), ("ADMIN", None)}


def test_a_changed_field_of_a_grant_updates_it_and_nothing_else(database):
    _writes(database, at(0), standard_snapshot())
    changed = standard_snapshot(grants=[Grant("u1", "p1", "ADMIN", True), Grant("u2", "p2", "EDITOR", True),
                                        Grant("u1", None, "ADMIN", True)])
    writes = _writes(database, at(1), changed)
    assert [w for w in writes if "last_seen" not in w[0]] == [("UPDATE inv_grant", 1)]
    with database.session() as session:
        row = session.exec(select(InvGrant.__table__).where(InvGrant.__table__.c.account_id == "u2")
                           ).mappings().one()
    assert row["privileged"] is True and row["first_seen"] == at(0) and row["last_seen"] == at(1)


def _logged(activity_from_log: bool = True, **overrides):
    snap = standard_snapshot(**overrides)
    snap.capabilities = Capabilities(per_user_2fa=True, audit_log=True, activity_from_log=activity_from_log)
    snap.activity_since = T0 - timedelta(days=30)
    return snap


def test_the_cursor_covers_only_logs_read_completely(database):
    with database.session() as session:
        save_scan(session, record(at(1), [_logged()], []), [])
        cursor = event_cursors(session)["meta"]
    assert (cursor.tenant, cursor.since) == ("biz1", T0 - timedelta(days=30))
    assert cursor.through == at(1) - timedelta(minutes=5), "the time the scan read the platforms up to"

    failed = _logged()
    failed.scope_failed("events", "meta: HTTP 500 on /activities")
    assert not log_read_completely(failed)
    with database.session() as session:
        save_scan(session, record(at(2), [failed], []), [])
        assert event_cursors(session)["meta"] == cursor, "a failed log read leaves the cursor where it was"

    window = at(2) - timedelta(days=20)
    assert events_since(cursor, window, at(2)) == cursor.through - EVENT_OVERLAP
    assert events_since(cursor, cursor.since - timedelta(days=1), at(2)) == cursor.since - timedelta(days=1), \
        "a window reaching before the stored log is read in full"
    assert events_since(None, window, at(2)) == window
    assert events_since(cursor, window, cursor.through - timedelta(hours=1)) == window, "a cursor in the future"


def test_an_incremental_read_is_completed_from_storage_as_a_full_read_would_be(database):
    stored = [event("e1", 1), event("e2", 2, actor="u2"), event("e3", 30)]
    with database.session() as session:
        save_scan(session, record(at(2), [_logged(events=stored)], []), [])
        cursor = event_cursors(session)["meta"]
    since = cursor.through - EVENT_OVERLAP
    # the platform answers from `since` on: e3 again (overlap) and a new e4
    fetched = _logged(events=[event("e3", 30), event("e4", 50)],
                      accounts=[account("u1"), replace(account("u2"), last_activity=None)])
    fetched.activity_since = since
    with database.session() as session:
        added = complete_event_log(session, fetched, cursor, T0, since)
    assert added == 2
    assert [e.event_id for e in fetched.events] == ["e1", "e2", "e3", "e4"]
    assert fetched.activity_since == T0, "the log is complete over the whole window again"
    by_id = {a.account_id: a for a in fetched.accounts}
    assert by_id["u2"].last_activity == T0 + timedelta(hours=2), "the stored event still counts as activity"

    other_tenant = replace(cursor, tenant="biz2")
    fresh = _logged(events=[event("e4", 50)])
    fresh.activity_since = since
    with database.session() as session:
        assert complete_event_log(session, fresh, other_tenant, T0, since) == 0
    assert fresh.activity_since == since, "nothing is claimed for a log stored under another tenant"


def test_an_incremental_read_sets_no_last_activity_a_full_read_would_not_set(database):
    """A platform whose connector leaves ``last_activity`` to the rules (TikTok: the log covers some asset kinds
    only) gets none from the stored events either: a rescan would otherwise call an account dormant that a full
    read leaves unknown (found by bench/soak_faults.py: a false dormant_access on every second TikTok scan)."""
    stored = [event("e2", 2, actor="u2")]
    with database.session() as session:
        save_scan(session, record(at(2), [_logged(False, events=stored)], []), [])
        cursor = event_cursors(session)["meta"]
    since = cursor.through - EVENT_OVERLAP
    fetched = _logged(False, events=[event("e4", 50)], accounts=[replace(account("u2"), last_activity=None)])
    fetched.activity_since = since
    with database.session() as session:
        assert complete_event_log(session, fetched, cursor, T0, since) == 1
    assert [e.event_id for e in fetched.events] == ["e2", "e4"], "the stored event is still in the log"
    assert fetched.accounts[0].last_activity is None
