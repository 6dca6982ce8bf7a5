"""The webhook's signature scheme and body schema, without a server."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, date, datetime, timedelta

import pytest

from auditor.offboarding.webhook import WebhookRejected, parse, signature, verify

NOW = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
STAMP = str(int(NOW.timestamp()))
BODY = b'{"event_id": "e-1", "uid": "jdoe", "last_working_day": "2026-10-30"}'


def test_the_signature_is_hmac_sha256_over_timestamp_dot_body():
    expected = hmac.new(b"k", f"{STAMP}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert signature("k", STAMP, BODY) == "sha256=" + expected


def test_verify_accepts_any_header_case_and_refuses_tampering():
    verify("k", {"x-auditor-timestamp": STAMP, "x-auditor-signature": signature("k", STAMP, BODY)}, BODY, NOW)
    with pytest.raises(WebhookRejected, match="does not match"):
        verify("k", {"X-Auditor-Timestamp": STAMP, "X-Auditor-Signature": signature("k", STAMP, BODY).upper()},
               BODY, NOW)
    with pytest.raises(WebhookRejected, match="not a Unix time"):
        verify("k", {"X-Auditor-Timestamp": "2026-11-02T09:30:00Z", "X-Auditor-Signature": "sha256=00"}, BODY, NOW)


@pytest.mark.parametrize(("seconds", "fresh"), [(0, True), (300, True), (-300, True), (301, False), (-301, False)])
def test_the_timestamp_tolerance_is_300_seconds_both_ways(seconds, fresh):
    stamp = str(int((NOW - timedelta(seconds=seconds)).timestamp()))
    headers = {"X-Auditor-Timestamp": stamp, "X-Auditor-Signature": signature("k", stamp, BODY)}
    if fresh:
        verify("k", headers, BODY, NOW)
    else:
        with pytest.raises(WebhookRejected) as info:
            verify("k", headers, BODY, NOW)
        assert info.value.status == 401


def test_parse_reads_the_documented_fields():
    request = parse(b'{"event_id": "hr-42", "email": " Jane@Corp.example ", "last_working_day": "2026-10-30",'
                    b' "manager": "boss"}')
    assert (request.event_id, request.email, request.uid) == ("hr-42", "Jane@Corp.example", None)
    assert request.last_working_day == date(2026, 10, 30) and request.manager == "boss"


@pytest.mark.parametrize(("body", "field"), [
    (b'{"uid": "x", "last_working_day": "2026-10-30"}', "event_id"),
    (b'{"event_id": "e", "uid": "x"}', "last_working_day"),
    (b'{"event_id": "e", "uid": "x", "last_working_day": 1793000000}', "last_working_day"),
    (b'{"event_id": "e", "email": "not-an-address", "last_working_day": "2026-10-30"}', "email"),
    (b'{"event_id": "e", "uid": "", "last_working_day": "2026-10-30"}', "uid"),
    (b'{"event_id": "e", "uid": "x", "last_working_day": "1999-12-31"}', "last_working_day"),
])
def test_a_bad_body_names_its_field(body, field):
    with pytest.raises(WebhookRejected) as info:
        parse(body)
    assert info.value.status == 422 and info.value.field == field
    assert info.value.body()["field"] == field


@pytest.mark.parametrize("stamp", ["²", "١٢٣", "12 ", "-5", "+1700000000", "1e9"])
def test_a_timestamp_of_non_ascii_digits_or_signs_is_a_401_not_a_crash(stamp):
    with pytest.raises(WebhookRejected, match="not a Unix time") as caught:
        verify("k", {"X-Auditor-Timestamp": stamp, "X-Auditor-Signature": "sha256=00"}, BODY, NOW)
    assert caught.value.status == 401


@pytest.mark.parametrize("depth", [65, 5_000, 100_000])
def test_a_deeply_nested_body_is_a_400_not_a_recursion_error(depth):
    body = b'{"event_id": ' + b"[" * depth + b"]" * depth + b"}"
    with pytest.raises(WebhookRejected, match="nested") as caught:
        parse(body)
    assert caught.value.status == 400


def test_nesting_up_to_the_limit_reaches_the_schema_check():
    with pytest.raises(WebhookRejected) as caught:
        parse(b'{"event_id": ' + b"[" * 10 + b"]" * 10 + b"}")
    assert caught.value.status == 422 and caught.value.field == "event_id"
