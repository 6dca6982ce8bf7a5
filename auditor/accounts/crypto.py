"""Secrets of the web UI: password hashing (argon2id), TOTP seed encryption (AES-256-GCM with a key from the
environment), recovery codes and session tokens.

The keys never live in the database or the repository: ``load_web_keys`` reads them through
``settings.secret`` from the variables named by ``[web] secret_key_env`` and ``encryption_key_env``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from auditor.config import SecretsFileError, Settings
from auditor.errors import AuditorError, ConfigError

MIN_SECRET_KEY_CHARS = 32
RECOVERY_CODE_COUNT = 10
_CIPHER_VERSION = "v1"
_HASHER = PasswordHasher()  # argon2id, RFC 9106 low-memory profile defaults of argon2-cffi
_DUMMY_HASH: str | None = None  # computed on first use (no work at import)


class SeedDecryptionError(AuditorError):
    """A stored TOTP seed cannot be decrypted with the configured key (wrong key or tampered row)."""


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` with a fresh random salt."""
    return _HASHER.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Check ``password`` against ``stored_hash``; with no hash, still spend the same time (no user oracle)."""
    global _DUMMY_HASH
    if stored_hash is None:
        if _DUMMY_HASH is None:
            _DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))
        stored_hash = _DUMMY_HASH
        password = password + "\0never"
    try:
        return _HASHER.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's."""
    try:
        return _HASHER.check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


def new_token() -> str:
    """A random session token (256 bits, urlsafe)."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """The SHA-256 hex digest under which a token is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_recovery_codes(count: int = RECOVERY_CODE_COUNT) -> list[str]:
    """Fresh recovery codes, each 80 random bits written as four groups of four base32 characters."""
    codes = []
    for _ in range(count):
        raw = base64.b32encode(secrets.token_bytes(10)).decode("ascii").lower()
        codes.append("-".join(raw[i : i + 4] for i in range(0, 16, 4)))
    return codes


def normalise_recovery_code(code: str) -> str:
    """A recovery code as typed (any case, spaces or dashes) in its canonical form."""
    compact = "".join(ch for ch in code.lower() if ch.isalnum())
    return "-".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def recovery_code_digest(code: str) -> str:
    """The SHA-256 of a normalised recovery code (high-entropy codes: a slow hash adds nothing)."""
    return hashlib.sha256(normalise_recovery_code(code).encode("ascii")).hexdigest()


class SeedCipher:
    """AES-256-GCM encryption of TOTP seeds; the user id is authenticated data, so seeds cannot be swapped."""

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("the seed encryption key must be 32 bytes")
        self._aead = AESGCM(key)

    def encrypt(self, seed: str, user_id: int) -> str:
        """``v1:`` + base64 of nonce and ciphertext."""
        nonce = secrets.token_bytes(12)
        sealed = self._aead.encrypt(nonce, seed.encode("ascii"), f"totp-seed:{user_id}".encode())
        return f"{_CIPHER_VERSION}:" + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def decrypt(self, stored: str, user_id: int) -> str:
        """The seed; SeedDecryptionError when the key is wrong or the value was altered."""
        version, _, body = stored.partition(":")
        if version != _CIPHER_VERSION:
            raise SeedDecryptionError(f"user {user_id}: unknown TOTP seed format {version!r}")
        try:
            raw = base64.urlsafe_b64decode(body.encode("ascii"))
            plain = self._aead.decrypt(raw[:12], raw[12:], f"totp-seed:{user_id}".encode())
        except (InvalidTag, ValueError, binascii.Error) as exc:
            raise SeedDecryptionError(
                f"user {user_id}: the TOTP seed cannot be decrypted (wrong encryption key, or the row was altered)"
            ) from exc
        return plain.decode("ascii")


@dataclass(frozen=True)
class WebKeys:
    """The two keys of the web UI."""

    secret_key: bytes
    seed_cipher: SeedCipher

    def sign(self, purpose: str, value: str) -> str:
        """HMAC-SHA256 of ``value`` for ``purpose`` (CSRF tokens), hex."""
        return hmac.new(self.secret_key, f"{purpose}\0{value}".encode(), hashlib.sha256).hexdigest()


def generate_secret_key() -> str:
    """A fresh value for the secret-key variable."""
    return secrets.token_urlsafe(48)


def generate_encryption_key() -> str:
    """A fresh value for the encryption-key variable (32 bytes, urlsafe base64)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii")


def load_web_keys(settings: Settings) -> WebKeys:
    """Read and check both keys; ConfigError names the variable and says how to make a value."""
    web = settings.web
    hint = 'generate one with: python -c "from auditor.accounts.crypto import {fn}; print({fn}())"'
    try:
        secret = settings.secret(web.secret_key_env, key="web.secret_key_env")
    except SecretsFileError:
        raise  # the file itself is at fault (mode, syntax): its message says what to do
    except ConfigError as exc:
        raise ConfigError(
            f"{exc}; the web UI needs it to sign its forms ({hint.format(fn='generate_secret_key')})"
        ) from exc
    if len(secret) < MIN_SECRET_KEY_CHARS:
        raise ConfigError(
            f"{web.secret_key_env}: the web secret key must be at least {MIN_SECRET_KEY_CHARS} "
            f"characters ({hint.format(fn='generate_secret_key')})"
        )
    try:
        encoded = settings.secret(web.encryption_key_env, key="web.encryption_key_env")
    except SecretsFileError:
        raise
    except ConfigError as exc:
        raise ConfigError(
            f"{exc}; the web UI needs it to encrypt TOTP seeds ({hint.format(fn='generate_encryption_key')})"
        ) from exc
    try:
        key = base64.urlsafe_b64decode(encoded.encode("ascii") + b"=" * (-len(encoded) % 4))
    except (binascii.Error, ValueError, UnicodeEncodeError):
        key = b""
    if len(key) != 32:
        raise ConfigError(
            f"{web.encryption_key_env}: the encryption key must be 32 bytes in urlsafe base64 "
            f"({hint.format(fn='generate_encryption_key')})"
        )
    return WebKeys(secret_key=secret.encode("utf-8"), seed_cipher=SeedCipher(key))
