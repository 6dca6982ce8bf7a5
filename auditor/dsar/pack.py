"""The answer pack: a PDF letter, the machine-readable export (JSON + one CSV per category) and their hashes.

The export follows ``auditor/dsar/schema/dsar-export.schema.json`` (JSON Schema 2020-12) and is validated
against it before anything is written. The letter's footer carries the SHA-256 of the export, and
``SHA256SUMS`` lists every file of the pack; the SHA-256 of that list is the pack's hash, recorded in the
register. Files are written to a temporary name and renamed, so a failed pack leaves no half-written file.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from auditor.config import DsarSettings
from auditor.dsar import letter
from auditor.dsar.errors import PackError
from auditor.dsar.model import CATEGORIES, CATEGORY_COLUMNS, Collection
from auditor.output import write_csv
from auditor.private_files import private_folder, write_private

SCHEMA_PATH = Path(__file__).resolve().parent / "schema" / "dsar-export.schema.json"
FORMAT, VERSION = "auditor-dsar-export", 1
SUMS_FILE = "SHA256SUMS"


@dataclass(frozen=True, slots=True)
class RequestInfo:
    """What the pack says about the request itself."""

    id: int
    request_type: str
    status: str
    received_on: date
    due_on: date
    subject_name: str
    emails: tuple[str, ...]
    handles: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def reference(self) -> str:
        """The reference quoted in the letter and the file names: ``DSAR-<id>``."""
        return f"DSAR-{self.id}"


@dataclass(slots=True)
class Pack:
    """A built pack: file name -> bytes, the export, and the hashes."""

    files: dict[str, bytes]
    export: dict[str, Any]
    sha256: str
    file_hashes: dict[str, str]

    @property
    def holds_data(self) -> bool:
        """Whether the answer confirms that personal data is processed."""
        return bool(self.export["holds_data"])


@cache
def export_schema() -> dict[str, Any]:
    """The shipped JSON Schema of the export."""
    try:
        return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PackError(f"{SCHEMA_PATH}: cannot read the export schema: {exc}") from exc


def validate_export(export: dict[str, Any]) -> None:
    """PackError naming the first path that does not follow the schema."""
    from jsonschema import Draft202012Validator, FormatChecker

    validator = Draft202012Validator(export_schema(), format_checker=FormatChecker())
    errors = sorted(validator.iter_errors(export), key=lambda e: list(e.absolute_path))
    if errors:
        where = "/".join(str(p) for p in errors[0].absolute_path) or "(root)"
        raise PackError(f"{SCHEMA_PATH.name}: the export is invalid at {where}: {errors[0].message}")


def _row(category: str, row: dict[str, Any]) -> dict[str, Any]:
    return {column: row.get(column) for column in CATEGORY_COLUMNS[category]}


def build_export(info: RequestInfo, collection: Collection, settings: DsarSettings, t: letter.LetterTranslator,
                 now: datetime) -> dict[str, Any]:
    """The export document (validated against the schema)."""
    data = {category: [_row(category, r) for r in collection.records.get(category, [])] for category in CATEGORIES}
    article = letter.article_15(settings, t)
    export = {
        "format": FORMAT,
        "version": VERSION,
        "reference": info.reference,
        "generated_at": now.isoformat(),
        "language": t.language,
        "request": {"id": info.id, "type": info.request_type, "received": info.received_on.isoformat(),
                    "due": info.due_on.isoformat(), "status": info.status},
        "subject": {"name": info.subject_name, "emails": list(info.emails),
                    "handles": {p: list(v) for p, v in info.handles.items()}},
        "controller": {"name": settings.controller_name, "address": settings.controller_address,
                       "contact_email": settings.contact_email, "dpo_contact": settings.dpo_contact},
        "holds_data": any(data.values()),
        "article_15": {
            **{k: v for k, v in article.items() if k != "categories"},
            "categories": [{"category": c, "label": t(f"category.{c}"), "records": len(rows)}
                           for c, rows in data.items() if rows],
            "categories_note": article["categories"],
        },
        "sources": [s.as_dict() for s in collection.sources],
        "data": data,
        "redactions": [{"category": c, "values_withheld": n} for c, n in sorted(collection.redactions.items()) if n],
    }
    validate_export(export)
    return export


def category_csv(category: str, rows: list[dict[str, Any]]) -> bytes:
    """One category as CSV (UTF-8 with BOM, so spreadsheet programs read Polish letters right); formula-like
    text gets a leading apostrophe (the JSON keeps it as is)."""
    out = io.StringIO()
    write_csv(rows, CATEGORY_COLUMNS[category], out)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def letter_pdf(info: RequestInfo, export: dict[str, Any], export_name: str, export_sha: str, settings: DsarSettings,
               t: letter.LetterTranslator, dsar_dir: Path, today: date) -> tuple[str, bytes]:
    """The letter as HTML and as PDF."""
    limit = settings.max_rows_in_letter
    context = {
        "language": t.language, "reference": info.reference, "date": today.isoformat(),
        "received": info.received_on.isoformat(), "subject": export["subject"], "controller": export["controller"],
        "holds_data": export["holds_data"], "export_name": export_name,
        "article": {item: (export["article_15"]["categories_note"] if item == "categories"
                           else export["article_15"][item]) for item in letter.ARTICLE_15_ITEMS},
        "categories": export["article_15"]["categories"], "sources": export["sources"],
        "data": [{"category": c, "rows": rows[:limit], "total": len(rows)}
                 for c, rows in export["data"].items() if rows],
        "redacted": sum(r["values_withheld"] for r in export["redactions"]),
    }
    html = letter.render_html(dsar_dir, context, t)
    footer = t("letter.footer", reference=info.reference, sha256=export_sha)
    return html, letter.render_pdf(html, dsar_dir, t, footer)


def build_pack(info: RequestInfo, collection: Collection, settings: DsarSettings, *, dsar_dir: Path, language: str,
               now: datetime, today: date) -> Pack:
    """Build every file of the pack in memory (nothing is written)."""
    t = letter.translator(dsar_dir, language)
    export = build_export(info, collection, settings, t, now)
    prefix = info.reference.lower()
    export_name = f"{prefix}-export.json"
    export_bytes = (json.dumps(export, ensure_ascii=False, indent=2, sort_keys=False) + "\n").encode("utf-8")
    files: dict[str, bytes] = {export_name: export_bytes}
    for category, rows in export["data"].items():
        if rows:
            files[f"{prefix}-{category}.csv"] = category_csv(category, rows)
    _, pdf = letter_pdf(info, export, export_name, _sha256(export_bytes), settings, t, dsar_dir, today)
    files[f"{prefix}-letter.pdf"] = pdf
    hashes = {name: _sha256(data) for name, data in sorted(files.items())}
    sums = "".join(f"{digest}  {name}\n" for name, digest in hashes.items()).encode("utf-8")
    files[SUMS_FILE] = sums
    return Pack(files=files, export=export, sha256=_sha256(sums), file_hashes=hashes)


def write_pack(pack: Pack, out_dir: Path) -> list[Path]:
    """Write the pack's files into ``out_dir`` (created if needed); PackError names the folder on failure."""
    written: list[Path] = []
    try:
        private_folder(out_dir)
        for name, data in pack.files.items():
            target = out_dir / name
            temporary = out_dir / f".{name}.tmp"
            write_private(temporary, data)
            os.replace(temporary, target)
            written.append(target)
    except OSError as exc:
        raise PackError(f"{out_dir}: cannot write the answer pack: {exc.strerror or exc}") from exc
    return written


def verify_pack(out_dir: Path) -> str:
    """Recompute the pack hash from ``SHA256SUMS`` after checking every listed file; PackError on a mismatch."""
    try:
        sums = (out_dir / SUMS_FILE).read_bytes()
        for line in sums.decode("utf-8").splitlines():
            digest, name = line.split("  ", 1)
            if _sha256((out_dir / name).read_bytes()) != digest:
                raise PackError(f"{out_dir / name}: SHA-256 does not match {SUMS_FILE}")
    except (OSError, ValueError) as exc:
        raise PackError(f"{out_dir}: cannot verify the answer pack: {exc}") from exc
    return _sha256(sums)
