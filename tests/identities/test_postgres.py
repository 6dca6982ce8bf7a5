"""The queue, the identities view and the free-text search on PostgreSQL (JSON cast to text, row-value IN,
string concatenation): the same answers as on SQLite, over the demo's Meta business scanned into each backend."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from auditor.config import StorageSettings
from auditor.findings.queries import FindingFilter
from auditor.identities.queries import identities
from auditor.identities.queue import person_queue, unmatched_queue
from auditor.services.scan import run_scan
from auditor.storage.db import open_database
from auditor.storage.tables import Finding
from tests.identities.conftest import NOW


@pytest.fixture(params=["sqlite", "postgresql"])
def backend_db(request, settings, tmp_path):
    """The Meta business scanned into a fresh SQLite file or PostgreSQL database."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'fresh.db'}"
    else:
        url = request.getfixturevalue("postgres_cluster").create_database()
    run_scan(settings.model_copy(update={"storage": StorageSettings(url=url)}), now=NOW)
    db = open_database(url)
    yield db
    db.dispose()
    if request.param == "postgresql":
        request.getfixturevalue("postgres_cluster").drop_database(make_url(url).database or "")


def test_search_queue_and_identities_on_each_backend(backend_db):
    table = Finding.__table__
    with backend_db.session() as session:
        by_email = session.exec(select(table.c.rule).where(
            *FindingFilter.from_args({"q": "OLA.KUREK@pixel"}).clauses())).all()
        by_name = session.exec(select(table.c.person).where(
            *FindingFilter.from_args({"q": "Paweł Kamiński"}).clauses())).all()
        people = person_queue(session, NOW.date(), 1, 100)
        unmatched = unmatched_queue(session, 1, 100)
        rows = identities(session, q="pixel-agency", show="unmatched")
    assert [r[0] for r in by_email] == ["unmatched-account"]
    assert by_name and {r[0] for r in by_name} == {"pkaminski"}
    assert people.entries[0].leaver and any(e.grants for e in people.entries if e.key == "pkaminski")
    assert "ola.kurek@pixel-agency.example" in {e.key for e in unmatched.entries}
    assert [(r.email, r.state) for r in rows] == [("ola.kurek@pixel-agency.example", "unmatched")]
