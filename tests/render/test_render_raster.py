"""Raster output: honest geometry, fast path vs simple path, goldens, determinism, limits."""

from __future__ import annotations

import io
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from PIL import Image

from render.simple_painter import RasterPainter, simple_render
from salesfunnel import MAX_PIXELS, Funnel, FunnelChart, FunnelDataError, Style
from salesfunnel.datasets import three_managers
from salesfunnel.render import coverage as cov
from salesfunnel.render.paint import paint
from salesfunnel.render.shapes import Ellipse, HitArea, Layer, Side

from render_helpers import GOLDEN, check_golden_image, check_golden_text, stage_pixels
from strategies import chart_sizes, funnel_sets

SIX = Funnel.from_counts(
    {"Calls": 200, "Meetings": 60, "Presentations": 45, "Offers": 30, "Contracts": 14, "Paid": 10}
)
BARE = Style(show_labels=False, show_title=False, show_legend=False)


def _pixels(chart: FunnelChart) -> np.ndarray:
    return np.asarray(chart.to_image()).astype(np.int32)


def _rim_widths(chart: FunnelChart) -> list[float]:
    """Measured width (hit-mask pixels) of each stage's side, along the row through its middle.

    The geometry only says which row to look at (the middle of the stage's own
    band); the width itself is counted in the hit mask.
    """
    mask = chart.hit_mask()
    s = chart.size[0] / chart.geometry.width
    out = []
    for stage in range(len(chart.funnels[0][1])):
        ids = [r.id for r in chart.regions if r.stage == stage and r.part in ("rim", "side")]
        sides = [
            sh.primitive
            for sh in chart.geometry.shapes
            if isinstance(sh.primitive, Side) and sh.region in ids
        ]
        if not sides:
            out.append(0.0)
            continue
        row = int((sides[0].y0 + sides[0].b0 + sides[0].y1) / 2 * s)
        out.append(float(np.isin(mask[row], ids).sum()))
    return out


def test_width_encodes_the_stage_own_value_linear_and_sqrt() -> None:
    f = Funnel.from_counts({"A": 100, "B": 25, "C": 100})
    lin = _rim_widths(FunnelChart(f, width=600, height=400, style=BARE))
    assert lin[0] == pytest.approx(lin[2], abs=1)  # same count, same width, whatever came before
    assert lin[0] / lin[1] == pytest.approx(4.0, rel=0.06)
    sq = _rim_widths(FunnelChart(f, width=600, height=400, style=BARE, width_mapping="sqrt"))
    assert sq[0] / sq[1] == pytest.approx(2.0, rel=0.06)


def test_side_by_side_funnels_share_one_scale() -> None:
    big = Funnel.from_counts({"A": 200, "B": 50})
    small = Funnel.from_counts({"A": 100, "B": 50})
    chart = FunnelChart({"big": big, "small": small}, width=800, height=400, style=BARE)
    geo = chart.geometry
    rims = {
        (chart.regions[s.region].funnel_index, chart.regions[s.region].stage): s.primitive.rx
        for s in geo.shapes
        if s.layer is Layer.RIM and s.region is not None and isinstance(s.primitive, Ellipse)
    }
    assert rims[(0, 0)] == pytest.approx(2 * rims[(1, 0)])
    assert rims[(0, 1)] == pytest.approx(rims[(1, 1)])


def test_a_zero_stage_stays_visibly_zero() -> None:
    f = Funnel.from_counts({"A": 100, "Zero": 0, "C": 50})
    chart = FunnelChart(f, width=400, height=300, style=BARE)
    assert (0, 1) not in stage_pixels(chart, ("rim", "side"))
    drawn = [
        s
        for s in chart.geometry.shapes
        if s.region is not None
        and chart.regions[s.region].stage == 1
        and s.layer is not Layer.LABEL
    ]
    assert drawn == []
    # and its band of the image is background across the funnel axis
    pixels = _pixels(chart)
    side1 = next(s.primitive for s in chart.geometry.shapes if isinstance(s.primitive, Side))
    band_y = int(side1.y1 + (side1.y1 - side1.y0) / 2)  # middle of the zero stage's band
    cx = int(side1.cx)
    assert (pixels[band_y, cx - 3 : cx + 4] == 255).all()


