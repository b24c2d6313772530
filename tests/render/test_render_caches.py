"""The layout's caches give exactly the numbers they stand for."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, strategies as st

from salesfunnel.render.shapes import _arc
from salesfunnel.render.style import Style, hsv_to_rgb
from salesfunnel.render.text import _MEASURE_SIZE, advance, font

finite = st.floats(-1e4, 1e4, allow_nan=False)
angles = st.floats(0.0, 2 * math.pi, allow_nan=False)


def _arc_in_place(
    cx: float, cy: float, rx: float, ry: float, a0: float, a1: float
) -> list[tuple[float, float]]:
    """_arc as it was written before its trig table: every angle computed in place."""
    r = max(rx, ry, 0.0)
    quarter = max(8, math.ceil(math.pi / 2 * math.sqrt(r / (8 * 0.2))))
    step = math.pi / 2 / quarter
    lo, hi = min(a0, a1), max(a0, a1)
    first, last = math.floor(lo / step + 1e-9) + 1, math.ceil(hi / step - 1e-9)
    ks = [lo, *(k * step for k in range(first, last)), hi]
    if a0 > a1:
        ks.reverse()
    return [(float(cx + rx * math.cos(a)), float(cy + ry * math.sin(a))) for a in ks]


@given(finite, finite, st.floats(0, 5000), st.floats(0, 800), angles, angles)
def test_arc_table_gives_the_same_vertices(
    cx: float, cy: float, rx: float, ry: float, a0: float, a1: float
) -> None:
    assert _arc(cx, cy, rx, ry, a0, a1) == _arc_in_place(cx, cy, rx, ry, a0, a1)


def test_arc_beyond_one_turn_is_computed_in_place() -> None:
    assert _arc(0, 0, 10, 5, -1.0, 7.0) == _arc_in_place(0, 0, 10, 5, -1.0, 7.0)


@given(st.text(max_size=30), st.floats(4, 200))
def test_measured_advance_is_the_fonts(text: str, size: float) -> None:
    expected = float(font(_MEASURE_SIZE).getlength(text)) * size / _MEASURE_SIZE if text else 0.0
    assert advance(text, size) == expected
    assert advance(text, size) == expected  # second call: from the cache


@given(st.floats(0, 1), st.floats(0, 1), st.floats(0, 1))
def test_cached_colors_are_the_ramps(hue: float, s: float, v: float) -> None:
    style = Style()
    rgb = hsv_to_rgb(np.array([hue]), np.array([s]), np.array([v]))[0]
    assert style.flat(hue, s, v) == (int(rgb[0]), int(rgb[1]), int(rgb[2]))
    face = style.shade(hue, [0.0])[0]
    assert style.face_color(hue) == (int(face[0]), int(face[1]), int(face[2]))
