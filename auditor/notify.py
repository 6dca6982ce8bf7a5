"""Notifications: what a scheduled scan newly opened, platforms that could not be verified, offboarding
escalations and delivered reports, by email (SMTP, optional STARTTLS) and by a JSON webhook.

A ``Notice`` names the actual findings (severity, category, message, platform, account, person), not only
counts. Platform-supplied text is encoded for each sink: e-mail is plain text with every header and item on
one line (no CR/LF can reach a header); the webhook's ``text`` (which Slack and Microsoft Teams incoming
webhooks display) is escaped for Slack mrkdwn or Teams markdown/HTML so no mention, link or formatting can be
formed; a ``summary`` (Teams) and the structured notice under ``auditor`` follow. Delivery never raises: a channel that
fails is logged and reported in the returned ``Delivery`` (the scan that triggered it did not fail).
"""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

import httpx

from auditor.config import NotificationSettings, Settings
from auditor.connectors.http import redact
from auditor.dates import format_when
from auditor.errors import AuditorError
from auditor.findings.texts import Texts, finding_text, is_coverage
from auditor.findings.texts import where as texts_where
from auditor.model import Severity

log = logging.getLogger("auditor.notify")

Attachment = tuple[str, bytes, str]
"""(file name, content, MIME type) of an email attachment."""


class NotificationError(AuditorError):
    """A notification channel failed (names the channel, never the webhook URL or a password)."""


@dataclass(slots=True)
class NoticeItem:
    """One thing a notice names: a finding, an unverified platform, a leftover grant."""

    severity: str
    title: str
    detail: str | None = None


@dataclass(slots=True)
class Notice:
    """One message for every channel."""

    kind: str  # scan | scan_failed | offboarding_escalation | report
    subject: str
    severity: str
    summary: str
    items: list[NoticeItem] = field(default_factory=list)
    omitted: int = 0
    link: str | None = None
    facts: dict[str, Any] = field(default_factory=dict)

    def text(self) -> str:
        """The plain-text body (the e-mail's); every field is one line, whatever a platform put in it."""
        lines = [_one_line(self.subject), "", _one_line(self.summary)]
        if self.items:
            lines.append("")
            for item in self.items:
                line = f"- [{_one_line(item.severity).upper()}] {_one_line(item.title)}"
                lines.append(line + (f" ({_one_line(item.detail)})" if item.detail else ""))
            if self.omitted:
                lines.append(f"- ... and {self.omitted} more")
        if self.link:
            lines += ["", self.link]
        return "\n".join(lines) + "\n"

    def payload(self, sink: str = "slack") -> dict[str, Any]:
        """The webhook's JSON body for ``sink`` (slack | teams): ``text`` escaped for it, ``summary``, and the
        structured notice (raw values, JSON-encoded) under ``auditor``."""
        if sink == "teams":
            return {"text": teams_text(self.text()), "summary": _one_line(self.subject), "auditor": asdict(self)}
        return {"text": slack_text(self.text()), "mrkdwn": False, "summary": _one_line(self.subject),
                "auditor": asdict(self)}


@dataclass(slots=True)
class Delivery:
    """What happened to one notice: channels it went out on, and errors of the others."""

    sent: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _one_line(text: str) -> str:
    """One line: every run of whitespace, CR, LF and other line breaks (U+2028 ...) becomes one space."""
    return " ".join(_CONTROL.sub(" ", str(text)).split())


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_MENTION = re.compile(r"(?<![\w.])@(?=\w)")
"""``@channel``, ``@here``, ``@everyone``, ``@someone``: an @ opening a word (not the one inside an address)."""
_WORD_JOINER = "\u2060"
_TEAMS_SPECIAL = frozenset("&<>\"'\\`*_~[](){}#|!+-")
_TEAMS_HOSTS = (".office.com", ".office365.com", ".logic.azure.com", ".powerplatform.com", ".powerautomate.com")


