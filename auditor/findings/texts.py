"""Readable finding texts: the title and message of a finding for people, in English or Polish.

Each rule's ``texts`` (in its YAML file: the wording lives with the rule it explains, is checked against the
fact vocabulary when the rule loads, and a new rule is still one file) are kept in the finding's evidence
with the facts they read, so a finding is explained by the rule version that judged it. They are rendered
here, at display time, with the one date formatter (``auditor.dates``: minutes, the configured zone), names
instead of ids, role names in words and Yes/No. Could-not-verify summaries get a generic wording; a finding
without texts falls back to its stored message. The machine values stay in the evidence table.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from auditor import dates

PLACEHOLDER = re.compile(r"\{(fact|param)\.([A-Za-z0-9_.]+)\}")
NOT_EXPOSED = "the platform does not expose"

WORDS: dict[str, dict[str, str]] = {
    "en": {"yes": "Yes", "no": "No", "unknown": "unknown", "none": "none", "on": "on", "more": "more",
           "not_checked": "Not checked", "count": "{count} {what} could not be checked: {reason}",
           "account": "account(s)", "grant": "grant(s)", "asset": "asset(s)", "app": "app(s)",
           "tenant": "business", "event": "account(s) of leavers", "unnamed": "an account without a visible name"},
    "pl": {"yes": "Tak", "no": "Nie", "unknown": "nieznane", "none": "brak", "on": "na", "more": "więcej",
           "not_checked": "Nie sprawdzono", "count": "Nie sprawdzono {count} ({what}): {reason}",
           "account": "konta", "grant": "uprawnienia", "asset": "zasoby", "app": "aplikacje",
           "tenant": "firma", "event": "konta osób, które odeszły", "unnamed": "konto bez widocznej nazwy"},
}
KINDS: dict[str, dict[str, str]] = {
    "en": {"tenant": "business", "ad_account": "ad account", "page": "Page", "organization_page": "organisation page",
           "whatsapp_business_account": "WhatsApp account", "instagram_account": "Instagram account",
           "tiktok_account": "TikTok account", "manager_account": "manager account"},
    "pl": {"tenant": "firma", "ad_account": "konto reklamowe", "page": "strona", "instagram_account": "konto Instagram",
           "whatsapp_business_account": "konto WhatsApp", "pixel": "piksel", "catalog": "katalog",
           "organization_page": "strona organizacji", "tiktok_account": "konto TikTok", "profile": "profil",
           "manager_account": "konto menedżera", "channel": "kanał", "container": "kontener",
           "property": "usługa", "business": "firma"},
}
VALUES: dict[str, dict[str, str]] = {
    "en": {"departed": "departed", "disabled": "disabled", "active": "active", "none": "nobody", "missing":
           "not in the directory", "admins": "administrators only", "all": "everyone"},
    "pl": {"departed": "odejście", "disabled": "konto wyłączone", "active": "aktywny", "none": "nikt",
           "missing": "brak w katalogu", "admins": "tylko administratorzy", "all": "wszyscy",
           "employee": "pracownik", "contractor": "współpracownik", "service": "konto techniczne",
           "page": "strona", "ad_account": "konto reklamowe"},
}
"""Enumerated fact values (statuses, kinds, 2FA levels) in words."""
ENUM_FACTS = ("status", "kind", "two_factor_required", "required", "service_owner_status")
REASONS_PL: tuple[tuple[str, str], ...] = (
    ("the platform does not expose", "platforma nie udostępnia"),
    ("per-user 2FA status", "stanu 2FA poszczególnych użytkowników"),
    ("the tenant's 2FA policy", "zasad 2FA firmy"),
    ("the scopes of connected apps", "uprawnień połączonych aplikacji"),
    ("an activity or audit log", "dziennika aktywności"),
    ("account emails", "adresów e-mail kont"),
    ("when invitations were sent", "dat wysłania zaproszeń"),
    ("activity on the assets these accounts hold", "aktywności na zasobach tych kont"),
    ("its audit log covers only", "jej dziennik obejmuje tylko"),
    ("value missing: the account is not linked to a directory person",
     "brak wartości: konto nie jest powiązane z osobą z katalogu"),
    ("value missing", "brak wartości"),
)


@dataclass(frozen=True, slots=True)
class Texts:
    """How texts are shown: the language (``en``/``pl``) and the time zone (a name, e.g. Europe/Warsaw)."""

    language: str = "en"
    timezone: str | None = None

    def word(self, key: str) -> str:
        """A small word in this language."""
        return WORDS.get(self.language, WORDS["en"]).get(key, WORDS["en"][key])

    def when(self, value: Any) -> str:
        """A date or time (ISO string or value) the product's one way."""
        return dates.format_when(value, tz=self.timezone, language=self.language, empty=self.word("unknown"))

    def kind(self, kind: str | None) -> str:
        """An asset kind in words."""
        if not kind:
            return ""
        return KINDS.get(self.language, {}).get(kind) or KINDS["en"].get(kind) or kind.replace("_", " ")


