"""Reminders to a real local SMTP server (aiosmtpd): each reviewer gets their own open count at start, the
before-due and after-due stages are sent once each, and past the due date the owner hears who is late."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from auditor.reviews import use_cases as reviews
from auditor.storage.tables import DirectoryPerson
from tests.reviews.conftest import NOW, OFFICER, Shop, live_shop
from tests.test_notify import Sink, smtp  # noqa: F401 - the aiosmtpd fixture

DUE = NOW + timedelta(days=10)


@pytest.fixture
def mailing_shop(tmp_path: Path, smtp) -> Iterator[tuple[Shop, Sink]]:  # noqa: F811
    sink, port = smtp
    from auditor.config import NotificationSettings

    notifications = NotificationSettings(enabled=True, smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=False,
                                         email_to=["security@kwiatek.example"], web_url="https://auditor.example")
    yield from ((shop, sink) for shop in live_shop(tmp_path / "ws", {"notifications": notifications}))


def _mails(sink: Sink) -> list:
    return [(env.rcpt_tos, message_from_bytes(env.content, policy=policy.default)) for env in sink.envelopes]


def test_each_reviewer_gets_their_count_and_the_owner_hears_who_is_late(mailing_shop):
    shop, sink = mailing_shop
    view = reviews.start_campaign(shop.settings, name="Q4", scope={}, reviewer_mode="manager",
                                  fallback_reviewer="bkwiatkowska", due_at=DUE, actor=OFFICER, now=NOW, db=shop.db)
    counts = {r["reviewer"]: r["open"] for r in view["reviewers"]}
    with shop.db.session() as session:
        table = DirectoryPerson.__table__
        address = {row.uid: row.emails[0] for row in session.execute(table.select()) if row.emails}
    mails = _mails(sink)
    assert len(mails) == len(counts)
    for reviewer, count in counts.items():
        to, message = next(m for m in mails if m[0] == [address[reviewer]])
        body = message.get_body().get_content()
        assert f"{count} item(s)" in message["Subject"] and f"{reviewer}: {count} access item(s)" in body
        assert "https://auditor.example/reviews/mine" in body
    assert reviews.run_reviews(shop.settings, now=NOW + timedelta(days=1), db=shop.db)["reminders"] == 0
    before = reviews.run_reviews(shop.settings, now=DUE - timedelta(days=2), db=shop.db)["reminders"]
    assert before == len(counts) and len(sink.envelopes) == 2 * len(counts)
    after = reviews.run_reviews(shop.settings, now=DUE + timedelta(hours=1), db=shop.db)["reminders"]
    assert after == len(counts) + 1  # and the escalation to the owner
    owner_mail = _mails(sink)[-1][1]
    assert "past due" in owner_mail["Subject"] and all(r in owner_mail.get_body().get_content() for r in counts)
    assert reviews.run_reviews(shop.settings, now=DUE + timedelta(days=1), db=shop.db)["reminders"] == 0
