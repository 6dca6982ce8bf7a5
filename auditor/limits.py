"""Bounds on untrusted input at the edges (web forms and query strings, the HR webhook, import files).

- Numbers: ``str.isdigit()`` is true for ``"²"`` or ``"١٢"``, which ``int()`` then refuses (or reads as another
  number): ``ascii_int`` accepts ASCII digits only, up to a number of digits.
- JSON: ``json.loads`` recurses once per nesting level, so a body of ``[[[[...`` raises RecursionError (a 500 or
  a traceback); ``json_loads`` turns that into ``TooDeep`` and refuses nesting deeper than ``MAX_JSON_DEPTH``.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_JSON_DEPTH = 32
"""No JSON the tool reads nests deeper than a few levels; 32 leaves room and stays far from the stack."""
_DIGITS = re.compile(r"[0-9]+")


class TooDeep(ValueError):
    """A JSON document nested deeper than allowed."""


def ascii_int(value: str | None, *, max_digits: int) -> int | None:
    """``value`` as an int when it is 1 to ``max_digits`` ASCII digits, else None."""
    if value is None or not 0 < len(value) <= max_digits or not _DIGITS.fullmatch(value):
        return None
    return int(value)


def json_depth(value: Any) -> int:
    """How deeply a decoded JSON value nests (a scalar is 0, ``[]`` is 1); iterative, so never recursion-bound."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list | tuple):
            deepest = max(deepest, depth + 1)
            stack.extend((child, depth + 1) for child in item)
    return deepest


def json_loads(data: str | bytes, *, max_depth: int = MAX_JSON_DEPTH, **kwargs: Any) -> Any:
    """``json.loads`` that raises ``TooDeep`` (a ValueError) for nesting deeper than ``max_depth``."""
    try:
        value = json.loads(data, **kwargs)
    except RecursionError:
        raise TooDeep(f"nested deeper than {max_depth} levels") from None
    if json_depth(value) > max_depth:
        raise TooDeep(f"nested deeper than {max_depth} levels")
    return value
