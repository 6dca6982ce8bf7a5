"""The ``dsar`` blueprint in a small Flask app that provides what the web UI's ``create_app`` provides to it: the
app context (settings, database, clock), the signed-in user on ``g.user``, ``csrf_token()`` and an access guard
reading the permission each view declares (with the role table proposed for ``auditor.accounts.roles``)."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from types import SimpleNamespace

import jinja2
import pytest
from flask import Flask, abort, g, request

from auditor.dsar import use_cases as service
from auditor.storage.db import open_database
from auditor.web import dsar_views, i18n
from auditor.web.guard import PERMISSION_ATTR
from tests.dsar import fixtures
from tests.dsar.conftest import NOW, Shop

PROPOSED = {"dsar.view": {"security_officer", "dpo"}, "dsar.manage": {"security_officer", "dpo"},
            "dsar.processing": {"admin", "security_officer", "dpo", "auditor"}}
STUB_BASE = ("<!doctype html><title>{% block title %}{% endblock %}</title>"
             "<div id='flashes'>{{ get_flashed_messages()|join(' | ') }}</div>{% block content %}{% endblock %}")


@dataclass
class User:
    username: str
    role: str
    display_name: str = "Officer"


@pytest.fixture
def web(shop: Shop) -> Iterator[tuple[Flask, SimpleNamespace]]:
    app = Flask("dsar-test", template_folder=str(shop.settings.templates_dir))
    app.secret_key = "test-only-secret"
    app.jinja_loader = jinja2.ChoiceLoader([jinja2.DictLoader({"base.html": STUB_BASE}),
                                           jinja2.FileSystemLoader(str(shop.settings.templates_dir))])
    app.jinja_env.globals["csrf_token"] = lambda: "token"
    i18n.install(app)  # as create_app: gettext in views and templates, the translated label filter
    db = open_database(shop.settings.storage_url)
    state = SimpleNamespace(user=User("olga", "security_officer"))
    app.extensions["auditor"] = SimpleNamespace(settings=shop.settings, db=db, now=lambda: NOW)

    @app.before_request
    def guard() -> None:
        g.user = state.user
        view = app.view_functions.get(request.endpoint or "")
        permission = getattr(view, PERMISSION_ATTR, None)
        if permission is None or state.user.role not in PROPOSED.get(permission, set()):
            abort(403)
        if request.method == "POST" and request.form.get("csrf_token") != "token":
            abort(400)

    app.register_blueprint(dsar_views.bp)
    try:
        yield app, state
    finally:
        db.dispose()


def post(client, url: str, **form: str):
    return client.post(url, data={"csrf_token": "token", **form})


def test_register_new_request_and_its_page(web) -> None:
    app, _ = web
    client = app.test_client()
    response = post(client, "/dsar/new", name="Michał Woźniak",
                    emails=f"{fixtures.MICHAL_WORK}, {fixtures.MICHAL_PRIVATE}",
                    handles=f"{fixtures.TIKTOK}=tt-7001", received="2026-10-31", channel="web")
    assert response.status_code == 302 and response.headers["Location"].endswith("/dsar/1")
    page = client.get("/dsar/1").get_data(as_text=True)
    assert "Request 1 registered; due 2026-11-30." in page
    assert 'id="dsar-due">2026-11-30<' in page and 'id="dsar-days-left">28<' in page
    assert "tt-7001" in page and 'name="csrf_token" value="token"' in page
    register = client.get("/dsar/").get_data(as_text=True)
    assert "Michał Woźniak" in register and "2026-11-30" in register
    assert "No closed requests." in client.get("/dsar/?status=closed").get_data(as_text=True)
    assert client.get("/dsar/?status=bogus").status_code == 400


def test_form_errors_are_shown_with_400(web) -> None:
    app, _ = web
    response = post(app.test_client(), "/dsar/new", name="X", emails="not-an-address")
    assert response.status_code == 400
    assert "is not an e-mail address" in response.get_data(as_text=True)
    response = post(app.test_client(), "/dsar/new", name="X", emails="x@example.org", received="yesterday")
    assert response.status_code == 400 and "is not a date" in response.get_data(as_text=True)


def test_steps_from_the_request_page_and_a_late_extension_refused(web) -> None:
    app, _ = web
    client = app.test_client()
    post(client, "/dsar/new", name="Jan", emails="jan@example.org", received="2026-09-15")
    response = post(client, "/dsar/1/step/stop-clock", reason="clarification", on="2026-09-20", note="which shop?")
    assert response.status_code == 302
    page = client.get("/dsar/1").get_data(as_text=True)
    assert "waiting for subject" in page and "which shop?" in page
    post(client, "/dsar/1/step/resume", on="2026-09-25")
    page = client.get("/dsar/1").get_data(as_text=True)
    assert 'id="dsar-due">2026-10-20<' in page  # 15 October + 5 days waited
    response = post(client, "/dsar/1/step/extend", reason="complex", notice_on="2026-11-01")
    assert response.status_code == 409
    assert "extension refused" in response.get_data(as_text=True)
    assert post(client, "/dsar/1/step/close", status="refused").status_code == 409  # a refusal needs a reason
    assert post(client, "/dsar/1/step/close", status="refused", reason="manifestly unfounded").status_code == 302
    assert "Next steps" not in client.get("/dsar/1").get_data(as_text=True)
    assert post(client, "/dsar/1/step/launch").status_code == 404
    assert client.get("/dsar/99").status_code == 404


def test_pack_downloads_a_zip_whose_hash_is_registered(web) -> None:
    app, _ = web
    client = app.test_client()
    post(client, "/dsar/new", name="Michał Woźniak", emails=fixtures.MICHAL_PRIVATE)
    response = post(client, "/dsar/1/pack", language="pl")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"] == 'attachment; filename="dsar-1-pack.zip"'
    names = zipfile.ZipFile(io.BytesIO(response.data)).namelist()
    assert {"dsar-1-letter.pdf", "dsar-1-export.json", "SHA256SUMS"} <= set(names)
    detail = service.show_request(app.extensions["auditor"].settings, 1, now=NOW)
    assert detail["pack_sha256"] == response.headers["X-Pack-SHA256"] and detail["packs"][0]["language"] == "pl"


def test_processing_page(web) -> None:
    app, _ = web
    page = app.test_client().get("/dsar/processing").get_data(as_text=True)
    assert "Records of processing of the auditor (Art. 30 GDPR)" in page
    assert 'id="activity-data-subject-requests"' in page and "Security measures (Art. 32)" in page


@pytest.mark.parametrize(("role", "register", "processing"), [
    ("security_officer", 200, 200), ("dpo", 200, 200), ("auditor", 403, 200), ("hr", 403, 403),
    ("admin", 403, 200),
])
def test_roles(web, role: str, register: int, processing: int) -> None:
    app, state = web
    state.user = User("someone", role)
    client = app.test_client()
    assert client.get("/dsar/").status_code == register
    assert client.get("/dsar/processing").status_code == processing
    assert post(client, "/dsar/new", name="X", emails="x@example.org").status_code in (
        (302,) if register == 200 else (403,))


def test_every_view_declares_the_documented_permission() -> None:
    app = Flask("check")
    app.register_blueprint(dsar_views.bp)
    declared = {endpoint: getattr(view, PERMISSION_ATTR) for endpoint, view in app.view_functions.items()
                if endpoint.startswith("dsar.")}
    assert declared == {
        "dsar.index": "dsar.view", "dsar.show": "dsar.view", "dsar.new": "dsar.manage", "dsar.create": "dsar.manage",
        "dsar.step": "dsar.manage", "dsar.pack": "dsar.manage", "dsar.erase": "dsar.manage",
        "dsar.processing": "dsar.processing",
    }


@pytest.mark.parametrize("language", ["../../../policies/rules/any", "x" * 300, "de", "EN", "en\x00"])
def test_the_pack_language_is_checked_against_the_allowed_values_at_the_edge(web, language) -> None:
    app, _ = web
    client = app.test_client()
    post(client, "/dsar/new", name="Jan", emails="jan@example.org")
    response = post(client, "/dsar/1/pack", language=language)
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "language: unknown value" in page and "en, pl" in page
    assert "yaml" not in page.lower() and "Traceback" not in page
    assert service.show_request(app.extensions["auditor"].settings, 1, now=NOW)["packs"] == []


def test_the_pack_form_offers_exactly_the_allowed_languages(web) -> None:
    from auditor.dsar.vocabulary import LANGUAGES
    from auditor.reporting.i18n import available_languages

    app, _ = web
    client = app.test_client()
    post(client, "/dsar/new", name="Jan", emails="jan@example.org")
    page = client.get("/dsar/1").get_data(as_text=True)
    offered = page.split('name="language"')[1].split("</select>")[0]
    assert [v for v in re.findall(r'value="([^"]*)"', offered) if v] == list(LANGUAGES)
    assert list(LANGUAGES) == available_languages(app.extensions["auditor"].settings.reports_dir / "dsar")
