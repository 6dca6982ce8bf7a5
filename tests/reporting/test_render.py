"""The rendered PDFs (WeasyPrint, a handful of renders), read back with pypdf and poppler.

Each PDF is saved with one PNG per page under ``test-artifacts/reports/`` to look at.
"""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from auditor.dates import format_when
from auditor.demo.workspace import DEMO_PLATFORM
from auditor.findings.texts import Texts, finding_text
from auditor.reporting.use_cases import build_report
from auditor.storage.tables import DirectoryPerson, Finding, InvAccount
from tests.reporting.builders import LONG_ASSET, PEOPLE
from tests.reporting.conftest import PARTIAL_LEAVER, SECOND_SCAN, Demo, Rendered, keep_rendered
from tests.reporting.pdf import Pdf, squash, words_outside_page

F, A = Finding.__table__, InvAccount.__table__


@pytest.fixture(scope="module")
def review(demo: Demo) -> Rendered:
    pdf, entry = build_report(demo.settings, "access-review", generated_by="Łukasz Żółć", platform=DEMO_PLATFORM)
    return keep_rendered("access-review-meta-en", pdf, entry)


@pytest.fixture(scope="module")
def review_pl(demo: Demo) -> Rendered:
    settings = demo.settings.model_copy(update={"language": "pl"})
    return keep_rendered("access-review-by-manager-pl",
                 *build_report(settings, "access-review", generated_by="Zoë", by_manager=True))


@pytest.fixture(scope="module")
def offboarding(demo: Demo) -> Rendered:
    return keep_rendered("offboarding-en", *build_report(demo.settings, "offboarding", generated_by="hr",
                                                 person=PARTIAL_LEAVER))


def _page_numbers(pdf: Pdf, page: str, of: str) -> None:
    total = len(pdf.pages)
    assert total > 1
    for number, text in enumerate(pdf.pages, 1):
        assert f"{page} {number} {of} {total}" in text, f"page {number}"


def _footer(rendered: Rendered) -> None:
    for number, text in enumerate(rendered.pdf.squashed, 1):
        assert rendered.entry.id in text and rendered.entry.manifest_sha256 in text, f"footer of page {number}"


def test_audit_has_every_critical_finding_with_its_evidence(demo: Demo, cli_audit: Rendered) -> None:
    pdf = cli_audit.pdf
    critical = demo.query(select(F.c.id, F.c.message, F.c.rule, F.c.evidence).where(F.c.status == "open",
                                                                                    F.c.severity == "critical"))
    assert critical
    key_section = pdf.pages_with("Critical and high findings")[-1]
    shown = Texts(language="en", timezone=demo.settings.timezone)
    for row in critical:  # the readable message, not the stored machine one
        pages = [i for i in pdf.pages_with(finding_text(row, shown)["message"]) if i >= key_section]
        assert pages, f"critical finding F-{row['id']} missing"
        assert any(f"F-{row['id']}" in pdf.squashed[i] for i in pages)
    assert pdf.pages_with("Why it matters:") and pdf.pages_with("What to do:")
    assert pdf.pages_with("Person: days since departure")  # evidence facts are printed, labelled


def test_audit_counts_and_list_match_the_database(demo: Demo, cli_audit: Rendered) -> None:
    pdf = cli_audit.pdf
    rows = demo.query(select(F.c.id, F.c.rule, F.c.message, F.c.severity, F.c.evidence).where(
        F.c.status == "open", F.c.outcome != "coverage"))  # coverage notes are no open findings
    summary = pdf.squashed[pdf.pages_with("Executive summary")[1]]  # [0]: the table of contents
    assert f"{len(rows)}openfindings" in summary
    critical = sum(1 for r in rows if r["severity"] == "critical")
    assert f"{critical}criticaland" in summary
    start = pdf.pages_with("Appendix B: all open findings")[-1]
    appendix = pdf.squashed[start:]
    header = squash("Ref Severity Category / Platform Subject Finding First seen")
    refs = set()
    for text in appendix:
        assert header in text  # the table header repeats on every page of the list
        refs |= {int(ref) for ref in re.findall(r"F-(\d+)", text)}
    assert refs == {r["id"] for r in rows}
    shown = Texts(language="en", timezone=demo.settings.timezone)
    for row in rows:  # no row is split across pages: reference and whole readable title on one page
        title = squash(finding_text(row, shown)["title"])
        assert any(f"F-{row['id']}" in text and title in text for text in appendix), row["id"]
    assert len(appendix) >= 2