def test_min_visible_applies_to_nonzero_stages_only_and_is_marked() -> None:
    f = Funnel.from_counts({"A": 1000, "Tiny": 1, "Zero": 0})
    chart = FunnelChart(f, width=400, height=300, style=BARE, min_visible=0.1)
    rims = [s for s in chart.geometry.shapes if s.layer is Layer.RIM]
    assert [chart.regions[s.region].stage for s in rims] == [0, 1]
    assert [s.primitive.dashed for s in rims] == [False, True]
    widths = _rim_widths(chart)
    assert widths[1] == pytest.approx(0.1 * widths[0], rel=0.2)
    assert widths[2] == 0


def test_min_hit_enlarges_the_clickable_area_not_the_drawing() -> None:
    f = Funnel.from_counts({"A": 1000, "Tiny": 1, "B": 500})
    thin = Style(show_labels=False, show_outline=False, show_rims=False)
    plain = FunnelChart(f, width=400, height=300, style=thin)
    big = FunnelChart(f, width=400, height=300, style=thin, min_hit=24)
    assert stage_pixels(plain)[(0, 1)] < 10
    assert stage_pixels(big)[(0, 1)] >= 0.8 * 24 * 24
    assert plain.to_png() == big.to_png()


def test_non_monotonic_stages_widen_and_stay_inside() -> None:
    f = Funnel.from_counts({"A": 10, "B": 1000, "C": 5})
    chart = FunnelChart(f, width=300, height=200)
    assert chart.geometry.contains_all()
    widths = _rim_widths(chart)
    assert widths[1] > 10 * widths[0] * 0.9
    assert widths[1] <= 300


def test_all_zero_and_one_stage_funnels_render_sanely() -> None:
    zero = FunnelChart(Funnel.from_counts({"A": 0, "B": 0}), width=300, height=200)
    assert stage_pixels(zero, ("rim", "side")) == {}
    assert {r.part for r in zero.regions} == {"label"}
    one = FunnelChart(Funnel.from_counts({"Only": 7}), width=300, height=200, style=BARE)
    assert stage_pixels(one)[(0, 0)] > 1000


def test_empty_funnel_set_is_a_blank_titled_chart() -> None:
    chart = FunnelChart([], width=200, height=100, title="Nothing yet")
    pixels = _pixels(chart)
    assert (pixels[60:, :] == 255).all()  # below the title: background only
    assert (pixels[:30, :] < 255).any()  # the title is drawn
    assert chart.regions == ()
    assert "Nothing yet" in chart.to_svg()


def test_fast_side_shading_matches_one_line_per_column() -> None:
    for scale in (1, 2):
        chart = FunnelChart(SIX, width=400, height=300, scale=scale)
        fast = np.asarray(chart.to_image()).astype(np.int32)
        simple = np.asarray(simple_render(chart.geometry, scale, chart.style.background)).astype(
            np.int32
        )
        diff = np.abs(fast - simple)
        # identical in the body; edges differ only by the fast path's horizontal anti-aliasing
        assert diff.mean() < 0.3
        assert (diff.max(axis=2) > 8).mean() < 0.005


def _one_shape_at_a_time(chart: FunnelChart) -> np.ndarray:
    painter = RasterPainter(chart.geometry, chart._scale, chart.style.background)
    paint(chart.geometry, painter)
    return np.asarray(painter.image).astype(np.int32)


