"""``auditor dsar``: open, list (table and JSON with id, status, received, due, days_left), the lifecycle steps,
a late extension refused with exit 2, and ``pack ID --out DIR`` writing the PDF letter and the JSON export."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.cli.dsar import dsar
from auditor.dsar import use_cases
from tests.dsar import fixtures
from tests.dsar.conftest import Shop

EDGE_INSTANTS = {
    "23:30 UTC, already tomorrow in Warsaw": datetime(2026, 11, 2, 23, 30, tzinfo=UTC),
    "last day of a month, 23:30 UTC": datetime(2026, 4, 30, 23, 30, tzinfo=UTC),
    "29 February, 23:30 UTC": datetime(2028, 2, 29, 23, 30, tzinfo=UTC),
    "Warsaw springs forward (01:00 UTC)": datetime(2026, 3, 29, 0, 30, tzinfo=UTC),
    "Warsaw falls back (01:00 UTC)": datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
    "an ordinary morning": datetime(2026, 11, 2, 9, 30, tzinfo=UTC),
}
"""Instants where a calendar day computed in UTC and one in the register's time zone (Europe/Warsaw) differ, or
the month or the offset changes."""


@pytest.fixture(autouse=True, params=["an ordinary morning"])
def frozen(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, shop: Shop) -> date:
    """Freeze the register's clock at an instant; returns 'today' in the register's time zone (no wall clock)."""
    now = EDGE_INSTANTS[request.param]
    monkeypatch.setattr(use_cases, "current_time", lambda: now)
    return now.astimezone(use_cases.timezone_of(shop.settings)).date()


def _run(shop: Shop, *args: str) -> tuple[int, str, str]:
    config = str(shop.directory / "auditor.toml")
    result = CliRunner().invoke(dsar, [*args, "--config", config])
    return result.exit_code, result.stdout, result.stderr


def _shop_with_imports(shop: Shop) -> Shop:
    """The copy's auditor.toml names the import platforms too (so the CLI sees all three)."""
    config = shop.directory / "auditor.toml"
    text = config.read_text(encoding="utf-8")
    meta = next(p for p in shop.settings.platform if p.kind == "meta")
    text = text.replace('base_url = "sandbox://meta"', f'base_url = "{meta.base_url}"')
    for platform in shop.settings.platform:
        if platform.kind == fixtures.KIND:
            text += (f'\n[[platform]]\nkind = "{fixtures.KIND}"\nname = "{platform.name}"\n'
                     f'tenant_id = "{platform.tenant_id}"\n'
                     f'options = {{path = "{platform.options["path"]}", emails = '
                     f'{"true" if platform.options["emails"] else "false"}}}\n')
    config.write_text(text, encoding="utf-8")
    return shop


@pytest.mark.parametrize("frozen", list(EDGE_INSTANTS), indirect=True)
def test_open_list_show_and_steps(shop: Shop, frozen: date) -> None:
    assert shop.settings.dsar.timezone == "Europe/Warsaw"
    today = frozen
    received = today - timedelta(days=3)
    code, out, _ = _run(shop, "open", "--name", "Michał Woźniak", "--email", fixtures.MICHAL_WORK, "--email",
                        fixtures.MICHAL_PRIVATE, "--handle", f"{fixtures.TIKTOK}=tt-7001",
                        "--received", received.isoformat())
    assert code == 0, out
    assert out.startswith("request 1: received, due ")
    code, out, err = _run(shop, "list")
    assert code == 0 and "Michał Woźniak" in out and "1 request(s)" in err
    code, out, _ = _run(shop, "list", "--format", "json")
    items = json.loads(out)
    assert {"id", "status", "received", "due", "days_left"} <= set(items[0])
    assert (items[0]["id"], items[0]["status"], items[0]["received"]) == (1, "received", received.isoformat())
    assert items[0]["days_left"] == (date.fromisoformat(items[0]["due"]) - today).days

    assert _run(shop, "stop-clock", "1", "--reason", "identity")[0] == 0
    code, out, _ = _run(shop, "verify-identity", "1", "--method", "replied from the registered address")
    assert code == 0 and "in_progress" in out
    assert _run(shop, "note", "1", "phoned the subject")[0] == 0
    assert _run(shop, "assign", "1", "dpo")[0] == 0
    code, out, _ = _run(shop, "extend", "1", "--reason", "numerous platforms")
    assert code == 0 and out.startswith("request 1: extended")
    code, out, _ = _run(shop, "show", "1")
    assert "identity: verified" in out and "extended: notice" in out and "phoned the subject" in out
    detail = json.loads(_run(shop, "show", "1", "--format", "json")[1])
    assert detail["handles"] == {fixtures.TIKTOK: ["tt-7001"]} and detail["owner"] == "dpo"
    code, out, _ = _run(shop, "close", "1", "--status", "answered", "--channel", "email")
    assert code == 0 and "answered" in out
    assert json.loads(_run(shop, "list", "--format", "json")[1]) == []
    assert len(json.loads(_run(shop, "list", "--status", "all", "--format", "json")[1])) == 1


