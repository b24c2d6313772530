"""Width mappings for wide-range funnels (issue 13): log and rank, stated on the chart."""

from __future__ import annotations

import math

import pytest

from salesfunnel import Funnel, FunnelChart, Style
from salesfunnel.render.shapes import Ellipse, Layer, Text

BARE = Style(show_labels=False, show_title=False, show_legend=False)
AD = Funnel.from_counts(
    {"Impressions": 213_434_828, "Clicks": 38_165, "Leads": 2_669, "Sales": 872}, name="Ads"
)


def _rims(chart: FunnelChart) -> list[float]:
    """Rim half-widths (layout pixels) of the first funnel's stages, in stage order."""
    rims = {}
    for s in chart.geometry.shapes:
        if s.layer is Layer.RIM and isinstance(s.primitive, Ellipse) and s.region is not None:
            rims[chart.regions[s.region].stage] = s.primitive.rx
    return [rims.get(i, 0.0) for i in range(len(chart.funnels[0][1]))]


def test_log_width_is_log1p_of_the_count() -> None:
    rims = _rims(FunnelChart(AD, style=BARE, width_mapping="log"))
    for rim, count in zip(rims, AD.counts, strict=True):
        # hand rule: log(1 + count) / log(1 + largest count) of the widest rim
        assert rim / rims[0] == pytest.approx(math.log1p(count) / math.log1p(213_434_828))
    # 38,165 clicks: log(38,166) / log(213,434,829) = 10.550 / 19.179 of the first width
    # (linear: 0.018 %)
    assert rims[1] / rims[0] == pytest.approx(0.5501, abs=1e-4)


def test_rank_width_is_equal_steps_with_ties_and_zero() -> None:
    f = Funnel.from_counts({"A": 500, "B": 40, "C": 40, "D": 3, "E": 0})
    rims = _rims(FunnelChart(f, style=BARE, width_mapping="rank"))
    assert [round(r / rims[0], 6) for r in rims] == [
        1.0,
        round(2 / 3, 6),
        round(2 / 3, 6),
        round(1 / 3, 6),
        0.0,
    ]


def test_rank_is_shared_across_funnels() -> None:
    a = Funnel.from_counts({"A": 100, "B": 10})
    b = Funnel.from_counts({"A": 50, "B": 10})
    chart = FunnelChart({"a": a, "b": b}, style=BARE, width_mapping="rank")
    rx = {
        (chart.regions[s.region].funnel_index, chart.regions[s.region].stage): s.primitive.rx
        for s in chart.geometry.shapes
        if s.layer is Layer.RIM and isinstance(s.primitive, Ellipse) and s.region is not None
    }
    # levels 10 < 50 < 100: thirds of the widest
    assert rx[(1, 0)] / rx[(0, 0)] == pytest.approx(2 / 3)
    assert rx[(0, 1)] == pytest.approx(rx[(1, 1)])
    assert rx[(0, 1)] / rx[(0, 0)] == pytest.approx(1 / 3)


@pytest.mark.parametrize(
    ("mapping", "caption"),
    [
        ("sqrt", "Widths show the square root of each count"),
        ("log", "Widths show log(1 + count)"),
        ("rank", "Widths show each count's rank, in equal steps"),
    ],
)
def test_a_mapping_other_than_linear_is_stated(mapping: str, caption: str) -> None:
    chart = FunnelChart(AD, width_mapping=mapping)  # type: ignore[arg-type]
    texts = [s.primitive.text for s in chart.geometry.shapes if isinstance(s.primitive, Text)]
    assert caption in texts
    assert caption + "." in chart.alt_text()
    assert caption.replace("'", "&#39;") in chart.to_svg()


def test_linear_has_no_caption() -> None:
    chart = FunnelChart(AD)
    texts = [s.primitive.text for s in chart.geometry.shapes if isinstance(s.primitive, Text)]
    assert not any(t.startswith("Widths show") for t in texts)
    assert "Widths show" not in chart.alt_text()
