"""Run the REAL scan pipeline on one sandbox platform alone, for the company tests of each platform.

``SandboxScan`` writes the company's directory as LDIF, the rule parameters and a secrets file into a temp
folder, serves the platform's emulator (or one the test built) on a free port, and scans with
``auditor.services.scan.run_scan`` into a temporary SQLite database.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from auditor.config import Settings
from auditor.demo.company import Company
from auditor.demo.ldif_writer import write_ldif
from auditor.demo.platforms import SandboxPlatform, create_emulator
from auditor.demo.server import serve
from auditor.services.scan import run_scan
from auditor.storage.db import open_database
from auditor.storage.queries import list_findings


class SandboxScan:
    """One sandbox platform of a company, its emulator served on a free port, scanned by the real pipeline.

    ``data`` replaces the platform's emulator data; ``emulator`` (an ``(app, prefix)`` pair made with
    ``platform.token``) replaces the emulator itself, e.g. one with faults planted.
    """

    def __init__(self, tmp: Path, company: Company, platform: SandboxPlatform, secrets: dict[str, str] | None = None,
                 *, data: dict[str, Any] | None = None, emulator: tuple[Any, str] | None = None,
                 page_size: int | None = None):
        self.tmp, self.company, self.platform = tmp, company, platform
        self.app, prefix = emulator or create_emulator(platform.kind, data or platform.data, platform.token)
        self.handle = serve(self.app)
        ldif = write_ldif(company, tmp / "people.ldif")
        params = tmp / "policy-parameters.yaml"
        params.write_text(yaml.safe_dump({**company.policy_parameters, **platform.policy_parameters}),
                          encoding="utf-8")
        secrets = {platform.token_variable: platform.token, **(secrets or {})}
        (tmp / "secrets.env").write_text("".join(f"{k}={v}\n" for k, v in secrets.items()), encoding="utf-8")
        (tmp / "secrets.env").chmod(0o600)  # a secrets file others can read is refused
        extra = dict(platform.settings)
        options = {**extra.pop("options", {}), "max_wait": 0.0}
        sizing = {"page_size": page_size} if page_size else {}
        self.settings = Settings.model_validate({
            "storage": {"url": f"sqlite:///{tmp / 'auditor.db'}"},
            "directory": {"kind": "ldif", "path": str(ldif), **company.directory_settings},
            "platform": [{**extra, "kind": platform.kind, "name": platform.name, "token_env": platform.token_variable,
                          "base_url": self.handle.url + prefix, "backoff": 0.0, "max_retries": 1,
                          "options": options, **sizing}],
            "matching": {"company_domains": company.company_domains, "links": platform.links,
                         "service_accounts": platform.service_accounts},
            "policies": {"parameters_file": str(params)},
            "secrets_file": str(tmp / "secrets.env"),
        })

    def __enter__(self) -> SandboxScan:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def scan(self) -> Any:
        """One scan at the company's time; returns the scan summary."""
        return run_scan(self.settings, now=self.company.now)

    def findings(self, status: str = "open") -> list[dict[str, Any]]:
        """The stored findings with ``status``."""
        db = open_database(self.settings.storage_url)
        try:
            with db.session() as session:
                return list_findings(session, status=status)
        finally:
            db.dispose()

    def close(self) -> None:
        """Stop the emulator's server."""
        self.handle.stop()


def scan_findings(tmp: Path, company: Company, platform: SandboxPlatform, *, status: str = "open",
                  **options: Any) -> list[dict[str, Any]]:
    """Scan once (see ``SandboxScan`` for ``options``) and return the findings with ``status``."""
    with SandboxScan(tmp, company, platform, **options) as scan:
        scan.scan()
        return scan.findings(status)


def keys(items) -> Counter:
    """Finding dicts or Planted records as a multiset of (category, platform, account, asset)."""
    return Counter(tuple(i[k] for k in ("category", "platform", "account", "asset")) if isinstance(i, dict)
                   else i.key for i in items)


def unverified_rules(findings: list[dict[str, Any]]) -> set[str]:
    """The rules behind the could_not_verify findings."""
    return {f["rule"] for f in findings if f["category"] == "could_not_verify"}


def planted_rules(planted) -> set[str]:
    """The rules the planted could_not_verify entries name (their note starts with the rule id)."""
    return {p.note.split(":", 1)[0] for p in planted if p.category == "could_not_verify"}
