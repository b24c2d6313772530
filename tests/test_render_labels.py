"""Labels: never overlapping, inside the canvas, basis named, shortened or hidden and reported."""

from __future__ import annotations

from hypothesis import given, settings

from salesfunnel import Funnel, FunnelChart, Stage
from salesfunnel._text import FONT_PATH, font, text_width
from salesfunnel.geometry import Layer, Rect, Text

from strategies import chart_sizes, funnel_sets


def _label_boxes(chart: FunnelChart) -> list[tuple[float, float, float, float]]:
    return [
        s.primitive.bounds
        for s in chart.geometry.shapes
        if s.layer in (Layer.LABEL, Layer.LEGEND, Layer.TITLE)
        and isinstance(s.primitive, Rect)
        and s.primitive.fill is None
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
    for t in texts:
        x0, _, x1, _ = t.bounds
        assert x0 >= -0.5
        assert x1 <= size[0] + 0.5
        assert "nan" not in t.text
        assert "inf" not in t.text.replace("Inf", "")


def _texts(chart: FunnelChart) -> list[str]:
    return [s.primitive.text for s in chart.geometry.shapes if isinstance(s.primitive, Text)]


def test_percentage_basis_is_named_and_undefined_is_an_em_dash() -> None:
    f = Funnel.from_counts({"Calls": 200, "Meetings": 40, "Paid": 10})
    both = " ".join(_texts(FunnelChart(f)))
    assert "20.0% of first" in both
    assert "20.0% of previous" in both
    assert "\u2014 of previous" in both  # the first stage has no previous stage
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
    assert any("30 \u00b7 $12,500" in t for t in texts)


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
            assert (
                s.primitive.x + text_width(s.primitive.text, s.primitive.size) <= gutter_right + 0.5
            )


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
