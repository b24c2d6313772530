"""The primitives of a chart's geometry: tagged shapes, regions, and the frozen result.

Every output reads a :class:`Geometry` and nothing else: the raster backend,
the SVG backend and the hit map paint the same shapes in the same order (see
:mod:`salesfunnel.render.paint`), so a click decodes to exactly what was drawn.
:func:`~salesfunnel.render.layout.layout` builds it; this module holds what it
is made of:

* the primitives (:class:`Ellipse`, :class:`Side`, :class:`Line`,
  :class:`Rect`, :class:`Text`, and :class:`HitArea`, a clickable rectangle
  that is never drawn), each with its ``bounds``;
* :class:`Shape`, a primitive tagged with its paint :class:`Layer` and its
  :class:`Region` (which funnel, which stage, which part);
* the small shared math of ellipses and sides (:func:`_slope`,
  :func:`_half_height`, :func:`_across`, :func:`_side_spans`) that the
  coverage engine and the raster backend vectorise;
* :func:`output_size`, the one rule from layout size and scale to pixels.

Words: ``width`` and ``height`` are the canvas's (layout pixels; the output
pixels are :func:`output_size`); a stroke's width is ``stroke_width``; how far
a text runs along its baseline is its ``advance``.
"""

from __future__ import annotations

import math
import reprlib
from collections.abc import Hashable
from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache
from typing import TYPE_CHECKING, Literal

import numpy as np

from .style import Color, Style
from .text import ascent

if TYPE_CHECKING:
    import numpy.typing as npt

__all__ = [
    "Ellipse",
    "Geometry",
    "Gradient",
    "HitArea",
    "LabelNote",
    "Layer",
    "Line",
    "Rect",
    "Region",
    "Shape",
    "Side",
    "Text",
    "output_size",
]

Part = Literal["rim", "side", "label", "legend", "heading"]


class Layer(str, Enum):
    """Paint layers, in paint order (the enum's order is the paint order).

    ``ELLIPSE`` holds each stage's rim ellipse fill and, just before it, the
    stage's hit target (a :class:`HitArea`, never drawn): painted in the
    stage's turn, it only claims pixels that nothing painted later covers. The
    SVG has one group per layer, named by the value.
    """

    ELLIPSE = "ellipse"
    RIM = "rim"
    SIDE = "side"
    COVER = "cover"
    OUTLINE = "outline"
    LABEL = "label"
    TITLE = "title"
    LEGEND = "legend"


# -- primitives ------------------------------------------------------------------
# Coordinates are layout pixels: float, y down, origin at the top-left corner.