def role_label(role: Any) -> str:
    """A platform role in the platform's own words, readable: ``ADVERTISE+ANALYZE`` -> ``Advertise + Analyze``."""
    if role in (None, ""):
        return "-"
    text = str(role)
    if text.isupper() or "_" in text or "+" in text:
        parts = [p.replace("_", " ").strip().lower() for p in text.split("+")]
        return " + ".join(p[:1].upper() + p[1:] for p in parts if p)
    return text[:1].upper() + text[1:]


def access_label(item: Mapping[str, Any], texts: Texts) -> str:
    """One grant for people: ``Admin on ad account “Kwiatek PL”``."""
    role = role_label(item.get("role"))
    kind = texts.kind(item.get("kind"))
    asset = item.get("asset") or "-"
    if texts.language == "pl":
        return f"{role} – {kind} „{asset}”".replace("–  „", "– „")
    return f"{role} {texts.word('on')} {kind} “{asset}”".replace("  ", " ")


def human(value: Any, texts: Texts, name: str = "") -> str:
    """A fact or parameter value as words (dates in the configured zone, Yes/No, names of grants)."""
    if value is None:
        return texts.word("unnamed" if name == "account.label" else "unknown")
    if isinstance(value, bool):
        return texts.word("yes" if value else "no")
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        if name.endswith(".role") or name.endswith("_role"):
            return role_label(value)
        if name.rsplit(".", 1)[-1] in ENUM_FACTS:
            return VALUES.get(texts.language, {}).get(value) or VALUES["en"].get(value) or value.replace("_", " ")
        parsed = dates.parse(value)
        if parsed is None:
            return value
        if name.endswith("departure") and dates.is_midnight_utc(parsed):
            return dates.format_date(parsed.date(), texts.language)  # derived from an end date: a day
        return texts.when(value)
    if isinstance(value, list | tuple):
        if not value:
            return texts.word("none")
        if isinstance(value[0], Mapping) and "asset" in value[0] and "role" in value[0]:
            return "; ".join(access_label(v, texts) for v in value)
        if isinstance(value[0], Mapping) and "time" in value[0]:
            return "; ".join(f"{texts.when(v.get('time'))} {v.get('action') or ''}".strip() for v in value)
        return ", ".join(human(v, texts) for v in value)
    if isinstance(value, Mapping):
        return ", ".join(f"{k}: {human(v, texts, str(k))}" for k, v in value.items())
    return str(value)


def render(template: str, facts: Mapping[str, Any], params: Mapping[str, Any], texts: Texts) -> str:
    """Fill ``{fact.x}`` / ``{param.x}`` placeholders with readable values."""
    def fill(match: re.Match[str]) -> str:
        kind, name = match.groups()
        source = params if kind == "param" else facts
        return human(source.get(name), texts, name)

    return " ".join(PLACEHOLDER.sub(fill, template).split())


def translate_reason(reason: str, texts: Texts) -> str:
    """A could-not-verify reason in the shown language."""
    if texts.language != "pl":
        return reason
    for english, polish in REASONS_PL:
        reason = reason.replace(english, polish)
    return reason


def rule_name(finding: Mapping[str, Any], texts: Texts) -> str:
    """The rule's name in the shown language (its id when unknown)."""
    evidence = finding.get("evidence") or {}
    names = evidence.get("names") or {}
    stored = evidence.get("texts") or {}
    for source in (names.get(texts.language), (stored.get(texts.language) or {}).get("name"),
                   names.get("en"), (stored.get("en") or {}).get("name")):
        if source:
            return str(source)
    return str(finding.get("rule") or "-")


