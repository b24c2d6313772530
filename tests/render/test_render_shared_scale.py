"""One scale over several charts (issue 13): ``FunnelChart(..., scale_to=N)``."""

from __future__ import annotations

import pytest

from salesfunnel import Funnel, FunnelChart, FunnelDataError
from salesfunnel.render.shapes import Ellipse, Layer

PAGE_1 = {"Melvin": Funnel.from_counts({"Lead": 2669, "Won": 900})}
PAGE_2 = {"Rocco": Funnel.from_counts({"Lead": 1516, "Won": 300})}
BARE = {"width": 400, "height": 300}


def _rim_rx(chart: FunnelChart) -> list[float]:
    return [
        s.primitive.rx
        for s in chart.geometry.shapes
        if s.layer is Layer.RIM and isinstance(s.primitive, Ellipse)
    ]


def _big_r(chart: FunnelChart) -> float:
    """The widest possible rim: the lone funnel's first stage on its own scale."""
    return _rim_rx(chart)[0]


def test_two_charts_with_one_scale_to_have_widths_proportional_to_counts() -> None:
    # Hand check: on its own scale each chart draws its first stage full width (Rocco
    # as wide as Melvin, the bug); with scale_to=2669 Rocco's 1,516 leads are 1516 / 2669
    # = 0.568 of Melvin's width, and Rocco's 300 wins 300 / 2669 of it.
    own_1, own_2 = FunnelChart(PAGE_1, **BARE), FunnelChart(PAGE_2, **BARE)
    assert _rim_rx(own_2)[0] == pytest.approx(_rim_rx(own_1)[0])
    one = FunnelChart(PAGE_1, scale_to=2669, **BARE)
    two = FunnelChart(PAGE_2, scale_to=2669, **BARE)
    full = _rim_rx(one)[0]
    assert full == pytest.approx(_big_r(own_1))
    assert _rim_rx(two)[0] / full == pytest.approx(1516 / 2669)
    assert _rim_rx(two)[1] / full == pytest.approx(300 / 2669)
    assert _rim_rx(one)[1] / full == pytest.approx(900 / 2669)


def test_scale_to_above_every_count_shrinks_every_width_by_the_same_factor() -> None:
    alone = _rim_rx(FunnelChart(PAGE_1, **BARE))
    half = _rim_rx(FunnelChart(PAGE_1, scale_to=2 * 2669, **BARE))
    assert [h / a for h, a in zip(half, alone, strict=True)] == pytest.approx([0.5, 0.5])


def test_sqrt_widths_use_the_shared_maximum_too() -> None:
    two = _rim_rx(FunnelChart(PAGE_2, scale_to=2669, width_mapping="sqrt", **BARE))
    full = _rim_rx(FunnelChart(PAGE_1, scale_to=2669, width_mapping="sqrt", **BARE))[0]
    assert two[0] / full == pytest.approx((1516 / 2669) ** 0.5)


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (
            1000,
            "at least the chart's largest count (got 1000; funnel 'Melvin' has a stage of 2,669)",
        ),
        (0, "a finite number > 0 (got 0)"),
        (float("nan"), "a finite number > 0 (got nan)"),
        (True, "a finite number > 0 (got True)"),
        ("3000", "a finite number > 0 (got '3000')"),
    ],
)
def test_a_bad_scale_to_is_refused_with_its_value(value: object, words: str) -> None:
    with pytest.raises(FunnelDataError, match="scale_to") as err:
        FunnelChart(PAGE_1, scale_to=value, **BARE)  # type: ignore[arg-type]
    assert words in str(err.value)


def test_scale_to_with_rank_widths_is_refused() -> None:
    with pytest.raises(FunnelDataError, match="rank"):
        FunnelChart(PAGE_1, scale_to=3000, width_mapping="rank", **BARE)


def test_a_short_last_row_of_a_grid_keeps_its_cells_width() -> None:
    # A page of one owner beside pages of four: with columns=4 the lone funnel sits in
    # a cell as wide as each of the four, so on one scale_to its widths match theirs.
    four = {k: Funnel.from_counts({"Lead": 2669 - k, "Won": 900}) for k in range(4)}
    wide = FunnelChart(four, width=800, height=300, columns=4, scale_to=2669)
    lone = FunnelChart({"Rocco": four[0]}, width=800, height=300, columns=4, scale_to=2669)
    assert _rim_rx(lone)[:2] == pytest.approx(_rim_rx(wide)[:2])
    heads = [r for r in lone.regions if r.part == "heading"]
    assert [r.funnel for r in heads] == ["Rocco"]  # a lone funnel in a grid is still named
