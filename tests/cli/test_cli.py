"""The ``auditor`` command: its public contract (commands, JSON keys, exit codes, one-line errors)."""

from __future__ import annotations

import csv
import io
import json
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.cli import main
from auditor.demo.company import build_company
from tests.services.test_demo import planted_everywhere

REQUIRED_KEYS = {
    "id", "fingerprint", "rule", "category", "severity", "status", "platform", "tenant", "account",
    "account_email", "person", "asset", "role", "message", "evidence", "first_seen", "last_seen",
}


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo workspace created and scanned through the CLI."""
    folder = tmp_path_factory.mktemp("cli") / "demo"
    code, out, err = run("demo", "--dir", str(folder), "--no-serve")
    assert code == 0, err
    assert "open findings:" in out and "orphaned_access" in out
    return folder / "auditor.toml"


def test_demo_findings_json_contract(demo: Path) -> None:
    code, out, _ = run("findings", "--config", str(demo), "--format", "json")
    assert code == 0
    rows = json.loads(out)
    assert isinstance(rows, list) and rows
    assert all(set(row) >= REQUIRED_KEYS for row in rows)
    assert len(rows) == sum(planted_everywhere().values())
    assert {row["status"] for row in rows} == {"open"}


def test_findings_filters_and_csv(demo: Path) -> None:
    code, out, _ = run("findings", "--config", str(demo), "--format", "json", "--category", "orphaned_access")
    rows = json.loads(out)
    assert code == 0 and rows and {r["category"] for r in rows} == {"orphaned_access"}
    assert all(r["person"] for r in rows)
    code, out, _ = run("findings", "--config", str(demo), "--format", "json", "--severity", "critical")
    assert {r["severity"] for r in json.loads(out)} == {"critical"}
    code, out, _ = run("findings", "--config", str(demo), "--format", "csv")
    table = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and set(table[0]) >= REQUIRED_KEYS and len(table) == sum(planted_everywhere().values())


def test_scan_exit_codes(demo: Path) -> None:
    assert run("scan", "--config", str(demo), "--quiet")[0] == 0
    assert run("scan", "--config", str(demo), "--quiet", "--fail-on", "critical")[0] == 1
    code, out, _ = run("diff", "--config", str(demo), "--format", "json")
    changes = json.loads(out)
    assert code == 0 and changes["new"] == [] and changes["resolved"] == []


def test_unverified_platform_exits_3(tmp_path: Path, demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    text = demo.read_text(encoding="utf-8").replace('base_url = "sandbox://meta"',
                                                    f'base_url = "http://127.0.0.1:{port}/v25.0"')
    text = text.replace('backoff = 0.2', 'backoff = 0.0\nmax_retries = 0\ntimeout = 2')
    for source in demo.parent.iterdir():  # every input of the workspace (LDIF, secrets, exports, shop data)
        if source.is_file() and source.name != "auditor.toml" and not source.name.startswith("auditor.db"):
            (tmp_path / source.name).write_bytes(source.read_bytes())
            (tmp_path / source.name).chmod(0o600)
    config = tmp_path / "auditor.toml"
    config.write_text(text, encoding="utf-8")
    code, out, _ = run("scan", "--config", str(config), "--quiet")
    assert code == 3
    assert "Kwiatek on Meta: failed" in out


def test_person_report(demo: Path) -> None:
    company = build_company()
    leaver = next(p for p in company.planted if p.category == "post_departure_activity")
    code, out, _ = run("person", leaver.person, "--config", str(demo), "--format", "json")
    report = json.loads(out)
    assert code == 0 and report["person"]["uid"] == leaver.person
    assert report["person"]["status"] == "departed"
    assert any(a["account_id"] == leaver.account for a in report["accounts"])
    assert {f["category"] for f in report["findings"]} >= {"orphaned_access", "post_departure_activity"}
    code, out, _ = run("person", leaver.person, "--config", str(demo))
    assert code == 0 and "departed" in out and "open findings:" in out
    code, _, err = run("person", "nobody-here", "--config", str(demo))
    assert code == 2 and "nobody-here" in err


def test_bad_config_is_one_line_and_exit_2(tmp_path: Path) -> None:
    config = tmp_path / "auditor.toml"
    config.write_text("[storage]\nurl = 'sqlite:///x.db'\nnonsense = 1\n", encoding="utf-8")
    code, _, err = run("findings", "--config", str(config))
    assert code == 2
    assert err.strip().count("\n") == 0
    assert str(config) in err and "storage.nonsense" in err


def test_config_on_the_group_is_accepted_too(demo: Path) -> None:
    code, out, _ = run("--config", str(demo), "findings", "--format", "json", "--limit", "2")
    assert code == 0 and len(json.loads(out)) == 2


def test_init_writes_a_sample_that_loads(tmp_path: Path) -> None:
    path = tmp_path / "auditor.toml"
    assert run("init", "--path", str(path))[0] == 0
    code, _, err = run("init", "--path", str(path))
    assert code == 2 and "already exists" in err
    code, out, _ = run("policies", "validate", "--config", str(path))
    assert code == 0 and out.startswith("ok: ")


def test_policies_list_and_validate_errors(tmp_path: Path) -> None:
    code, out, _ = run("policies", "list", "--config", str(tmp_path / "none.toml"))
    assert code == 2  # an explicitly named config must exist
    code, out, _ = run("policies", "validate", str(Path(__file__).parents[2] / "policies"))
    assert code == 0
    bad = tmp_path / "rules"
    bad.mkdir()
    (bad / "x.yaml").write_text("id: y\n", encoding="utf-8")
    code, _, err = run("policies", "validate", str(bad))
    assert code == 2 and "x.yaml" in err
