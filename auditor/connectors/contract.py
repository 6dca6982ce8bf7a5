"""A platform's API contract as data: every endpoint, parameter, field, enum value and limit a connector relies
on, each with its source and whether the source confirms it.

The contract lives beside its connector (``auditor/connectors/<kind>/contract.yaml``). Three readers share it:
the connector (page sizes, versions), the platform's emulator under ``auditor/demo/`` (what it accepts and how
it refuses), and the tests (one refusal test per constraint). ``docs/platforms/<kind>.md`` is rendered from it
(``python -m auditor.connectors.contract``), so the table people read and the data the code reads cannot drift.

Schema (YAML)::

    platform: tiktok
    api: TikTok API for Business v1.3
    sources:                      # every fact names one of these
      S1: {title: ..., url: https://..., commit: <sha or null>, path: <file in the repo or null>}
    endpoints:
      bc_asset_member_get:
        method: GET
        path: /bc/asset/member/get/
        tokens: [business]        # token types the real API accepts here
        params:
          page_size: {type: int, min: 1, max: 20, default: 10, source: S1, status: confirmed}
          bc_id: {type: str, required: true, source: S1, status: confirmed}
          asset_type: {type: str, allowed: [ADVERTISER, CATALOG], source: S1, status: unconfirmed}
        fields: [user_id, user_name, asset_role]   # item fields read by the connector
        source: S1
        status: confirmed
        note: free text
    enums:
      asset_role: {values: [ADMIN, OPERATOR, ANALYST], source: S1, status: confirmed}
    errors:
      token_type: {http: 400, body: {...}, source: S2, status: unconfirmed}
    constraints:                  # behaviours the emulator enforces, each with the test that proves it
      - id: page_size_max
        text: page_size above 20 is refused
        source: S1
        status: confirmed
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import yaml

from auditor.errors import ConfigError

STATUSES = ("confirmed", "unconfirmed")


@dataclass(frozen=True, slots=True)
class Param:
    """One request parameter and what the real API allows for it."""

    name: str
    type: str = "str"
    required: bool = False
    default: Any = None
    min: int | None = None
    max: int | None = None
    allowed: tuple[str, ...] = ()
    source: str = ""
    status: str = "unconfirmed"


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One call: method, path template, the token types it takes, its parameters and the fields read."""

    id: str
    method: str
    path: str
    tokens: tuple[str, ...] = ()
    params: dict[str, Param] = field(default_factory=dict)
    fields: tuple[str, ...] = ()
    source: str = ""
    status: str = "unconfirmed"
    note: str = ""


@dataclass(frozen=True, slots=True)
class Contract:
    """A platform's contract: its sources, endpoints, enums, error bodies and enforced constraints."""

    platform: str
    api: str
    sources: dict[str, dict[str, Any]]
    endpoints: dict[str, Endpoint]
    enums: dict[str, dict[str, Any]]
    errors: dict[str, dict[str, Any]]
    constraints: tuple[dict[str, Any], ...]

    def endpoint(self, endpoint_id: str) -> Endpoint:
        """The endpoint with this id (KeyError naming the platform when absent)."""
        try:
            return self.endpoints[endpoint_id]
        except KeyError:
            raise KeyError(f"{self.platform} contract: no endpoint {endpoint_id!r}") from None

    def enum_values(self, name: str) -> tuple[str, ...]:
        """The documented values of one enum."""
        return tuple(self.enums[name]["values"])

    def limit(self, endpoint_id: str, param: str) -> int:
        """The maximum the real API allows for a numeric parameter (a page size)."""
        value = self.endpoint(endpoint_id).params[param].max
        if value is None:
            raise KeyError(f"{self.platform} contract: {endpoint_id}.{param} has no max")
        return value


def _check_cited(where: str, item: dict[str, Any], sources: dict[str, Any]) -> None:
    source, status = item.get("source"), item.get("status")
    if source not in sources:
        raise ConfigError(f"{where}: source {source!r} is not one of the contract's sources")
    if status not in STATUSES:
        raise ConfigError(f"{where}: status must be one of {', '.join(STATUSES)}, not {status!r}")


