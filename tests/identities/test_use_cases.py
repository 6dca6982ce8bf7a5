"""Links and markings made in the web UI: stored with the audit trail, refused with one plain message, and
applied by the next scan (which resolves the findings they settle); saved views are per user."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from auditor.accounts import audit_trail as web_audit
from auditor.accounts.audit_trail import Actor
from auditor.identities import use_cases
from auditor.identities.tables import AGENCY, SERVICE
from auditor.identities.use_cases import IdentityError, parse_account_keys, stored_service_accounts
from auditor.services.scan import run_scan
from auditor.storage.tables import Finding, InvAccount, ManualLinkRow
from tests.identities.conftest import NOW, OFFICER

PLATFORM = "Kwiatek on Meta"
BARAN, KUREK, KOWALCZYK = "850237973769949", "985829543179145", "385254407598625"  # unmatched demo accounts


def _unmatched(db) -> dict[str, str]:
    table = Finding.__table__
    with db.session() as session:
        rows = session.exec(select(table.c.account, table.c.status).where(table.c.rule == "unmatched-account"))
        return {row[0]: row[1] for row in rows}


def test_a_link_and_two_markings_are_applied_by_the_next_scan(settings, db):
    assert {BARAN, KUREK, KOWALCZYK} <= {a for a, s in _unmatched(db).items() if s == "open"}
    use_cases.link_to_person(db, OFFICER, [(PLATFORM, BARAN)], "mwrobel", NOW)
    use_cases.mark(db, OFFICER, [(PLATFORM, KUREK)], kind=AGENCY, owner="gpietrzak", agency="Pixel Agency",
                   expires=(NOW.date() + timedelta(days=60)).isoformat(), now=NOW)
    use_cases.mark(db, OFFICER, [(PLATFORM, KOWALCZYK)], kind=SERVICE, owner="gpietrzak", now=NOW)
    with db.session() as session:
        trail = web_audit.list_entries(session, target_kind="account")
    assert sorted((e["action"], e["target_id"], e["actor"]) for e in trail) == sorted([
        ("identity_linked", f"{PLATFORM}|{BARAN}", "sofia"),
        ("identity_marked", f"{PLATFORM}|{KUREK}", "sofia"),
        ("identity_marked", f"{PLATFORM}|{KOWALCZYK}", "sofia"),
    ])
    assert _unmatched(db)[BARAN] == "open"  # nothing changes before the next scan

    run_scan(settings, now=NOW + timedelta(hours=1))
    states = _unmatched(db)
    assert states[BARAN] == states[KUREK] == states[KOWALCZYK] == "resolved"
    accounts = InvAccount.__table__
    with db.session() as session:
        linked = session.exec(select(accounts.c.person_uid).where(accounts.c.account_id == BARAN)).scalar_one()
        ownerless = session.exec(
            select(Finding.__table__.c.id).where(Finding.__table__.c.rule == "ownerless-service-account",
                                                 Finding.__table__.c.account.in_([KUREK, KOWALCZYK]))
        ).all()
    assert linked == "mwrobel" and ownerless == []  # the owner is active: no new finding


def test_an_agency_marking_lapses_on_its_expiry_date(db):
    until = NOW.date() + timedelta(days=10)
    use_cases.mark(db, OFFICER, [(PLATFORM, KUREK)], kind=AGENCY, owner="gpietrzak", agency="Pixel Agency",
                   expires=until.isoformat(), now=NOW)
    with db.session() as session:
        before = stored_service_accounts(session, until - timedelta(days=1))
        after = stored_service_accounts(session, until)
    assert [(e.account_id, e.owner) for e in before] == [(KUREK, "gpietrzak")]
    assert "Pixel Agency" in (before[0].note or "") and after == []


def test_a_link_replaces_a_marking_and_undo_removes_it(db):
    use_cases.mark(db, OFFICER, [(PLATFORM, KUREK)], kind=SERVICE, owner="gpietrzak", now=NOW)
    use_cases.link_to_person(db, OFFICER, [(PLATFORM, KUREK)], "mwrobel", NOW)
    with db.session() as session:
        assert use_cases.markings(session) == {}
        assert use_cases.ui_links(session) == {(PLATFORM, KUREK): "mwrobel"}
    assert use_cases.undo(db, OFFICER, [(PLATFORM, KUREK)], NOW) == 1
    with db.session() as session:
        assert session.exec(select(ManualLinkRow.__table__)).all() == []
        assert web_audit.list_entries(session, action="identity_unlinked")[0]["detail"]["uid"] == "mwrobel"
    with pytest.raises(IdentityError, match="no link or marking"):
        use_cases.undo(db, OFFICER, [(PLATFORM, KUREK)], NOW)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda db: use_cases.link_to_person(db, OFFICER, [(PLATFORM, BARAN)], "nobody-here", NOW),
         "person: 'nobody-here' is not a directory person"),
        (lambda db: use_cases.link_to_person(db, OFFICER, [(PLATFORM, "123")], "mwrobel", NOW),
         "account '123' on 'Kwiatek on Meta': not in the inventory"),
        (lambda db: use_cases.mark(db, OFFICER, [(PLATFORM, KUREK)], kind=SERVICE, owner="pkaminski", now=NOW),
         "owner: 'pkaminski' is departed, not active"),
        (lambda db: use_cases.mark(db, OFFICER, [(PLATFORM, KUREK)], kind=AGENCY, owner="gpietrzak", agency="X",
                                   expires=NOW.date().isoformat(), now=NOW),
         "expiry: the date must be in the future"),
        (lambda db: use_cases.mark(db, OFFICER, [(PLATFORM, KUREK)], kind=AGENCY, owner="gpietrzak", agency="",
                                   expires=(NOW.date() + timedelta(days=5)).isoformat(), now=NOW),
         "agency: name the outside company"),
        (lambda db: use_cases.mark(db, OFFICER, [(PLATFORM, KUREK)], kind="robot", owner="gpietrzak", now=NOW),
         "kind: one of agency, service"),
    ],
)
def test_bad_input_is_refused_with_one_plain_message_and_nothing_is_written(db, change, message):
    with pytest.raises(IdentityError) as caught:
        change(db)
    assert message in str(caught.value)
    with db.session() as session:
        assert web_audit.list_entries(session, target_kind="account") == []
        assert use_cases.markings(session) == {} and use_cases.ui_links(session) == {}


def test_account_keys_from_the_form():
    assert parse_account_keys(["m|2", "m|1", "m|2"]) == [("m", "1"), ("m", "2")]
    for bad in ([], ["no-separator"], ["|1"]):
        with pytest.raises(IdentityError):
            parse_account_keys(bad)


def test_saved_views_belong_to_their_user(db):
    other = Actor("olga", "auditor")
    use_cases.save_view(db, OFFICER, "leavers", "category=orphaned_access", NOW)
    use_cases.save_view(db, OFFICER, "leavers", "category=orphaned_access&platform=x", NOW)  # replaced
    use_cases.save_view(db, other, "mine", "status=all", NOW)
    with db.session() as session:
        mine = use_cases.views_of(session, "sofia")
        theirs = use_cases.views_of(session, "olga")
    assert [(v["name"], v["query"]) for v in mine] == [("leavers", "category=orphaned_access&platform=x")]
    with pytest.raises(IdentityError, match="not found"):
        use_cases.delete_view(db, OFFICER, theirs[0]["id"], NOW)
    use_cases.delete_view(db, other, theirs[0]["id"], NOW)
    with db.session() as session:
        assert use_cases.views_of(session, "olga") == []
        assert [e["action"] for e in web_audit.list_entries(session, target_kind="saved_view")].count("view_saved") == 3
    with pytest.raises(IdentityError, match="view name"):
        use_cases.save_view(db, OFFICER, " ", "status=all", NOW)


def test_stored_service_accounts_keep_service_markings_without_expiry(db):
    use_cases.mark(db, OFFICER, [(PLATFORM, KOWALCZYK)], kind=SERVICE, owner="gpietrzak", now=NOW)
    with db.session() as session:
        entries = stored_service_accounts(session, date(2030, 1, 1))
    assert [(e.platform, e.account_id, e.owner) for e in entries] == [(PLATFORM, KOWALCZYK, "gpietrzak")]
