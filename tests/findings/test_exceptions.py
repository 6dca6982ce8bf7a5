"""load_exceptions: the YAML risk-acceptance file, with errors naming the file and item index."""

from __future__ import annotations

from datetime import date

import pytest

from auditor.errors import PolicyError
from auditor.findings.exceptions import RiskException, load_exceptions
from auditor.model import Severity, Verdict

GOOD = """\
- rule: missing-2fa
  account: jane@shop.example
  reason: hardware key rollout pending
  approved_by: ciso@shop.example
  expires: 2025-12-31
- rule: excess-admins
  platform: meta
  asset: 1234567890
  reason: "launch week"
  approved_by: cto
  expires: "2025-07-01"
- rule: orphaned-access
  fingerprint: abc123
  reason: legal hold
  approved_by: dpo
  expires: 2026-01-15
"""


def write(tmp_path, text: str):
    path = tmp_path / "exceptions.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def verdict(**fields) -> Verdict:
    return Verdict(rule=fields.pop("rule", "missing-2fa"), category="missing_2fa", severity=Severity.HIGH,
                   outcome="fail", subject="u1", platform="meta", tenant="biz1", message="m", **fields)


def test_loads_a_valid_file(tmp_path):
    path = write(tmp_path, GOOD)
    first, second, third = load_exceptions(path)
    assert (first.rule, first.account) == ("missing-2fa", "jane@shop.example")
    assert first.expires_on == date(2025, 12, 31)
    assert first.reason == "hardware key rollout pending" and first.approved_by == "ciso@shop.example"
    assert first.source == str(path) and first.id.startswith("yaml:")
    assert (second.platform, second.asset, second.expires_on) == ("meta", "1234567890", date(2025, 7, 1))
    assert third.fingerprint == "abc123" and third.account is None
    assert len({first.id, second.id, third.id}) == 3


def test_id_is_stable_across_reason_and_expiry_edits(tmp_path):
    before = load_exceptions(write(tmp_path, GOOD))[0]
    edited = GOOD.replace("hardware key rollout pending", "still pending").replace("2025-12-31", "2026-03-31")
    after = load_exceptions(write(tmp_path, edited))[0]
    assert before.id == after.id and after.expires_on == date(2026, 3, 31)


def test_not_configured_and_empty_file(tmp_path):
    assert load_exceptions(None) == []
    assert load_exceptions(write(tmp_path, "")) == []


def test_missing_file_is_an_error(tmp_path):
    missing = tmp_path / "nope.yaml"
    with pytest.raises(PolicyError, match=f"{missing}: risk exceptions file not found"):
        load_exceptions(missing)


@pytest.mark.parametrize(("text", "expected"), [
    ("- rule: r\n  account: a\n  approved_by: x\n  expires: 2025-01-01\n", "item 0: reason is required"),
    ("- rule: r\n  account: a\n  reason: y\n  expires: 2025-01-01\n", "item 0: approved_by is required"),
    ("- rule: r\n  account: a\n  reason: y\n  approved_by: x\n", "item 0: expires is required"),
    ("- account: a\n  reason: y\n  approved_by: x\n  expires: 2025-01-01\n", "item 0: rule is required"),
    ("- rule: r\n  reason: y\n  approved_by: x\n  expires: 2025-01-01\n", "item 0: give at least one of"),
    ("- rule: r\n  account: a\n  reason: y\n  approved_by: x\n  expires: 31.12.2025\n",
     "item 0: expires must be a date in the form YYYY-MM-DD"),
    ("- rule: r\n  account: a\n  reason: y\n  approved_by: x\n  expires: 2025-02-30\n",
     "item 0: expires must be a date"),
    ("- rule: r\n  account: a\n  reason: y\n  approved_by: x\n  expires: 2025-01-01 10:00:00\n",
     "item 0: expires must be a date"),
    ("- rule: r\n  account: a\n  reason: y\n  approved_by: x\n  expires: 2025-01-01\n  owner: z\n",
     "item 0: unknown field 'owner'"),
    ("- rule: r\n  account: [a, b]\n  reason: y\n  approved_by: x\n  expires: 2025-01-01\n",
     "item 0: account must be a string"),
    ("- just a string\n", "item 0: expected a mapping"),
    ("rule: r\n", "expected a list of exceptions"),
    ("- rule: [unclosed\n", "not valid YAML"),
])
def test_field_errors_name_file_and_item(tmp_path, text, expected):
    path = write(tmp_path, text)
    with pytest.raises(PolicyError) as info:
        load_exceptions(path)
    assert str(info.value).startswith(str(path))
    assert expected in str(info.value)


def test_error_in_a_later_item_names_its_index(tmp_path):
    bad = "- rule: r\n  account: a\n  reason: ''\n  approved_by: x\n  expires: 2025-01-01\n"
    path = write(tmp_path, GOOD + bad)
    with pytest.raises(PolicyError, match=r"item 3: reason is required"):
        load_exceptions(path)


def test_duplicate_subject_is_an_error(tmp_path):
    first_item = GOOD.split("- rule: excess-admins")[0]
    path = write(tmp_path, first_item + first_item.replace("2025-12-31", "2026-01-01"))
    with pytest.raises(PolicyError, match="item 1: same rule and subject as item 0"):
        load_exceptions(path)


def test_matching_rules():
    exc = RiskException(id="x", rule="missing-2fa", reason="r", approved_by="a", expires_on=date(2025, 1, 1),
                        account="Jane@Shop.example", platform="meta")
    assert exc.matches(verdict(account="77", account_email="jane@shop.example"), "fp")
    assert exc.matches(verdict(account="Jane@Shop.example"), "fp")
    assert not exc.matches(verdict(account="78"), "fp")
    assert not exc.matches(verdict(rule="dormant", account_email="jane@shop.example"), "fp")
    by_fp = RiskException(id="y", rule="missing-2fa", reason="r", approved_by="a",
                          expires_on=date(2025, 1, 1), fingerprint="fp1")
    assert by_fp.matches(verdict(), "fp1") and not by_fp.matches(verdict(), "fp2")
    assert exc.active_on(date(2025, 1, 1)) and not exc.active_on(date(2025, 1, 2))
