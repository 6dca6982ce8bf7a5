"""The scan's progress display: one status line per platform updated in place on a terminal, plain lines
otherwise, nothing with ``--quiet``; and ``auditor scan`` wires it to the scan."""

from __future__ import annotations

import io
import re
from pathlib import Path

from click.testing import CliRunner

from auditor.cli import main
from auditor.cli.progress import ScanProgressDisplay
from auditor.demo.workspace import create_workspace

ANSI = re.compile(r"\x1b\[[0-9]*[A-Za-z]")


def feed(display: ScanProgressDisplay) -> None:
    """What a scan of two platforms reports."""
    display.step("policies: 15 rules loaded")
    display.platform("Meta", "queued", "")
    display.platform("X", "queued", "")
    display.platform("Meta", "reading", "")
    display.platform("X", "reading", "")
    display.platform("X", "not verified", "X: HTTP 401")
    display.platform("Meta", "complete", "12 accounts, 30 grants")
    display.step("evaluation: 3 failing or unknown verdicts")


def screen(text: str) -> list[str]:
    """What a terminal shows after ``text``: lines, with cursor-up (ESC[nF) and clear-line (ESC[2K) applied."""
    lines: list[str] = [""]
    row = 0
    for token in re.split(r"(\x1b\[[0-9]*[A-Za-z]|\n)", text):
        if token == "\n":
            row += 1
            if row == len(lines):
                lines.append("")
        elif token and token.startswith("\x1b["):
            if token.endswith("F"):
                row -= int(token[2:-1] or 1)
            elif token == "\x1b[2K":
                lines[row] = ""
        elif token:
            lines[row] += token
    return [line for line in lines if line]


def test_on_a_terminal_each_platform_has_one_line_updated_in_place() -> None:
    out = io.StringIO()
    feed(ScanProgressDisplay(out, tty=True))
    assert "\x1b[" in out.getvalue(), "the block is redrawn in place"
    assert screen(out.getvalue()) == [
        "  policies: 15 rules loaded",
        "  evaluation: 3 failing or unknown verdicts",
        "  Meta: complete (12 accounts, 30 grants)",
        "  X: not verified (X: HTTP 401)",
    ]


def test_elsewhere_plain_lines_one_per_platform_when_done() -> None:
    out = io.StringIO()
    feed(ScanProgressDisplay(out, tty=False))
    assert not ANSI.search(out.getvalue())
    assert out.getvalue().splitlines() == [
        "  policies: 15 rules loaded",
        "  X: not verified (X: HTTP 401)",
        "  Meta: complete (12 accounts, 30 grants)",
        "  evaluation: 3 failing or unknown verdicts",
    ]


def test_quiet_prints_nothing() -> None:
    out = io.StringIO()
    feed(ScanProgressDisplay(out, quiet=True, tty=True))
    assert out.getvalue() == ""


def test_auditor_scan_reports_each_platform_in_plain_lines_when_not_a_terminal(tmp_path: Path) -> None:
    config = create_workspace(tmp_path / "ws")
    result = CliRunner().invoke(main, ["scan", "--config", str(config), "--platform", "Kwiatek on Meta"],
                                catch_exceptions=False)
    assert result.exit_code in (0, 1), result.stderr
    assert not ANSI.search(result.stderr)
    platform_lines = [line for line in result.stderr.splitlines() if line.startswith("  Kwiatek on Meta: complete (")]
    assert len(platform_lines) == 1, result.stderr
    assert "Kwiatek on Meta: queued" not in result.stderr and "reading" not in result.stderr
