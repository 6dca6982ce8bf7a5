"""TOTP (RFC 6238) for the tool's own login: which time step a code matches, with at most one step of drift.

Replay protection is not here but in ``web_login``: the step returned by ``matching_step`` is stored per user
with a compare-and-set, and a step not newer than the stored one is refused. Time is always the server's.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import datetime

import pyotp
from pyotp.exceptions import OTPVerificationError

DIGESTS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha512": hashlib.sha512}


@dataclass(frozen=True)
class TotpParams:
    """Code length, step length, HMAC digest and accepted drift in steps (authenticator-app defaults)."""

    digits: int = 6
    interval: int = 30
    digest: str = "sha1"
    drift: int = 1


DEFAULT = TotpParams()


def new_secret() -> str:
    """A fresh 160-bit base32 seed from the CSPRNG."""
    return pyotp.random_base32()


def secret_from_bytes(raw: bytes) -> str:
    """A base32 seed for raw key bytes (RFC 6238 Appendix B uses ASCII keys)."""
    return base64.b32encode(raw).decode("ascii")


def _totp(secret: str, params: TotpParams) -> pyotp.TOTP:
    return pyotp.TOTP(secret, digits=params.digits, interval=params.interval, digest=DIGESTS[params.digest])


def _timestamp(at: datetime | float | int) -> float:
    if isinstance(at, datetime):
        if at.tzinfo is None:
            raise ValueError("TOTP time must be timezone-aware")
        return at.timestamp()
    return float(at)


def time_step(at: datetime | float | int, params: TotpParams = DEFAULT) -> int:
    """The RFC 6238 counter T = floor(unix time / interval)."""
    return int(_timestamp(at) // params.interval)


def normalise_code(code: str, params: TotpParams = DEFAULT) -> str | None:
    """The code without spaces, or None when it is not exactly ``digits`` ASCII digits."""
    compact = "".join(code.split())
    if len(compact) != params.digits or not compact.isascii() or not compact.isdigit():
        return None
    return compact


def matching_step(secret: str, code: str, at: datetime | float | int, params: TotpParams = DEFAULT) -> int | None:
    """The time step (within ``drift`` of ``at``) whose code equals ``code``, or None.

    When a code matches more than one step (a collision), the newest one is returned.
    """
    compact = normalise_code(code, params)
    if compact is None:
        return None
    totp = _totp(secret, params)
    when = _timestamp(at)
    matched: int | None = None
    for offset in range(-params.drift, params.drift + 1):
        moment = when + offset * params.interval
        if moment < 0:
            continue
        try:
            step = totp.verify_and_get_timecode(compact, for_time=moment)
        except OTPVerificationError:
            continue
        matched = step if matched is None else max(matched, step)
    return matched


def code_at(secret: str, at: datetime | float | int, params: TotpParams = DEFAULT) -> str:
    """The code valid at ``at`` (for the demo banner and tests)."""
    return _totp(secret, params).at(_timestamp(at))


def provisioning_uri(secret: str, username: str, issuer: str) -> str:
    """The ``otpauth://`` URI an authenticator app reads from the QR code."""
    return _totp(secret, DEFAULT).provisioning_uri(name=username, issuer_name=issuer)
