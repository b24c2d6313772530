"""The small shared math of ellipses and sides, for the shapes and the backends.

* :func:`_arc`: the vertices of an ellipse's arc, on one grid of angles per
  ellipse, so neighbouring polygons share vertices;
* :func:`_slope`, :func:`_half_height`, :func:`_across`, :func:`_side_spans`:
  the numbers of ellipses and sides that the coverage engine and the raster
  backend vectorise (each takes arrays as well as scalars).

Split from :mod:`salesfunnel.render.shapes` (whose records use them) to keep
that module within the size rule.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import numpy.typing as npt

__all__: list[str] = []


# How far (layout pixels) a straight edge of a region's polygon may stray inside
# the elliptic arc it stands for: image-map areas follow the hit mask this closely.
_CHORD_TOLERANCE = 0.2


def _arc(
    cx: float, cy: float, rx: float, ry: float, a0: float, a1: float
) -> list[tuple[float, float]]:
    """Points of an ellipse's arc from angle ``a0`` to ``a1`` (either direction), both ends kept.

    Between the ends, the vertices sit on one grid of angles per ellipse (a
    multiple of four steps per turn, fine enough that no chord strays more than
    :data:`_CHORD_TOLERANCE` inside the arc, at least 32 a turn), so two
    polygons along the same ellipse (a rim and the side below it) share their
    vertices and leave no gap between them, rounded or not.
    """
    r = max(rx, ry, 0.0)
    # a chord over an angle d strays at most r * d**2 / 8 inside the arc
    quarter = max(8, math.ceil(math.pi / 2 * math.sqrt(r / (8 * _CHORD_TOLERANCE))))
    step = math.pi / 2 / quarter
    lo, hi = min(a0, a1), max(a0, a1)
    first, last = math.floor(lo / step + 1e-9) + 1, math.ceil(hi / step - 1e-9)
    table = _unit_circle(quarter)
    if first >= 0 and last <= len(table):
        grid = table[first:last]
    else:
        grid = [(math.cos(k * step), math.sin(k * step)) for k in range(first, last)]
    trig = [(math.cos(lo), math.sin(lo)), *grid, (math.cos(hi), math.sin(hi))]
    if a0 > a1:
        trig.reverse()
    # Python floats first: the same sums and products, without a float() per vertex
    cx, cy, rx, ry = float(cx), float(cy), float(rx), float(ry)
    return [(cx + rx * c, cy + ry * s) for c, s in trig]


@lru_cache(maxsize=256)
def _unit_circle(quarter: int) -> list[tuple[float, float]]:
    """``(cos, sin)`` of ``k * step`` for k over one turn and one step (a grid of :func:`_arc`).

    The same angles as computing them in place (the same products ``k * step``),
    so the same vertices; worked out once per grid instead of once per arc.
    """
    step = math.pi / 2 / quarter
    return [(math.cos(k * step), math.sin(k * step)) for k in range(4 * quarter + 1)]


def _slope(r: float, b: float) -> tuple[float, float]:
    """``(b / r, b)`` for an ellipse of radii ``r``, ``b``: what :func:`_half_height` takes.

    An ellipse with no area (a radius <= 0, or so thin that ``b / r`` overflows)
    is ``(0, 0)``: half height 0 everywhere.
    """
    if r > 0 and b > 0 and math.isfinite(b / r):
        return b / r, b
    return 0.0, 0.0


def _half_height(
    dx: npt.NDArray[np.float64],
    slope: float | npt.NDArray[np.float64],
    b: float | npt.NDArray[np.float64],
    out: npt.NDArray[np.float64] | None = None,
) -> npt.NDArray[np.float64]:
    """Half the height of an ellipse at ``dx`` from its centre, 0 outside.

    ``sqrt(max(b**2 - (slope * dx)**2, 0))`` with ``(slope, b)`` from
    :func:`_slope`; the numbers may be arrays like ``dx`` (one ellipse per
    element). ``out`` may be ``dx`` itself.
    """
    h = np.multiply(dx, slope, out=out)
    with np.errstate(over="ignore"):  # a sub-pixel ellipse: far columns are just outside
        h *= h
    np.subtract(np.multiply(b, b), h, out=h)
    np.maximum(h, 0.0, out=h)
    return np.sqrt(h, out=h)


def _across(
    xs: npt.NDArray[np.float64],
    x0: float | npt.NDArray[np.float64],
    span: float | npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]:
    """Position across a side, ``2 (x - x0) / span - 1``: -1 at ``x0``, 1 at ``x0 + span``.

    0 across a side of no width. The numbers may be arrays like ``xs``.
    """
    u = np.subtract(xs, x0)
    u *= 2.0
    wide = np.greater(span, 0)
    u /= np.where(wide, span, np.inf)
    u -= np.where(wide, 1.0, 0.0)
    return u


def _side_spans(
    ax: npt.NDArray[np.float64], *numbers: float | npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """:meth:`Side.spans` at distances ``ax`` from the centre line.

    ``numbers`` are :meth:`Side._span_numbers`, each a scalar or an array like
    ``ax`` (one side per element), so the raster backend can shade many sides in
    one pass. The top is the top ellipse's front arc; the bottom is the bottom
    ellipse's front arc within its radius and the straight edge beyond it.
    """
    y0, k0, b0, y1, k1, b1, r0, r1, m, sx = numbers

    def arc(
        y: float | npt.NDArray[np.float64],
        k: float | npt.NDArray[np.float64],
        b: float | npt.NDArray[np.float64],
    ) -> npt.NDArray[np.float64]:
        h = _half_height(ax, k, b)
        h += y
        return h

    top = arc(y0, k0, b0)
    edge = np.subtract(ax, r0)
    edge *= m
    edge += y0
    bottom = np.where(ax <= r1, arc(y1, k1, b1), edge)
    np.maximum(bottom, top, out=bottom)
    # beyond the start point the side is empty: a zero span at its top (not at y = 0,
    # which would stretch the coverage bands of the column over the whole box)
    np.copyto(bottom, top, where=ax > sx)
    return top, bottom
