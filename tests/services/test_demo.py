"""``auditor demo``: a fresh workspace finds every planted case of the fictional company, and nothing else."""

from __future__ import annotations

import stat
from collections import Counter
from pathlib import Path

from auditor.config import load_settings
from auditor.demo.company import build_company
from auditor.demo.platforms import sandbox_platforms
from auditor.demo.workspace import run_demo
from tests.services.conftest import finding_key, findings


def planted_everywhere() -> Counter:
    """Every planted finding of the company on Meta and on every sandbox extension."""
    company = build_company()
    planted = list(company.planted) + [p for x in sandbox_platforms(company) for p in x.planted]
    return Counter(p.key for p in planted)


def found(settings) -> Counter:
    return Counter(finding_key(row) for row in findings(settings))


def test_demo_finds_every_planted_case_and_nothing_else(tmp_path: Path) -> None:
    summary, config = run_demo(tmp_path / "demo")
    assert summary.status == "complete"
    settings = load_settings(config)
    planted = planted_everywhere()
    assert len({key[1] for key in planted}) >= 8  # Meta, five API platforms and the file imports
    assert found(settings) == planted
    # the workspace is reusable: a second run is one more scan with nothing new and nothing resolved
    again, _ = run_demo(tmp_path / "demo")
    assert (again.scan_id, again.opened, again.resolved) == (summary.scan_id + 1, 0, 0)
    assert found(settings) == planted


def test_demo_secrets_are_private_and_random(tmp_path: Path) -> None:
    run_demo(tmp_path / "a")
    run_demo(tmp_path / "b")
    secrets_a = (tmp_path / "a" / "secrets.env").read_text(encoding="utf-8")
    secrets_b = (tmp_path / "b" / "secrets.env").read_text(encoding="utf-8")
    assert secrets_a != secrets_b
    assert stat.S_IMODE((tmp_path / "a" / "secrets.env").stat().st_mode) == 0o600
    assert "sandbox-" not in (tmp_path / "a" / "auditor.toml").read_text(encoding="utf-8")
