"""``auditor demo``: a self-contained workspace for the fictional shop, scanned through the sandbox.

The workspace holds its own ``auditor.toml`` (so every command works on it with ``--config D/auditor.toml``),
the directory as LDIF, random sandbox tokens in a 0600 secrets file, and the policy parameters the shop
has approved. Re-running the demo keeps the workspace and runs one more scan.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from auditor.config import load_settings
from auditor.connectors.live import sandbox_url
from auditor.demo.company import Company, build_company
from auditor.demo.ldif_writer import ldif_text
from auditor.demo.meta.company import PLATFORM as DEMO_PLATFORM  # noqa: F401 - re-exported for the reporting tests
from auditor.demo.platforms import SandboxPlatform, demo_platforms, has_emulator
from auditor.errors import ConfigError

HR_WEBHOOK_SECRET_ENV = "AUDITOR_HR_WEBHOOK_SECRET"  # noqa: S105 - the name of a variable
HISTORY_LDIF = "people-earlier.ldif"
HISTORY_AGE_DAYS = 30


def toml_value(value: Any) -> str:
    """A TOML literal for a str, bool, number, list or inline table (JSON escapes are valid TOML)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items() if v is not None) + "}"
    return json.dumps(str(value), ensure_ascii=False)


def toml_table(header: str, values: dict[str, Any]) -> str:
    """One TOML table (or array-of-tables entry when header starts with '[[')."""
    lines = [header]
    lines += [f"{key} = {toml_value(val)}" for key, val in values.items() if val is not None]
    return "\n".join(lines) + "\n"


def platform_entry(tenant: SandboxPlatform) -> dict[str, Any]:
    """The ``[[platform]]`` entry of one tenant (served by its emulator, or a file import)."""
    entry: dict[str, Any] = {"kind": tenant.kind, "name": tenant.name}
    if has_emulator(tenant.kind):
        entry.update({"base_url": sandbox_url(tenant.kind), "token_env": tenant.token_variable, "backoff": 0.2})
    entry.update(tenant.settings)
    return entry


def merged_parameters(company: Company, tenants: list[SandboxPlatform]) -> dict[str, dict[str, Any]]:
    """Rule parameters of the company and every tenant (a tenant adds to a rule's lists and maps)."""
    merged = {rule: dict(values) for rule, values in company.policy_parameters.items()}
    for tenant in tenants:
        for rule, values in tenant.policy_parameters.items():
            target = merged.setdefault(rule, {})
            for name, value in values.items():
                if isinstance(value, list) and isinstance(target.get(name), list):
                    target[name] = sorted(set(target[name]) | set(value))
                elif isinstance(value, dict) and isinstance(target.get(name), dict):
                    target[name] = {**target[name], **value}
                else:
                    target[name] = value
    return merged


def demo_config_text(company: Company, tenants: list[SandboxPlatform]) -> str:
    """The demo workspace's auditor.toml."""
    parts = [
        "# auditor demo workspace: the fictional shop of auditor.demo.company, served by the built-in\n"
        f"# emulators (base_url {sandbox_url('KIND')}). Tokens are random sandbox values in secrets.env.\n",
        'secrets_file = "secrets.env"\n',
        'timezone = "Europe/Warsaw"\n',
        toml_table("[storage]", {"url": "sqlite:///auditor.db"}),
        toml_table("[sandbox]", {"company_seed": company.seed, "epoch": company.now}),
        toml_table("[directory]", {"kind": "ldif", "path": "people.ldif", **company.directory_settings}),
    ]
    parts += [toml_table("[[platform]]", platform_entry(t)) for t in tenants]
    parts.append(toml_table("[matching]", {"company_domains": company.company_domains}))
    for entry in (e for t in tenants for e in t.service_accounts):
        parts.append(toml_table("[[matching.service_accounts]]", entry))
    for entry in (e for t in tenants for e in t.links):
        parts.append(toml_table("[[matching.links]]", entry))
    parts.append(toml_table("[policies]", {"parameters_file": "policy-parameters.yaml"}))
    parts.append(toml_table("[reports]", {"organisation": company.name}))
    parts.append(toml_table("[offboarding]", {"revocation_platforms": [t.name for t in tenants if t.revocation]}))
    parts.append(toml_table("[dsar]", {
        "controller_name": company.name, "contact_email": f"rodo@{company.domain}", "timezone": "Europe/Warsaw",
    }))
    return "\n".join(parts)


