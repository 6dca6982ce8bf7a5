"""The auditor's own records: e-mail matching inside JSON columns (exact, case-insensitive, LIKE wildcards
escaped) on SQLite and PostgreSQL, and offboarding cases read from tables the offboarding area owns."""

from __future__ import annotations

from auditor.dsar import records
from auditor.storage.db import Database
from tests.dsar import builders


def test_email_match_is_exact_and_escapes_like_wildcards(database: Database) -> None:
    builders.load(database, people=[
        {**builders.person("ab", "A B"), "emails": ["a_b@shop.example"]},
        {**builders.person("axb", "A X B"), "emails": ["axb@shop.example", "A.B@Shop.example"]},
        {**builders.person("pct", "P C T"), "emails": ["p%t@shop.example"]},
    ])
    with database.session() as session:
        def uids(*emails: str) -> list[str]:
            return [p["uid"] for p in records.stored_people(session, records.Identity(emails=set(emails)))]

        assert uids("a_b@shop.example") == ["ab"]  # '_' is no wildcard: axb@ does not match
        assert uids("a.b@shop.example") == ["axb"]  # stored as A.B@Shop.example
        assert uids("p%t@shop.example") == ["pct"]
        assert uids("b@shop.example", "shop.example") == []  # a whole address, not a part of one
        assert uids() == []


def test_offboarding_cases_with_their_items_or_source_not_available(database: Database) -> None:
    builders.scratch_offboarding(database)
    with database.session() as session:
        cases = records.offboarding_cases(session, ["told", "nobody"], case_table="scratch_case",
                                          item_table="scratch_item")
        missing = records.offboarding_cases(session, ["told"], case_table="no_such_table")
    assert missing is None
    assert [(c["case_id"], c["status"], c["items"]) for c in cases] == [(1, "closed", 2)]
    assert cases[0]["closed_at"].startswith("2021-") and cases[0]["closed_at"].endswith("+00:00")
