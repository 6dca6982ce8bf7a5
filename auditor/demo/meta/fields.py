"""Graph's ``fields=`` selection for the Meta emulator: which fields a request names, projecting a node on them
(default fields only when none are named, contract constraint fields_selection) and refusing a field the node
type does not have (constraint unknown_field_refused)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from werkzeug.wrappers import Request

from auditor.demo.meta.callers import GraphError


def requested_fields(request: Request) -> list[str] | None:
    """Top-level names of ``fields=a,b{c,d},e`` (nested selections return the whole object)."""
    raw = request.args.get("fields")
    if not raw:
        return None
    names, depth, current = [], 0, ""
    for char in raw:
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        elif char == "," and depth == 0:
            names.append(current)
            current = ""
        elif depth == 0:
            current += char
    names.append(current)
    return [n.strip() for n in names if n.strip()]


def select(item: Mapping[str, Any], fields: list[str] | None, default: tuple[str, ...] | None,
           hidden: Iterable[str]) -> dict[str, Any]:
    """The named fields (plus id); without ``fields`` only ``default`` (None: every field but ``hidden``)."""
    hidden = set(hidden)
    if fields is None and default is None:
        return {k: v for k, v in item.items() if k not in hidden}
    fields = list(default or ()) if fields is None else fields
    out = {"id": item["id"]} if "id" in item else {}
    out.update({k: item[k] for k in fields if k in item and k not in hidden})
    return out


def check_fields(request: Request, known: frozenset[str], node_type: str) -> None:
    """Refuse a requested field the node type does not have (error nonexisting_field)."""
    for name in requested_fields(request) or ():
        if name not in known:
            raise GraphError(400, f"(#100) Tried accessing nonexisting field ({name}) on node type "
                                  f"({node_type})", 100)
