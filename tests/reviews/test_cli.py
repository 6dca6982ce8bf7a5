"""``auditor review start|list|status|export`` on the same use cases, with one-line errors."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner

from auditor.cli import main


@pytest.fixture
def config(shop, tmp_path, monkeypatch):
    """A config file naming the live shop's settings (its platform is the live emulator)."""
    monkeypatch.setattr("auditor.cli.reviews.settings_from", lambda _ctx, _path: shop.settings)
    return "unused.toml"


def test_start_list_status_export(config, shop):
    runner = CliRunner()
    due = "2099-12-31"  # a fixed day far ahead: the test reads no clock (the CLI edge reads its own)
    started = runner.invoke(main, ["review", "start", "--name", "Q4", "--due", due, "--fallback", "bkwiatkowska",
                                   "--privileged-only"])
    assert started.exit_code == 0, started.output
    assert started.output.startswith("campaign #1 started: ")
    listed = runner.invoke(main, ["review", "list", "--format", "json"])
    assert json.loads(listed.output)[0]["name"] == "Q4"
    status = runner.invoke(main, ["review", "status", "1"])
    assert status.exit_code == 0 and "0 of " in status.output and "decided" in status.output
    exported = runner.invoke(main, ["review", "export", "1", "--format", "csv"])
    rows = list(csv.DictReader(io.StringIO(exported.output)))
    assert rows and all(row["privileged"] == "true" and row["decision"] == "" for row in rows)
    missing = runner.invoke(main, ["review", "status", "99"])
    assert missing.exit_code != 0 and "no campaign #99" in missing.output
    bad = runner.invoke(main, ["review", "start", "--name", "x", "--due", "2000-01-01", "--fallback", "a"])
    assert bad.exit_code == 2 and "auditor: error: due: 2000-01-01 is not in the future" in bad.output