def test_audit_pages_footer_metadata_and_layout(cli_audit: Rendered) -> None:
    _page_numbers(cli_audit.pdf, "page", "of")
    _footer(cli_audit)
    metadata = PdfReader(io.BytesIO(cli_audit.pdf.data)).metadata
    assert metadata["/auditorreportid"] == cli_audit.entry.id
    assert metadata["/auditormanifestsha256"] == cli_audit.entry.manifest_sha256
    assert cli_audit.entry.pages == len(cli_audit.pdf.pages)
    assert cli_audit.pdf.pages_with("Appendix A: control mapping")
    assert cli_audit.pdf.pages_with("A.6.5 Responsibilities after termination or change of employment")
    assert cli_audit.pdf.pages_with("Trend against the previous audit")
    assert words_outside_page(cli_audit.path) == []


def test_access_review_lists_every_account_under_repeated_headers(demo: Demo, review: Rendered) -> None:
    pdf = review.pdf
    header = squash("Person Account Role and assets 2FA Last activity Decision")
    apps_header = squash("App Scopes Authorised by Last used Decision")
    decisions = [i for i, text in enumerate(pdf.squashed) if "keepremovemodify" in text]
    assert all(header in pdf.squashed[i] or apps_header in pdf.squashed[i] for i in decisions)
    rows = [i for i in decisions if header in pdf.squashed[i]]
    assert len(rows) >= 5  # one table over many pages, its header repeated on each
    present = demo.query(select(A.c.account_id, A.c.name, A.c.emails).where(A.c.gone_at.is_(None),
                                                                           A.c.platform == DEMO_PLATFORM))
    assert review.entry.summary["accounts"] == len(present)
    assert review.entry.scope == {"platform": DEMO_PLATFORM, "person": None, "by_manager": False}
    assert not pdf.pages_with("Kwiatek on LinkedIn")
    for account in present:
        label = account["name"] or account["account_id"]
        assert any(squash(label) in pdf.squashed[i] and all(squash(e) in pdf.squashed[i] for e in account["emails"])
                   for i in rows), label
    assert pdf.pages_with("Signature") and pdf.pages_with("Asset owner")
    _page_numbers(pdf, "page", "of")
    _footer(review)
    assert words_outside_page(review.path) == []


def test_access_review_by_manager_in_polish(demo: Demo, review_pl: Rendered) -> None:
    pdf = review_pl.pdf
    _page_numbers(pdf, "strona", "z")
    assert pdf.pages_with("Przegląd uprawnień według przełożonych")
    assert pdf.pages_with("zachowaćusunąćzmienić")
    people = {r["uid"]: r for r in demo.query(select(DirectoryPerson.__table__))}
    linked = demo.query(select(A.c.person_uid).where(A.c.gone_at.is_(None), A.c.person_uid.is_not(None)))
    managers = {people[row["person_uid"]]["manager"] for row in linked} - {None}
    assert managers
    for manager in managers:
        assert pdf.pages_with(f"Przegląd wykonuje: {people[manager]['display_name']}"), manager
    assert pdf.pages_with("Łukasz Żółć") and pdf.pages_with("Zoë Lefèvre")
    assert pdf.pages_with("Konta niepowiązane z żadną osobą")
    assert words_outside_page(review_pl.path) == []


def test_offboarding_evidence(demo: Demo, offboarding: Rendered) -> None:
    pdf = offboarding.pdf
    text = pdf.text
    assert "Paweł Kamiński" in text and "pkaminski" in text
    # when the ad-account role was seen gone, by the one date formatter in the configured zone
    assert pdf.pages_with(format_when(SECOND_SCAN, tz=demo.settings.timezone))
    assert "STILL OPEN" in text and "removed" in text
    assert pdf.pages_with("Access still open")
    assert pdf.pages_with("Activity after leaving") and pdf.pages_with("update_campaign_budget")
    assert pdf.pages_with("HR") and pdf.pages_with("Signature")
    _page_numbers(pdf, "page", "of")
    assert words_outside_page(offboarding.path) == []


def test_zero_findings_audit_in_polish(edge: tuple[Rendered, Rendered]) -> None:
    audit = edge[0]
    assert audit.pdf.pages_with("Brak otwartych ustaleń")
    assert audit.pdf.pages_with("Brak otwartych ustaleń krytycznych i wysokich.")
    assert audit.pdf.pages_with("Każda platforma została w ostatnim skanie odczytana w całości.")
    assert audit.pdf.pages_with("Żółta Łąka sp. z o.o.")
    assert audit.entry.summary["open"] == 0 and audit.entry.summary["posture"] == "clean"
    _page_numbers(audit.pdf, "strona", "z")
    assert words_outside_page(audit.path) == []


def test_long_and_unicode_names_are_not_clipped(edge: tuple[Rendered, Rendered]) -> None:
    review = edge[1]
    assert len(LONG_ASSET) == 300
    hits = [i for i, text in enumerate(review.pdf.squashed) for _ in range(text.count(squash(LONG_ASSET)))]
    assert len(hits) == len(PEOPLE)  # the whole name, once per grant
    for _uid, name, _manager, mail in PEOPLE:
        assert review.pdf.pages_with(name) and review.pdf.pages_with(mail)
    assert words_outside_page(review.path) == []
