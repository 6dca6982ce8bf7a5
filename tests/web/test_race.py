"""N parallel sign-ins with the same valid code yield exactly one session (SQLite file and PostgreSQL)."""

from __future__ import annotations

import threading

from sqlalchemy import select

from auditor.accounts import audit_trail as web_audit
from auditor.accounts.tables import WebSession
from auditor.accounts.totp import code_at
from auditor.web import create_app
from tests.web.conftest import BASE_URL, Browser, csrf_of, enrolled_user

PARALLEL = 8


def test_parallel_logins_with_one_code_create_exactly_one_session(backend_settings, clock):
    app = create_app(backend_settings, clock=clock)
    db = app.extensions["auditor"].db
    try:
        seed = enrolled_user(backend_settings, db, "sofia", "security_officer")
        browsers = [Browser(app, clock) for _ in range(PARALLEL)]
        tokens = []
        for browser in browsers:
            assert browser.password("sofia").status_code == 302
            tokens.append(csrf_of(browser.get("/login/code").text))
        code = code_at(seed, clock())
        barrier = threading.Barrier(PARALLEL)
        results: list[int] = [0] * PARALLEL

        def submit(index: int) -> None:
            barrier.wait()
            response = browsers[index].client.post(
                "/login/code", data={"code": code, "method": "totp", "csrf_token": tokens[index]}, base_url=BASE_URL
            )
            results[index] = response.status_code

        threads = [threading.Thread(target=submit, args=(i,)) for i in range(PARALLEL)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert sorted(results) == [302] + [401] * (PARALLEL - 1)
        sessions = WebSession.__table__
        with db.session() as session:
            assert len(session.exec(select(sessions.c.id).where(sessions.c.stage == "full")).all()) == 1
            replays = web_audit.list_entries(session, action="totp_replay")
            logins = web_audit.list_entries(session, action="login")
        assert len(replays) == PARALLEL - 1 and len(logins) == 1
        winner = browsers[results.index(302)]
        assert winner.get("/dashboard").status_code == 200
    finally:
        db.dispose()