def parse_contract(data: dict[str, Any], origin: str) -> Contract:
    """Build a Contract from its YAML data, refusing any fact without a known source and status."""
    sources = data.get("sources") or {}
    endpoints: dict[str, Endpoint] = {}
    for eid, raw in (data.get("endpoints") or {}).items():
        _check_cited(f"{origin}: endpoint {eid}", raw, sources)
        params = {}
        for pname, p in (raw.get("params") or {}).items():
            _check_cited(f"{origin}: endpoint {eid} param {pname}", p, sources)
            params[pname] = Param(name=pname, type=p.get("type", "str"), required=bool(p.get("required")),
                                  default=p.get("default"), min=p.get("min"), max=p.get("max"),
                                  allowed=tuple(p.get("allowed") or ()), source=p["source"], status=p["status"])
        endpoints[eid] = Endpoint(id=eid, method=raw.get("method", "GET"), path=raw["path"],
                                  tokens=tuple(raw.get("tokens") or ()), params=params,
                                  fields=tuple(raw.get("fields") or ()), source=raw["source"],
                                  status=raw["status"], note=raw.get("note", ""))
    for group in ("enums", "errors"):
        for name, raw in (data.get(group) or {}).items():
            _check_cited(f"{origin}: {group[:-1]} {name}", raw, sources)
    constraints = tuple(data.get("constraints") or ())
    for c in constraints:
        _check_cited(f"{origin}: constraint {c.get('id')}", c, sources)
    return Contract(platform=data["platform"], api=data.get("api", ""), sources=sources, endpoints=endpoints,
                    enums=dict(data.get("enums") or {}), errors=dict(data.get("errors") or {}),
                    constraints=constraints)


@cache
def load_contract(kind: str) -> Contract:
    """The contract shipped beside the connector of ``kind`` (``auditor/connectors/<kind>/contract.yaml``)."""
    origin = f"auditor/connectors/{kind}/contract.yaml"
    text = resources.files(f"auditor.connectors.{kind}").joinpath("contract.yaml").read_text(encoding="utf-8")
    return parse_contract(yaml.safe_load(text), origin)


def _cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def render_markdown(contract: Contract) -> str:
    """The contract as the Markdown page ``docs/platforms/<kind>.md``."""
    lines = [f"# {contract.platform}: API contract", "",
             f"{contract.api}. Generated from `auditor/connectors/{contract.platform}/contract.yaml` "
             "(`python -m auditor.connectors.contract`); edit the YAML, not this page.", "",
             "## Endpoints", "", "| endpoint | call | tokens | parameters | fields read | source | status |",
             "|---|---|---|---|---|---|---|"]
    for e in contract.endpoints.values():
        params = "; ".join(
            f"{p.name}{' (required)' if p.required else ''}"
            + (f" max {p.max}" if p.max is not None else "")
            + (f" default {p.default}" if p.default is not None else "")
            + (f" one of {', '.join(p.allowed)}" if p.allowed else "") + f" [{p.source}, {p.status}]"
            for p in e.params.values()
        )
        lines.append(f"| {e.id} | `{e.method} {_cell(e.path)}` | {', '.join(e.tokens) or '-'} | {_cell(params) or '-'} "
                     f"| {_cell(', '.join(e.fields)) or '-'} | {e.source} | {e.status} |")
    if contract.enums:
        lines += ["", "## Enumerations", "", "| enum | values | source | status |", "|---|---|---|---|"]
        for name, raw in contract.enums.items():
            values = _cell(", ".join(map(str, raw["values"])))
            lines.append(f"| {name} | {values} | {raw['source']} | {raw['status']} |")
    if contract.errors:
        lines += ["", "## Error answers", "", "| case | HTTP | body | source | status |", "|---|---|---|---|---|"]
        for name, raw in contract.errors.items():
            lines.append(f"| {name} | {raw.get('http', '-')} | `{_cell(raw.get('body', ''))}` | {raw['source']} "
                         f"| {raw['status']} |")
    if contract.constraints:
        lines += ["", "## Constraints the emulator enforces", "", "| id | constraint | source | status |",
                  "|---|---|---|---|"]
        for c in contract.constraints:
            lines.append(f"| {c['id']} | {_cell(c['text'])} | {c['source']} | {c['status']} |")
    lines += ["", "## Sources", "", "| id | source |", "|---|---|"]
    for sid, s in contract.sources.items():
        where = s.get("url") or ""
        if s.get("commit"):
            where = f"{s.get('repo', '')} @ {s['commit']} `{s.get('path', '')}`".strip()
        lines.append(f"| {sid} | {_cell(s.get('title', ''))}: {_cell(where)} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    """Write ``docs/platforms/<kind>.md`` for every kind named (or print it with ``--print``)."""
    import pathlib

    printing = "--print" in argv
    for kind in [a for a in argv if not a.startswith("--")]:
        text = render_markdown(load_contract(kind))
        if printing:
            sys.stdout.write(text)
        else:
            out = pathlib.Path("docs/platforms") / f"{kind}.md"
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
