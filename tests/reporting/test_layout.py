"""Layout plumbing without a full report: generated page CSS, escaping, and the URL fetcher's refusal."""

from __future__ import annotations

import logging

import pytest

from auditor.config import shipped_dir
from auditor.reporting import charts
from auditor.reporting.errors import ReportError
from auditor.reporting.i18n import load_translator
from auditor.reporting.render import css_string, html_to_pdf, page_css, render_html

REPORTS = shipped_dir("reports")


def test_page_css_carries_translated_footer_and_escapes_strings() -> None:
    css = page_css(load_translator(REPORTS, "pl"), "AUD-20261102-0A0B0C0D", "ab" * 32, 'Audyt "Żółć"', "letter")
    assert "size: letter;" in css
    assert '"Raport AUD-20261102-0A0B0C0D · SHA-256 treści ' + "ab" * 32 + '"' in css
    assert '"strona " counter(page) " z " counter(pages)' in css
    assert '"Audyt \\"Żółć\\""' in css
    assert css_string("a\\b\nc") == '"a\\\\b\\A c"'


def test_layouts_never_fetch_anything(caplog: pytest.LogCaptureFixture) -> None:
    html = ('<p>x</p><img src="file:///etc/hostname"><img src="http://127.0.0.1:9/a.png">'
            '<link rel="stylesheet" href="https://example.com/x.css">')
    with caplog.at_level(logging.ERROR, logger="weasyprint"):
        pdf = html_to_pdf(html, REPORTS, "")
    assert pdf.pages == 1 and pdf.data.startswith(b"%PDF")
    refused = [r.getMessage() for r in caplog.records if "disallowed protocol" in r.getMessage()]
    assert len(refused) == 3


def test_data_is_escaped_in_layouts_and_charts() -> None:
    svg = charts.simple_bars({"a": "<script>alert(1)</script>"}, {"a": 3}, title='"x"')
    assert "<script>" not in svg and "&lt;script&gt;" in svg and 'aria-label="&#34;x&#34;"' in svg
    header = {"id": "AUD-20261102-0A0B0C0D", "kind": "offboarding", "title": "<b>t</b>", "generated_at": "",
              "generated_by": "<img src=x>", "language": "en", "scan_ids": [], "tool": "t",
              "scope": {"platform": None, "person": "u", "by_manager": False}}
    person = {"uid": "u", "display_name": "<i>Zoë</i>", "emails": [], "status": "departed", "kind": "employee",
              "department": "<b>IT</b>", "manager": None, "end_date": None, "vanished_at": None}
    content = {"organisation": None, "person": person,
               "departed_on": None, "as_of": None, "accounts": [], "findings": [], "events": [],
               "events_truncated": False, "platforms": [], "scan_ids": [],
               "summary": {"accounts": 0, "grants": 0, "grants_removed": 0, "apps": 0, "complete": True,
                           "last_removal": None, "open": {}}}
    html = render_html(REPORTS, "offboarding", {"report": header, "content": content, "manifest_sha256": "0"},
                       load_translator(REPORTS, "en"))
    assert "<img src=x>" not in html and "&lt;img src=x&gt;" in html
    assert "<i>Zoë</i>" not in html and "&lt;i&gt;Zoë&lt;/i&gt;" in html
    assert "<b>IT</b>" not in html and "<b>t</b>" not in html


def test_unknown_layout_is_a_report_error(tmp_path) -> None:
    (tmp_path / "layouts").mkdir()
    with pytest.raises(ReportError, match="audit.html: report layout not found"):
        render_html(tmp_path, "audit", {}, load_translator(REPORTS, "en"))
    with pytest.raises(ReportError, match="style.css: report stylesheet not found"):
        html_to_pdf("<p>x</p>", tmp_path, "")
