"""Inline SVG charts drawn on the server (no JavaScript, no images): horizontal bars, stacked bars, pairs.

Every function returns ``Markup`` ready to embed in a layout; labels are escaped here. Long labels are
shortened with an ellipsis inside the chart only: the tables next to each chart carry the full text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

SEVERITY_COLOURS = {
    "critical": "#8b1a1a", "high": "#d9480f", "medium": "#e8a317", "low": "#4c8fbd", "info": "#8c8c8c",
}
NEUTRAL = "#5b6770"
FONT = "DejaVu Sans"


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar: a label and its segments (value, colour) drawn left to right."""

    label: str
    segments: tuple[tuple[int, str], ...]

    @property
    def total(self) -> int:
        """The sum of the segments."""
        return sum(value for value, _ in self.segments)


def shorten(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis."""
    return text if len(text) <= limit else text[: max(limit - 1, 1)] + "…"


def _svg(width: float, height: float, body: list[str], title: str) -> Markup:
    return Markup(  # noqa: S704  # nosec B704: labels are escaped where they are put in, numbers are formatted here
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}pt" height="{height:.0f}pt" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" aria-label="{escape(title)}">'
        + "".join(body) + "</svg>"
    )


def bar_chart(bars: Sequence[Bar], *, title: str, width: float = 290, row: float = 14,
              label_width: float = 165, label_chars: int = 38,
              legend: Sequence[tuple[str, str]] = ()) -> Markup:
    """Horizontal bars, one row per ``Bar`` (segments stacked), the total printed after each bar; with
    ``legend`` ((label, colour) pairs) a key below the bars."""
    height = max(len(bars), 1) * row + 4 + (14 if legend else 0)
    largest = max((bar.total for bar in bars), default=0) or 1
    room = width - label_width - 28
    body: list[str] = []
    for index, bar in enumerate(bars):
        y = 2 + index * row
        body.append(
            f'<text x="{label_width - 4:.1f}" y="{y + row * 0.68:.1f}" font-family="{FONT}" font-size="7" '
            f'text-anchor="end" fill="#222">{escape(shorten(bar.label, label_chars))}</text>'
        )
        x = label_width
        for value, colour in bar.segments:
            if value <= 0:
                continue
            w = max(room * value / largest, 1.0)
            body.append(f'<rect x="{x:.1f}" y="{y + 2:.1f}" width="{w:.1f}" height="{row - 4:.1f}" '
                        f'fill="{colour}"/>')
            x += w
        body.append(
            f'<text x="{x + 3:.1f}" y="{y + row * 0.68:.1f}" font-family="{FONT}" font-size="7" '
            f'fill="#222">{bar.total}</text>'
        )
    x, y = label_width, max(len(bars), 1) * row + 6
    for name, colour in legend:
        body.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="7" height="7" fill="{colour}"/>')
        body.append(f'<text x="{x + 9:.1f}" y="{y + 6:.1f}" font-family="{FONT}" font-size="6.5" '
                    f'fill="#222">{escape(name)}</text>')
        x += 14 + 3.6 * len(name)
    return _svg(width, height, body, title)


def simple_bars(labels: Mapping[str, str], counts: Mapping[str, int], *, title: str) -> Markup:
    """One neutral bar per key of ``counts`` (in that order), labelled with ``labels``."""
    return bar_chart([Bar(labels.get(key, key), ((value, NEUTRAL),)) for key, value in counts.items()], title=title)


def severity_bars(counts: Mapping[str, int], labels: Mapping[str, str], *, title: str) -> Markup:
    """One bar per severity (critical first), in the severity colours."""
    bars = [Bar(labels[sev], ((counts.get(sev, 0), colour),)) for sev, colour in SEVERITY_COLOURS.items()]
    return bar_chart(bars, title=title)


def stacked_by_severity(rows: Mapping[str, Mapping[str, int]], *, title: str, limit: int = 14,
                        legend: Mapping[str, str] | None = None) -> Markup:
    """One bar per key (largest first, at most ``limit``), stacked by severity, with a severity legend
    (``legend``: severity -> its label; default the severity names)."""
    ordered = sorted(rows.items(), key=lambda item: (-sum(item[1].values()), item[0]))[:limit]
    bars = [
        Bar(label, tuple((counts.get(sev, 0), colour) for sev, colour in SEVERITY_COLOURS.items()))
        for label, counts in ordered
    ]
    names = legend or {sev: sev for sev in SEVERITY_COLOURS}
    key = [(names.get(sev, sev), colour) for sev, colour in SEVERITY_COLOURS.items()]
    return bar_chart(bars, title=title, width=480, label_width=190, label_chars=48, legend=key)


def paired_bars(pairs: Sequence[tuple[str, int, int]], legend: tuple[str, str], *, title: str,
                width: float = 250, label_width: float = 80) -> Markup:  # labels: severities, short
    """Two bars per label (before, now): the trend against the previous audit."""
    row = 20
    height = len(pairs) * row + 16
    largest = max((max(a, b) for _, a, b in pairs), default=0) or 1
    room = width - label_width - 24
    body: list[str] = []
    for index, (label, before, now) in enumerate(pairs):
        y = index * row
        body.append(f'<text x="{label_width - 4:.1f}" y="{y + 12:.1f}" font-family="{FONT}" font-size="7" '
                    f'text-anchor="end" fill="#222">{escape(shorten(label, 16))}</text>')
        for offset, value, colour in ((2, before, "#b9c2c9"), (10, now, NEUTRAL)):
            w = max(room * value / largest, 1.0) if value else 0.0
            if w:
                body.append(f'<rect x="{label_width:.1f}" y="{y + offset:.1f}" width="{w:.1f}" height="7" '
                            f'fill="{colour}"/>')
            body.append(f'<text x="{label_width + w + 3:.1f}" y="{y + offset + 6:.1f}" font-family="{FONT}" '
                        f'font-size="6" fill="#222">{value}</text>')
    y = len(pairs) * row + 4
    body.append(f'<rect x="{label_width:.1f}" y="{y:.1f}" width="8" height="6" fill="#b9c2c9"/>')
    body.append(f'<text x="{label_width + 11:.1f}" y="{y + 6:.1f}" font-family="{FONT}" font-size="6" '
                f'fill="#222">{escape(legend[0])}</text>')
    body.append(f'<rect x="{label_width + 90:.1f}" y="{y:.1f}" width="8" height="6" fill="{NEUTRAL}"/>')
    body.append(f'<text x="{label_width + 101:.1f}" y="{y + 6:.1f}" font-family="{FONT}" font-size="6" '
                f'fill="#222">{escape(legend[1])}</text>')
    return _svg(width, height, body, title)
