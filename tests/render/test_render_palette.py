"""The default palette: neighbouring stages differ clearly, also with colour-blind eyes.

Colour difference: CIE 1976 delta E, the Euclidean distance in CIELAB (D65
white; sRGB -> linear -> XYZ with the sRGB primaries of IEC 61966-2-1).
Simulated dichromacy: the severity-1.0 matrices of Machado, Oliveira and
Fernandes, "A Physiologically-based Model for Simulation of Color Vision
Deficiency", IEEE TVCG 15(6), 2009, applied to linear sRGB.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from salesfunnel import Funnel, FunnelChart, FunnelDataError, Style
from salesfunnel.render.shapes import Layer, Rect

PROTANOPIA = np.array(
    [
        [0.152286, 1.052583, -0.204868],
        [0.114503, 0.786281, 0.099216],
        [-0.003882, -0.048116, 1.051998],
    ]
)
DEUTERANOPIA = np.array(
    [
        [0.367322, 0.860646, -0.227968],
        [0.280085, 0.672501, 0.047413],
        [-0.011820, 0.042940, 0.968881],
    ]
)
SRGB_TO_XYZ = np.array(
    [
        [0.4124564, 0.3575761, 0.1804375],
        [0.2126729, 0.7151522, 0.0721750],
        [0.0193339, 0.1191920, 0.9503041],
    ]
)
WHITE_D65 = np.array([0.95047, 1.0, 1.08883])
NEIGHBOURS_APART = 40.0  # delta E 76: far beyond "clearly different" (about 10)
ANY_TWO_APART = 30.0  # in normal vision, every two stages of the six


def _linear(rgb: tuple[int, int, int]) -> np.ndarray:
    c = np.asarray(rgb, dtype=np.float64) / 255.0
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _lab(linear: np.ndarray) -> np.ndarray:
    xyz = SRGB_TO_XYZ @ np.clip(linear, 0.0, 1.0) / WHITE_D65
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def delta_e(a: tuple[int, int, int], b: tuple[int, int, int], seen: np.ndarray | None) -> float:
    la, lb = _linear(a), _linear(b)
    if seen is not None:
        la, lb = seen @ la, seen @ lb
    return float(np.linalg.norm(_lab(la) - _lab(lb)))


def test_delta_e_worked_examples() -> None:
    # white against black: L* 100 against 0
    assert delta_e((255, 255, 255), (0, 0, 0), None) == pytest.approx(100.0, abs=0.01)
    # pure red against pure green differ hugely, and far less to a deuteranope
    normal = delta_e((255, 0, 0), (0, 255, 0), None)
    assert normal == pytest.approx(170.6, abs=0.5)
    assert delta_e((255, 0, 0), (0, 255, 0), DEUTERANOPIA) < normal / 2


def _faces(style: Style, n: int) -> list[tuple[int, int, int]]:
    return [style.face_color(style.hue(i, n)) for i in range(n)]


@pytest.mark.parametrize("seen", [None, DEUTERANOPIA, PROTANOPIA], ids=["normal", "deut", "prot"])
def test_neighbouring_stages_differ_clearly(seen: np.ndarray | None) -> None:
    faces = _faces(Style(), 12)  # twelve stages: the six hues twice, so 6 -> 1 is a neighbour too
    smallest = min(delta_e(a, b, seen) for a, b in itertools.pairwise(faces))
    assert smallest > NEIGHBOURS_APART


def test_the_former_ramp_fails_the_same_check() -> None:
    faces = _faces(Style(palette="ramp"), 6)
    smallest = min(delta_e(a, b, DEUTERANOPIA) for a, b in itertools.pairwise(faces))
    assert smallest < NEIGHBOURS_APART / 2


def test_any_two_of_the_six_differ() -> None:
    faces = _faces(Style(), 6)
    assert min(delta_e(a, b, None) for a, b in itertools.combinations(faces, 2)) > ANY_TWO_APART


def test_the_legend_shows_the_palette() -> None:
    funnels = {k: Funnel.from_counts({"A": 10 + k, "B": 5, "C": 2}) for k in range(2)}
    chart = FunnelChart(funnels, width=600, height=400)
    swatches = [
        s.primitive.fill
        for s in chart.geometry.shapes
        if s.layer is Layer.LEGEND and isinstance(s.primitive, Rect)
    ]
    assert swatches == _faces(Style(), 3)


def test_a_bad_palette_is_refused() -> None:
    with pytest.raises(FunnelDataError, match="palette"):
        Style(palette="rainbow")  # type: ignore[arg-type]
