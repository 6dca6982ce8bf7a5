"""Partial failures resolve by scope, through the real scan over the Meta demo emulator.

A withdrawn invitation resolves while one Page's users edge answers 500 (its Page-token read and, on the
fallback, one holder's ``assigned_pages`` view); that Page's findings (and the account findings its unknown
holders could change) stay open; the scan names the Page's and the holder's scopes and why; exit code 3.
The first scan reads the demo business completely (the auditor's system user holds MANAGE on every Page).
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from auditor.cli.scan import scan_exit_code
from auditor.demo.company import build_company
from auditor.demo.meta.writes import create_emulator
from auditor.storage.db import open_database
from auditor.storage.tables import ScanPlatform
from tests.support.sandbox_scan import SandboxScan

NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def company():
    return build_company(7, now=NOW)


def _by(findings, category):
    return [f for f in findings if f["category"] == category]


def test_a_failing_page_keeps_its_findings_while_the_rest_resolves(tmp_path, company):
    meta = next(tenant for tenant in company.tenants if tenant.kind == "meta")
    with SandboxScan(tmp_path, company, meta, dict(meta.extra_tokens)) as first:
        first_summary = first.scan()
        before = {f["fingerprint"]: f for f in first.findings()}
    assert first_summary.status == "complete", first_summary.platforms
    assert first_summary.incomplete_scopes.get(meta.name, {}) == {}
    page = meta.data["owned_pages"][0]["id"]
    (page_finding,) = [f for f in before.values() if f["category"] == "excess_admins" and f["asset"] == page]
    invitation = next(f for f in _by(before.values(), "stale_invitation") if "45 days" in f["message"])
    invite_id = invitation["account"].removeprefix("invite:")  # the connector's id of a pending invitation
    page_holders = {str(u["id"]) for u in meta.data["owned_pages"][0]["assigned_users"]}
    orphan = next(f for f in _by(before.values(), "orphaned_access") if f["account"] in page_holders)

    data = copy.deepcopy(meta.data)
    data["pending_users"] = [u for u in data["pending_users"] if str(u["id"]) != invite_id]  # withdrawn
    main = data["owned_pages"][0]
    main["assigned_users"] = [u for u in main["assigned_users"] if str(u["id"]) != orphan["account"]]  # removed
    app, prefix = create_emulator(data, meta.token)
    # the Page's own read fails; the per-principal views it falls back to fail for the removed holder
    app.faults.add("500", f"/{page}/assigned_users", times=None)
    app.faults.add("500", f"/{orphan['account']}/assigned_pages", times=None)

    with SandboxScan(tmp_path, company, meta, dict(meta.extra_tokens), data=data, emulator=(app, prefix)) as second:
        summary = second.scan()
        after = {f["fingerprint"]: f for f in second.findings()}
        resolved = {f["fingerprint"] for f in second.findings("resolved")}

    assert summary.status == "partial", summary.platforms
    assert scan_exit_code(summary, None) == 3
    scopes = summary.incomplete_scopes[meta.name]
    assert set(scopes) == {f"asset:{page}", f"account:{orphan['account']}"}, scopes
    assert f"the holders of page {page} are incomplete" in scopes[f"asset:{page}"]
    assert "500" in scopes[f"account:{orphan['account']}"], scopes
    assert f"/{orphan['account']}/assigned_pages" in scopes[f"account:{orphan['account']}"]
    assert invitation["fingerprint"] in resolved, "the withdrawn invitation depends on the tenant only"
    assert page_finding["fingerprint"] in after, "the failing Page's own finding stays open"
    assert orphan["fingerprint"] in after, "its holder's grant there is unknown: the finding stays open"
    assert summary.resolved == len(resolved) >= 1

    db = open_database(second.settings.storage_url)
    try:
        with db.session() as session:
            rows = session.exec(select(ScanPlatform.__table__.c.incomplete_scopes)
                                .order_by(ScanPlatform.__table__.c.id)).scalars().all()
    finally:
        db.dispose()
    assert len(rows) == 2 and f"asset:{page}" in rows[-1]
