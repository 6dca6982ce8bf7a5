"""A small hand-made workspace for layout edge cases: no findings at all, unicode names, a 300-character asset
name with a 100-character unbreakable run, written straight into the tables (one complete scan).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from auditor.config import Settings, load_settings
from auditor.storage.db import open_database
from auditor.storage.tables import DirectoryPerson, InvAccount, InvAsset, InvGrant, Scan, ScanPlatform

WHEN = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)
PLATFORM = "Żółta Łąka on Meta"
TENANT = "9000000001"
LONG_ASSET = (("Strona sklepu Żółć & Zoë – promocje sezonowe, ogród, kwiaty cięte i doniczkowe " * 3)[:200]
              + "X" * 100)
PEOPLE = (
    ("lzolc", "Łukasz Żółć", None, "lukasz.zolc@zolta.example"),
    ("zlefevre", "Zoë Lefèvre", "lzolc", "zoe.lefevre@zolta.example"),
    ("sdabrowska", "Ślęża Dąbrowska-Wójcik", "lzolc", "sleza.dabrowska@zolta.example"),
)


def edge_workspace(folder: Path, language: str = "en") -> Settings:
    """Settings of a workspace whose database holds one clean scan of three unicode-named people."""
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "auditor.toml"
    config.write_text(f'language = "{language}"\n[storage]\nurl = "sqlite:///edge.db"\n'
                      '[reports]\norganisation = "Żółta Łąka sp. z o.o."\n', encoding="utf-8")
    settings = load_settings(config)
    db = open_database(settings.storage_url)
    try:
        with db.session() as session:
            session.exec(insert(Scan.__table__).values(
                id=1, started_at=WHEN, finished_at=WHEN + timedelta(minutes=1), status="complete",
                trigger="test", counts={"open": 0}, policy_hashes={}))
            session.exec(insert(ScanPlatform.__table__).values(
                scan_id=1, platform=PLATFORM, kind="meta", tenant=TENANT, tenant_name="Żółta Łąka",
                two_factor_required="all", status="complete", errors=[], counts={}, capabilities={"notes": []}))
            session.exec(insert(DirectoryPerson.__table__), params=[
                {"uid": uid, "display_name": name, "manager": manager, "emails": [mail], "kind": "employee",
                 "status": "active", "first_seen": WHEN, "last_seen": WHEN}
                for uid, name, manager, mail in PEOPLE
            ])
            session.exec(insert(InvAsset.__table__).values(
                platform=PLATFORM, tenant=TENANT, asset_id="555", kind="page", name=LONG_ASSET, raw={},
                first_seen=WHEN, last_seen=WHEN))
            session.exec(insert(InvAccount.__table__), params=[
                {"platform": PLATFORM, "tenant": TENANT, "account_id": f"10{i}", "kind": "user", "name": name,
                 "emails": [mail], "two_factor": True, "last_activity": WHEN - timedelta(days=i),
                 "state": "active", "role": "EMPLOYEE", "person_uid": uid, "raw": {}, "first_seen": WHEN,
                 "last_seen": WHEN}
                for i, (uid, name, _manager, mail) in enumerate(PEOPLE)
            ])
            session.exec(insert(InvGrant.__table__), params=[
                {"platform": PLATFORM, "tenant": TENANT, "account_id": f"10{i}", "asset_id": "555",
                 "role": "MANAGE+CREATE_CONTENT", "privileged": i == 0, "raw": {}, "first_seen": WHEN,
                 "last_seen": WHEN}
                for i in range(len(PEOPLE))
            ])
    finally:
        db.dispose()
    return settings
