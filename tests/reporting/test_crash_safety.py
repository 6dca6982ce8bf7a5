"""A report killed while its PDF is being written is never registered (found by reading the order of writes for
bench/kill9.py: the register was committed before the file was written, and the file was written in place)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from types import SimpleNamespace

import pytest

import auditor.reporting.use_cases as use_cases
from auditor.config import Settings
from auditor.reporting.use_cases import generated_reports, write_report

PDF = b"%PDF-1.7 not really a report " * 400


class Killed(BaseException):
    """Stands for SIGKILL: nothing after it runs."""


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setattr(use_cases, "html_to_pdf", lambda *_args, **_kw: SimpleNamespace(data=PDF, pages=1))
    return Settings.model_validate({"storage": {"url": f"sqlite:///{tmp_path / 'auditor.db'}"},
                                    "reports": {"output_dir": str(tmp_path / "out")}})


def test_a_kill_while_the_pdf_is_written_registers_nothing_and_leaves_no_half_pdf(settings, tmp_path, monkeypatch):
    real = use_cases.write_private

    def half_then_killed(path: Path, data: bytes) -> None:
        real(path, data[: len(data) // 2])
        raise Killed

    monkeypatch.setattr(use_cases, "write_private", half_then_killed)
    with pytest.raises(Killed):
        write_report(settings, "audit", generated_by="t")
    assert generated_reports(settings) == [], "a report whose PDF was not written whole is not registered"
    assert [p.name for p in (tmp_path / "out").glob("*.pdf")] == [], "no half-written file under a report's name"


def test_a_written_report_is_registered_with_the_bytes_on_disk(settings, tmp_path):
    path, entry = write_report(settings, "audit", generated_by="t")
    assert path.read_bytes() == PDF and hashlib.sha256(PDF).hexdigest() == entry.pdf_sha256
    assert [r["id"] if isinstance(r, dict) else r.id for r in generated_reports(settings)] == [entry.id]
    assert [p.name for p in (tmp_path / "out").iterdir()] == [path.name], "no temporary file left behind"
