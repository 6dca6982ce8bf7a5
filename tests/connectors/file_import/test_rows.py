"""Row-by-row validation of export records: values, account consistency, duplicates, platform and tenant."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from auditor.connectors.file_import.rows import parse_flag, parse_rows, parse_when

NOW = datetime(2026, 3, 15, 12, tzinfo=UTC)


def rec(**values):
    base = {"platform": "x", "tenant": "t1", "account_id": "@a", "role": "ANALYST"}
    base.update(values)
    return base


def run(*records, platform_kind=None, tenant_id=None):
    rows, skipped, problems = parse_rows(list(enumerate(records, start=2)), NOW, platform_kind=platform_kind,
                                         tenant_id=tenant_id)
    return rows, skipped, [str(p) for p in problems]


@pytest.mark.parametrize(("value", "expected"), [
    ("yes", True), ("Enabled", True), ("tak", True), (True, True), ("1", True),
    ("no", False), ("OFF", False), (False, False), ("nie", False),
    ("", None), ("unknown", None), ("n/a", None),
])
def test_flags(value, expected):
    assert parse_flag(value) == (expected, None)


def test_a_flag_that_is_not_yes_or_no_is_a_problem():
    assert parse_flag("sometimes") == (None, "expected yes or no (or empty for unknown), found 'sometimes'")


def test_times():
    assert parse_when("2026-03-01", NOW) == (datetime(2026, 3, 1, tzinfo=UTC), False, None)
    assert parse_when("2026-03-01T10:00:00+01:00", NOW)[0] == datetime(2026, 3, 1, 9, tzinfo=UTC)
    assert parse_when("2026-03-01T10:00:00", NOW)[0] == datetime(2026, 3, 1, 10, tzinfo=UTC)  # naive is UTC
    assert parse_when("never", NOW) == (None, True, None)
    assert parse_when("", NOW) == (None, False, None)
    assert "in the future" in parse_when("2026-04-01", NOW)[2]
    assert "ISO 8601" in parse_when("01/03/2026", NOW)[2]


def test_valid_rows_are_normalised():
    rows, skipped, problems = run(
        rec(email="Ann@Shop.Example", two_factor="yes", last_activity="2026-03-01", state="Invited",
            privileged="no", asset="acc"),
        rec(account_id="@b", state=""),
    )
    assert problems == [] and skipped == 0
    first, second = rows
    assert (first.line, first.email, first.two_factor, first.state, first.privileged, first.asset) == (
        2, "ann@shop.example", True, "pending", False, "acc")
    assert (second.state, second.email, second.two_factor, second.asset) == ("active", None, None, None)
    assert first.raw["email"] == "Ann@Shop.Example"  # the row as exported is kept


def test_every_field_problem_names_line_and_column():
    _, _, problems = run(
        rec(account_id="", role=""),
        rec(email="not-an-address"),
        rec(two_factor="maybe", privileged="admin-ish"),
        rec(last_activity="last week", state="on holiday"),
        rec(name="tab\there"),
    )
    assert problems == [
        "line 2: account_id: required, but empty", "line 2: role: required, but empty",
        "line 3: email: 'not-an-address' is not an email address",
        "line 4: two_factor: expected yes or no (or empty for unknown), found 'maybe'",
        "line 4: privileged: expected yes or no (or empty for unknown), found 'admin-ish'",
        "line 5: last_activity: expected an ISO 8601 date or time such as 2026-03-01 or 2026-03-01T09:30:00Z, "
        "found 'last week'",
        "line 5: state: unknown state 'on holiday' (known: accepted, active, approved, current, deactivated, "
        "declined, disabled, enabled, expired, invitation, invited, locked, pending, rejected, requested, "
        "suspended)",
        "line 6: name: at most 512 printable characters",
    ]


def test_rows_of_one_account_must_agree():
    _, _, problems = run(rec(email="a@shop.example", two_factor="yes", asset="p1"),
                         rec(email="b@shop.example", two_factor="yes", asset="p2"),
                         rec(email="a@shop.example", two_factor="no", asset="p3"))
    assert problems == ["line 3: email: 'b@shop.example' differs from line 2 ('a@shop.example') for account @a",
                        "line 4: two_factor: False differs from line 2 (True) for account @a"]


def test_a_repeated_grant_is_a_problem():
    _, _, problems = run(rec(asset="p1"), rec(asset="p1", role="OWNER"), rec(asset="p1"))
    assert problems == ["line 4: repeats line 2 (same account, asset and role)"]


def test_one_platform_per_file():
    _, _, problems = run(rec(), rec(account_id="@b", platform="youtube"))
    assert problems == ["line 3: platform: 'youtube' differs from 'x' (line 2)"]
    _, _, problems = run(rec(platform="X"), platform_kind="x")
    assert problems == []
    _, _, problems = run(rec(), platform_kind="youtube")
    assert problems == ["line 2: platform: 'x' differs from 'youtube' (options.platform_kind)"]


def test_one_tenant_per_entry_unless_tenant_id_picks_one():
    _, _, problems = run(rec(), rec(account_id="@b", tenant="t2"))
    assert problems == ["line 3: tenant: 't2' differs from 't1' (line 2); set tenant_id to pick one tenant"]
    rows, skipped, problems = run(rec(), rec(account_id="@b", tenant="t2"), tenant_id="t2")
    assert problems == [] and skipped == 1 and [r.account_id for r in rows] == ["@b"]


def test_rows_of_other_tenants_are_still_validated():
    _, _, problems = run(rec(tenant="t2", email="bad"), tenant_id="t1")
    assert problems == ["line 2: email: 'bad' is not an email address"]
