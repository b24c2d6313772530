"""Snapshots as bars (issue 13): ``FunnelChart(..., shape="bars")`` and its default."""

from __future__ import annotations

import itertools

import pytest

from salesfunnel import (
    DealLog,
    Funnel,
    FunnelChart,
    FunnelDataError,
    Pipeline,
    Style,
    active_funnel,
)
from salesfunnel.render.shapes import Ellipse, Layer, Line, Side

SNAPSHOT = Funnel.from_counts({"Lead": 20, "Qualified": 31, "Meeting": 27, "Won": 9})
NARROWING = Funnel.from_counts({"Lead": 100, "Offer": 40, "Won": 10})
BARE = Style(show_labels=False, show_title=False, show_legend=False)


def _sides(chart: FunnelChart) -> list[Side]:
    return [s.primitive for s in chart.geometry.shapes if isinstance(s.primitive, Side)]


def test_bars_are_flat_centred_apart_and_as_wide_as_their_counts() -> None:
    chart = FunnelChart(SNAPSHOT, width=400, height=300, style=BARE)
    assert chart.shape == "bars"  # Qualified 31 > Lead 20: not a narrowing funnel
    sides = _sides(chart)
    assert len(sides) == 4
    for side in sides:
        assert side.r1 == side.r0  # no taper
        assert side.b0 == side.b1 == 0  # no ellipse
        assert side.cx == sides[0].cx  # centred under each other
    # hand check: widths against the widest count, 31
    assert [s.r0 / sides[1].r0 for s in sides] == pytest.approx([20 / 31, 1, 27 / 31, 9 / 31])
    # each bar ends above the next one's top: a visible gap
    for upper, lower in itertools.pairwise(sides):
        assert lower.y0 - upper.y1 >= 2
    # no ellipse anywhere: no rims, no covers, no bowls
    assert not [s for s in chart.geometry.shapes if isinstance(s.primitive, Ellipse)]
    assert {r.part for r in chart.regions} == {"side"}


def test_a_bar_is_outlined_by_four_lines_dashed_when_boosted() -> None:
    tiny = Funnel.from_counts({"Lead": 1000, "Won": 1, "Paid": 5})
    chart = FunnelChart(tiny, width=400, height=300, style=BARE, min_visible=0.2)
    lines = [
        (chart.regions[s.region].stage, s.primitive)
        for s in chart.geometry.shapes
        if s.layer is Layer.OUTLINE and isinstance(s.primitive, Line) and s.region is not None
    ]
    assert sorted(stage for stage, _ in lines) == [0] * 4 + [1] * 4 + [2] * 4
    assert [line.dashed for stage, line in lines if stage == 1] == [True] * 4  # boosted
    assert [line.dashed for stage, line in lines if stage == 0] == [False] * 4


def test_a_click_on_a_bar_decodes_to_its_stage() -> None:
    chart = FunnelChart(SNAPSHOT, width=400, height=300, style=BARE)
    for i, side in enumerate(_sides(chart)):
        hit = chart.hit_test(side.cx, (side.y0 + side.y1) / 2)
        assert hit is not None
        assert (hit.stage, hit.name, hit.part) == (i, SNAPSHOT.stages[i].name, "side")
        gap = chart.hit_test(side.cx + side.r0 + 3, (side.y0 + side.y1) / 2)
        assert gap is None or gap.stage != i  # beside the bar is not the bar


def test_the_default_shape_follows_the_data() -> None:
    assert FunnelChart(NARROWING, width=200, height=150).shape == "funnel"
    assert FunnelChart(SNAPSHOT, width=200, height=150).shape == "bars"
    # a zero stage then a smaller count than every earlier non-zero one still narrows
    zero = Funnel.from_counts({"A": 120, "B": 40, "C": 0, "D": 8})
    assert FunnelChart(zero, width=200, height=150).shape == "funnel"
    # one growing funnel among several: all drawn as bars, on one form
    both = {"n": NARROWING, "s": SNAPSHOT}
    assert FunnelChart(both, width=300, height=150).shape == "bars"
    assert FunnelChart(SNAPSHOT, width=200, height=150, shape="funnel").shape == "funnel"
    assert FunnelChart(NARROWING, width=200, height=150, shape="bars").shape == "bars"


def test_an_open_deal_snapshot_is_bars_even_when_it_narrows() -> None:
    pipeline = Pipeline(["Call", "Offer"], won="Won", lost="Lost")
    rows = [{"deal": f"d{k}", "stage": "Call", "time": "2024-01-02"} for k in range(3)]
    rows.append({"deal": "d0", "stage": "Offer", "time": "2024-01-03"})
    snapshot = active_funnel(DealLog.from_records(rows, pipeline))
    assert snapshot.funnel.counts.tolist() == [2, 1]  # narrows, yet a snapshot
    assert FunnelChart(snapshot.funnel, width=200, height=150).shape == "funnel"
    assert FunnelChart(snapshot, width=200, height=150).shape == "bars"
    assert FunnelChart({"Ann": snapshot}, width=200, height=150).shape == "bars"
    assert FunnelChart([snapshot], width=200, height=150).shape == "bars"


def test_a_bad_shape_is_refused_with_its_value() -> None:
    with pytest.raises(
        FunnelDataError, match=r"shape must be one of 'funnel', 'bars' \(got 'cone'\)"
    ):
        FunnelChart(NARROWING, shape="cone")  # type: ignore[arg-type]


def test_bars_draw_the_same_bytes_twice_and_match_svg_and_png_structure() -> None:
    chart = FunnelChart(SNAPSHOT, width=300, height=200)
    again = FunnelChart(SNAPSHOT, width=300, height=200)
    assert chart.to_png() == again.to_png()
    assert chart.to_svg() == again.to_svg()
    assert chart.to_svg().count('data-part="side"') >= 4
