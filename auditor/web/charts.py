"""Inline SVG charts drawn on the server: horizontal bars and a scan trend.

Every bar and point carries its number as text, so nothing is read from colour alone; colours come from CSS
classes (the stylesheet), since the Content-Security-Policy allows no inline styles. Labels are escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from markupsafe import Markup, escape

from auditor.web.i18n import gettext as _
from auditor.web.i18n import term, translated

BAR_HEIGHT = 22
BAR_GAP = 6
LABEL_WIDTH = 190
CHART_WIDTH = 520
MAX_LABEL = 28


def hbar_chart(
    items: Sequence[tuple[str, int]], *, title: str, class_prefix: str = "bar", humanise: bool = False
) -> Markup:
    """Horizontal bars, one per (key, value), CSS class ``prefix-key``; ``humanise`` shows ``a_b`` as ``a b``."""
    peak = max((value for _, value in items), default=0) or 1
    height = max(1, len(items)) * (BAR_HEIGHT + BAR_GAP) + BAR_GAP
    span = CHART_WIDTH - LABEL_WIDTH - 60
    parts = [
        f'<svg class="chart" viewBox="0 0 {CHART_WIDTH} {height}" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    if not items:
        empty = escape(_("none"))
        parts.append(f'<text x="0" y="{BAR_HEIGHT - 6}" class="chart-empty">{empty}</text>')
    for index, (key, value) in enumerate(items):
        y = BAR_GAP + index * (BAR_HEIGHT + BAR_GAP)
        width = round(span * value / peak) if value else 0
        label = translated(key.replace("_", " ") if humanise else key)  # known terms in the UI language
        shown = label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…"
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + BAR_HEIGHT - 6}" text-anchor="end" class="chart-label">'
            f"<title>{escape(label)}</title>{escape(shown)}</text>"
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{max(width, 1)}" height="{BAR_HEIGHT}" '
            f'class="{escape(class_prefix)} {escape(class_prefix)}-{escape(key)}"/>'
            f'<text x="{LABEL_WIDTH + max(width, 1) + 6}" y="{y + BAR_HEIGHT - 6}" class="chart-value">{value}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  # nosec B704: every interpolated label is escaped above


def trend_chart(points: Sequence[dict[str, Any]], *, title: str | None = None) -> Markup:
    """Open findings per scan as a line with its values, new (up) and resolved (down) as small bars."""
    title = title or _("Open findings over the last scans")
    width, height, left, top, bottom = 640, 220, 40, 20, 40
    inner_w, inner_h = width - left - 20, height - top - bottom
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    if not points:
        empty = escape(_("no scans yet"))
        parts.append(f'<text x="{left}" y="{top + 20}" class="chart-empty">{empty}</text></svg>')
        return Markup("".join(parts))  # noqa: S704  # nosec B704: constant text
    peak = max(max(p["open"], p["new"], p["resolved"]) for p in points) or 1
    step = inner_w / max(1, len(points))
    base = top + inner_h
    coords = []
    for index, point in enumerate(points):
        x = left + step * index + step / 2
        y = base - inner_h * point["open"] / peak
        coords.append((x, y))
        bar = min(24.0, max(3.0, step * 0.18))
        new_text = escape(_("scan %(id)s: %(count)s new", id=point["id"], count=point["new"]))
        resolved_text = escape(_("scan %(id)s: %(count)s resolved", id=point["id"], count=point["resolved"]))
        new_h = inner_h * point["new"] / peak
        res_h = inner_h * point["resolved"] / peak
        parts.append(
            f'<rect x="{x - bar - 1:.1f}" y="{base - new_h:.1f}" width="{bar:.1f}" height="{new_h:.1f}" '
            f'class="trend-new"><title>{new_text}</title></rect>'
            f'<rect x="{x + 1:.1f}" y="{base - res_h:.1f}" width="{bar:.1f}" height="{res_h:.1f}" '
            f'class="trend-resolved"><title>{resolved_text}</title></rect>'
            f'<text x="{x:.1f}" y="{base + 16}" text-anchor="middle" class="chart-label">#{point["id"]}</text>'
        )
    path = " ".join(f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}" for i, (x, y) in enumerate(coords))
    parts.append(f'<path d="{path}" class="trend-open"/>')
    for (x, y), point in zip(coords, points, strict=True):
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" class="trend-open-point"/>'
            f'<text x="{x:.1f}" y="{y - 8:.1f}" text-anchor="middle" class="chart-value">{point["open"]}</text>'
        )
    new = escape(_("new"))
    parts.append(
        f'<line x1="{left}" y1="{base}" x2="{width - 20}" y2="{base}" class="axis"/>'
        f'<g class="legend"><rect x="{left}" y="{height - 14}" width="10" height="10" class="trend-new"/>'
        f'<text x="{left + 14}" y="{height - 5}" class="chart-label">{new}</text>'
        f'<rect x="{left + 60}" y="{height - 14}" width="10" height="10" class="trend-resolved"/>'
        f'<text x="{left + 74}" y="{height - 5}" class="chart-label">{escape(term("resolved"))}</text>'
        f'<circle cx="{left + 155}" cy="{height - 9}" r="4" class="trend-open-point"/>'
        f'<text x="{left + 163}" y="{height - 5}" class="chart-label">{escape(term("open"))}</text></g></svg>'
    )
    return Markup("".join(parts))  # noqa: S704  # nosec B704: numbers and escaped text only
