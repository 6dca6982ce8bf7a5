"""The review pages through the real forms (guard, CSRF, audit trail): a security officer starts a campaign;
two reviewers (directory managers, signed in as themselves) see only their own items; one revokes, one keeps
with the comment a leaver's privileged grant needs; neither can decide the other's item."""

from __future__ import annotations

import re
from datetime import timedelta

from auditor.accounts import audit_trail
from tests.web.conftest import (  # noqa: F401 - fixtures
    Browser,
    app,
    clock,
    db,
    enrolled_user,
    fast_argon2,
    scan_calls,
    scanned_workspace,
    settings,
    workspace,
)

ITEM_RE = re.compile(r'id="item-(\d+)"')


def _signed_in(app, clock, settings, db, username, role) -> Browser:  # noqa: F811
    seed = enrolled_user(settings, db, username, role)
    browser = Browser(app, clock)
    browser.login(username, seed)
    return browser


def test_officer_starts_and_reviewers_decide_only_their_items(app, clock, settings, db):  # noqa: F811
    officer = _signed_in(app, clock, settings, db, "sofficer", "security_officer")
    due = (clock.now + timedelta(days=30)).date().isoformat()
    page = officer.post("/reviews/new", {"name": "Q4", "reviewer_mode": "manager", "fallback_reviewer": "bkwiatkowska",
                                         "due": due,
                                         "platforms": ""}, token_from="/reviews/new")
    assert page.status_code == 302, page.text
    campaign_path = page.location
    first = _signed_in(app, clock, settings, db, "mwrobel", "reviewer")
    second = _signed_in(app, clock, settings, db, "gpietrzak", "reviewer")
    mine_a, mine_b = first.get("/reviews/mine").text, second.get("/reviews/mine").text
    ids_a, ids_b = set(ITEM_RE.findall(mine_a)), set(ITEM_RE.findall(mine_b))
    assert ids_a and ids_b and not ids_a & ids_b
    item_a, item_b = sorted(ids_a)[0], sorted(ids_b)[0]
    assert first.get(campaign_path).status_code == 403  # the campaign page is not for reviewers
    refused = first.post(f"/reviews/items/{item_b}", {"decision": "keep", "comment": "x"}, token_from="/reviews/mine")
    assert refused.status_code == 404
    assert first.post(f"/reviews/items/{item_a}", {"decision": "revoke"}, token_from="/reviews/mine").status_code == 302
    assert second.post(f"/reviews/items/{item_b}", {"decision": "keep", "comment": "still the page admin"},
                       token_from="/reviews/mine").status_code == 302
    no_token = second.client.post(f"/reviews/items/{item_b}", data={"decision": "revoke"},
                                  base_url="https://localhost")
    assert no_token.status_code == 400  # CSRF
    shown = officer.get(campaign_path).text
    assert "still the page admin" in shown and re.search(rf'id="item-{item_a}">.*?revoke.*?pending', shown, re.S)
    with db.session() as session:
        trail = audit_trail.list_entries(session, action="review_decided")
    assert {(e["actor"], e["target_id"]) for e in trail} == {("mwrobel", item_a), ("gpietrzak", item_b)}
