"""The generic import: a platform's access list from a CSV or JSON file an admin exported (kind "import").

For systems without an API (YouTube channel permissions, a shop back office) and where the API stops
short (X Ads lists only the caller's own access). Configure one platform entry per exported tenant::

    [[platform]]
    kind = "import"
    name = "Kwiatek on X (admin export)"
    tenant_id = "18ce54d4x5t"            # optional: pick this tenant's rows from a file with several
    options = {path = "x-users.csv", platform_kind = "x"}

``options`` (``ImportOptions``, validated when the config loads): ``path`` (required; ``connector_for``
resolves a relative path against the config file's folder; a path still relative here is taken from
``base_dir``, else the working directory),
``platform_kind`` (where the export comes from: picks the role table that says which roles are privileged,
and must match the ``platform`` column),
``role_privileges`` (role -> true/false, added to that table), ``asset_kind``, ``tenant_name``, ``format``
(csv/json, default from the suffix), ``delimiter`` (CSV; default detected), ``max_bytes``, ``max_rows``.

Evidence: the file's SHA-256, size and modification time are in ``Tenant.raw`` and in every account's,
asset's and grant's ``raw`` (with the lines they come from). Capabilities follow the columns present: a
``two_factor`` column means per-user 2FA is known, ``last_activity`` means activity is, ``email`` means
emails are. The export streams (a CSV is never held whole) and is normalised row by row. A file with any bad
row raises ``ConnectorError`` naming the file and every bad line (up to 20): nothing partial is used.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, Self

from pydantic import Field

from auditor.connectors.base import Connector, ConnectorOptions, register
from auditor.connectors.file_import.reader import MAX_ROWS, ExportError, ExportStream, Problem, stream_export
from auditor.connectors.file_import.rows import ImportRow, iter_rows
from auditor.connectors.file_import.vocabulary import (
    ASSET_KINDS,
    INVITATION_STATES,
    REQUIRED,
    role_key,
    role_table,
)
from auditor.errors import ConnectorError
from auditor.model import Account, AccountKind, Asset, Capabilities, Grant, Tenant, TenantSnapshot

NOTES = (
    "read from an admin's export, not from the platform: it is as current as the file",
    "an export carries no tenant-wide 2FA policy, no connected apps and no audit log",
)


class ImportOptions(ConnectorOptions):
    """The ``options`` of an import platform entry (unknown keys are refused: a typo must not pass)."""

    path: str
    platform_kind: str | None = None
    base_dir: str | None = None
    format: Literal["csv", "json"] | None = None
    delimiter: str | None = Field(default=None, min_length=1, max_length=1)
    role_privileges: dict[str, bool] = Field(default_factory=dict)
    asset_kind: str | None = None
    tenant_name: str | None = None
    max_bytes: int = Field(default=64 * 1024 * 1024, ge=1)
    max_rows: int = Field(default=MAX_ROWS, ge=1)

    def resolved(self, resolve: Callable[[str], Path | None]) -> Self:
        """These options with ``path`` resolved by ``resolve`` (against the config file's folder)."""
        return self.model_copy(update={"path": str(resolve(self.path))})


@register
class ImportConnector(Connector):
    """Accounts, roles and assets of one tenant from an exported CSV/JSON file."""

    kind = "import"
    capabilities = Capabilities(notes=NOTES)
    Options = ImportOptions
    options: ImportOptions

    # -- settings --------------------------------------------------------------------------------------

    def path(self) -> Path:
        """The export's path: absolute, or relative to ``options.base_dir`` (else the working directory)."""
        path = Path(self.options.path).expanduser()
        if not path.is_absolute():
            path = Path(self.options.base_dir or Path.cwd()).expanduser() / path
        return path

    # -- reading ---------------------------------------------------------------------------------------

    def _read(self, now: datetime) -> tuple[ExportStream, _Normalised]:
        options = self.options
        path = self.path()
        try:
            with stream_export(path, fmt=options.format, delimiter=options.delimiter, max_bytes=options.max_bytes,
                               max_rows=options.max_rows) as export:
                required = set(REQUIRED)
                if not options.platform_kind:
                    required.add("platform")
                if not self.settings.tenant_id:
                    required.add("tenant")
                missing = sorted(required - set(export.columns))
                if missing:
                    for _ in export.records():  # a bad line of the file is reported before a missing column
                        pass
                    raise ExportError(path, [Problem(1, None, f"missing column(s) {', '.join(missing)} "
                                                              "(platform_kind and tenant_id in the platform entry "
                                                              "can stand in for the platform and tenant columns)")])
                problems: list[Problem] = []
                out = _Normalised(options, str(path))
                for row in iter_rows(export.records(), now, platform_kind=options.platform_kind,
                                     tenant_id=self.settings.tenant_id, problems=problems, counts=out.counts):
                    if not problems:  # nothing of a bad file is used: stop building at its first problem
                        out.add(row)
            if problems:
                raise ExportError(path, problems)
            if not out.grants:
                wanted = f" for tenant {self.settings.tenant_id!r}" if self.settings.tenant_id else ""
                raise ExportError(path, [Problem(None, None, f"no account rows{wanted}")])
        except ExportError as exc:
            raise ConnectorError(self.name, str(exc)) from None
        out.finish(export.sha256)
        return export, out

    def source_fingerprint(self) -> str | None:
        """The export's size and SHA-256 (read in blocks, not parsed); None when the file cannot be read (the
        fetch then reports why)."""
        try:
            with self.path().open("rb") as handle:
                digest = hashlib.file_digest(handle, "sha256")
                return f"{handle.tell()}:{digest.hexdigest()}"
        except OSError:
            return None

    def check(self) -> list[str]:
        """Read and validate the export; return its problems (empty when it is usable)."""
        try:
            self._read(datetime.now(UTC))
        except ConnectorError as exc:
            return [str(exc)]
        return []

    def fetch(self, *, now: datetime, events_since: datetime | None = None) -> TenantSnapshot:
        """The export as a snapshot (complete: a bad file raises instead of giving part of it)."""
        export, out = self._read(now)
        options, kind = self.options, out.kind
        evidence = {"file": str(export.path), "sha256": export.sha256}
        tenant_id = self.settings.tenant_id or out.tenant or self.name
        columns = set(export.columns)
        snap = TenantSnapshot(
            platform=self.name,
            kind=self.kind,
            tenant=Tenant(
                platform=self.name, tenant_id=tenant_id, name=options.tenant_name or tenant_id,
                two_factor_required=None,
                raw={"source": "import", **evidence, "size": export.size, "format": export.format,
                     "modified": export.modified.isoformat() if export.modified else None,
                     "columns": list(export.columns), "platform_kind": kind, "rows": len(out.grants),
                     "rows_other_tenants": out.counts["skipped"]},
            ),
            capabilities=Capabilities(
                per_user_2fa="two_factor" in columns,
                tenant_2fa=False,
                app_scopes=False,
                audit_log="last_activity" in columns,
                account_emails="email" in columns,
                invitation_dates=False,  # an export has no column for when an invitation was sent
                notes=(*NOTES, *_missing_notes(columns), f"export {export.path.name} sha256 {export.sha256}"),
            ),
        )
        snap.accounts = list(out.accounts.values())
        snap.assets = list(out.assets.values())
        snap.grants = out.grants
        return snap


def _missing_notes(columns: set[str]) -> list[str]:
    notes = []
    if "two_factor" not in columns:
        notes.append("the export has no two_factor column: per-user 2FA is not known")
    if "last_activity" not in columns:
        notes.append("the export has no last_activity column: dormant access cannot be judged")
    if "email" not in columns:
        notes.append("the export has no email column: accounts can be linked by manual links only")
    return notes


class _Normalised:
    """Accounts, assets and grants built row by row as the export streams (the SHA-256 is set at the end)."""

    def __init__(self, options: ImportOptions, file: str):
        self.options = options
        self.evidence: dict[str, Any] = {"file": file, "sha256": None}
        self.counts = {"skipped": 0}
        self.kind: str | None = None
        self.tenant: str | None = None
        self.table: dict[str, bool] = {}
        self.asset_kind = "asset"
        self.accounts: dict[str, Account] = {}
        self.assets: dict[str, Asset] = {}
        self.grants: list[Grant] = []

    def _first(self, row: ImportRow) -> None:
        options = self.options
        self.kind = (options.platform_kind or row.platform or "").lower() or None
        self.tenant = row.tenant
        self.table = {role_key(k): v for k, v in role_table(self.kind).items()}
        self.table.update({role_key(k): v for k, v in options.role_privileges.items()})
        self.asset_kind = options.asset_kind or ASSET_KINDS.get(self.kind or "", "asset")

    def add(self, row: ImportRow) -> None:
        """Normalise one valid row into its account, asset and grant."""
        if not self.grants:
            self._first(row)
        evidence = self.evidence
        account = self.accounts.get(row.account_id)
        if account is None:
            invitation = row.state in INVITATION_STATES
            account = self.accounts[row.account_id] = Account(
                account_id=row.account_id,
                kind=AccountKind.INVITATION if invitation else AccountKind.USER,
                name=row.name,
                emails=(row.email,) if row.email else (),
                two_factor=row.two_factor,
                last_activity=row.last_activity,
                state=row.state,
                role=row.role if invitation or row.asset is None else None,
                raw={"source": "import", **evidence, "platform_kind": self.kind, "lines": [],
                     "never_active": row.never_active or None},
            )
        elif row.asset is None and account.role is None:
            account.role = row.role
        account.raw["lines"].append(row.line)
        if row.asset is not None and row.asset not in self.assets:
            self.assets[row.asset] = Asset(asset_id=row.asset, kind=self.asset_kind,
                                           raw={"source": "import", **evidence, "first_line": row.line})
        self.grants.append(_grant(row, evidence, self.table))

    def finish(self, sha256: str) -> None:
        """Set the file's SHA-256 in every raw and drop the empty ``never_active`` marks."""
        for account in self.accounts.values():
            account.raw["sha256"] = sha256
            if account.raw["never_active"] is None:
                del account.raw["never_active"]
        for item in (*self.assets.values(), *self.grants):
            item.raw["sha256"] = sha256


def _grant(row: ImportRow, evidence: dict[str, Any], table: dict[str, bool]) -> Grant:
    key = role_key(row.role)
    if row.privileged is not None:
        privileged, source = row.privileged, "column"
    elif key in table:
        privileged, source = table[key], "role table"
    else:
        privileged, source = False, "unknown role"
    raw = {"source": "import", **evidence, "line": row.line, "privileged_from": source, "row": row.raw}
    if key not in table:
        raw["unknown_role"] = True
    return Grant(account_id=row.account_id, asset_id=row.asset, role=row.role, privileged=privileged, raw=raw)