@settings(max_examples=40)
@given(
    data=funnel_sets(),
    size=chart_sizes,
    scale=st.sampled_from([0.5, 1, 1.5, 2]),
    min_visible=st.sampled_from([0.0, 0.2]),
)
def test_batched_painter_matches_one_shape_at_a_time(
    data: object, size: tuple[int, int], scale: float, min_visible: float
) -> None:
    """The output path (all coverage in one batch, cached text runs) against the plain
    painter (each shape its own coverage pass and paste, text through ImageDraw)."""
    chart = FunnelChart(
        data,  # type: ignore[arg-type]
        width=size[0],
        height=size[1],
        scale=scale,
        min_visible=min_visible,
        title="Batch · Σ Ж",
    )
    # Coverage sums are exact integers: batching changes no level of any pixel.
    assert np.array_equal(_pixels(chart), _one_shape_at_a_time(chart))


def test_batched_painter_is_pixel_identical_on_the_pictures() -> None:
    managers = FunnelChart(three_managers(), scale=1.5)
    boosted = FunnelChart(
        Funnel.from_counts({"Calls": 1000, "Zero": 0, "Tiny": 1, "Paid": 40}), min_visible=0.2
    )
    for chart in (managers, boosted, FunnelChart(SIX, title="Six")):
        assert np.array_equal(_pixels(chart), _one_shape_at_a_time(chart))
        assert np.array_equal(_pixels(chart), _pixels(chart))  # cached text: same again


def _assert_edges_anti_aliased() -> None:
    """Edge pixels are partly covered: a blend of the shapes and the background.

    The same chart drawn on white and on black: a pixel no shape covers is the
    background in both, a fully covered one the same in both, and a pixel
    covered to ``alpha`` differs by ``(1 - alpha) * 255`` in every channel. So
    pixels that differ by neither 0 nor 255 are the anti-aliased ones, and
    there must be about one per pixel of the silhouette, at many levels.
    """
    pictures = []
    for background in ((255, 255, 255), (0, 0, 0)):
        style = replace(BARE, background=background)
        chart = FunnelChart(
            Funnel.from_counts({"A": 100, "B": 40}), width=300, height=200, style=style
        )
        pictures.append(_pixels(chart))
    diff = pictures[0] - pictures[1]
    partial = (diff.min(axis=2) > 0) & (diff.max(axis=2) < 255)
    # one alpha per pixel: every channel of a partly covered pixel differs alike
    assert (diff[partial].max(axis=1) - diff[partial].min(axis=1)).max(initial=0) <= 2
    drawn = chart.hit_mask() >= 0
    inner = drawn.copy()
    inner[1:-1, 1:-1] &= drawn[:-2, 1:-1] & drawn[2:, 1:-1] & drawn[1:-1, :-2] & drawn[1:-1, 2:]
    silhouette = int((drawn & ~inner).sum())
    assert silhouette > 400
    assert int(partial.sum()) >= silhouette // 2, (int(partial.sum()), silhouette)
    assert len(np.unique(diff[partial][:, 0])) >= 64


def test_edges_are_anti_aliased() -> None:
    _assert_edges_anti_aliased()


