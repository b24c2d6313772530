"""Pillow's private fast paths against their public-API fallback: the same pixels and bytes.

The fallback is forced by making :func:`fast_paths_available` answer False, as
it does when a Pillow release changes the private calls; then every chart goes
through Pillow's public API only.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from PIL import Image

from salesfunnel import Funnel, FunnelChart, Stage, Style
from salesfunnel.datasets import three_managers
from salesfunnel.render import pillow_fast
from salesfunnel.render.pillow_fast import Canvas, FastCanvas, canvas

from render_helpers import core_without
from strategies import chart_sizes, funnel_sets

SIX = Funnel.from_counts(
    {"Calls": 200, "Meetings": 60, "Presentations": 45, "Offers": 30, "Contracts": 14, "Paid": 10}
)


def _charts() -> list[FunnelChart]:
    return [
        FunnelChart(SIX, width=400, height=300, title="Six stages"),
        FunnelChart(three_managers(), width=500, height=300, scale=1.5),
        # dashed rims and outlines (boosted stages), a zero stage, tiny slices
        FunnelChart(
            Funnel((Stage("A", 1000), Stage("B", 1), Stage("C", 0), Stage("D", 2))),
            width=300,
            height=200,
            min_visible=0.2,
            style=Style(rim_width=2.0),
        ),
    ]


@pytest.fixture
def public_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pillow_fast, "fast_paths_available", lambda: False)


def test_this_pillow_takes_the_fast_paths() -> None:
    # otherwise the comparisons below would compare the fallback with itself
    assert pillow_fast.fast_paths_available()
    assert type(canvas(Image.new("RGB", (2, 2)))) is FastCanvas


def test_fallback_draws_the_same_pixels_and_png_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    fast = [(c.to_image().tobytes(), c.to_png()) for c in _charts()]
    monkeypatch.setattr(pillow_fast, "fast_paths_available", lambda: False)
    assert type(canvas(Image.new("RGB", (2, 2)))) is Canvas
    for chart, (pixels, png) in zip(_charts(), fast, strict=True):
        assert chart.to_image().tobytes() == pixels
        assert chart.to_png() == png


def test_fast_charts_match_the_fallback_computed_first() -> None:
    # the other order: public first (fallback forced by hand), then the fast path
    charts = _charts()
    with pytest.MonkeyPatch.context() as m:
        m.setattr(pillow_fast, "fast_paths_available", lambda: False)
        slow = [(c.to_image().tobytes(), c.to_png()) for c in charts]
    for chart, (pixels, png) in zip(charts, slow, strict=True):
        assert chart.to_image().tobytes() == pixels
        assert chart.to_png() == png


@settings(max_examples=15, deadline=None)
@given(data=funnel_sets(), size=chart_sizes, scale=st.sampled_from([0.5, 1, 1.5]))
def test_fallback_matches_fast_path_on_any_chart(
    data: object, size: tuple[int, int], scale: float
) -> None:
    chart = FunnelChart(data, width=size[0], height=size[1], scale=scale)  # type: ignore[arg-type]
    fast = chart.to_image().tobytes()
    with pytest.MonkeyPatch.context() as m:
        m.setattr(pillow_fast, "fast_paths_available", lambda: False)
        assert chart.to_image().tobytes() == fast


def test_canvas_operations_agree_pixel_for_pixel() -> None:
    rng = np.random.default_rng(3)
    levels = rng.integers(0, 256, (7, 11), dtype=np.uint8)
    colors = np.full((11, 4), 255, dtype=np.uint8)
    colors[:, :3] = rng.integers(0, 256, (11, 3), dtype=np.uint8)
    box = (2, 1, 13, 8)
    out = []
    for kind in (Canvas, FastCanvas):
        c = kind(Image.new("RGB", (16, 10), (250, 250, 250)))
        c.paste((200, 10, 60), box, levels)
        c.paste_row(colors, box, np.ascontiguousarray(levels[::-1]))
        c.text((3.4, 8.7), "Ab \u00b7 9%", 7.5, "ls", (0, 0, 0))
        out.append(np.asarray(c.image))
    assert np.array_equal(out[0], out[1])
    assert (out[0] != 250).any()  # something was drawn


@pytest.mark.parametrize("mode", ["RGB", "RGBA"])
def test_pixels_fallback_reads_what_the_core_reads(mode: str, public_only: None) -> None:
    rng = np.random.default_rng(5)
    image = Image.fromarray(rng.integers(0, 256, (40, 31, len(mode)), dtype=np.uint8), mode)
    public = pillow_fast.pixels(image)  # np.asarray: the fast paths are off
    assert np.array_equal(public, np.asarray(image))
    fast = pillow_fast._core_pixels(image)  # the core's raw encoder, called directly
    assert fast.shape == (40, 31, len(mode))
    assert np.array_equal(fast, public)
    with pytest.raises(ValueError, match="mode 'L'"):
        pillow_fast.pixels(Image.new("L", (4, 4)))


def test_pixels_fall_back_when_the_raw_encoder_changed(monkeypatch: pytest.MonkeyPatch) -> None:
    def changed(image: Image.Image) -> object:
        raise TypeError("raw_encoder() takes different arguments now")

    image = Image.new("RGB", (3, 2), (1, 2, 3))
    monkeypatch.setattr(pillow_fast, "_core_pixels", changed)
    assert np.array_equal(pillow_fast.pixels(image), np.full((2, 3, 3), (1, 2, 3), dtype=np.uint8))


def test_a_changed_private_interface_turns_the_fast_paths_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pillow_fast.fast_paths_available.cache_clear()  # type: ignore[attr-defined]
    monkeypatch.setattr(pillow_fast, "pil_core", core_without("map_buffer"))  # renamed
    try:
        assert not pillow_fast.fast_paths_available()
        chart = FunnelChart(SIX, width=200, height=150)
        assert chart.to_png().startswith(b"\x89PNG")
    finally:
        pillow_fast.fast_paths_available.cache_clear()  # type: ignore[attr-defined]
