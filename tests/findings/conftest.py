"""Fixtures of the findings tests: a database with a few stored findings, and its settings."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from auditor.config import Settings, StorageSettings
from auditor.model import Severity
from auditor.storage.db import Database, open_database
from auditor.storage.tables import Finding

SEEN = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)
ROWS: list[dict[str, Any]] = [
    {"fingerprint": "fp-orphan", "rule": "orphaned_access", "category": "orphaned_access", "severity": "critical",
     "status": "open", "subject": "account:111", "platform": "meta-main", "tenant": "biz-1", "account": "111",
     "account_email": "leaver@shop.example", "person": "jdoe", "asset": "page:9", "role": "ADMIN",
     "message": 'Leaver "J. Doe" still holds ADMIN] on the shop page', "evidence": {"last_day": "2025-01-31"}},
    {"fingerprint": "fp-2fa", "rule": "two_factor_missing", "category": "mfa", "severity": "high", "status": "open",
     "subject": "account:222", "platform": "meta-main", "tenant": "biz-1", "account": "222",
     "account_email": "ann@shop.example", "person": "ann", "message": "No two-factor authentication"},
    {"fingerprint": "fp-old", "rule": "dormant_access", "category": "dormant_access", "severity": "low",
     "status": "resolved", "subject": "account:333", "platform": "tiktok", "tenant": "bc-7", "account": "333",
     "message": "Dormant for 200 days"},
    {"fingerprint": "fp-accepted", "rule": "unmatched_account", "category": "unmatched_account", "severity": "info",
     "status": "accepted", "subject": "account:444", "platform": "x", "message": "Agency account"},
]


def add_findings(db: Database, rows: list[dict[str, Any]]) -> None:
    """Store finding rows as a scan would."""
    with db.session(write=True) as session:
        for row in rows:
            session.add(Finding(**row, severity_rank=Severity(row["severity"]).rank, first_seen=SEEN,
                                last_seen=SEEN))


def set_status(db: Database, fingerprint: str, status: str) -> None:
    """Change one finding's status."""
    table = Finding.__table__
    with db.session(write=True) as session:
        session.execute(table.update().where(table.c.fingerprint == fingerprint).values(status=status))


@pytest.fixture
def findings_db(tmp_path: Path) -> Database:
    """A fresh SQLite database holding ``ROWS``."""
    db = open_database(f"sqlite:///{tmp_path / 'auditor.db'}")
    add_findings(db, ROWS)
    yield db
    db.dispose()


@pytest.fixture
def findings_settings(tmp_path: Path, findings_db: Database) -> Settings:
    """Settings over ``findings_db`` whose relative paths resolve under ``tmp_path``."""
    (tmp_path / "auditor.toml").write_text("", encoding="utf-8")
    settings = Settings(storage=StorageSettings(url=f"sqlite:///{tmp_path / 'auditor.db'}"))
    return settings.model_copy(update={"source": str(tmp_path / "auditor.toml")})
