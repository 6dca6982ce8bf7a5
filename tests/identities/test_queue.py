"""The queue read model over the scanned demo: leavers first, grants to remove with admin-screen links, one
entry per unmatched identity; and the per-kind admin-screen table."""

from __future__ import annotations

from sqlalchemy import select

from auditor.identities.admin_links import PEOPLE, admin_link
from auditor.identities.queue import fix_first, person_queue, unmatched_queue
from auditor.storage.tables import DirectoryPerson, Finding
from tests.identities.conftest import NOW


def test_leavers_come_first_then_by_the_worst_finding(db):
    people, findings = DirectoryPerson.__table__, Finding.__table__
    with db.session() as session:
        queue = person_queue(session, NOW.date(), 1, 100)
        expected = {  # departed, disabled, or past the contract's end date, with an open finding
            uid for uid, status, end in session.exec(
                select(people.c.uid, people.c.status, people.c.end_date).where(
                    people.c.uid.in_(select(findings.c.person).where(findings.c.status == "open"))))
            if status != "active" or (end is not None and end <= NOW.date())
        }
    keys = [e.key for e in queue.entries]
    leavers = [e.key for e in queue.entries if e.leaver]
    assert {"pkaminski", "azajac", "zlefevre"} <= expected and set(leavers) == expected
    assert keys[: len(leavers)] == leavers
    ranks = {"critical": 4, "high": 3, "medium": 2, "low": 1, "info": 0}
    tail = [ranks[e.worst] for e in queue.entries[len(leavers):]]
    assert tail == sorted(tail, reverse=True) and queue.total == len(keys)
    first = queue.entries[0]
    assert first.worst == "critical" and first.platforms == ["Kwiatek on Meta"]
    assert {f["rule"] for f in first.findings} >= {"orphaned-access"}


def test_a_leaver_entry_lists_every_grant_with_a_link_to_the_admin_screen(db):
    with db.session() as session:
        entry = next(e for e in person_queue(session, NOW.date(), 1, 100).entries if e.key == "pkaminski")
    assert entry.grants, "a leaver's grants are all to remove"
    assert all(g["account_id"] == "871956903408491" for g in entry.grants)
    page_grants = [g for g in entry.grants if g["asset_kind"] == "page"]
    for grant in page_grants:
        assert grant["link"] == (f"https://business.facebook.com/settings/pages/{grant['asset_id']}"
                                 "?business_id=1234567890")
    assert entry.accounts[0]["link"] == "https://business.facebook.com/settings/people?business_id=1234567890"


def test_an_active_person_lists_only_what_the_findings_name(db):
    with db.session() as session:
        entry = next(e for e in person_queue(session, NOW.date(), 1, 100).entries if e.key == "gpietrzak")
    assert not entry.leaver and [f["rule"] for f in entry.findings] == ["missing-2fa"]
    assert entry.grants == []  # an account-level finding: fixed on the account, not by removing a grant
    assert [a["account_id"] for a in entry.accounts] == ["430275069790025"]


def test_unmatched_accounts_are_grouped_per_identity(db):
    with db.session() as session:
        queue = unmatched_queue(session, 1, 100)
        panel = fix_first(session, NOW.date(), limit=3)
    by_key = {e.key: e for e in queue.entries}
    agency = by_key["ola.kurek@pixel-agency.example"]
    assert agency.name == "Aleksandra Kurek" and [f["rule"] for f in agency.findings] == ["unmatched-account"]
    assert by_key["Kwiatek on Meta:674157540326364"].findings[0]["rule"] == "ownerless-service-account"
    assert panel["unmatched"] == queue.total and len(panel["people"]) == 3 and panel["people"][0].leaver


def test_admin_links_are_data_and_unknown_kinds_have_none():
    assert admin_link("meta", "ad_account", tenant="12", asset="act_9") == (
        "https://business.facebook.com/settings/ad-accounts/act_9?business_id=12")
    assert admin_link("linkedin", "organization_page", tenant="x", asset="42") == (
        "https://www.linkedin.com/company/42/admin/settings/manage-admins/")
    assert admin_link("meta", PEOPLE, tenant="a b&c") == "https://business.facebook.com/settings/people?business_id=a%20b%26c"
    assert admin_link("magento", "store", tenant="t", asset="1") is None
    assert admin_link(None, None, tenant=None) is None
