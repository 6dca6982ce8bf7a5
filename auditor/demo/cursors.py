"""Opaque paging cursors for the emulators: an offset wrapped the way real APIs wrap theirs (base64 text)."""

from __future__ import annotations

import base64
import binascii


def encode_cursor(prefix: str, offset: int) -> str:
    """An opaque cursor for ``offset`` (URL-safe base64 of ``prefix:offset``, unpadded)."""
    return base64.urlsafe_b64encode(f"{prefix}:{offset}".encode()).decode().rstrip("=")


def decode_cursor(prefix: str, cursor: str) -> int | None:
    """The offset in a cursor made by ``encode_cursor(prefix, ...)``; None for anything else.

    Each emulator turns None into its platform's own "invalid cursor" error.
    """
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        found, _, number = text.partition(":")
        return max(0, int(number)) if found == prefix else None
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