def slack_text(text: str) -> str:
    """Text for a Slack message: ``&``, ``<``, ``>`` as Slack's entities, so no ``<!channel>``, ``<@U..>`` or
    ``<url|label>`` can be formed, and every ``@word`` broken by a word joiner (sent with ``mrkdwn: false``
    so ``*``, ``_``, ``~`` and backticks show as typed)."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MENTION.sub("@" + _WORD_JOINER, escaped)


def teams_text(text: str) -> str:
    """Text for a Microsoft Teams message (markdown and HTML): every markdown or HTML character as a
    numeric entity (``&``, ``<``, ``>`` named), and every ``@word`` broken by a word joiner."""
    named = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
    out = "".join(named.get(c) or (f"&#{ord(c)};" if c in _TEAMS_SPECIAL else c) for c in text)
    return _MENTION.sub("@" + _WORD_JOINER, out)


def webhook_format(configured: str, url: str) -> str:
    """The sink a webhook URL stands for: the configured one, or for ``auto`` teams when the host is
    Microsoft's (webhook.office.com, logic.azure.com workflows ...) and slack otherwise."""
    if configured != "auto":
        return configured
    host = (httpx.URL(url).host or "").lower()
    return "teams" if any(host.endswith(suffix) for suffix in _TEAMS_HOSTS) else "slack"


def _rank(severity: str) -> int:
    try:
        return Severity(severity).rank
    except ValueError:
        return 0


def _listed(config: NotificationSettings, items: list[NoticeItem]) -> tuple[list[NoticeItem], int]:
    items = sorted(items, key=lambda item: -_rank(item.severity))
    return items[:config.max_listed], max(0, len(items) - config.max_listed)


def finding_item(row: Mapping[str, Any], change: str | None = None, shown: Texts | None = None) -> NoticeItem:
    """A finding dict (``auditor.findings.fields.FINDING_FIELDS``) as a notice line: its readable title and
    message (names, role words, dates in the configured zone), then where it is."""
    shown = shown or Texts()
    text = finding_text(row, shown)
    place = texts_where(row, shown)
    where = [f"platform {row['platform']}" if row.get("platform") else "directory"]
    facts = (row.get("evidence") or {}).get("facts") or {}
    if row.get("person"):
        where.append(f"person {facts.get('person.display_name') or row['person']}")
    if place["asset"] not in ("", "-"):
        where.append(place["asset"] + (f" ({place['role']})" if place["role"] not in ("", "-") else ""))
    if row.get("id") is not None:
        where.append(f"finding #{row['id']}")
    if change:
        where.append(change)
    line = text["title"] if text["message"] in ("", text["title"]) else f"{text['title']}: {text['message']}"
    return NoticeItem(str(row["severity"]), _one_line(line), ", ".join(where))


def scan_notice(config: NotificationSettings, summary: Any, diff: Mapping[str, Any],
                shown: Texts | None = None) -> Notice | None:
    """The notice of a scan: findings it opened or reopened at or above ``min_severity`` and every platform
    it could not verify (coverage notes are no findings: never listed); None when there is nothing to say."""
    threshold = Severity(config.min_severity).rank
    items = [finding_item(row, change, shown) for change in ("new", "reopened") for row in diff.get(change, [])
             if _rank(row["severity"]) >= threshold and not is_coverage(row)]
    findings = len(items)
    unverified = [(name, status, errors) for name, status, errors in summary.platforms if status != "complete"]
    items += [NoticeItem("high", f"platform {name} could not be verified ({status})",
                         _one_line("; ".join(errors)) or None) for name, status, errors in unverified]
    if not items:
        return None
    listed, omitted = _listed(config, items)
    parts = []
    if findings:
        parts.append(f"{findings} new or reopened finding(s) at {config.min_severity} or above")
    if unverified:
        parts.append(f"{len(unverified)} platform(s) not verified")
    return Notice(
        kind="scan", subject=_one_line(f"auditor scan #{summary.scan_id}: {', '.join(parts)}"),
        severity=max((item.severity for item in items), key=_rank), items=listed, omitted=omitted,
        summary=(f"Scan #{summary.scan_id} ({summary.status}) opened {summary.opened}, reopened "
                 f"{summary.reopened} and resolved {summary.resolved} finding(s)."),
        link=config.web_url, facts={"scan_id": summary.scan_id, "findings": findings,
                                    "unverified_platforms": [name for name, _, _ in unverified]},
    )


def failed_scan_notice(config: NotificationSettings, platform: str | None, error: str) -> Notice:
    """The notice of a scheduled scan that failed before storing anything."""
    where = f"platform {platform}" if platform else "every platform"
    return Notice(
        kind="scan_failed", subject=_one_line(f"auditor: scheduled scan of {where} failed"), severity="high",
        summary="Nothing was stored; findings stay as the previous scan left them. The next run retries.",
        items=[NoticeItem("high", f"{where} could not be verified", _one_line(error))], link=config.web_url,
        facts={"platform": platform},
    )