def test_the_anti_aliasing_check_fails_on_thresholded_coverage(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With every coverage mask cut to 0 or 255 (no anti-aliasing), the check above fails."""
    real = cov.Batch.mask

    def stencil(self: cov.Batch, k: int) -> tuple[tuple[int, int, int, int], np.ndarray]:
        box, levels = real(self, k)
        return box, np.where(levels >= 128, 255, 0).astype(np.uint8)

    monkeypatch.setattr(cov.Batch, "mask", stencil)
    with pytest.raises(AssertionError):
        _assert_edges_anti_aliased()


def test_scale_multiplies_pixels_not_layout() -> None:
    one = FunnelChart(SIX, width=300, height=200)
    two = FunnelChart(SIX, width=300, height=200, scale=2)
    assert two.to_image().size == (600, 400)
    assert two.hit_mask().shape == (400, 600)
    assert one.geometry == two.geometry
    # Shapes (text aside: hinting differs by size) agree after a 2x box reduction.
    one_bare = FunnelChart(SIX, width=300, height=200, style=BARE)
    two_bare = FunnelChart(SIX, width=300, height=200, style=BARE, scale=2)
    small = np.asarray(two_bare.to_image().reduce(2)).astype(np.int32)
    assert np.abs(small - _pixels(one_bare)).mean() < 1.0


def test_pixel_limit_is_refused_before_allocation() -> None:
    with pytest.raises(FunnelDataError, match="limit"):
        FunnelChart(SIX, width=100_000, height=100_000)
    with pytest.raises(FunnelDataError, match="limit"):
        FunnelChart(SIX, width=5000, height=5000, scale=2)
    side = int(MAX_PIXELS**0.5)
    FunnelChart(SIX, width=side, height=side)  # at the limit: accepted (nothing drawn yet)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"width": 10}, "width"),
        ({"height": 2.5}, "height"),
        ({"scale": 0}, "scale"),
        ({"width_mapping": "cube"}, "width_mapping"),
        ({"heights": "area"}, "heights"),
        ({"percent": "all"}, "percent"),
        ({"min_visible": -0.1}, "min_visible"),
        ({"style": "dark"}, "style"),
    ],
)
def test_bad_options_raise_funnel_data_error(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(FunnelDataError, match=match) as info:
        FunnelChart(SIX, **kwargs)  # type: ignore[arg-type]
    assert isinstance(info.value, ValueError)


def test_bad_data_raises() -> None:
    with pytest.raises(FunnelDataError, match="Funnel"):
        FunnelChart({"a": {"Calls": 1}})  # type: ignore[dict-item]
    with pytest.raises(FunnelDataError, match="got str"):
        FunnelChart("funnel")  # type: ignore[arg-type]


def _charts() -> list[FunnelChart]:
    return [
        FunnelChart(SIX, width=320, height=240, title=f"Chart {i}", scale=1 + i % 2)
        for i in range(6)
    ]


def test_threads_give_the_same_bytes_as_serial() -> None:
    serial = [(c.to_png(), c.to_svg()) for c in _charts()]
    with ThreadPoolExecutor(max_workers=4) as pool:
        threaded = list(pool.map(lambda c: (c.to_png(), c.to_svg()), _charts() * 2))
    assert threaded == serial * 2


def test_same_bytes_in_a_fresh_process() -> None:
    code = (
        "import sys; from salesfunnel import Funnel, FunnelChart\n"
        "f = Funnel.from_counts({'Calls': 200, 'Meetings': 60, 'Presentations': 45, "
        "'Offers': 30, 'Contracts': 14, 'Paid': 10})\n"
        "c = FunnelChart(f, width=320, height=240, title='Chart 0')\n"
        "sys.stdout.buffer.write(c.to_png() + b'--SVG--' + c.to_svg().encode())\n"
    )
    src = str(Path(__file__).resolve().parents[2] / "src")
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        check=True,
        env={"PYTHONPATH": src, "PYTHONHASHSEED": "123"},
    ).stdout
    png, svg = out.split(b"--SVG--")
    here = _charts()[0]
    assert png == here.to_png()
    assert svg.decode() == here.to_svg()


def test_save_picks_the_format_from_the_suffix(tmp_path: Path) -> None:
    chart = FunnelChart(SIX, width=200, height=150)
    for suffix in ("png", "svg", "jpg", "webp"):
        chart.save(tmp_path / f"f.{suffix}")
    assert (tmp_path / "f.png").read_bytes() == chart.to_png()
    assert (tmp_path / "f.svg").read_text(encoding="utf-8") == chart.to_svg()
    assert Image.open(tmp_path / "f.jpg").format == "JPEG"
    assert Image.open(tmp_path / "f.webp").size == (200, 150)
    buf = io.BytesIO()
    chart.save(buf)
    assert buf.getvalue() == chart.to_png()
    buf = io.BytesIO()
    chart.save(buf, format="svg")
    assert buf.getvalue().decode() == chart.to_svg()
    with pytest.raises(FunnelDataError, match="format"):
        chart.save(tmp_path / "noext")
    with pytest.raises(FunnelDataError, match="unknown"):
        chart.save(tmp_path / "f.nope")


def test_png_reads_back_as_the_image() -> None:
    # to_png writes the PNG itself (salesfunnel.render.png; its own tests: tests/render/test_png.py)
    for chart in [*_charts()[:2], FunnelChart(three_managers(), width=500, height=300)]:
        png = Image.open(io.BytesIO(chart.to_png()))
        assert (png.format, png.mode) == ("PNG", "RGB")
        assert np.array_equal(np.asarray(png), np.asarray(chart.to_image()))


def test_notebook_bundle_has_svg_and_png() -> None:
    bundle = FunnelChart(SIX, width=200, height=150)._repr_mimebundle_()
    assert set(bundle) == {"image/svg+xml", "image/png"}
    assert bytes(bundle["image/png"]).startswith(b"\x89PNG")


# -- image goldens -----------------------------------------------------------------
# Small pictures reviewed by eye when (re)generated; see golden/README.md.
GOLDEN_CASES = {
    "six": lambda: FunnelChart(SIX, width=240, height=180),
    "nonmonotonic": lambda: FunnelChart(
        Funnel.from_counts({"Visits": 100, "Sign-ups": 140, "Trials": 60, "Paid": 75}),
        width=240,
        height=180,
        style=BARE,
        shape="funnel",
    ),
    "bars": lambda: FunnelChart(
        Funnel.from_counts({"Lead": 20, "Qualified": 31, "Meeting": 27, "Won": 9}),
        width=240,
        height=180,
        percent="none",
    ),
    "managers": lambda: FunnelChart(
        {
            "Ann": Funnel.from_counts({"Calls": 120, "Offers": 40, "Paid": 13}),
            "Bob": Funnel.from_counts({"Calls": 200, "Offers": 45, "Paid": 17}),
        },
        width=320,
        height=180,
    ),
}


@pytest.mark.parametrize("name", sorted(GOLDEN_CASES))
def test_image_goldens(name: str) -> None:
    check_golden_image(GOLDEN_CASES[name]().to_image(), name)


def test_a_failed_golden_writes_the_actual_and_difference_images(tmp_path: Path) -> None:
    """A picture that is not its golden: the failure names two files, the picture drawn
    and a difference image that is bright where the pictures differ and dark elsewhere."""
    image = GOLDEN_CASES["six"]().to_image()
    pixels = np.asarray(image).copy()
    pixels[40:60, 100:140] = (255, 0, 0)  # a red block over the funnel
    with pytest.raises(AssertionError) as failure:
        check_golden_image(Image.fromarray(pixels), "six", tmp_path)
    actual, diff = tmp_path / "six-actual.png", tmp_path / "six-diff.png"
    assert str(actual) in str(failure.value)
    assert str(diff) in str(failure.value)
    assert np.array_equal(np.asarray(Image.open(actual)), pixels)
    heat = np.asarray(Image.open(diff))
    assert heat.shape == (180, 240)
    changed = np.zeros(heat.shape, dtype=bool)
    changed[40:60, 100:140] = True
    assert heat[changed].mean() > 200
    assert heat[~changed].mean() < 1.0  # the drawing itself is within its tolerance
    # the golden itself passes and clears the failure files of an earlier run
    check_golden_image(image, "six", tmp_path)
    assert not actual.exists()
    assert not diff.exists()


def test_a_failed_text_golden_writes_the_actual_text_and_a_diff(tmp_path: Path) -> None:
    text = (GOLDEN / "hitmask-three.txt").read_text(encoding="utf-8")
    changed = text.replace("AAAA", "BBBB", 1)
    with pytest.raises(AssertionError) as failure:
        check_golden_text(changed, "hitmask-three", tmp_path)
    actual, diff = tmp_path / "hitmask-three-actual.txt", tmp_path / "hitmask-three.diff"
    assert str(actual) in str(failure.value)
    assert str(diff) in str(failure.value)
    assert actual.read_text(encoding="utf-8") == changed
    patch = diff.read_text(encoding="utf-8")
    assert sum(line.startswith("-.") for line in patch.splitlines()) == 1
    assert sum(line.startswith("+.") and "BBBB" in line for line in patch.splitlines()) == 1


def test_the_golden_check_can_fail(tmp_path: Path) -> None:
    """A stage one tenth narrower (Meetings 54, not 60) breaks the tolerance the goldens use."""
    moved = Funnel.from_counts(
        {
            "Calls": 200,
            "Meetings": 54,
            "Presentations": 45,
            "Offers": 30,
            "Contracts": 14,
            "Paid": 10,
        }
    )
    image = FunnelChart(moved, width=240, height=180).to_image()
    with pytest.raises(AssertionError, match=r"image-six\.png: mean channel difference 0\.5"):
        check_golden_image(image, "six", tmp_path)


def test_heights_by_value_are_proportional_to_counts() -> None:
    f = Funnel.from_counts({"A": 300, "B": 150, "C": 0})
    chart = FunnelChart(f, width=400, height=600, style=BARE, heights="value")
    sides = [s.primitive for s in chart.geometry.shapes if isinstance(s.primitive, Side)]
    heights = [side.y1 - side.y0 for side in sides]
    assert len(heights) == 2  # the zero stage has no side at all
    assert heights[0] / heights[1] == pytest.approx(2.0, rel=0.03)
    equal = FunnelChart(f, width=400, height=600, style=BARE)
    eq = [
        s.primitive.y1 - s.primitive.y0
        for s in equal.geometry.shapes
        if isinstance(s.primitive, Side)
    ]
    assert eq[0] == pytest.approx(eq[1])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"background": (0, 0, 256)}, "background"),
        ({"hues": ()}, "hues"),
        ({"light": 2.0}, "light"),
        ({"show_sides": 1}, "show_sides"),
        ({"label_size": 1}, "label_size"),
    ],
)
def test_bad_style_raises(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(FunnelDataError, match=match):
        Style(**kwargs)  # type: ignore[arg-type]


def test_switching_a_layer_off_removes_exactly_its_shapes() -> None:
    full = FunnelChart(SIX, width=400, height=300).geometry
    for layer, flag in [
        (Layer.ELLIPSE, "show_ellipses"),
        (Layer.RIM, "show_rims"),
        (Layer.SIDE, "show_sides"),
        (Layer.COVER, "show_covers"),
        (Layer.OUTLINE, "show_outline"),
    ]:
        geo = FunnelChart(SIX, width=400, height=300, style=Style(**{flag: False})).geometry
        drawn = [s for s in geo.shapes_in(layer) if not isinstance(s.primitive, HitArea)]
        assert drawn == []
        # repr leaves out the style carried by gradients, which differs by the flag
        others = [repr(s) for s in full.shapes if s.layer is not layer]
        assert [repr(s) for s in geo.shapes if s.layer is not layer] == others


def test_hit_masks_from_threads_match_serial() -> None:
    serial = [c.hit_mask().copy() for c in _charts()]
    charts = _charts()
    with ThreadPoolExecutor(max_workers=4) as pool:
        threaded = list(pool.map(lambda c: c.hit_mask(), charts + charts))
    for k, mask in enumerate(threaded):
        assert np.array_equal(mask, serial[k % len(serial)])


@settings(max_examples=200)
@given(
    h=st.floats(-3.0, 3.0),
    s=st.floats(0.0, 1.0),
    v=st.floats(0.0, 1.0),
)
def test_hsv_to_rgb_agrees_with_colorsys(h: float, s: float, v: float) -> None:
    """The vectorised closed form against the standard library's HSV model.

    Both round to the nearest level; they may differ by one level where a
    channel lands within a rounding error of a half level.
    """
    import colorsys

    from salesfunnel.render.style import hsv_to_rgb

    ours = hsv_to_rgb(np.array([h]), np.array([s]), np.array([v]))[0].astype(int)
    theirs = [int(c * 255 + 0.5) for c in colorsys.hsv_to_rgb(h % 1.0, s, v)]
    assert np.abs(ours - theirs).max() <= 1
