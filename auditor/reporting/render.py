"""HTML from the Jinja2 layouts of ``reports/layouts`` (autoescape on), then PDF with WeasyPrint.

The stylesheet is ``reports/style.css``; the page size and the running footer (report id, SHA-256 of the
content manifest, "page X of Y" in the report's language) are generated CSS. WeasyPrint may not fetch
anything: layouts reference no external resource and the URL fetcher refuses every URL. The DSAR letter
(``auditor/dsar/letter.py``) renders through the same environment and ``html_to_pdf`` from ``reports/dsar``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from auditor.reporting import charts
from auditor.reporting.errors import ReportError
from auditor.reporting.i18n import Translator

LAYOUTS = {"audit": "audit.html", "access-review": "access_review.html", "offboarding": "offboarding.html",
           "review-campaign": "review_campaign.html"}
PAPER_SIZES = {"A4": "A4", "letter": "letter"}


@dataclass(frozen=True, slots=True)
class RenderedPdf:
    """A rendered report: the PDF bytes and its page count."""

    data: bytes
    pages: int


def css_string(text: str) -> str:
    """``text`` as a quoted CSS string."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\A ")
    return f'"{escaped}"'


def page_css(translator: Translator, report_id: str, manifest_digest: str, title: str, paper: str) -> str:
    """The page size, running header and footer of every page (margin boxes need their own font)."""
    footer = translator("footer.identity", id=report_id, sha256=manifest_digest)
    page = translator("footer.page")
    of = translator("footer.of")
    return (
        f"@page {{ size: {PAPER_SIZES.get(paper, 'A4')}; "
        f"@top-left {{ content: {css_string(title)}; }} "
        f"@bottom-left {{ content: {css_string(footer)}; }} "
        f"@bottom-right {{ content: {css_string(page + ' ')} counter(page) {css_string(' ' + of + ' ')} "
        "counter(pages); } }\n"
        "@page :first { @top-left { content: none; } }\n"
    )


def environment(templates: Path) -> jinja2.Environment:
    """The Jinja2 environment of the layouts in ``templates``: autoescape on, undefined names are errors."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(reports_dir: Path, kind: str, context: dict[str, Any], translator: Translator) -> str:
    """The report's HTML: layout ``LAYOUTS[kind]`` with the translator, formatters and chart helpers."""
    env = environment(reports_dir / "layouts")
    env.globals.update(t=translator, charts=charts)
    env.filters.update(
        date=translator.date, datetime=translator.datetime, number=translator.number, tristate=translator.tristate,
    )
    try:
        template = env.get_template(LAYOUTS[kind])
    except jinja2.TemplateNotFound as exc:
        raise ReportError(f"{reports_dir / 'layouts' / str(exc.name)}: report layout not found") from exc
    return template.render(**context)


def _url_fetcher() -> Any:
    """A fetcher that refuses every URL (WeasyPrint >= 66 has a class; older releases take a function)."""
    try:
        from weasyprint.urls import URLFetcher
    except ImportError:  # pragma: no cover - older WeasyPrint

        def refuse(url: str) -> Any:
            raise ValueError(f"layouts may not fetch {url}")

        return refuse
    return URLFetcher(allowed_protocols=())


def html_to_pdf(html: str, folder: Path, extra_css: str) -> RenderedPdf:
    """Render with WeasyPrint (imported here: it takes a second to load) and ``folder/style.css``, relative URLs
    against ``folder``; custom <meta> go to the PDF info."""
    import weasyprint

    stylesheet = folder / "style.css"
    if not stylesheet.is_file():
        raise ReportError(f"{stylesheet}: report stylesheet not found")
    fetcher = _url_fetcher()
    document = weasyprint.HTML(string=html, base_url=str(folder), url_fetcher=fetcher).render(
        stylesheets=[
            weasyprint.CSS(filename=str(stylesheet), url_fetcher=fetcher),
            weasyprint.CSS(string=extra_css, url_fetcher=fetcher),
        ],
    )
    return RenderedPdf(data=document.write_pdf(custom_metadata=True), pages=len(document.pages))
