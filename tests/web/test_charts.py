"""Server-side SVG charts: values as text, labels escaped and shortened, empty states."""

from __future__ import annotations

from auditor.web.charts import hbar_chart, trend_chart


def test_bars_carry_their_numbers_and_escape_labels():
    svg = str(hbar_chart([("critical", 6), ("<script>x</script>", 2)], title="By <severity>", class_prefix="sevbar"))
    assert svg.startswith("<svg") and 'aria-label="By &lt;severity&gt;"' in svg
    assert ">6</text>" in svg and ">2</text>" in svg
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert 'class="sevbar sevbar-critical"' in svg


def test_long_labels_are_shortened_with_the_full_text_as_a_title():
    svg = str(hbar_chart([("Kwiatek on YouTube (channel permissions)", 8)], title="t"))
    assert "<title>Kwiatek on YouTube (channel permissions)</title>Kwiatek on YouTube (channel…" in svg


def test_humanised_labels_and_empty_charts():
    assert ">orphaned access<" in str(hbar_chart([("orphaned_access", 1)], title="t", humanise=True))
    assert "none" in str(hbar_chart([], title="t"))
    assert "no scans yet" in str(trend_chart([]))


def test_trend_shows_open_new_and_resolved_per_scan():
    points = [{"id": 1, "open": 10, "new": 10, "resolved": 0}, {"id": 2, "open": 7, "new": 1, "resolved": 4}]
    svg = str(trend_chart(points))
    assert ">#1<" in svg and ">#2<" in svg and ">10</text>" in svg and ">7</text>" in svg
    assert "scan 2: 4 resolved" in svg and "scan 2: 1 new" in svg
    assert svg.count('class="trend-open-point"') == 3  # two points and the legend
