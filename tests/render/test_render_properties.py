"""Properties every chart must have, for any valid input (hypothesis)."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import numpy as np
from hypothesis import given, settings, strategies as st
from PIL import Image

from salesfunnel import Funnel, FunnelChart, Style
from salesfunnel.render.layout import Shape
from salesfunnel.render.shapes import Layer

from render_helpers import stage_pixels, uniform_interior
from strategies import chart_sizes, funnel_sets, labelled_funnels

SVG = "{http://www.w3.org/2000/svg}"
LAYERS = [layer.value for layer in Layer]
SHAPES = st.sampled_from([None, "funnel", "bars"])  # None: the form chosen for the data


def _as_list(data: object) -> list[Funnel]:
    if isinstance(data, Funnel):
        return [data]
    if isinstance(data, dict):
        return list(data.values())
    assert isinstance(data, list)
    return data


@settings(max_examples=40)
@given(data=funnel_sets(), size=chart_sizes, title=st.none() | st.text(max_size=30))
def test_any_funnel_set_renders_to_every_output(
    data: object, size: tuple[int, int], title: str | None
) -> None:
    chart = FunnelChart(data, width=size[0], height=size[1], title=title)  # type: ignore[arg-type]
    image = chart.to_image()
    assert image.size == size
    assert image.mode == "RGB"
    png = Image.open(io.BytesIO(chart.to_png()))
    assert png.size == size
    svg = chart.to_svg()
    root = ET.fromstring(svg)
    assert root.tag == SVG + "svg"
    assert root.get("viewBox") == f"0 0 {size[0]} {size[1]}"
    groups = [g.get("data-layer") for g in root.findall(SVG + "g")]
    assert groups == LAYERS
    for element in root.iter():
        part = element.get("data-part")
        if part in ("rim", "side", "label", "legend"):
            assert element.get("data-stage") is not None, element.attrib
    assert svg == chart.to_svg()
    assert chart.geometry.contains_all()


@settings(max_examples=40)
@given(data=funnel_sets(), size=chart_sizes, shape=SHAPES)
def test_every_nonzero_stage_owns_a_hit_pixel(
    data: object, size: tuple[int, int], shape: Shape | None
) -> None:
    chart = FunnelChart(data, width=size[0], height=size[1], shape=shape)  # type: ignore[arg-type]
    owned = stage_pixels(chart)
    for j, funnel in enumerate(_as_list(data)):
        for i, stage in enumerate(funnel.stages):
            if stage.count > 0:
                assert owned.get((j, i), 0) >= 1, (j, i, stage)


@settings(max_examples=25)
@given(data=funnel_sets(), size=chart_sizes)
def test_hit_test_agrees_with_hit_mask_away_from_edges(data: object, size: tuple[int, int]) -> None:
    chart = FunnelChart(data, width=size[0], height=size[1])  # type: ignore[arg-type]
    mask = chart.hit_mask()
    ys, xs = np.nonzero(uniform_interior(mask))
    pick = np.linspace(0, len(xs) - 1, num=min(len(xs), 300)).astype(int)
    for x, y in zip(xs[pick].tolist(), ys[pick].tolist(), strict=True):
        hit = chart.hit_test(x + 0.5, y + 0.5)
        expected = int(mask[y, x])
        assert (hit.region.id if hit else -1) == expected
    many = chart.hit_test_many(xs + 0.5, ys + 0.5)
    assert np.array_equal(many, mask[ys, xs])


# A style whose every stage is one flat color: an exact stage color in the image
# means "fully covered by that stage", so its pixel must decode to it.
FLAT = Style(
    hues=tuple(i / 10 for i in range(10)),
    saturation_shadow=0.8,
    saturation_light=0.8,
    value_shadow=0.85,
    value_light=0.85,
    show_ellipses=False,
    show_rims=False,
    show_outline=False,
    show_labels=False,
    show_title=False,
    show_legend=False,
)


@settings(max_examples=30)
@given(funnel=labelled_funnels(max_stages=10), size=chart_sizes, shape=SHAPES)
def test_hit_mask_agrees_with_the_image(
    funnel: Funnel, size: tuple[int, int], shape: Shape | None
) -> None:
    chart = FunnelChart(funnel, width=size[0], height=size[1], style=FLAT, shape=shape)
    pixels = np.asarray(chart.to_image()).astype(np.int32)
    mask = chart.hit_mask()
    for i in range(len(funnel)):
        color = np.array(FLAT.face_color(FLAT.hue(i, len(funnel))), dtype=np.int32)
        covered = np.all(pixels == color, axis=2)
        if not covered.any():
            continue
        decoded = {chart.regions[r].stage for r in np.unique(mask[covered]).tolist() if r >= 0}
        assert decoded == {i}
        assert (mask[covered] >= 0).all()


@settings(max_examples=40)
@given(
    data=funnel_sets(),
    size=st.tuples(st.integers(16, 120), st.integers(16, 120)),
    scale=st.sampled_from([0.5, 1, 1.5, 2]),
    title=st.none() | st.text(max_size=30),
)
def test_tiny_canvases_and_odd_scales_stay_sane(
    data: object, size: tuple[int, int], scale: float, title: str | None
) -> None:
    """Any canvas down to 16 x 16: every output renders at the exact size, inside the canvas.

    (Hit pixels per stage are not promised here: 30 stages cannot each own a
    pixel row of a 16-pixel canvas.)"""
    chart = FunnelChart(data, width=size[0], height=size[1], scale=scale, title=title)  # type: ignore[arg-type]
    expected = (round(size[0] * scale), round(size[1] * scale))
    assert chart.to_image().size == expected
    assert chart.hit_mask().shape == (expected[1], expected[0])
    ET.fromstring(chart.to_svg())
    assert chart.geometry.contains_all()
