"""``auditor offboard`` and ``auditor scheduler`` through click (on a group carrying the two commands, as
``auditor.cli`` registers them), on the demo workspace served by the built-in sandbox."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import click
from click.testing import CliRunner

from auditor.cli.offboard import offboard
from auditor.cli.scheduler import scheduler
from auditor.config import SchedulerSettings
from auditor.scheduler import run_scheduler
from tests.offboarding.conftest import LEAVER


def _cli() -> click.Group:
    group = click.Group("auditor")
    group.add_command(offboard)
    group.add_command(scheduler)
    return group


def _config(hr) -> str:
    return str(Path(hr.settings.source))


def test_offboard_opens_checks_and_prints_the_case(hr):
    runner = CliRunner()
    result = runner.invoke(_cli(), ["offboard", LEAVER, "--config", _config(hr), "--last-day", "2026-10-30",
                                    "--format", "json"])
    assert result.exit_code == 0, result.output
    case = json.loads(result.stdout)
    assert case["uid"] == LEAVER and case["source"] == "cli" and case["opened_by"].startswith("cli:")
    assert {p["status"] for p in case["platforms"]} == {"complete"}
    meta = [i for i in case["items"] if i["platform"] == "Kwiatek on Meta"]
    assert len(meta) == 6, "found through the sandbox emulator of the demo config"
    assert len({i["platform"] for i in case["items"]}) >= 4, "and on the demo's other platforms"
    table = runner.invoke(_cli(), ["offboard", LEAVER, "--config", _config(hr)])
    assert table.exit_code == 0, table.output
    assert f"offboarding case #{case['id']}: Karolina Szymańska ({LEAVER}): open" in table.stdout
    assert "platform Kwiatek on Meta: complete" in table.stdout
    assert "STATE" in table.stdout and "page Kwiatek Sklep" in table.stdout
    assert "checks: 2" in table.stdout


def test_offboard_names_an_unknown_person(hr):
    result = CliRunner().invoke(_cli(), ["offboard", "nobody", "--config", _config(hr)])
    assert result.exit_code == 2
    assert "uid: no person 'nobody' in the directory" in result.stderr


def test_scheduler_refuses_a_bad_schedule_naming_the_key(tmp_path):
    config = tmp_path / "auditor.toml"
    config.write_text('[storage]\nurl = "sqlite:///a.db"\n[scheduler]\ndirectory_sync_cron = "daily"\n')
    result = CliRunner().invoke(_cli(), ["scheduler", "--config", str(config)])
    assert result.exit_code == 2
    assert "scheduler.directory_sync_cron: bad cron expression 'daily'" in result.stderr


def test_run_scheduler_registers_the_configured_jobs_and_stops(hr):
    settings = hr.settings.model_copy(update={"scheduler": SchedulerSettings(
        scan_cron={"*": "0 2 * * *"}, directory_sync_cron="30 1 * * *")})
    stop = threading.Event()
    stop.set()
    lines: list[str] = []
    run_scheduler(settings, stop=stop, echo=lines.append)
    assert {line.split(":")[0] for line in lines} >= {"scan", "directory-sync", "offboarding-recheck"}
    assert any(line.startswith("scan:Kwiatek on Meta: added, next run") for line in lines)
    lines.clear()
    run_scheduler(settings, stop=stop, echo=lines.append)
    assert any(line.startswith("scan:Kwiatek on Meta: kept") for line in lines), "a restart keeps the jobs"
