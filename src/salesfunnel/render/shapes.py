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
* :func:`output_size`, the one rule from layout size and scale to pixels.

The records are frozen dataclasses whose methods come from
:class:`~salesfunnel.render.frozen.Frozen` (no code compiled at import); the
math of ellipses and sides is in :mod:`~salesfunnel.render.curves`, the
builder the layout fills in :mod:`~salesfunnel.render.builder`.

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
from typing import TYPE_CHECKING, Literal

import numpy as np

from .curves import _across, _arc, _side_spans, _slope
from .frozen import Frozen
from .style import Color, Style
from .text import ascent

if TYPE_CHECKING:
    import numpy.typing as npt

_set = object.__setattr__  # fields of frozen records are set once, in __init__

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


@dataclass(init=False, repr=False, eq=False, slots=True)
class Gradient(Frozen):
    """The HSV side shading of one stage: ``u = -1`` at ``x0``, ``u = 1`` at ``x1``."""

    hue: float
    x0: float
    x1: float
    style: Style = field(repr=False)

    def __init__(self, hue: float, x0: float, x1: float, style: Style) -> None:
        _set(self, "hue", hue)
        _set(self, "x0", x0)
        _set(self, "x1", x1)
        _set(self, "style", style)

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


@dataclass(init=False, repr=False, eq=False, slots=True)
class Ellipse(Frozen):
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

    def __init__(
        self,
        cx: float,
        cy: float,
        rx: float,
        ry: float,
        fill: Fill | None = None,
        stroke: Color | None = None,
        stroke_width: float = 0.0,
        dashed: bool = False,
        front: bool = False,
    ) -> None:
        _set(self, "cx", cx)
        _set(self, "cy", cy)
        _set(self, "rx", rx)
        _set(self, "ry", ry)
        _set(self, "fill", fill)
        _set(self, "stroke", stroke)
        _set(self, "stroke_width", stroke_width)
        _set(self, "dashed", dashed)
        _set(self, "front", front)

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


@dataclass(init=False, repr=False, eq=False, slots=True)
class Side(Frozen):
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

    def __init__(
        self,
        cx: float,
        y0: float,
        r0: float,
        b0: float,
        y1: float,
        r1: float,
        b1: float,
        fill: Gradient,
        t0: float = 0.0,
    ) -> None:
        _set(self, "cx", cx)
        _set(self, "y0", y0)
        _set(self, "r0", r0)
        _set(self, "b0", b0)
        _set(self, "y1", y1)
        _set(self, "r1", r1)
        _set(self, "b1", b1)
        _set(self, "fill", fill)
        _set(self, "t0", t0)

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


@dataclass(init=False, repr=False, eq=False, slots=True)
class Line(Frozen):
    """A straight stroke ``stroke_width`` wide from (x0, y0) to (x1, y1), butt ends."""

    x0: float
    y0: float
    x1: float
    y1: float
    color: Color
    stroke_width: float = 1.0
    dashed: bool = False

    def __init__(
        self,
        x0: float,
        y0: float,
        x1: float,
        y1: float,
        color: Color,
        stroke_width: float = 1.0,
        dashed: bool = False,
    ) -> None:
        _set(self, "x0", x0)
        _set(self, "y0", y0)
        _set(self, "x1", x1)
        _set(self, "y1", y1)
        _set(self, "color", color)
        _set(self, "stroke_width", stroke_width)
        _set(self, "dashed", dashed)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        w = self.stroke_width / 2
        return (
            min(self.x0, self.x1) - w,
            min(self.y0, self.y1) - w,
            max(self.x0, self.x1) + w,
            max(self.y0, self.y1) + w,
        )


class _Box(Frozen):
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


@dataclass(init=False, repr=False, eq=False, slots=True)
class Rect(_Box):
    """An axis-aligned filled rectangle (a legend swatch)."""

    x0: float
    y0: float
    x1: float
    y1: float
    fill: Color

    def __init__(self, x0: float, y0: float, x1: float, y1: float, fill: Color) -> None:
        _set(self, "x0", x0)
        _set(self, "y0", y0)
        _set(self, "x1", x1)
        _set(self, "y1", y1)
        _set(self, "fill", fill)


