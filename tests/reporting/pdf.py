"""PDF inspection for the report tests: text per page (pypdf), word boxes (poppler's pdftotext -bbox), and
PNG artefacts (pdftoppm) under ``test-artifacts/reports/`` to look at after a run.
"""

from __future__ import annotations

import io
import re
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from pypdf import PdfReader

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "reports"


def squash(text: str) -> str:
    """``text`` without any whitespace (wrapped lines and cells compare equal to the source value)."""
    return re.sub(r"\s+", "", text)


@dataclass(frozen=True)
class Pdf:
    """A rendered report: bytes, the text of each page, and the same text squashed."""

    data: bytes
    pages: list[str]
    squashed: list[str]

    @classmethod
    def of(cls, data: bytes) -> Pdf:
        pages = [page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages]
        return cls(data=data, pages=pages, squashed=[squash(text) for text in pages])

    def pages_with(self, value: str) -> list[int]:
        """Indexes of the pages whose squashed text contains the squashed ``value``."""
        needle = squash(value)
        return [i for i, text in enumerate(self.squashed) if needle in text]

    @property
    def text(self) -> str:
        return "\n".join(self.pages)


def words_outside_page(path: Path, margin: float = 0.5) -> list[str]:
    """Every word whose box is not inside its page (poppler's word boxes): clipped or run-off text."""
    out = path.with_suffix(".bbox.html")
    subprocess.run(["pdftotext", "-bbox", str(path), str(out)], check=True, capture_output=True)
    text = out.read_text(encoding="utf-8")
    out.unlink()
    text = re.sub(r"<!DOCTYPE[^>]*>", "", text).replace('xmlns="http://www.w3.org/1999/xhtml"', "")
    bad: list[str] = []
    root = ET.fromstring(text)  # noqa: S314 - poppler's rendering of a PDF this test suite made
    for number, page in enumerate(root.iter("page"), 1):
        width, height = float(page.get("width")), float(page.get("height"))
        for word in page.iter("word"):
            x0, y0 = float(word.get("xMin")), float(word.get("yMin"))
            x1, y1 = float(word.get("xMax")), float(word.get("yMax"))
            if x0 < -margin or y0 < -margin or x1 > width + margin or y1 > height + margin:
                bad.append(f"page {number}: {word.text!r} at ({x0:.0f},{y0:.0f})-({x1:.0f},{y1:.0f})")
    return bad


def save_artifacts(name: str, data: bytes, *, resolution: int = 50) -> Path:
    """Write ``name``.pdf and one PNG per page (``name``-N.png) under test-artifacts/reports/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob(f"{name}-*.png"):
        old.unlink()
    path = ARTIFACTS / f"{name}.pdf"
    path.write_bytes(data)
    subprocess.run(["pdftoppm", "-r", str(resolution), "-png", str(path), str(ARTIFACTS / name)], check=True,
                   capture_output=True)
    return path
