"""Files at rest are private whatever the umask: the SQLite database (and its WAL), report PDFs and DSAR answer
packs are created 0600 in folders created 0700."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from auditor.dsar import pack
from auditor.reporting import use_cases as reports
from auditor.storage.db import open_database


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def permissive_umask() -> Iterator[None]:
    """The usual umask 022 (files 0644, folders 0755 unless the code asks for less)."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def test_the_sqlite_database_and_its_new_folder_are_private(tmp_path: Path) -> None:
    path = tmp_path / "data" / "auditor.db"
    db = open_database(f"sqlite:///{path}")
    try:
        with db.session(write=True) as session:
            session.connection().exec_driver_sql("CREATE TABLE IF NOT EXISTS probe (x)")
            session.connection().exec_driver_sql("INSERT INTO probe VALUES (1)")
        assert _mode(path.parent) == 0o700
        files = [p for p in path.parent.iterdir() if p.name.startswith("auditor.db")]
        assert path in files and {p.name: _mode(p) for p in files} == {p.name: 0o600 for p in files}
    finally:
        db.dispose()


def test_report_pdfs_are_written_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    entry = SimpleNamespace(id="R-1")
    monkeypatch.setattr(reports, "build_report", lambda *_a, **_k: (b"%PDF-1.7 test", entry))
    out = tmp_path / "reports" / "nested" / "audit.pdf"
    registered = []  # the register is written only once the file is complete on disk
    monkeypatch.setattr(reports, "_register", lambda _s, e: registered.append((e.id, out.read_bytes())))
    path, _ = reports.write_report(SimpleNamespace(), "audit", generated_by="test", out=out)
    assert registered == [("R-1", b"%PDF-1.7 test")]
    assert path.read_bytes() == b"%PDF-1.7 test"
    assert _mode(path) == 0o600 and _mode(path.parent) == 0o700 and _mode(path.parent.parent) == 0o700


def test_dsar_answer_packs_are_written_private(tmp_path: Path) -> None:
    built = pack.Pack(files={"dsar-1-letter.pdf": b"%PDF", "SHA256SUMS": b"x  y\n"}, export={}, sha256="0",
                      file_hashes={})
    out = tmp_path / "packs" / "dsar-1"
    written = pack.write_pack(built, out)
    assert {p.name: _mode(p) for p in written} == {"dsar-1-letter.pdf": 0o600, "SHA256SUMS": 0o600}
    assert _mode(out) == 0o700 and _mode(out.parent) == 0o700
