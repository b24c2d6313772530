"""The layout's shortcuts give the geometry of the plain way, exactly (hypothesis).

* a lone funnel is laid out twice (once aside, to centre it); its label texts
  and its slices' numbers (:func:`~salesfunnel.render.layout._plan`) are
  worked out once for both passes instead of once per pass;
* an outside label's shorter forms are wrapped only when asked for
  (:meth:`~salesfunnel.render.labels._Pending.form`);
* ``layout()`` without a style shares one default style;
* the centring pass's probe records how far each label line reaches instead
  of making its shapes (``_Builder(reach=True)``).

Each is compared with the plain way on random funnels and options: whole
geometries compared with ``==`` (every float exactly), and the slices'
numbers with the per-stage formula the layout used before.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from salesfunnel import Funnel, Stage, Style, conversion_from_first, step_conversion
from salesfunnel.render import curves, labels as labels_mod, layout as layout_mod, shapes
from salesfunnel.render.builder import _Builder
from salesfunnel.render.layout import layout
from salesfunnel.render.shapes import Text

from strategies import labelled_funnels

OPTIONS = st.fixed_dictionaries(
    {
        "width_mapping": st.sampled_from(["linear", "sqrt", "log", "rank"]),
        "heights": st.sampled_from(["equal", "value"]),
        "percent": st.sampled_from(["both", "first", "previous", "none"]),
        "min_visible": st.sampled_from([0.0, 0.05, 0.3]),
        "shape": st.sampled_from(["funnel", "bars"]),
        "title": st.none() | st.just("Worked example"),
    }
)
# Small canvases too: labels that do not fit are shortened or hidden (every level).
SIZES = st.tuples(st.integers(40, 900), st.integers(30, 700))
# Ties, zeros, one stage, extremes.
TIED = st.lists(st.sampled_from([0.0, 1.0, 7.0, 7.0, 1e12]), min_size=1, max_size=9).map(
    lambda cs: Funnel(tuple(Stage(f"Stage {i}", c) for i, c in enumerate(cs)), "Tied")
)
FUNNELS = st.one_of(labelled_funnels(max_stages=14), TIED)


def _lay(funnel: Funnel, size: tuple[int, int], options: dict[str, object]) -> object:
    return layout([("key", funnel)], float(size[0]), float(size[1]), **options)  # type: ignore[arg-type]


def _plain(funnel: Funnel, size: tuple[int, int], options: dict[str, object]) -> object:
    """The layout without its shortcuts: every pass works out its own texts and
    slices, every label's forms are wrapped at once, and the style is made anew."""
    column = layout_mod._column

    def unshared(*args: object, **_: object) -> str:
        return column(*args[:5])  # type: ignore[arg-type]

    def eager(p: labels_mod._Pending, level: int) -> tuple[list[str], bool]:
        forms = [labels_mod._form(p, k) for k in range(3)] + [([], True)]
        return forms[level]

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(layout_mod, "_column", unshared)
        mp.setattr(labels_mod._Pending, "form", eager)
        mp.setattr(layout_mod, "_default_style", Style)
        return _lay(funnel, size, options)


@settings(max_examples=60, deadline=None)
@given(funnel=FUNNELS, size=SIZES, options=OPTIONS)
def test_a_lone_funnel_is_laid_out_as_the_plain_way_does(
    funnel: Funnel, size: tuple[int, int], options: dict[str, object]
) -> None:
    assert _lay(funnel, size, options) == _plain(funnel, size, options)


def test_labels_at_every_level_the_same_as_the_plain_way() -> None:
    """Eleven stages on a small canvas: labels shortened and hidden, as the plain way."""
    funnel = Funnel.from_counts({f"Stage number {i}": 1000 - 90 * i for i in range(11)})
    for size in [(300, 160), (420, 240), (800, 600)]:
        fast = _lay(funnel, size, {"title": "Worked example"})
        assert fast == _plain(funnel, size, {"title": "Worked example"})
    statuses = {note.status for note in fast.label_notes}  # type: ignore[attr-defined]
    small = _lay(funnel, (300, 160), {})
    assert {n.status for n in small.label_notes} == {"shortened", "hidden"}  # type: ignore[attr-defined]
    assert statuses <= {"shortened", "hidden"}


