"""CSV / JSON admin exports: any file is a snapshot or one ConnectorError naming the platform and the file,
never a traceback."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.config import PlatformSettings
from auditor.connectors.base import create_connector
from auditor.errors import ConnectorError
from tests.property.strategies import EXAMPLES, JSON, TEXT, mutated

NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)
COLUMNS = ["account_id", "role", "email", "name", "asset", "two_factor", "last_activity", "state", "privileged",
           "platform", "tenant", "mfa", "last_login", "is_admin", "unknown"]
CELL = st.one_of(TEXT, st.sampled_from(["yes", "no", "unknown", "Admin", "Editor", "2026-01-31", "2026-13-01",
                                        "2026-01-31T10:00:00+02:00", "never", "a@kwiatek.example",
                                        "=cmd|' /C calc'!A0"]))
ROW = st.fixed_dictionaries({"account_id": CELL, "role": CELL}, optional={c: CELL for c in COLUMNS[2:]})
GOOD = [{"account_id": "u1", "role": "Admin", "email": "a@kwiatek.example", "two_factor": "yes",
         "last_activity": "2026-03-01"}, {"account_id": "u2", "role": "Viewer", "email": "b@kwiatek.example"}]


def _fetch(name: str, data: bytes) -> None:
    path = Path(tempfile.mkdtemp(prefix="prop-import-")) / name
    path.write_bytes(data)
    platform = PlatformSettings(kind="import", name="Kwiatek export", tenant_id="kwiatek",
                                options={"path": str(path), "platform_kind": "youtube"})
    connector = create_connector(platform, lambda env, key: "")
    try:
        snap = connector.fetch(now=NOW)
    except ConnectorError as exc:
        message = str(exc)
        assert message.startswith("Kwiatek export: ") and str(path) in message and "Traceback" not in message
        return
    assert snap.accounts, "a usable export has accounts (else it is an error naming the file)"


def _csv(rows: list[dict[str, str]], delimiter: str = ",") -> bytes:
    out = io.StringIO()
    columns = sorted({key for row in rows for key in row}) or ["account_id"]
    writer = csv.DictWriter(out, columns, delimiter=delimiter)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8", "surrogatepass")


@settings(**EXAMPLES)
@given(st.lists(ROW, max_size=6), st.sampled_from([",", ";", "\t"]))
def test_csv_rows_import_or_name_the_file(rows, delimiter):
    _fetch("export.csv", _csv(rows, delimiter))


@settings(**EXAMPLES)
@given(st.one_of(mutated(GOOD), mutated({"users": GOOD}), JSON))
def test_json_documents_import_or_name_the_file(document):
    _fetch("export.json", json.dumps(document).encode("utf-8", "surrogatepass"))


@settings(**EXAMPLES)
@given(st.binary(max_size=300), st.sampled_from(["export.csv", "export.json"]))
def test_any_bytes_import_or_name_the_file(data, name):
    _fetch(name, data)
