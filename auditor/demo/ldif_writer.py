"""Write the demo company's directory as LDIF (RFC 2849), ready for ``slapadd`` or the LDIF directory source.

The base entries (``dc=kwiatek,dc=example``, ``ou=people``, ``ou=leavers``) come first, then one entry per
person in ``Company.people`` (or ``Company.earlier_people``). Values that are not plain ASCII, or that start
with a space, colon or ``<``, or end with a space, are written base64-encoded (``attr:: ...``); lines longer
than 76 characters are folded (continuation lines start with one space).

The ``version: 1`` line is left out by default, as ``slapcat`` does: ``slapadd`` (OpenLDAP 2.5) rejects it
("str2ad(version): attribute type undefined"). Pass ``version=True`` for a file with the RFC's version line.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from auditor.demo.company import Company

LINE_WIDTH = 76
Entry = Mapping[str, Sequence[str] | str]


def needs_base64(value: str) -> bool:
    """True when RFC 2849 requires (or recommends) the value to be base64-encoded."""
    if not value:
        return False
    if value[0] in " :<" or value[-1] == " ":
        return True
    return not value.isascii() or "\0" in value or "\n" in value or "\r" in value


def _line(attribute: str, value: str) -> str:
    if needs_base64(value):
        return f"{attribute}:: {base64.b64encode(value.encode('utf-8')).decode('ascii')}"
    return f"{attribute}: {value}"


def _fold(line: str) -> str:
    if len(line) <= LINE_WIDTH:
        return line
    parts = [line[:LINE_WIDTH]]
    parts += [" " + line[i:i + LINE_WIDTH - 1] for i in range(LINE_WIDTH, len(line), LINE_WIDTH - 1)]
    return "\n".join(parts)


def base_entries(company: Company) -> list[dict[str, list[str]]]:
    """The organisation entry and the two organisational units people live in."""
    def first_value(dn: str) -> str:
        return dn.split(",", 1)[0].partition("=")[2]

    return [
        {"dn": [company.base_dn], "objectClass": ["top", "dcObject", "organization"],
         "dc": [first_value(company.base_dn)], "o": [company.name]},
        *({"dn": [ou], "objectClass": ["top", "organizationalUnit"], "ou": [first_value(ou)]}
          for ou in (company.people_ou, company.leavers_ou)),
    ]


def entries_ldif(entries: Iterable[Entry], *, version: bool = False) -> str:
    """LDIF text for entries given as ``{"dn": [dn], attribute: [values], ...}`` (a ``str`` dn works too)."""
    records = ["version: 1"] if version else []
    for entry in entries:
        dn = entry["dn"]
        lines = [_line("dn", dn if isinstance(dn, str) else dn[0])]
        for attribute, values in entry.items():
            if attribute == "dn":
                continue
            for value in [values] if isinstance(values, str) else values:
                lines.append(_line(attribute, value))
        records.append("\n".join(_fold(line) for line in lines))
    return "\n\n".join(records) + "\n"


def ldif_text(company: Company, *, earlier: bool = False, version: bool = False) -> str:
    """The company's directory as LDIF: base entries first, then ``people`` (or ``earlier_people``)."""
    people = company.earlier_people if earlier else company.people
    groups_ou = [{"dn": [g["dn"][0].split(",", 1)[1]], "objectClass": ["top", "organizationalUnit"],
                  "ou": ["groups"]} for g in company.groups[:1]]
    return entries_ldif([*base_entries(company), *people, *groups_ou, *company.groups], version=version)


def write_ldif(company: Company, path: str | Path, *, earlier: bool = False, version: bool = False) -> Path:
    """Write :func:`ldif_text` to ``path`` (UTF-8) and return the path."""
    target = Path(path)
    target.write_text(ldif_text(company, earlier=earlier, version=version), encoding="utf-8")
    return target