def send_email(settings: Settings, notice: Notice, attachments: Iterable[Attachment] = ()) -> None:
    """Send ``notice`` to ``notifications.email_to`` by SMTP; NotificationError when it cannot."""
    config = settings.notifications
    if not config.smtp_host or not config.email_to:
        raise NotificationError("email: notifications.smtp_host and notifications.email_to must be set")
    message = EmailMessage()
    message["Subject"] = _one_line(notice.subject)
    message["From"] = config.email_from or f"auditor@{config.smtp_host}"
    message["To"] = ", ".join(config.email_to)
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain="auditor.invalid")
    message.set_content(notice.text())
    for name, data, mime in attachments:
        maintype, _, subtype = mime.partition("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype or "octet-stream", filename=name)
    where = f"{config.smtp_host}:{config.smtp_port}"
    try:
        with smtplib.SMTP(config.smtp_host, config.smtp_port, timeout=config.smtp_timeout) as smtp:
            smtp.ehlo()
            if config.smtp_starttls:
                ca_file = settings.resolve_path(config.smtp_ca_file)
                smtp.starttls(context=ssl.create_default_context(cafile=str(ca_file) if ca_file else None))
                smtp.ehlo()
            if config.smtp_username:
                password = settings.secret(config.smtp_password_env, key="notifications.smtp_password_env")
                smtp.login(config.smtp_username, password)
            smtp.send_message(message)
    except (smtplib.SMTPException, OSError) as exc:
        raise NotificationError(f"email via {where}: {type(exc).__name__}: {_one_line(str(exc))}") from None


def send_webhook(settings: Settings, notice: Notice, *, transport: httpx.BaseTransport | None = None) -> None:
    """POST the notice's JSON payload to the webhook URL ``notifications.webhook_url_env`` names."""
    config = settings.notifications
    url = settings.secret(config.webhook_url_env, key="notifications.webhook_url_env")
    try:
        with httpx.Client(timeout=config.webhook_timeout, transport=transport, follow_redirects=False) as client:
            payload = notice.payload(webhook_format(config.webhook_format, url))
            response = client.post(url, json=payload, headers={"User-Agent": "auditor"})
    except httpx.HTTPError as exc:
        reason = redact(_one_line(str(exc)), [url])
        raise NotificationError(f"webhook: {type(exc).__name__}: {reason}") from None
    if not 200 <= response.status_code < 300:
        body = redact(_one_line(response.text[:200]), [url])
        raise NotificationError(f"webhook: answered HTTP {response.status_code}: {body}")


def deliver(settings: Settings, notice: Notice, attachments: Iterable[Attachment] = ()) -> Delivery:
    """Send ``notice`` on every configured channel (nothing unless ``notifications.enabled``)."""
    config = settings.notifications
    result = Delivery()
    if not config.enabled:
        return result
    channels = []
    if config.smtp_host and config.email_to:
        channels.append(("email", lambda: send_email(settings, notice, attachments)))
    if config.webhook_url_env:
        channels.append(("webhook", lambda: send_webhook(settings, notice)))
    for name, send in channels:
        try:
            send()
        except AuditorError as exc:
            log.error("notification %r not sent: %s", notice.kind, exc)
            result.errors.append(str(exc))
        else:
            result.sent.append(name)
    return result


def escalation_notice(config: NotificationSettings, case: Mapping[str, Any],
                      remaining: list[Mapping[str, Any]], timezone: str | None = None) -> Notice:
    """The notice to security when a leaver's access outlived the offboarding deadline, item by item."""
    who = f"{case['display_name']} ({case['uid']})" if case.get("display_name") else str(case["uid"])
    items = [NoticeItem("critical", f"{row['platform']}: {row.get('item') or row.get('label')} is still "
                                    f"{row['state']}",
                         f"last seen {format_when(row.get('last_seen') or row.get('last_seen_at'), tz=timezone)}")
             for row in remaining]
    listed, omitted = _listed(config, items)
    deadline = case["deadline"]
    deadline_text = format_when(deadline, tz=timezone)
    return Notice(
        kind="offboarding_escalation", severity="critical", items=listed, omitted=omitted,
        subject=_one_line(f"auditor: offboarding of {who} missed its deadline ({len(items)} item(s) left)"),
        summary=(f"Offboarding case #{case['id']}: last working day {format_when(case['last_working_day'])}, "
                 f"access was due to be gone by {deadline_text}. A critical finding was opened."),
        link=config.web_url, facts={"case_id": case["id"], "uid": case["uid"], "remaining": len(items)},
    )
