"""The HR webhook through the Flask blueprint: any body and headers get a JSON answer (2xx/4xx naming the field
or header at fault), never a 500 or a traceback."""

from __future__ import annotations

import functools
import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.config import Settings
from auditor.offboarding.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature
from auditor.storage.db import open_database
from tests.property.strategies import EXAMPLES, JSON, TEXT, mutated

NOW = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
SECRET = "property-webhook-secret-0123456789abcdef"
GOOD = {"event_id": "evt-1", "uid": "nobody", "last_working_day": "2026-10-30", "manager": "mwrobel"}
FIELDS = ["event_id", "uid", "email", "last_working_day", "manager", "note"]


@functools.cache
def client() -> Any:
    """A test client of an app with only the offboarding API, on an empty migrated SQLite database."""
    from auditor.web.offboarding_api import bp

    folder = Path(tempfile.mkdtemp(prefix="prop-webhook-"))
    (folder / "secrets.env").write_text(f"AUDITOR_HR_WEBHOOK_SECRET={SECRET}\n", encoding="utf-8")
    (folder / "secrets.env").chmod(0o600)
    config = Settings.model_validate({"storage": {"url": f"sqlite:///{folder / 'auditor.db'}"},
                                      "secrets_file": str(folder / "secrets.env")})
    app = Flask("property-webhook")
    app.register_blueprint(bp)
    app.extensions["auditor"] = SimpleNamespace(settings=config, db=open_database(config.storage_url), now=lambda: NOW)
    return app.test_client()


def _post(body: bytes, headers: dict[str, str]) -> None:
    answer = client().post("/api/offboarding", data=body, headers=headers)
    assert answer.status_code < 500, (answer.status_code, answer.get_data()[:300])
    data = answer.get_json(silent=True)
    assert isinstance(data, dict), answer.get_data()[:300]
    if answer.status_code >= 400:
        message = data.get("error")
        assert isinstance(message, str) and message.strip() and "Traceback" not in message
        if answer.status_code == 422:
            assert data.get("field") and data["field"].split(".")[0] in message, data
        if answer.status_code == 401:
            assert "X-Auditor-" in message, message


def _signed(body: bytes, stamp: str | None = None) -> dict[str, str]:
    stamp = stamp if stamp is not None else str(int(NOW.timestamp()))
    return {TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: signature(SECRET, stamp, body),
            "Content-Type": "application/json"}


@settings(**EXAMPLES)
@given(st.one_of(mutated(GOOD), JSON, st.dictionaries(st.sampled_from(FIELDS), st.one_of(TEXT, JSON), max_size=5)))
def test_a_signed_body_gets_a_json_answer_naming_the_field(document):
    body = json.dumps(document).encode("utf-8", "surrogatepass")
    _post(body, _signed(body))


@settings(**EXAMPLES)
@given(st.binary(max_size=200))
def test_signed_bytes_get_a_json_answer(body):
    _post(body, _signed(body))


HEADER_VALUE = st.one_of(TEXT.filter(lambda s: "\n" not in s and "\r" not in s and "\x00" not in s),
                         st.integers().map(str))


@settings(**EXAMPLES)
@given(st.dictionaries(st.sampled_from([TIMESTAMP_HEADER, SIGNATURE_HEADER, "Content-Type", "Content-Length",
                                        "x-auditor-timestamp"]), HEADER_VALUE, max_size=4),
       st.booleans())
def test_any_headers_get_a_json_answer(headers, sign):
    body = json.dumps(GOOD).encode()
    base = _signed(body) if sign else {"Content-Type": "application/json"}
    merged = {**base, **headers}
    if "Content-Length" in merged and not merged["Content-Length"].isascii():
        merged.pop("Content-Length")
    _post(body, {k: v.encode("latin-1", "replace").decode("latin-1") for k, v in merged.items()})