def sandbox_secret(template: str) -> str:
    """A fresh random secret shaped like ``template`` (each ':'-separated part random, as OAuth 1.0a needs)."""
    return ":".join(f"sandbox-{secrets.token_hex(16)}" for _part in template.split(":"))


def write_private(path: Path, text: str) -> None:
    """Write a file readable by its owner only."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # also when the file existed with a wider mode
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)


def create_workspace(directory: Path, *, now: datetime | None = None) -> Path:
    """Create the demo workspace if it does not exist yet; return its config path."""
    config_path = directory / "auditor.toml"
    if config_path.exists():
        return config_path
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"{directory}: cannot create the demo folder: {exc.strerror}") from exc
    company = build_company(now=now or datetime.now(UTC))
    tenants = demo_platforms(company)
    (directory / "people.ldif").write_text(ldif_text(company), encoding="utf-8")
    (directory / HISTORY_LDIF).write_text(ldif_text(company, earlier=True), encoding="utf-8")
    tokens = {t.token_variable: sandbox_secret(t.token) for t in tenants if has_emulator(t.kind)}
    tokens.update({env: sandbox_secret("") for t in tenants for env in t.extra_tokens})
    tokens[HR_WEBHOOK_SECRET_ENV] = sandbox_secret("")
    tokens.update({  # further credentials a tenant names, e.g. a developer token
        value: sandbox_secret("") for t in tenants
        for key, value in t.settings.get("options", {}).items() if key.endswith("_env") and isinstance(value, str)
    })
    for tenant in tenants:
        for name, text in tenant.files.items():
            if isinstance(text, bytes):  # e.g. a SQLite copy of a shop's database (Magento)
                (directory / name).write_bytes(text)
            else:
                (directory / name).write_text(text, encoding="utf-8")
    write_private(directory / "secrets.env", "".join(f"{k}={v}\n" for k, v in sorted(tokens.items())))
    (directory / "policy-parameters.yaml").write_text(
        "# Parameters this shop has approved for the shipped rules.\n"
        + yaml.safe_dump(merged_parameters(company, tenants), sort_keys=True, allow_unicode=True),
        encoding="utf-8",
    )
    config_path.write_text(demo_config_text(company, tenants), encoding="utf-8")
    return config_path


def run_demo(directory: Path, *, progress: Callable[[str], None] | None = None,
             on_platform: Callable[[str, str, str], None] | None = None) -> tuple[Any, Path]:
    """Create (or reuse) the workspace and scan it; return the scan summary and the config path.

    A new workspace first records last month's directory export (``people-earlier.ldif``), so the demo
    shows what directory history is for: a person deleted from the directory since then is departed,
    and their leftover access is orphaned, not merely unmatched.
    """
    from auditor.services.directory_sync import sync_directory
    from auditor.services.scan import run_scan

    progress = progress or (lambda _m: None)
    fresh = not (directory / "auditor.toml").exists()
    config_path = create_workspace(directory)
    settings = load_settings(config_path)
    if fresh:
        earlier = settings.model_copy(update={"directory": settings.directory.model_copy(
            update={"path": HISTORY_LDIF})})
        count = sync_directory(earlier, now=datetime.now(UTC) - timedelta(days=HISTORY_AGE_DAYS))
        progress(f"directory history: {count} people from the export of {HISTORY_AGE_DAYS} days ago")
    summary = run_scan(settings, trigger="demo", progress=progress, on_platform=on_platform)
    if fresh:
        from auditor.demo.reviews import seed_campaigns

        ids = seed_campaigns(settings, datetime.now(UTC))
        progress(f"access reviews: campaign #{ids[0]} finished with its evidence, #{ids[1]} in progress")
    return summary, config_path
