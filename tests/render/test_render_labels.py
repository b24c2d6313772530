"""Labels: never overlapping, inside the canvas, basis named, shortened or hidden and reported."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings

from salesfunnel import Funnel, FunnelChart, Stage, Style
from salesfunnel._format import fmt_number
from salesfunnel.render.labels import PercentBasis, _stage_texts
from salesfunnel.render.shapes import HitArea, Layer, Text
from salesfunnel.render.text import FONT_PATH, advance, clean, font

from strategies import chart_sizes, funnel_sets, related_funnel_sets

SVG = "{http://www.w3.org/2000/svg}"


def _label_boxes(chart: FunnelChart) -> list[tuple[float, float, float, float]]:
    return [
        s.primitive.bounds
        for s in chart.geometry.shapes
        if s.layer in (Layer.LABEL, Layer.LEGEND, Layer.TITLE) and isinstance(s.primitive, HitArea)
    ]


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    eps = 1e-6
    return a[0] < b[2] - eps and b[0] < a[2] - eps and a[1] < b[3] - eps and b[1] < a[3] - eps


@settings(max_examples=40)
@given(data=funnel_sets(), size=chart_sizes)
def test_labels_never_overlap_and_never_leave_the_canvas(
    data: object, size: tuple[int, int]
) -> None:
    chart = FunnelChart(data, width=size[0], height=size[1])  # type: ignore[arg-type]
    boxes = _label_boxes(chart)
    for i, a in enumerate(boxes):
        assert a[0] >= 0
        assert a[1] >= 0
        assert a[2] <= size[0]
        assert a[3] <= size[1]
        for b in boxes[i + 1 :]:
            assert not _overlap(a, b), (a, b)
    texts = [s.primitive for s in chart.geometry.shapes if isinstance(s.primitive, Text)]
    # Names the data gives (a stage called 'nan' or 'Info', a funnel's key) are shown as
    # written: only the rest of a label (its numbers) must hold no NaN or infinity.
    given = {str(key) for key, _ in chart.funnels}
    given |= {stage.name for _, f in chart.funnels for stage in f.stages}
    for t in texts:
        x0, _, x1, _ = t.bounds
        assert x0 >= -0.5
        assert x1 <= size[0] + 0.5
        rest = t.text
        for name in sorted(given, key=len, reverse=True):
            rest = rest.replace(name, "")
        assert "nan" not in rest
        assert "inf" not in rest.replace("Inf", "")


def _texts(chart: FunnelChart) -> list[str]:
    return [s.primitive.text for s in chart.geometry.shapes if isinstance(s.primitive, Text)]


def test_percentage_basis_is_named_and_undefined_is_an_em_dash() -> None:
    f = Funnel.from_counts({"Calls": 200, "Meetings": 40, "Paid": 10})
    both = " ".join(_texts(FunnelChart(f)))
    assert "20.0% of first" in both
    assert "20.0% of previous" in both
    first = " ".join(_texts(FunnelChart(f, percent="first")))
    assert "of first" in first
    assert "of previous" not in first
    previous = " ".join(_texts(FunnelChart(f, percent="previous")))
    assert "of previous" in previous
    assert "of first" not in previous
    assert "%" not in " ".join(_texts(FunnelChart(f, percent="none")))
    empty_start = Funnel.from_counts({"Calls": 0, "Meetings": 0})
    assert "\u2014 of first" in " ".join(_texts(FunnelChart(empty_start)))


def test_amounts_go_through_the_formatter() -> None:
    f = Funnel((Stage("Offers", 30, amount=12500.0), Stage("Paid", 10, amount=5000.0)))
    texts = _texts(FunnelChart(f, amount_format=lambda a: f"${a:,.0f}"))
    # every amount, and nothing else, through the formatter
    assert [t for t in texts if "$" in t] == ["30 \u00b7 $12,500", "10 \u00b7 $5,000"]
    assert "10 \u00b7 5,000" in _texts(FunnelChart(f))  # the default format, for contrast


def test_long_names_are_shortened_by_measured_width_and_reported() -> None:
    long = "A very long stage name that cannot possibly fit in the label gutter " * 2
    f = Funnel.from_counts({long: 100, "Short": 50})
    chart = FunnelChart(f, width=400, height=300)
    notes = chart.label_notes
    assert [(n.stage, n.status) for n in notes] == [(0, "shortened")]
    shown = [t for t in _texts(chart) if t.endswith("\u2026")]
    assert shown
    gutter_right = 400 - chart.style.margin
    for s in chart.geometry.shapes:
        if isinstance(s.primitive, Text) and s.primitive.text in shown:
            assert s.primitive.x + advance(s.primitive.text, s.primitive.size) <= gutter_right + 0.5


def test_crowded_labels_are_hidden_and_reported() -> None:
    f = Funnel.from_counts({f"Stage {i}": 100 - i for i in range(30)})
    chart = FunnelChart(f, width=300, height=150)
    hidden = {n.stage for n in chart.label_notes if n.status == "hidden"}
    labelled = {
        chart.regions[s.region].stage
        for s in chart.geometry.shapes
        if s.layer is Layer.LABEL and s.region is not None
    }
    assert hidden
    assert labelled
    assert hidden.isdisjoint(labelled)
    assert hidden | labelled == set(range(30))


def test_inside_labels_when_they_fit() -> None:
    f = Funnel.from_counts({"Calls": 100, "Paid": 90})
    chart = FunnelChart(f, width=800, height=600)
    labels = [r for r in chart.regions if r.part == "label"]
    sides = {r.stage: r for r in chart.regions if r.part == "side"}
    for label in labels:
        x0, y0, x1, y1 = label.bounds
        sx0, sy0, sx1, sy1 = sides[label.stage].bounds
        assert sx0 <= x0
        assert x1 <= sx1
        assert sy0 <= y0
        assert y1 <= sy1
    assert not [
        s
        for s in chart.geometry.shapes
        if s.layer is Layer.LABEL and type(s.primitive).__name__ == "Line"
    ]


def test_bundled_font_covers_greek_and_cyrillic() -> None:
    assert FONT_PATH.is_file()
    assert (FONT_PATH.parent / "LICENSE-DejaVu.txt").read_text(encoding="utf-8").count(
        "Bitstream"
    ) > 0
    from PIL import Image, ImageDraw

    def glyph(ch: str) -> bytes:
        im = Image.new("L", (40, 40))
        ImageDraw.Draw(im).text((5, 5), ch, fill=255, font=font(20))
        return im.tobytes()

    missing = glyph("\U000e0100")  # a variation selector DejaVu Sans lacks: the .notdef box
    for ch in "\u0416\u03a9\u00e9\u0444":  # Ж Ω é ф
        assert glyph(ch) != missing
        assert any(glyph(ch))


def test_crowded_labels_go_to_two_lines_before_losing_numbers() -> None:
    f = Funnel.from_counts({f"Stage {i + 1}": round(1000 * 0.8**i) for i in range(12)})
    chart = FunnelChart(f, width=560, height=480)
    texts = _texts(chart)
    assert "Stage 2: 800" in texts
    assert "80.0% of first \u00b7 80.0% of previous" in texts
    assert chart.label_notes == ()  # nothing cut or hidden: only rearranged


def test_percentages_that_overflow_show_an_em_dash_not_inf() -> None:
    f = Funnel.from_counts({"Tiny": 3e-307, "One": 1})
    texts = " ".join(_texts(FunnelChart(f, width=600, height=400)))
    assert "inf" not in texts
    assert "\u2014 of first" in texts


FIRST_STAGE_CASES = [
    # (percent, chart size): a roomy chart keeps full labels; smaller ones force the
    # two-line and one-line forms of the outside labels.
    (percent, size)
    for percent in ("both", "previous")
    for size in ((800, 600), (420, 200), (300, 120))
]


@pytest.mark.parametrize(("percent", "size"), FIRST_STAGE_CASES)
def test_first_stage_has_no_of_previous_part_in_any_text(
    percent: PercentBasis, size: tuple[int, int]
) -> None:
    """The first stage has no previous stage: no "— of previous" in labels, tooltips, alt text."""
    funnels = {
        "Ann": Funnel.from_counts({"Calls": 200, "Meetings": 40, "Paid": 10}),
        "Bo": Funnel.from_counts({"Calls": 90, "Meetings": 30, "Paid": 3}),
    }
    chart = FunnelChart(funnels, width=size[0], height=size[1], percent=percent)
    texts = _texts(chart)
    assert "\u2014" not in " ".join(texts)
    stage0 = [r for r in chart.regions if r.stage == 0 and r.funnel_index is not None]
    later = [r for r in chart.regions if r.stage == 2 and r.funnel_index is not None]
    assert stage0
    assert later
    for r in stage0:
        assert "of previous" not in r.text, r.text
        assert ("100.0% of first" in r.text) == (percent == "both"), r.text
    for r in later:
        assert "of previous" in r.text, r.text
    # The first stage's label lines (full, two-line or one-line, whichever fitted).
    for t in chart.geometry.shapes:
        if isinstance(t.primitive, Text) and t.region is not None:
            region = chart.regions[t.region]
            if region.stage == 0 and region.part == "label":
                assert "of previous" not in t.primitive.text
    # The SVG <title> tooltips and <desc>, the alt text and the image map say the same.
    root = ET.fromstring(chart.to_svg())
    titles = [e.text or "" for e in root.iter(SVG + "title")]
    desc = next(root.iter(SVG + "desc")).text or ""
    for doc in (*titles, desc, chart.alt_text(), chart.image_map("m")):
        assert "\u2014 of previous" not in doc
        assert "\u2014" not in doc
    assert ("Calls, 200, 100.0% of first;" if percent == "both" else "Calls, 200;") in (
        chart.alt_text()
    )


@pytest.mark.parametrize("percent", ["both", "first", "previous", "none"])
def test_every_label_form_of_the_first_stage_leaves_out_of_previous(
    percent: PercentBasis,
) -> None:
    f = Funnel.from_counts({"Calls": 200, "Meetings": 40})
    first, second = _stage_texts(f, percent, fmt_number, Style())
    for form in (*first.full, *first.two, *first.compact, first.tooltip):
        assert "of previous" not in form
        assert "\u2014" not in form
    if percent in ("both", "first"):
        assert "100.0% of first" in first.full
        assert first.compact[0] == "Calls: 200 (100.0% of first)"
    if percent in ("both", "previous"):
        assert "20.0% of previous" in " ".join(second.full)
        assert "20.0% of previous" in " ".join(second.two)
    if percent == "previous":
        assert first.full == ("Calls", "200")
        assert first.compact == ("Calls: 200",)
        assert second.compact[0] == "Meetings: 40 (20.0% of previous)"


def test_a_zero_previous_stage_still_shows_an_em_dash() -> None:
    """Undefined (0 -> 0) stays an em dash; only the first stage leaves the part out."""
    f = Funnel.from_counts({"Calls": 0, "Meetings": 0})
    first, second = _stage_texts(f, "both", fmt_number, Style())
    assert first.full[2] == "\u2014 of first"
    assert second.full[2] == "\u2014 of first \u00b7 \u2014 of previous"


def _legend_names(chart: FunnelChart) -> list[str]:
    return [r.text for r in chart.regions if r.part == "legend"]


@pytest.mark.parametrize("show", [None, True])
def test_no_legend_when_funnels_disagree_on_stage_names(show: bool | None) -> None:
    """A legend entry names a stage position in every funnel; with different names it would lie."""
    data = {
        "A": Funnel.from_counts({"x": 10, "y": 5}),
        "B": Funnel.from_counts({"p": 10, "q": 5, "r": 1}),
    }
    chart = FunnelChart(data, width=600, height=400, style=Style(show_legend=show))
    assert _legend_names(chart) == []
    assert not chart.geometry.shapes_in(Layer.LEGEND)
    assert not [n for n in chart.label_notes if n.where == "legend"]
    texts = " ".join(_texts(chart))
    for name in "xypqr":
        assert name in texts  # the labels still name every stage
    svg = ET.fromstring(chart.to_svg())
    legend = [g for g in svg.iter(SVG + "g") if g.get("data-layer") == "legend"]
    assert len(legend) == 1
    assert len(legend[0]) == 0


def test_legend_names_positions_when_shorter_funnels_are_prefixes() -> None:
    data = {
        "A": Funnel.from_counts({"x": 10, "y": 5}),
        "B": Funnel.from_counts({"x": 10, "y": 5, "z": 1}),
    }
    chart = FunnelChart(data, width=600, height=400)
    assert _legend_names(chart) == ["x", "y", "z"]
    for r in chart.regions:
        if r.part == "legend":
            x0, y0, x1, y1 = r.bounds
            hit = chart.hit_test((x0 + x1) / 2, (y0 + y1) / 2)
            assert hit is not None
            assert hit.part == "legend"
            assert hit.name == r.text == ["x", "y", "z"][r.stage or 0]


@settings(max_examples=60)
@given(data=funnel_sets() | related_funnel_sets())
def test_every_legend_entry_names_its_position_in_every_funnel(data: object) -> None:
    chart = FunnelChart(data, width=640, height=480, style=Style(show_legend=True))  # type: ignore[arg-type]
    for r in chart.regions:
        if r.part != "legend":
            continue
        assert r.stage is not None
        for _, f in chart.funnels:
            if len(f) > r.stage:
                assert clean(f.stages[r.stage].name) == r.text
    names = [[s.name for s in f.stages] for _, f in chart.funnels]
    longest = max(names, key=len, default=[])
    agree = all(n == longest[: len(n)] for n in names)
    if agree and longest and chart.geometry.shapes_in(Layer.LEGEND):
        shown = {r.stage for r in chart.regions if r.part == "legend"}
        noted = {n.stage for n in chart.label_notes if n.where == "legend"}
        assert shown | noted == set(range(len(longest)))


def test_bidi_controls_in_names_do_not_reach_any_drawn_label() -> None:
    # U+202E would reverse the numbers after it where a text engine applies bidi; the
    # PNG's labels follow the same rule as the SVG and HTML (U+FFFD in its place).
    f = Funnel.from_counts({"Calls\u202e": 200, "Paid\u2066": 10}, name="Team\u202a")
    drawn = _texts(FunnelChart(f, width=500, height=300))
    assert any("Calls\ufffd" in t for t in drawn), drawn
    assert any("Paid\ufffd" in t for t in drawn), drawn
    assert not any(ch in t for t in drawn for ch in "\u202a\u202e\u2066")