def finding_text(finding: Mapping[str, Any], texts: Texts) -> dict[str, str]:
    """``title`` and ``message`` of a finding (a row or mapping with ``rule``, ``message`` and ``evidence``)."""
    evidence = finding.get("evidence") or {}
    stored = evidence.get("texts") or {}
    template = stored.get(texts.language) or stored.get("en")
    facts, params = evidence.get("facts") or {}, evidence.get("parameters") or {}
    if template:
        return {"title": render(template["title"], facts, params, texts),
                "message": render(template["message"], facts, params, texts)}
    if "reason" in evidence and "count" in evidence:
        what = texts.word(str(evidence.get("resource") or "account"))
        name = rule_name(finding, texts)
        return {"title": f"{texts.word('not_checked')}: {name}",
                "message": texts.word("count").format(count=evidence["count"], what=what,
                                                       reason=translate_reason(str(evidence["reason"]), texts))}
    message = str(finding.get("message") or "")
    return {"title": rule_name(finding, texts) if evidence.get("rule") else message, "message": message}


def where(finding: Mapping[str, Any], texts: Texts, limit: int = 2) -> dict[str, str]:
    """The asset and role columns for people: names and role words from the evidence (ids only when unknown)."""
    facts = (finding.get("evidence") or {}).get("facts") or {}
    if facts.get("asset.name") or facts.get("asset.kind"):
        asset = f"{texts.kind(facts.get('asset.kind'))} {facts.get('asset.name') or finding.get('asset') or ''}"
        role = facts.get("grant.role") or finding.get("role")
        return {"asset": asset.strip(), "role": role_label(role) if role else "-"}
    access = facts.get("account.privileged_access") or facts.get("account.access") or []
    if access:
        shown = [f"{texts.kind(a.get('kind'))} {a.get('asset')}".strip() for a in access[:limit]]
        more = len(access) - limit
        roles = sorted({role_label(a.get("role")) for a in access})
        asset = ", ".join(shown) + (f" (+{more} {texts.word('more')})" if more > 0 else "")
        return {"asset": asset, "role": ", ".join(roles[:3]) + (" …" if len(roles) > 3 else "")}
    role = finding.get("role") or facts.get("account.role")
    return {"asset": str(finding.get("asset") or "-"), "role": role_label(role) if role else "-"}


MACHINE_FACTS = frozenset({
    "account.grants", "account.privileged_grants", "account.assets", "account.id", "app.app_id", "tenant.id",
    "tenant.errors", "asset.id", "asset.admins", "event.events", "person.entries", "account.link_candidates",
})
"""Facts that are ids or id lists with a readable counterpart (``account.access``, names): left out of the
printed evidence (``machine=False``); the web page's table and JSON keep them."""


def evidence_rows(finding: Mapping[str, Any], texts: Texts, *, machine: bool = True) -> list[tuple[str, str]]:
    """The evidence as a labelled table: (label, readable value) per fact, then the parameters. Without
    ``machine``, id facts that have a readable counterpart and per-id parameter tables are left out."""
    evidence = finding.get("evidence") or {}
    rows = [(_label(name), human(value, texts, name)) for name, value in (evidence.get("facts") or {}).items()
            if machine or name not in MACHINE_FACTS]
    for key in ("count", "reason", "missing_facts"):
        if key in evidence:
            value = evidence[key]
            text = translate_reason(str(value), texts) if key == "reason" else human(value, texts, key)
            rows.append((_label(key), text))
    rows += [(f"{_label(name)} (parameter)", human(value, texts, name))
             for name, value in (evidence.get("parameters") or {}).items()
             if machine or not isinstance(value, Mapping)]
    return rows


def _label(name: str) -> str:
    """``account.grant_count`` -> ``Account: grant count``."""
    head, _, tail = name.partition(".")
    words = (tail or head).replace("_", " ")
    return f"{head.capitalize()}: {words}" if tail else words.capitalize()


def is_coverage(finding: Mapping[str, Any]) -> bool:
    """A coverage note (what a platform does not expose), not an open finding."""
    return (finding.get("outcome") or (finding.get("evidence") or {}).get("outcome")) == "coverage"


def readable_rows(rows: list[dict[str, Any]], shown: Texts) -> list[dict[str, Any]]:
    """Rows for tables (CLI, notices): the readable ``title``, ``message``, ``asset`` and ``role``, and the
    times through the one formatter."""
    result = []
    for row in rows:
        text = finding_text(row, shown)
        place = where(row, shown)
        result.append({**row, **text, **place, "first_seen": shown.when(row.get("first_seen")),
                       "last_seen": shown.when(row.get("last_seen"))})
    return result
