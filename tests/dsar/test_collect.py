"""Collection over the demo shop: an employee who is also a customer appears on three platforms (Meta over HTTP,
the shop's customer import and the TikTok member export); every source is listed with its result."""

from __future__ import annotations

from typing import Any

from auditor.config import PlatformSettings
from auditor.dsar import collect as collecting
from auditor.dsar.model import COULD_NOT_SEARCH, FOUND, NOT_AVAILABLE, NOTHING_FOUND, PARTIAL, Collection
from auditor.dsar.redact import REDACTED
from auditor.storage.db import open_database
from tests.dsar import fixtures
from tests.dsar.conftest import NOW, Shop

META = "Kwiatek on Meta"


def run(shop: Shop, name: str, emails: list[str], handles: dict[str, list[str]] | None = None,
        **kwargs: Any) -> Collection:
    db = open_database(shop.settings.storage_url)
    try:
        with db.session() as session:
            return collecting.collect(shop.settings, session, collecting.subject_from(name, emails, handles),
                                      now=NOW, **kwargs)
    finally:
        db.dispose()


def statuses(collection: Collection) -> dict[str, str]:
    return {s.source: s.status for s in collection.sources}


def test_employee_and_customer_is_found_on_three_platforms(scanned_shop: Shop) -> None:
    collection = run(scanned_shop, "Michał Woźniak", [fixtures.MICHAL_WORK, fixtures.MICHAL_PRIVATE])
    assert statuses(collection) == {
        "directory": FOUND, "auditor.directory": FOUND, "auditor.inventory": FOUND, "auditor.findings.lifecycle": FOUND,
        "auditor.events": FOUND, "auditor.offboarding": NOTHING_FOUND if _has_offboarding(scanned_shop) else
        NOT_AVAILABLE, f"platform:{META}": FOUND, f"platform:{fixtures.SHOP}": FOUND,
        f"platform:{fixtures.TIKTOK}": FOUND,
    }
    assert collection.uids == [fixtures.MICHAL_UID]
    accounts = collection.records["platform_accounts"]
    stored = {(a["platform"], a["account_id"]) for a in accounts if a["source"] == "auditor"}
    live = {(a["platform"], a["account_id"]) for a in accounts if a["source"].startswith("platform:")}
    assert {platform for platform, _ in stored} == {META, fixtures.SHOP, fixtures.TIKTOK}
    assert stored == live  # what the auditor stored and what each platform answers now
    assert (fixtures.SHOP, fixtures.SHOP_MICHAL) in stored  # by his private address (no directory link)
    assert (fixtures.TIKTOK, fixtures.TIKTOK_MICHAL) in stored  # no e-mail on TikTok: by the manual link
    identity = collection.records["identity"]
    assert {(r["source"], r["uid"]) for r in identity} == {("directory", "mwozniak"), ("auditor", "mwozniak")}
    assert "michal.wozniak@kwiatek-shop.example" in identity[0]["emails"]  # the alias came from the directory


def test_each_source_says_how_it_was_searched_and_what_it_gave(scanned_shop: Shop) -> None:
    collection = run(scanned_shop, "Michał Woźniak", [fixtures.MICHAL_WORK, fixtures.MICHAL_PRIVATE])
    by_source = {s.source: s for s in collection.sources}
    tiktok = by_source[f"platform:{fixtures.TIKTOK}"]
    assert tiktok.searched_by == ["e-mail", "account id"]
    assert tiktok.counts == {"platform_accounts": 1, "access_rights": 1, "activity_log": 2}
    assert by_source["auditor.inventory"].counts["platform_accounts"] == 3
    meta_rights = [r for r in collection.records["access_rights"]
                   if r["platform"] == META and r["source"] == "auditor" and r["asset_name"] == "Kwiatek Sklep"]
    assert meta_rights and meta_rights[0]["other_holders_withheld"] > 0  # co-holders counted, never listed
    events = collection.records["activity_log"]
    assert {e["raw_action"] for e in events if e["platform"] == fixtures.SHOP} == {"order_placed", "refund_issued"}
    assert len([e for e in events if e["platform"] == META and e["source"] == "auditor"]) >= 1


def test_other_people_are_redacted_in_the_collection(scanned_shop: Shop) -> None:
    collection = run(scanned_shop, "Michał Woźniak", [fixtures.MICHAL_WORK, fixtures.MICHAL_PRIVATE])
    events = collection.records["activity_log"]
    refund = next(e for e in events if e["raw_action"] == "refund_issued" and e["source"] == "auditor")
    assert (refund["actor_id"], refund["actor_name"]) == (REDACTED, REDACTED)  # the care agent
    assert refund["target_id"] == fixtures.SHOP_MICHAL  # he is the target: kept
    added = next(e for e in events if e["raw_action"] == "member_add" and e["source"] == "auditor")
    assert added["actor_name"] == REDACTED and added["target_name"] == "michal.kwiatek"
    granted = {r["granted_by"] for r in collection.records["access_rights"] if r["platform"] == fixtures.TIKTOK}
    assert granted == {REDACTED}
    text = repr(collection.records)
    for other in (fixtures.CARE_AGENT_NAME, "staff-9", "tt-7002", "karolina.social", "Anna Nowak", "cust-502"):
        assert other not in text
    excess = next(f for f in collection.records["findings"] if f["category"] == "excess_admins")
    # the other six holders of the Page (people, the auditor's system user, a direct Page role) are redacted
    assert excess["message"].count(REDACTED) == 6 and "637947860849192" in excess["message"]
    assert collection.redactions["activity_log"] >= 2 and collection.redactions["findings"] == 6