@dataclass(init=False, repr=False, eq=False, slots=True)
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

    def __init__(self, x0: float, y0: float, x1: float, y1: float) -> None:
        _set(self, "x0", x0)
        _set(self, "y0", y0)
        _set(self, "x1", x1)
        _set(self, "y1", y1)


@dataclass(init=False, repr=False, eq=False, slots=True)
class Text(Frozen):
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

    def __init__(
        self,
        x: float,
        y: float,
        text: str,
        size: float,
        color: Color,
        anchor: Literal["start", "middle"] = "start",
        advance: float = 0.0,
    ) -> None:
        _set(self, "x", x)
        _set(self, "y", y)
        _set(self, "text", text)
        _set(self, "size", size)
        _set(self, "color", color)
        _set(self, "anchor", anchor)
        _set(self, "advance", advance)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        x0 = self.x - self.advance / 2 if self.anchor == "middle" else self.x
        return (x0, self.y - ascent(self.size), x0 + self.advance, self.y + 0.25 * self.size)


Primitive = Ellipse | Side | Line | Rect | HitArea | Text


@dataclass(init=False, repr=False, eq=False, slots=True)
class Shape(Frozen):
    """A primitive tagged with its paint layer and its region (an index into regions)."""

    layer: Layer
    region: int | None
    primitive: Primitive

    def __init__(self, layer: Layer, region: int | None, primitive: Primitive) -> None:
        _set(self, "layer", layer)
        _set(self, "region", region)
        _set(self, "primitive", primitive)


_REPR = reprlib.Repr()
_REPR.maxstring = 40
_REPR.maxother = 40


def _short_repr(value: object) -> str:
    """repr() cut to about 40 characters, so a repr naming user keys stays one short line."""
    return _REPR.repr(value)


@dataclass(init=False, repr=False, eq=False, slots=True)
class Region(Frozen):
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

    def __init__(
        self,
        id: int,
        funnel: Hashable,
        funnel_index: int | None,
        stage: int | None,
        part: str,
        polygon: tuple[tuple[float, float], ...],
        bounds: tuple[float, float, float, float],
        text: str,
    ) -> None:
        _set(self, "id", id)
        _set(self, "funnel", funnel)
        _set(self, "funnel_index", funnel_index)
        _set(self, "stage", stage)
        _set(self, "part", part)
        _set(self, "polygon", polygon)
        _set(self, "bounds", bounds)
        _set(self, "text", text)

    def __repr__(self) -> str:
        return (
            f"Region(id={self.id}, funnel={_short_repr(self.funnel)}, "
            f"stage={self.stage}, part={self.part!r})"
        )


@dataclass(init=False, repr=False, eq=False, slots=True)
class LabelNote(Frozen):
    """A label (or legend entry) that was shortened or hidden to keep the chart legible."""

    funnel: Hashable
    stage: int
    name: str
    status: Literal["shortened", "hidden"]
    where: Literal["label", "legend"] = "label"

    def __init__(
        self,
        funnel: Hashable,
        stage: int,
        name: str,
        status: Literal["shortened", "hidden"],
        where: Literal["label", "legend"] = "label",
    ) -> None:
        _set(self, "funnel", funnel)
        _set(self, "stage", stage)
        _set(self, "name", name)
        _set(self, "status", status)
        _set(self, "where", where)


@dataclass(init=False, repr=False, eq=False, slots=True)
class Geometry(Frozen):
    """The frozen result of :func:`layout`: canvas size, shapes in paint order, regions."""

    width: float
    height: float
    shapes: tuple[Shape, ...]
    regions: tuple[Region, ...]
    label_notes: tuple[LabelNote, ...]
    description: str

    def __init__(
        self,
        width: float,
        height: float,
        shapes: tuple[Shape, ...],
        regions: tuple[Region, ...],
        label_notes: tuple[LabelNote, ...],
        description: str,
    ) -> None:
        _set(self, "width", width)
        _set(self, "height", height)
        _set(self, "shapes", shapes)
        _set(self, "regions", regions)
        _set(self, "label_notes", label_notes)
        _set(self, "description", description)

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
