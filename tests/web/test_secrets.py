"""Password hashing, seed encryption, recovery codes and the web keys."""

from __future__ import annotations

import base64

import pytest
from argon2 import PasswordHasher, Type

from auditor.accounts import crypto as web_secrets
from auditor.accounts.crypto import (
    SeedCipher,
    SeedDecryptionError,
    generate_encryption_key,
    generate_secret_key,
    hash_password,
    load_web_keys,
    needs_rehash,
    new_recovery_codes,
    normalise_recovery_code,
    recovery_code_digest,
    verify_password,
)
from auditor.config import load_settings
from auditor.errors import ConfigError


def test_production_hasher_is_argon2id_with_strong_parameters(monkeypatch):
    monkeypatch.undo()  # the conftest's cheap hasher does not apply here
    hasher = web_secrets._HASHER
    assert isinstance(hasher, PasswordHasher)
    assert hasher.type is Type.ID
    assert hasher.memory_cost >= 19 * 1024 and hasher.time_cost >= 2  # OWASP minimum for argon2id


def test_hash_and_verify():
    stored = hash_password("a long enough passphrase")
    assert stored.startswith("$argon2id$")
    assert hash_password("a long enough passphrase") != stored  # fresh salt
    assert verify_password(stored, "a long enough passphrase")
    assert not verify_password(stored, "a long enough passphrasE")
    assert not verify_password("not a hash", "x")
    assert not verify_password(None, "anything")  # unknown user: same work, always False


def test_needs_rehash_for_weaker_parameters(monkeypatch):
    monkeypatch.undo()  # compare against the production parameters
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash("x")
    assert needs_rehash(weak)
    assert not needs_rehash(web_secrets._HASHER.hash("x"))
    assert needs_rehash("garbage")


def test_seed_cipher_round_trip_is_bound_to_the_user_and_the_key():
    key = base64.urlsafe_b64decode(generate_encryption_key())
    cipher = SeedCipher(key)
    sealed = cipher.encrypt("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", 7)
    assert "JBSWY3DP" not in sealed and sealed.startswith("v1:")
    assert cipher.decrypt(sealed, 7) == "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    assert cipher.encrypt("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", 7) != sealed  # fresh nonce
    with pytest.raises(SeedDecryptionError, match="user 8"):
        cipher.decrypt(sealed, 8)  # a seed copied onto another user's row does not decrypt
    with pytest.raises(SeedDecryptionError):
        SeedCipher(base64.urlsafe_b64decode(generate_encryption_key())).decrypt(sealed, 7)
    tampered = sealed[:-4] + ("AAAA" if not sealed.endswith("AAAA") else "BBBB")
    with pytest.raises(SeedDecryptionError):
        cipher.decrypt(tampered, 7)


def test_recovery_codes_are_unique_high_entropy_and_normalised():
    codes = new_recovery_codes()
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(len(code) == 19 and code.count("-") == 3 for code in codes)
    assert normalise_recovery_code(codes[0].upper().replace("-", " ")) == codes[0]
    assert recovery_code_digest(codes[0].upper()) == recovery_code_digest(codes[0])
    assert recovery_code_digest(codes[0]) != recovery_code_digest(codes[1])


def _settings(tmp_path, **env):
    (tmp_path / "auditor.toml").write_text('[storage]\nurl = "sqlite:///x.db"\n')
    return load_settings(tmp_path / "auditor.toml", environ={}), env


def test_load_web_keys_requires_both_variables_with_a_clear_message(tmp_path, monkeypatch):
    settings, _ = _settings(tmp_path)
    monkeypatch.delenv("AUDITOR_SECRET_KEY", raising=False)
    monkeypatch.delenv("AUDITOR_ENCRYPTION_KEY", raising=False)
    with pytest.raises(ConfigError, match="AUDITOR_SECRET_KEY.*not set.*generate_secret_key"):
        load_web_keys(settings)
    monkeypatch.setenv("AUDITOR_SECRET_KEY", "short")
    with pytest.raises(ConfigError, match="at least 32 characters"):
        load_web_keys(settings)
    monkeypatch.setenv("AUDITOR_SECRET_KEY", generate_secret_key())
    with pytest.raises(ConfigError, match="AUDITOR_ENCRYPTION_KEY.*not set"):
        load_web_keys(settings)
    monkeypatch.setenv("AUDITOR_ENCRYPTION_KEY", "not-base64-and-too-short")
    with pytest.raises(ConfigError, match="32 bytes"):
        load_web_keys(settings)
    monkeypatch.setenv("AUDITOR_ENCRYPTION_KEY", generate_encryption_key())
    keys = load_web_keys(settings)
    assert keys.sign("csrf", "a") != keys.sign("csrf", "b")
    assert keys.sign("csrf", "a") != keys.sign("other", "a")
