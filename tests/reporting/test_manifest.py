"""The content manifest: canonical JSON, stable digests that change with any content, report ids."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from auditor.reporting.manifest import (
    REPORT_ID_PATTERN,
    build_manifest,
    canonical_json,
    manifest_sha256,
    new_report_id,
)


def test_canonical_json_ignores_key_order_and_keeps_unicode() -> None:
    a = {"b": [1, 2], "a": {"y": "Żółć", "x": None}}
    b = {"a": {"x": None, "y": "Żółć"}, "b": [1, 2]}
    assert canonical_json(a) == canonical_json(b) == '{"a":{"x":null,"y":"Żółć"},"b":[1,2]}'.encode()


def test_digest_is_stable_and_changes_with_any_content() -> None:
    header = {"id": "AUD-20261102-0A0B0C0D", "kind": "audit"}
    manifest = build_manifest(header, {"findings": [{"id": 1, "message": "Zoë"}]})
    digest = manifest_sha256(manifest)
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert manifest_sha256(build_manifest(dict(header), {"findings": [{"message": "Zoë", "id": 1}]})) == digest
    assert manifest_sha256(build_manifest(header, {"findings": [{"id": 1, "message": "Zoe"}]})) != digest
    assert manifest_sha256(build_manifest({**header, "id": "AUD-20261102-0A0B0C0E"},
                                          {"findings": [{"id": 1, "message": "Zoë"}]})) != digest


def test_non_json_data_is_refused() -> None:
    with pytest.raises(TypeError, match="not JSON data"):
        canonical_json({"x": object()})
    with pytest.raises(ValueError):
        canonical_json({"x": float("nan")})


def test_report_ids_are_unique_and_typed() -> None:
    now = datetime(2026, 11, 2, tzinfo=UTC)
    ids = {new_report_id(kind, now) for kind in ("audit", "access-review", "offboarding") for _ in range(50)}
    assert len(ids) == 150
    assert all(re.fullmatch(REPORT_ID_PATTERN, i) for i in ids)
    assert {i[:3] for i in ids} == {"AUD", "ACR", "OFF"}
    assert all("-20261102-" in i for i in ids)
