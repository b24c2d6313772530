"""Many funnels (issue 13): a grid, names wrapped not cut, rates kept, hidden labels warned."""

from __future__ import annotations

import warnings

import pytest

from salesfunnel import Funnel, FunnelChart, FunnelDataError
from salesfunnel.chart import HiddenLabelsWarning
from salesfunnel.render.shapes import Ellipse, Layer, Side, Text

REPS = {
    f"Rep {k}": Funnel.from_counts({"Lead": 100 + 10 * k, "Meeting": 40 + k, "Won": 10 + k})
    for k in range(8)
}


def _rims(chart: FunnelChart) -> dict[tuple[int | None, int | None], Ellipse]:
    return {
        (chart.regions[s.region].funnel_index, chart.regions[s.region].stage): s.primitive
        for s in chart.geometry.shapes
        if s.layer is Layer.RIM and isinstance(s.primitive, Ellipse) and s.region is not None
    }


def _headings(chart: FunnelChart) -> dict[int | None, tuple[float, float, float, float]]:
    return {r.funnel_index: r.bounds for r in chart.regions if r.part == "heading"}


def test_a_grid_puts_columns_funnels_per_row_on_one_scale() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HiddenLabelsWarning)
        chart = FunnelChart(REPS, width=1200, height=800, columns=4)
    heads = _headings(chart)
    assert len(heads) == 8
    # row 2 starts under row 1, in the same columns
    for j in range(4):
        assert heads[j + 4][1] > heads[j][3]
        centre = (heads[j][0] + heads[j][2]) / 2
        assert (heads[j + 4][0] + heads[j + 4][2]) / 2 == pytest.approx(centre)
    rims = _rims(chart)
    # every funnel stays in its cell: 4 columns of 1176 / 4 = 294 px from x = 12
    for (j, _), rim in rims.items():
        assert j is not None
        x0 = 12 + (j % 4) * 294
        assert x0 <= rim.cx - rim.rx
        assert rim.cx + rim.rx <= x0 + 294
    # one shared scale across rows: Lead 170 (rep 7) against Lead 100 (rep 0)
    assert rims[(7, 0)].rx / rims[(0, 0)].rx == pytest.approx(170 / 100)


def test_one_column_grid_still_names_each_funnel() -> None:
    chart = FunnelChart(dict(list(REPS.items())[:2]), width=400, height=700, columns=1)
    heads = _headings(chart)
    assert heads[1][1] > heads[0][3]


def test_long_names_are_wrapped_not_cut() -> None:
    name = "Total conversions from paid search"
    funnels = {name if k == 0 else key: f for k, (key, f) in enumerate(REPS.items())}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HiddenLabelsWarning)
        chart = FunnelChart(funnels, width=1200, height=600)
    heading_id = next(r.id for r in chart.regions if r.part == "heading" and r.funnel_index == 0)
    lines = [
        s.primitive.text
        for s in chart.geometry.shapes
        if s.region == heading_id and isinstance(s.primitive, Text)
    ]
    assert len(lines) == 2
    assert " ".join(lines) == name


def test_one_line_labels_keep_both_rates_when_they_fit() -> None:
    chart = FunnelChart(REPS, width=2400, height=260, columns=4)
    texts = [s.primitive.text for s in chart.geometry.shapes if isinstance(s.primitive, Text)]
    # Meeting of Rep 0: 40 / 100 = 40.0 % of first and of previous
    assert "Meeting: 40 (40.0% of first \u00b7 40.0% of previous)" in texts


def test_hidden_labels_are_warned_about() -> None:
    f = Funnel.from_counts({f"Stage number {i}": 100 - i for i in range(30)})
    with pytest.warns(HiddenLabelsWarning, match=r"label\(s\) hidden to stay legible"):
        chart = FunnelChart(f, width=300, height=200)
    assert any(n.status == "hidden" for n in chart.label_notes)


def test_no_warning_when_everything_shows() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        FunnelChart(Funnel.from_counts({"A": 30, "B": 12}))


@pytest.mark.parametrize("columns", [0, -1, 2.0, True, "3"])
def test_bad_columns_are_refused(columns: object) -> None:
    with pytest.raises(FunnelDataError, match="columns"):
        FunnelChart(REPS, columns=columns)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "counts",
    [
        {"Calls": 200, "Meetings": 60, "Presentations": 45, "Paid": 10},
        {"A": 20, "B": 31, "C": 27, "D": 9},
    ],
)
def test_a_single_funnel_sits_in_the_middle_of_the_canvas(counts: dict[str, int]) -> None:
    chart = FunnelChart(Funnel.from_counts(counts), width=640, height=480)
    boxes = [
        s.primitive.bounds
        for s in chart.geometry.shapes
        if s.layer is not Layer.TITLE and isinstance(s.primitive, (Text, Side))
    ]
    lo, hi = min(b[0] for b in boxes), max(b[2] for b in boxes)
    # the sides and the label text together: as much room left as right, to the
    # outline's half width and a pixel (centring counts the outline too)
    assert lo - 0 == pytest.approx(640 - hi, abs=2.0)
    assert lo >= 12 - 1e-9
    assert hi <= 640 - 12 + 1e-9
    assert chart.geometry.contains_all()