def test_a_late_extension_is_refused_with_exit_2(shop: Shop, frozen: date) -> None:
    received = frozen - timedelta(days=70)
    _run(shop, "open", "--name", "Jan", "--email", "jan@example.org", "--received", received.isoformat())
    code, out, err = _run(shop, "extend", "1", "--reason", "complex")
    assert code == 2 and out == ""
    assert "extension refused" in err and "after the first month" in err
    code, out, _ = _run(shop, "list", "--format", "json")
    assert json.loads(out)[0]["days_left"] < 0 and json.loads(out)[0]["alert"] == "overdue"
    assert "OVERDUE" in _run(shop, "show", "1")[1]


def test_bad_input_is_one_line_and_exit_2(shop: Shop) -> None:
    code, _, err = _run(shop, "open", "--name", "X", "--email", "not-an-address")
    assert code == 2 and err.strip() == "auditor: error: email: 'not-an-address' is not an e-mail address"
    code, _, err = _run(shop, "show", "99")
    assert code == 2 and "request 99 not found" in err
    code, _, err = _run(shop, "open", "--name", "X", "--email", "x@example.org", "--received", "31.01.2025")
    assert code == 2 and "is not a date" in err
    code, _, err = _run(shop, "open", "--name", "X", "--handle", "no-equals-sign")
    assert code == 2 and "PLATFORM=ID" in err


def test_pack_writes_the_letter_and_the_export(shop: Shop, tmp_path: Path) -> None:
    _shop_with_imports(shop)
    _run(shop, "open", "--name", "Michał Woźniak", "--email", fixtures.MICHAL_WORK, "--email",
         fixtures.MICHAL_PRIVATE)
    out_dir = tmp_path / "answer"
    code, out, err = _run(shop, "pack", "1", "--out", str(out_dir))
    assert code == 0, err
    assert (out_dir / "dsar-1-letter.pdf").read_bytes().startswith(b"%PDF")
    export = json.loads((out_dir / "dsar-1-export.json").read_text(encoding="utf-8"))
    assert {a["platform"] for a in export["data"]["platform_accounts"]} >= {  # the demo's other sandbox platforms
        "Kwiatek on Meta", fixtures.SHOP, fixtures.TIKTOK}  # may add more: each asked live
    sha = next(line for line in out.splitlines() if line.startswith("pack sha256 ")).split()[2]
    assert json.loads(_run(shop, "show", "1", "--format", "json")[1])["pack_sha256"] == sha


def test_processing_retention_and_reminders(shop: Shop, frozen: date) -> None:
    code, out, _ = _run(shop, "processing")
    assert code == 0 and "Register of data-subject requests" in out and "retention:" in out
    record = json.loads(_run(shop, "processing", "--format", "json")[1])
    assert {a["id"] for a in record["activities"]} >= {"access-governance", "data-subject-requests", "offboarding"}
    code, out, _ = _run(shop, "retention", "--dry-run")
    assert code == 0 and out.startswith("would delete: audit_events 0")
    _run(shop, "open", "--name", "Jan", "--email", "jan@example.org", "--received",
         (frozen - timedelta(days=27)).isoformat())
    reminders = json.loads(_run(shop, "reminders", "--format", "json")[1])
    assert [(r["id"], r["alert"]) for r in reminders] == [(1, "reminder")]
