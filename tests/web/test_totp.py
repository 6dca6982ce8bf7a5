"""RFC 6238 Appendix B vectors and the drift window, through the project's own verification code."""

from __future__ import annotations

import pytest

from auditor.accounts.totp import (
    TotpParams,
    code_at,
    matching_step,
    new_secret,
    normalise_code,
    provisioning_uri,
    secret_from_bytes,
    time_step,
)

SEEDS = {
    "sha1": b"12345678901234567890",
    "sha256": b"12345678901234567890123456789012",
    "sha512": b"1234567890123456789012345678901234567890123456789012345678901234",
}
# RFC 6238 Appendix B: (time, TOTP for SHA1, SHA256, SHA512), 8 digits, 30 s steps.
VECTORS = [
    (59, "94287082", "46119246", "90693936"),
    (1111111109, "07081804", "68084774", "25091201"),
    (1111111111, "14050471", "67062674", "99943326"),
    (1234567890, "89005924", "91819424", "93441116"),
    (2000000000, "69279037", "90698825", "38618901"),
    (20000000000, "65353130", "77737706", "47863826"),
]
CASES = [(t, digest, code) for t, *codes in VECTORS for digest, code in zip(SEEDS, codes, strict=True)]


@pytest.mark.parametrize(("at", "digest", "code"), CASES)
def test_rfc6238_appendix_b_vectors_match_their_time_step(at, digest, code):
    params = TotpParams(digits=8, digest=digest, drift=0)
    secret = secret_from_bytes(SEEDS[digest])
    assert code_at(secret, at, params) == code
    assert matching_step(secret, code, at, params) == at // 30
    assert time_step(at, params) == at // 30


@pytest.mark.parametrize(("at", "digest", "code"), CASES)
def test_a_vector_code_is_refused_two_steps_later_and_accepted_one_step_later(at, digest, code):
    params = TotpParams(digits=8, digest=digest, drift=1)
    secret = secret_from_bytes(SEEDS[digest])
    assert matching_step(secret, code, at + 30, params) == at // 30
    assert matching_step(secret, code, at - 30, params) == at // 30
    assert matching_step(secret, code, at + 60, params) is None
    assert matching_step(secret, code, at + 60, TotpParams(digits=8, digest=digest, drift=2)) == at // 30


def test_wrong_codes_and_malformed_input_match_nothing():
    secret = new_secret()
    at = 1_700_000_000
    good = code_at(secret, at)
    wrong = f"{(int(good) + 1) % 1_000_000:06d}"
    assert matching_step(secret, wrong, at) is None
    for bad in ("", "12345", "1234567", "12a456", "１２３４５６", good + "0"):
        assert matching_step(secret, bad, at) is None
    assert matching_step(secret, f" {good[:3]} {good[3:]} ", at) == at // 30


def test_normalise_code():
    assert normalise_code("123 456") == "123456"
    assert normalise_code("12345") is None
    assert normalise_code("١٢٣٤٥٦") is None  # non-ASCII digits are refused


def test_seeds_are_160_bit_base32_and_the_uri_names_user_and_issuer():
    secret = new_secret()
    assert len(secret) == 32 and secret.isalnum() and secret.isupper()
    assert new_secret() != secret
    uri = provisioning_uri(secret, "anna", "auditor")
    assert uri.startswith("otpauth://totp/auditor:anna?") and f"secret={secret}" in uri and "issuer=auditor" in uri