def test_a_person_the_shop_does_not_know_gives_nothing_found_everywhere(scanned_shop: Shop) -> None:
    collection = run(scanned_shop, "Jan Nieznany", ["jan.nieznany@example.org"])
    assert not collection.holds_data
    assert collection.uids == []
    assert all(not rows for rows in collection.records.values())
    found = statuses(collection)
    assert found.pop(f"platform:{fixtures.TIKTOK}") == COULD_NOT_SEARCH  # no e-mail there, no id known
    found.pop("auditor.offboarding")
    assert set(found.values()) == {NOTHING_FOUND}
    reason = next(s.reason for s in collection.sources if s.source == f"platform:{fixtures.TIKTOK}")
    assert "does not reveal e-mail addresses" in reason


def test_a_handle_lets_an_email_less_platform_be_searched(scanned_shop: Shop) -> None:
    collection = run(scanned_shop, "Natalia", ["natalia.private@example.org"], {fixtures.TIKTOK: ["tt-7003"]})
    assert statuses(collection)[f"platform:{fixtures.TIKTOK}"] == FOUND
    assert [a["account_id"] for a in collection.records["platform_accounts"] if a["source"].startswith("platform")] \
        == ["tt-7003"]
    handle_only = run(scanned_shop, "Natalia", [], {fixtures.TIKTOK: ["tt-7003"]})
    assert statuses(handle_only)["directory"] == COULD_NOT_SEARCH
    assert handle_only.sources[0].reason == "no e-mail address of the subject is known"
    assert statuses(handle_only)[f"platform:{fixtures.TIKTOK}"] == FOUND


def test_a_platform_that_cannot_be_read_is_could_not_search_and_the_rest_goes_on(scanned_shop: Shop) -> None:
    broken = PlatformSettings(kind=fixtures.KIND, name="Broken import", tenant_id="x",
                              options={"path": "/nonexistent/file.json"})
    settings = scanned_shop.settings.model_copy(update={"platform": [*scanned_shop.settings.platform, broken]})
    collection = run(Shop(scanned_shop.directory, settings), "Michał Woźniak", [fixtures.MICHAL_WORK])
    result = next(s for s in collection.sources if s.source == "platform:Broken import")
    assert result.status == COULD_NOT_SEARCH and "cannot read the import file" in result.reason
    assert statuses(collection)[f"platform:{META}"] == FOUND


def test_an_incomplete_platform_answer_is_partial(scanned_shop: Shop) -> None:
    class Gappy(fixtures.ImportFileConnector):
        def lookup(self, **kwargs: Any):
            snap = super().lookup(**kwargs)
            snap.complete, snap.errors = False, [f"{self.name}: page 2 of members timed out"]
            return snap

    def factory(platform: PlatformSettings):
        if platform.name == fixtures.SHOP:
            return Gappy(platform, lambda env, key: "")
        return collecting._default_factory(scanned_shop.settings)(platform)

    collection = run(scanned_shop, "Michał Woźniak", [fixtures.MICHAL_PRIVATE], factory=factory)
    shop = next(s for s in collection.sources if s.source == f"platform:{fixtures.SHOP}")
    assert shop.status == PARTIAL and "timed out" in shop.reason and shop.counts["platform_accounts"] == 1


def test_directory_that_cannot_be_read_is_reported(scanned_shop: Shop, tmp_path) -> None:
    directory = scanned_shop.settings.directory.model_copy(update={"path": str(tmp_path / "missing.ldif")})
    settings = scanned_shop.settings.model_copy(update={"directory": directory})
    collection = run(Shop(scanned_shop.directory, settings), "Michał Woźniak", [fixtures.MICHAL_WORK])
    result = collection.sources[0]
    assert (result.source, result.status) == ("directory", COULD_NOT_SEARCH)
    assert "missing.ldif" in result.reason
    assert statuses(collection)["auditor.directory"] == FOUND  # the stored copy still answers


def _has_offboarding(shop: Shop) -> bool:
    from sqlalchemy import inspect

    db = open_database(shop.settings.storage_url)
    try:
        return inspect(db.engine).has_table("offboarding_case")
    finally:
        db.dispose()


def test_the_whole_demo_finds_him_on_every_sandbox_platform_that_can_be_searched(tmp_path) -> None:
    """The demo as ``auditor demo`` builds it (every sandbox platform other areas ship, served over HTTP):
    at least three platforms hold the employee; a platform that cannot be searched says why."""
    from auditor.config import load_settings
    from auditor.demo.workspace import create_workspace
    from auditor.dsar import use_cases as service
    from auditor.services.scan import run_scan

    settings = load_settings(create_workspace(tmp_path / "demo"))
    run_scan(settings, trigger="test")
    request = service.open_request(settings, name="Michał Woźniak", emails=[fixtures.MICHAL_WORK], actor="dpo")
    collection = service.collect_for_request(settings, request["id"], actor="dpo")
    live = [s for s in collection.sources if s.source.startswith("platform:")]
    assert len(live) == len(settings.platform)
    found = {s.source for s in live if s.status == FOUND}
    assert f"platform:{META}" in found and len(found) >= 3
    assert all(s.reason for s in live if s.status in (COULD_NOT_SEARCH, PARTIAL))
    platforms = {a["platform"] for a in collection.records["platform_accounts"] if a["source"] == "auditor"}
    assert len(platforms) >= 3