def _reference_slices(fr: layout_mod._Frame, funnel: Funnel, cx: float) -> list[tuple[float, ...]]:
    """The slices as the layout worked them out before, stage by stage with numpy scalars."""
    counts = funnel.counts
    n = len(funnel)
    if fr.heights == "value" and fr.total_max > 0:
        bands = max(0.0, fr.inner_h - 2.0 * fr.n_max) * counts / fr.total_max + 2.0 * (counts > 0)
    else:
        bands = np.full(n, fr.inner_h / fr.n_max if fr.n_max else 0.0)
    ys = fr.inner_top + np.concatenate([[0.0], np.cumsum(bands)])
    gaps = np.minimum(bands / 4, 8.0) if fr.bars else np.zeros(n)
    taper = 1.0 if fr.bars else fr.style.taper
    radii = fr.big_r * layout_mod._shares(fr, counts)
    boosted = (counts > 0) & (radii < fr.min_visible * fr.big_r)
    radii = np.where(boosted, fr.min_visible * fr.big_r, radii)
    radii = np.where(radii < layout_mod._INVISIBLE, 0.0, radii)
    return [
        (
            cx,
            float(ys[i]),
            float(ys[i + 1] - gaps[i]),
            float(radii[i]),
            float(radii[i]) * taper,
            fr.kr * float(radii[i]),
            fr.kr * (float(radii[i]) * taper),
            fr.style.hue(i, fr.n_max),
            bool(boosted[i]),
        )
        for i in range(n)
    ]


@settings(max_examples=80, deadline=None)
@given(
    funnel=FUNNELS,
    size=SIZES,
    options=OPTIONS,
    cx=st.floats(-1e3, 1e4, allow_nan=False),
)
def test_plan_and_slices_give_the_per_stage_numbers(
    funnel: Funnel, size: tuple[int, int], options: dict[str, object], cx: float
) -> None:
    width, height = float(size[0]), float(size[1])
    fr = layout_mod._Frame([("key", funnel)], Style(), (width, height), (8, 30, width - 8, height))
    fr.width_mapping = options["width_mapping"]  # type: ignore[assignment]
    fr.heights = options["heights"]  # type: ignore[assignment]
    fr.min_visible = options["min_visible"]  # type: ignore[assignment]
    fr.levels = np.unique(funnel.counts[funnel.counts > 0])
    if options["shape"] == "bars":
        fr.flatten()
    plan = layout_mod._plan(fr, funnel)
    got = [
        (s.cx, s.y0, s.y1, s.r0, s.r1, s.b0, s.b1, s.hue, s.boosted)
        for s in layout_mod._slices(fr, cx, plan)
    ]
    want = _reference_slices(fr, funnel, cx)
    assert got == want
    assert all(type(v) is float for row in got for v in row[:8])
    assert plan.widest == max(r[3] for r in want)
    assert math.isfinite(plan.widest)


@settings(max_examples=100, deadline=None)
@given(
    centre=st.tuples(st.floats(-1e4, 1e4), st.floats(-1e4, 1e4)),
    radii=st.tuples(st.floats(0, 1e4), st.floats(0, 1e4)),
    angles=st.tuples(st.floats(-7.0, 7.0), st.floats(-7.0, 7.0)),
    numpy_scalars=st.booleans(),
)
def test_arc_vertices_are_the_per_vertex_float_of_the_sums(
    centre: tuple[float, float],
    radii: tuple[float, float],
    angles: tuple[float, float],
    numpy_scalars: bool,
) -> None:
    """``_arc`` converts its numbers to floats once; the vertices are those of
    ``float(cx + rx * cos)`` per vertex, also for numpy scalars."""
    numbers = [*centre, *radii]
    args = [np.float64(v) for v in numbers] if numpy_scalars else numbers
    got = shapes._arc(*args, *angles)  # type: ignore[arg-type]
    a0, a1 = angles
    r = max(radii[0], radii[1], 0.0)
    quarter = max(8, math.ceil(math.pi / 2 * math.sqrt(r / (8 * curves._CHORD_TOLERANCE))))
    step = math.pi / 2 / quarter
    lo, hi = min(a0, a1), max(a0, a1)
    first, last = math.floor(lo / step + 1e-9) + 1, math.ceil(hi / step - 1e-9)
    ks = [(math.cos(k * step), math.sin(k * step)) for k in range(first, last)]
    trig = [(math.cos(lo), math.sin(lo)), *ks, (math.cos(hi), math.sin(hi))]
    if a0 > a1:
        trig.reverse()
    cx, cy, rx, ry = args
    want = [(float(cx + rx * c), float(cy + ry * s)) for c, s in trig]
    assert got == want
    assert all(type(x) is float and type(y) is float for x, y in got)


