"""Art. 15(4): the copy of the data must not reveal other people. Their identifiers are replaced by a marker.

What is withheld, by category:

- activity_log: the actor of an entry that is not the subject (id and name); the target when it is another
  person's account (a campaign or a page stays named: it is no person);
- access_rights: who granted the role, unless the subject; other holders of the same asset are only counted
  (``other_holders_withheld``), never listed;
- platform_accounts: who created the account, unless the subject;
- identity and directory_history: the manager (another person's uid);
- findings (and any other free text): e-mail addresses, account ids and directory uids of other people.

Values the subject owns (their account ids, e-mail addresses, uids) are never touched. Each replacement is
counted per category, so the answer can say how much was withheld.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

REDACTED = "[redacted]"
_TOKEN = re.compile(r"[A-Za-z0-9_.:@+-]+")


@dataclass(slots=True)
class Redactor:
    """Replaces other people's identifiers; ``counts`` holds the replacements per category."""

    own_ids: set[str]
    own_emails: set[str]
    own_uids: set[str]
    other_ids: set[str] = field(default_factory=set)  # known account ids of other people (any platform)
    other_uids: set[str] = field(default_factory=set)
    counts: Counter[str] = field(default_factory=Counter)

    def is_own(self, value: Any) -> bool:
        """True when ``value`` is one of the subject's ids, e-mail addresses or uids."""
        text = str(value)
        return text in self.own_ids or text.lower() in self.own_emails or text in self.own_uids

    def hide(self, category: str) -> str:
        """Count one replacement and return the marker."""
        self.counts[category] += 1
        return REDACTED

    def person(self, category: str, value: Any) -> Any:
        """``value`` names a person: keep it when it is the subject (or empty), else redact it."""
        if value in (None, "") or self.is_own(value):
            return value
        return self.hide(category)

    def text(self, category: str, value: Any) -> Any:
        """Free text with other people's e-mail addresses, account ids and uids replaced."""
        if not isinstance(value, str) or not value:
            return value

        def swap(match: re.Match[str]) -> str:
            token = match.group(0)
            bare = token.rstrip(".,:;")
            if self.is_own(bare):
                return token
            if ("@" in bare and "." in bare.rsplit("@", 1)[-1]) or bare in self.other_ids or bare in self.other_uids:
                return self.hide(category) + token[len(bare):]
            return token

        return _TOKEN.sub(swap, value)

    # -------------------------------------------------------------------------------------- categories

    def identity(self, row: dict[str, Any]) -> dict[str, Any]:
        """A directory record: the manager is another person."""
        return {**row, "manager": self.person("identity", row.get("manager"))}

    def directory_history(self, row: dict[str, Any]) -> dict[str, Any]:
        """A directory change: manager changes name other people; other values are scrubbed as text."""
        if row.get("field") == "manager":
            return {**row, "old": self.person("directory_history", row.get("old")),
                    "new": self.person("directory_history", row.get("new"))}
        return {**row, "old": self.text("directory_history", row.get("old")),
                "new": self.text("directory_history", row.get("new"))}

    def platform_accounts(self, row: dict[str, Any]) -> dict[str, Any]:
        """An account of the subject: its creator may be someone else."""
        return {**row, "created_by": self.person("platform_accounts", row.get("created_by"))}

    def access_rights(self, row: dict[str, Any]) -> dict[str, Any]:
        """A role of the subject: the grantor may be someone else (co-holders are only counted upstream)."""
        return {**row, "granted_by": self.person("access_rights", row.get("granted_by"))}

    def connected_apps(self, row: dict[str, Any]) -> dict[str, Any]:
        """An app the subject authorised: nothing about others."""
        return dict(row)

    def findings(self, row: dict[str, Any]) -> dict[str, Any]:
        """A finding: its message may list other accounts (e.g. every administrator of a page)."""
        return {**row, "message": self.text("findings", row.get("message"))}

    def activity_log(self, row: dict[str, Any]) -> dict[str, Any]:
        """An event: the other party is withheld when it is a person."""
        out = dict(row)
        if not self.is_own(row.get("actor_id") or "") and (row.get("actor_id") or row.get("actor_name")):
            out["actor_id"] = out["actor_name"] = self.hide("activity_log")
        target = row.get("target_id")
        if target and not self.is_own(target) and (target in self.other_ids or "@" in str(row.get("target_name"))):
            out["target_id"] = out["target_name"] = self.hide("activity_log")
        return out

    def offboarding_cases(self, row: dict[str, Any]) -> dict[str, Any]:
        """An offboarding case of the subject: nothing about others is kept in the summary."""
        return dict(row)

    def apply(self, records: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
        """Every category redacted (new dicts; the input is not changed)."""
        return {category: [getattr(self, category)(row) for row in rows] for category, rows in records.items()}


def candidate_tokens(records: dict[str, list[dict[str, Any]]]) -> set[str]:
    """Strings in the free text and person fields of ``records`` that may be other people's ids or uids."""
    found: set[str] = set()
    for row in records.get("findings", []):
        found |= {t.rstrip(".,:;") for t in _TOKEN.findall(row.get("message") or "")}
    for row in records.get("directory_history", []):
        for key in ("old", "new"):
            found |= {t.rstrip(".,:;") for t in _TOKEN.findall(str(row.get(key) or ""))}
    for row in records.get("activity_log", []):
        found |= {str(v) for v in (row.get("actor_id"), row.get("target_id")) if v}
    return found
