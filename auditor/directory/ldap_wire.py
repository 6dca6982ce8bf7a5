"""The lean read path of ``LdapDirectory``: search entries decoded straight from the wire, no copies.

ldap3's ``SAFE_SYNC`` strategy deep-copies every response, and its decoder turns each entry into nested lists,
then formats every attribute value; for 50,000 people that was most of a 20 s read. Here ldap3 still does
the connection work (TLS, StartTLS, bind, framing, the request, controls, every non-entry message), but:

- the strategy is the plain synchronous one (``SYNC``: one connection per call, never shared, so no copies);
- a ``searchResEntry`` is decoded by ``decode_search_entry`` below: the DN and the attribute values as
  ``bytes`` slices, nothing formatted (the mapping decodes the few values it reads);
- ``paged_entries`` pages with the simple paged results control (RFC 2696) and yields entries as they come,
  never keeping more than one page.

BER (X.690) as LDAP uses it (RFC 4511 section 5.1): definite lengths only, so the decoder is a few slices.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ldap3 import SUBTREE, Connection
from ldap3.core.exceptions import LDAPSocketReceiveError
from ldap3.strategy.base import SESSION_TERMINATED_BY_SERVER
from ldap3.strategy.sync import SyncStrategy
from ldap3.utils.asn1 import decode_message_fast

RawEntry = dict[str, list[bytes]]
PAGED_RESULTS = "1.2.840.113556.1.4.319"
_SEARCH_RESULT_ENTRY = 0x64  # [APPLICATION 4], constructed
_RESPONSE_COMPLETE = -1  # ldap3.strategy.base.RESPONSE_COMPLETE
_NOTICE_OF_DISCONNECTION = "1.3.6.1.4.1.1466.20036"
_LAST_RESPONSES = frozenset({"searchResEntry", "searchResRef", "intermediateResponse"})


def _length(data: bytes, index: int) -> tuple[int, int]:
    """The BER length at ``index`` and the index after it."""
    first = data[index]
    if first < 0x80:
        return first, index + 1
    size = first & 0x7F
    return int.from_bytes(data[index + 1:index + 1 + size], "big"), index + 1 + size


def decode_search_entry(message: bytes) -> tuple[int, dict[str, Any]] | None:
    """``(message id, {"type": "searchResEntry", "dn", "raw_attributes"})`` for a search result entry, else None.

    Raises ValueError when the message is not well-formed BER.
    """
    try:
        _, index = _length(message, 1)  # LDAPMessage SEQUENCE
        if message[index] != 0x02:
            raise ValueError("messageID is not an INTEGER")
        size, index = _length(message, index + 1)
        message_id = int.from_bytes(message[index:index + size], "big", signed=True)
        index += size
        if message[index] != _SEARCH_RESULT_ENTRY:
            return None
        _, index = _length(message, index + 1)
        size, index = _length(message, index + 1)  # objectName OCTET STRING
        dn = message[index:index + size].decode("utf-8")
        index += size
        total, index = _length(message, index + 1)  # PartialAttributeList SEQUENCE OF
        end = index + total
        attributes: RawEntry = {}
        while index < end:  # short-form lengths (< 128) inline: most are; the rest go through _length
            size = message[index + 1]
            index = index + 2 if size < 0x80 else _length(message, index + 1)[1]  # PartialAttribute SEQUENCE
            size = message[index + 1]
            size, index = (size, index + 2) if size < 0x80 else _length(message, index + 1)  # type
            name = message[index:index + size].decode("utf-8")
            index += size
            size = message[index + 1]
            size, index = (size, index + 2) if size < 0x80 else _length(message, index + 1)  # vals SET OF
            stop = index + size
            values: list[bytes] = []
            while index < stop:
                size = message[index + 1]
                size, index = (size, index + 2) if size < 0x80 else _length(message, index + 1)
                values.append(message[index:index + size])
                index += size
            if name in attributes:
                attributes[name] += values
            else:
                attributes[name] = values
    except (IndexError, UnicodeDecodeError) as exc:
        raise ValueError(f"malformed search result entry ({exc})") from None
    return message_id, {"type": "searchResEntry", "dn": dn, "raw_attributes": attributes}


class LeanSyncStrategy(SyncStrategy):
    """ldap3's synchronous strategy with search entries decoded by ``decode_search_entry``."""

    def _get_response(self, message_id: int, timeout: float) -> Any:
        responses: list[Any] = []
        while True:
            received = self.receiving()
            if not received:
                return SESSION_TERMINATED_BY_SERVER
            for message in received:
                if not message:
                    continue
                try:
                    entry = decode_search_entry(message)
                except ValueError as exc:
                    raise LDAPSocketReceiveError(str(exc)) from None
                if entry is not None:
                    if entry[0] != message_id:
                        raise LDAPSocketReceiveError("invalid messageId received")
                    responses.append(entry[1])
                    continue
                decoded = decode_message_fast(message)
                response = self.decode_response_fast(decoded)
                received_id = int(decoded["messageID"])
                if received_id == message_id:
                    responses.append(response)
                    if response["type"] not in _LAST_RESPONSES:
                        responses.append(_RESPONSE_COMPLETE)
                        return responses
                elif received_id == 0 and response.get("responseName") == _NOTICE_OF_DISCONNECTION:
                    return SESSION_TERMINATED_BY_SERVER
                else:
                    raise LDAPSocketReceiveError("invalid messageId received")


def use_lean_strategy(conn: Connection) -> Connection:
    """Switch a fresh ``SYNC`` connection (not yet open) to ``LeanSyncStrategy``; returns ``conn``."""
    strategy = LeanSyncStrategy(conn)
    conn.strategy = strategy
    conn.send, conn.open, conn.get_response = strategy.send, strategy.open, strategy.get_response
    conn.post_send_single_response = strategy.post_send_single_response
    conn.post_send_search = strategy.post_send_search
    return conn


def paged_entries(conn: Connection, base: str, search_filter: str, attributes: list[str], page_size: int,
                  *, scope: str = SUBTREE) -> Iterator[tuple[str, RawEntry]]:
    """``(dn, raw attributes)`` of every entry matching, page by page (``page_size`` per page)."""
    cookie: bytes | None = None
    while True:
        conn.search(base, search_filter, search_scope=scope, attributes=attributes, paged_size=page_size,
                    paged_cookie=cookie)
        for item in conn.response or ():
            if item.get("type") == "searchResEntry":
                yield item["dn"], item["raw_attributes"]
        control = (conn.result or {}).get("controls", {}).get(PAGED_RESULTS)
        cookie = control["value"]["cookie"] if control else None
        if not cookie:
            return