@dataclass(frozen=True, slots=True)
class Gradient:
    """The HSV side shading of one stage: ``u = -1`` at ``x0``, ``u = 1`` at ``x1``."""

    hue: float
    x0: float
    x1: float
    style: Style = field(repr=False)

    def colors_at(self, xs: npt.ArrayLike) -> npt.NDArray[np.uint8]:
        """Exact ramp colors (n x 3 uint8) at layout x positions."""
        return self.style.shade(self.hue, self.u_at(xs))

    def u_at(self, xs: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """Position across the side (-1 at ``x0``, 1 at ``x1``) at layout x positions."""
        return _across(np.asarray(xs, dtype=np.float64), self.x0, self.x1 - self.x0)

    def stops(self, count: int = 25) -> list[tuple[float, Color]]:
        """``count`` (offset, color) stops, denser near the edges where the ramp bends.

        The ramp follows ``sqrt(1 - u**2)``, steep at ``u = +-1``; a sine of a sine
        packs stops there so straight segments stay within a few levels of it.
        """
        s = np.linspace(-1.0, 1.0, count)
        u = np.sin(np.pi / 2 * np.sin(np.pi / 2 * s))
        rgb = self.style.shade(self.hue, u)
        return [
            ((float(ui) + 1.0) / 2.0, (int(c[0]), int(c[1]), int(c[2])))
            for ui, c in zip(u, rgb, strict=True)
        ]


Fill = Color | Gradient


@dataclass(frozen=True, slots=True)
class Ellipse:
    """An axis-aligned ellipse, filled and/or stroked; ``front`` keeps the half with y >= cy."""

    cx: float
    cy: float
    rx: float
    ry: float
    fill: Fill | None = None
    stroke: Color | None = None
    stroke_width: float = 0.0
    dashed: bool = False
    front: bool = False

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        pad = self.stroke_width / 2 if self.stroke is not None else 0.0
        top = self.cy if self.front else self.cy - self.ry
        return (
            self.cx - self.rx - pad,
            top - pad,
            self.cx + self.rx + pad,
            self.cy + self.ry + pad,
        )

    def polygon(self, count: int | None = None) -> tuple[tuple[float, float], ...]:
        """The outline as a polygon: ``count`` vertices, or by default :func:`_arc`'s."""
        stop = math.pi if self.front else 2 * math.pi
        if count is None:
            pts = _arc(self.cx, self.cy, self.rx, self.ry, 0.0, stop)
            return tuple(pts if self.front else pts[:-1])
        t = np.linspace(0.0, stop, count, endpoint=self.front)
        return tuple(
            (float(self.cx + self.rx * math.cos(a)), float(self.cy + self.ry * math.sin(a)))
            for a in t
        )


@dataclass(frozen=True, slots=True)
class Side:
    """The shaded side of a slice: from the front arc of the top ellipse (``y0``) down to
    the front arc of the bottom ellipse (``y1``), between straight edges.

    ``t0`` is where the edges leave the top ellipse (a fraction of the edge); above
    it the top ellipse is in front, so the side starts there.
    """

    cx: float
    y0: float
    r0: float
    b0: float
    y1: float
    r1: float
    b1: float
    fill: Gradient
    t0: float = 0.0

    @property
    def start(self) -> tuple[float, float]:
        """Right edge point where the side starts (offset from cx, absolute y)."""
        return (
            self.r0 + (self.r1 - self.r0) * self.t0,
            self.y0 + (self.y1 - self.y0) * self.t0,
        )

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        return (self.cx - self.r0, self.y0, self.cx + self.r0, self.y1 + self.b1)

    def spans(
        self, xs: npt.NDArray[np.float64]
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """Top and bottom y of the side in each column at ``xs`` (bottom == top: empty)."""
        return _side_spans(np.abs(xs - self.cx), *self._span_numbers())

    def _span_numbers(self) -> tuple[float, ...]:
        """The numbers :func:`_side_spans` takes for this side (slopes worked out once)."""
        k0, b0 = _slope(self.r0, self.b0)
        k1, b1 = _slope(self.r1, self.b1)
        # the straight edges' slope; it only matters where the side narrows (beyond
        # r1 a side that widens is empty: past its start point)
        m = (self.y1 - self.y0) / (self.r1 - self.r0) if self.r0 > self.r1 else 0.0
        return (self.y0, k0, b0, self.y1, k1, b1, self.r0, self.r1, m, self.start[0])

    def polygon(self, count: int | None = None) -> tuple[tuple[float, float], ...]:
        """The outline as a polygon: arcs of ``count`` vertices, or by default :func:`_arc`'s."""
        sx, sy = self.start
        a_start = math.acos(min(1.0, sx / self.r0)) if self.r0 > 0 else 0.0
        if count is None:
            # the bottom arc, then back along the top ellipse's front arc from the
            # right start to the left one (vertices shared with the rim ellipses)
            pts = [(self.cx - sx, sy)]
            pts += _arc(self.cx, self.y1, self.r1, self.b1, math.pi, 0.0)
            pts.append((self.cx + sx, sy))
            pts += _arc(self.cx, self.y0, self.r0, self.b0, a_start, math.pi - a_start)[1:-1]
            return tuple(pts)
        pts = [(self.cx - sx, sy), (self.cx - self.r1, self.y1)]
        for a in np.linspace(math.pi, 0.0, count)[1:-1]:
            pts.append((self.cx + self.r1 * math.cos(a), self.y1 + self.b1 * math.sin(a)))
        pts += [(self.cx + self.r1, self.y1), (self.cx + sx, sy)]
        for a in np.linspace(a_start, math.pi - a_start, count)[1:-1]:
            pts.append((self.cx + self.r0 * math.cos(a), self.y0 + self.b0 * math.sin(a)))
        return tuple((float(x), float(y)) for x, y in pts)


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


@dataclass(frozen=True, slots=True)
class Line:
    """A straight stroke ``stroke_width`` wide from (x0, y0) to (x1, y1), butt ends."""

    x0: float
    y0: float
    x1: float
    y1: float
    color: Color
    stroke_width: float = 1.0
    dashed: bool = False

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        w = self.stroke_width / 2
        return (
            min(self.x0, self.x1) - w,
            min(self.y0, self.y1) - w,
            max(self.x0, self.x1) + w,
            max(self.y0, self.y1) + w,
        )


class _Box:
    """What an axis-aligned box (``x0``, ``y0``, ``x1``, ``y1``) knows of itself."""

    __slots__ = ()
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        return (self.x0, self.y0, self.x1, self.y1)

    def polygon(self) -> tuple[tuple[float, float], ...]:
        return ((self.x0, self.y0), (self.x1, self.y0), (self.x1, self.y1), (self.x0, self.y1))


@dataclass(frozen=True, slots=True)
class Rect(_Box):
    """An axis-aligned filled rectangle (a legend swatch)."""

    x0: float
    y0: float
    x1: float
    y1: float
    fill: Color


@dataclass(frozen=True, slots=True)
class HitArea(_Box):
    """A clickable rectangle that is never drawn: a label's box, a stage's hit target.

    The hit map gives it the pixels whose centres it contains (and always the
    pixel under its centre); the SVG has it as an invisible rectangle that
    takes clicks; the raster image does not show it.
    """

    x0: float
    y0: float
    x1: float
    y1: float


@dataclass(frozen=True, slots=True)
class Text:
    """One line of text; (x, y) is the baseline start (or middle for ``anchor='middle'``).

    ``advance`` is how far the text runs along the baseline (its measured width).
    """

    x: float
    y: float
    text: str
    size: float
    color: Color
    anchor: Literal["start", "middle"] = "start"
    advance: float = 0.0

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        x0 = self.x - self.advance / 2 if self.anchor == "middle" else self.x
        return (x0, self.y - ascent(self.size), x0 + self.advance, self.y + 0.25 * self.size)


Primitive = Ellipse | Side | Line | Rect | HitArea | Text


@dataclass(frozen=True, slots=True)
class Shape:
    """A primitive tagged with its paint layer and its region (an index into regions)."""

    layer: Layer
    region: int | None
    primitive: Primitive


_REPR = reprlib.Repr()
_REPR.maxstring = 40
_REPR.maxother = 40


def _short_repr(value: object) -> str:
    """repr() cut to about 40 characters, so a repr naming user keys stays one short line."""
    return _REPR.repr(value)


@dataclass(frozen=True, slots=True)
class Region:
    """A clickable part of the chart.

    ``funnel`` is the funnel's key (mapping key, sequence index, or the funnel's
    name for a single funnel); ``funnel_index`` its position (None for legend
    entries, which stand for a stage across all funnels); ``stage`` the stage
    index (None for a funnel heading); ``part`` one of rim, side, label, legend,
    heading. ``polygon`` and ``bounds`` are in output pixels once read from a
    chart. ``text`` holds the same words and numbers as the stage's label. The
    repr names the id, funnel, stage and part only.
    """

    id: int
    funnel: Hashable
    funnel_index: int | None
    stage: int | None
    part: str
    polygon: tuple[tuple[float, float], ...]
    bounds: tuple[float, float, float, float]
    text: str

    def __repr__(self) -> str:
        return (
            f"Region(id={self.id}, funnel={_short_repr(self.funnel)}, "
            f"stage={self.stage}, part={self.part!r})"
        )


@dataclass(frozen=True, slots=True)
class LabelNote:
    """A label (or legend entry) that was shortened or hidden to keep the chart legible."""

    funnel: Hashable
    stage: int
    name: str
    status: Literal["shortened", "hidden"]
    where: Literal["label", "legend"] = "label"


@dataclass(frozen=True, slots=True)
class Geometry:
    """The frozen result of :func:`layout`: canvas size, shapes in paint order, regions."""

    width: float
    height: float
    shapes: tuple[Shape, ...]
    regions: tuple[Region, ...]
    label_notes: tuple[LabelNote, ...]
    description: str

    def shapes_in(self, layer: Layer) -> tuple[Shape, ...]:
        """The shapes of one layer, in paint order."""
        return tuple(s for s in self.shapes if s.layer is layer)

    def contains_all(self) -> bool:
        """True when every drawn shape lies inside the canvas."""
        eps = 1e-6
        for s in self.shapes:
            x0, y0, x1, y1 = s.primitive.bounds
            if x0 < -eps or y0 < -eps or x1 > self.width + eps or y1 > self.height + eps:
                return False
        return True


def output_size(width: float, height: float, scale: float) -> tuple[int, int]:
    """Output pixels of a ``width`` x ``height`` layout drawn at ``scale``: each side rounded.

    The one rule every backend and the chart use, so an image, an SVG viewBox
    and a hit mask of one chart always have the same size.

    >>> output_size(400, 300, 1.5), output_size(101, 50, 0.5)
    ((600, 450), (50, 25))
    """
    return round(width * scale), round(height * scale)


class _Builder:
    """Shapes, regions and label notes of a geometry under construction."""

    def __init__(self) -> None:
        self.shapes: list[Shape] = []
        self.regions: list[Region] = []
        self._ids: dict[tuple[int | None, int | None, str], int] = {}
        self.notes: list[LabelNote] = []

    def region(
        self,
        funnel: Hashable,
        funnel_index: int | None,
        stage: int | None,
        part: str,
        polygon: tuple[tuple[float, float], ...],
        text: str,
    ) -> int:
        key = (funnel_index, stage, part)
        if key in self._ids:
            return self._ids[key]
        xs = [p[0] for p in polygon]
        ys = [p[1] for p in polygon]
        rid = len(self.regions)
        bounds = (min(xs), min(ys), max(xs), max(ys))
        self.regions.append(Region(rid, funnel, funnel_index, stage, part, polygon, bounds, text))
        self._ids[key] = rid
        return rid

    def add(self, layer: Layer, region: int | None, primitive: Primitive) -> None:
        self.shapes.append(Shape(layer, region, primitive))

    def geometry(self, width: float, height: float, descriptions: list[str]) -> Geometry:
        """The frozen result: what was added, in the order it was added."""
        return Geometry(
            width,
            height,
            tuple(self.shapes),
            tuple(self.regions),
            tuple(self.notes),
            " ".join(descriptions),
        )