EXTREME = st.sampled_from([0.0, 1.0, 5e-324, 1e-310, 1e300, 1.7e308, 3.0])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(EXTREME, st.floats(0, 1e12)), min_size=1, max_size=12))
def test_label_rates_are_the_funnel_rates(counts: list[float]) -> None:
    """The labels' rates in plain Python are the numbers of the rate functions, NaN for NaN."""
    funnel = Funnel(tuple(Stage(f"s{i}", c) for i, c in enumerate(counts)))
    first, step = labels_mod._rates(funnel.counts.tolist())
    for got, want in ((first, conversion_from_first(funnel)), (step, step_conversion(funnel))):
        assert len(got) == len(want)
        for g, w in zip(got, want.tolist(), strict=True):
            assert type(g) is float
            assert (math.isnan(g) and math.isnan(w)) or g == w


def test_label_rates_worked_example() -> None:
    first, step = labels_mod._rates([200.0, 60.0, 0.0, 0.0, 5e-324])
    assert first == [1.0, 0.3, 0.0, 0.0, 5e-324 / 200]
    assert step[:3] == [1.0, 0.3, 0.0]
    assert math.isnan(step[3])
    assert math.isnan(step[4])
    first, step = labels_mod._rates([0.0, 0.0])
    assert all(math.isnan(v) for v in first + step)
    first, step = labels_mod._rates([1e-310, 1e300])  # a quotient that overflows: NaN
    assert math.isnan(first[1])
    assert math.isnan(step[1])


def _frame_of(
    funnel: Funnel, size: tuple[int, int], options: dict[str, object]
) -> tuple[layout_mod._Frame, layout_mod._Lone]:
    """The frame and shared numbers ``layout`` makes for a lone funnel on this canvas."""
    width, height = float(size[0]), float(size[1])
    style = Style()
    area = (8.0, 30.0, width - 8, height - 8)
    fr = layout_mod._Frame([("key", funnel)], style, (width, height), area, (1, 0))
    fr.width_mapping = options["width_mapping"]  # type: ignore[assignment]
    fr.heights = options["heights"]  # type: ignore[assignment]
    fr.percent = options["percent"]  # type: ignore[assignment]
    fr.min_visible = options["min_visible"]  # type: ignore[assignment]
    fr.min_hit, fr.fmt_amount = 0.0, None
    fr.levels = np.unique(funnel.counts[funnel.counts > 0])
    if options["shape"] == "bars":
        fr.flatten()
    texts = labels_mod._stage_texts(funnel, fr.percent, None, style)
    return fr, layout_mod._Lone(texts, layout_mod._plan(fr, funnel))


@settings(max_examples=80, deadline=None)
@given(funnel=FUNNELS, size=SIZES, options=OPTIONS)
def test_the_centring_probe_reaches_as_far_as_the_labels_it_would_draw(
    funnel: Funnel, size: tuple[int, int], options: dict[str, object]
) -> None:
    """The probe records each label line's reach instead of drawing it: the same
    (left, right) as the bounds of the Text shapes a full probe adds, in order."""
    fr, lone = _frame_of(funnel, size, options)
    fast = _Builder(reach=True)
    full = _Builder()
    for builder in (fast, full):
        fr.probing = True
        layout_mod._column(builder, fr, 0, "key", funnel, lone)
        fr.probing = False
    drawn = [s.primitive.bounds[::2] for s in full.shapes if isinstance(s.primitive, Text)]
    assert fast.reach == drawn
    assert fast.shapes == []
    assert fast.regions == []
