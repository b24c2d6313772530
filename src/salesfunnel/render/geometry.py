"""Layout: funnels + style -> one frozen geometry of tagged shapes.

Every output reads this geometry and nothing else: the raster backend, the SVG
backend and the hit map paint the same shapes in the same order (see
:mod:`salesfunnel._paint`), so a click decodes to exactly what was drawn.

The picture follows the source's layered drawing. Each stage is a slice of a
cone (a frustum) stacked under the previous one:

* its **rim ellipse** (top of the slice) is filled with the darker inside of the
  funnel and stroked with the rim line;
* its **side** is shaded across its width through the HSV ramp of the style;
* its **cover** repaints the front half of its bottom ellipse after every side
  is drawn, so it lies over the next stage's rim ellipse and hides that
  ellipse's upper rim, as the source's cover lines do;
* its **outline** strokes the visible silhouette.

Honest encoding: a stage's value sets the width of its own rim ellipse only
(``linear``: width proportional to the count; ``sqrt``: proportional to its
square root). Every slice tapers by the same factor, so neighbours never change
a stage's size. Zero stays zero (nothing is drawn, the label still says 0); an
optional minimum visible width applies to non-zero stages only and is marked
(``Ellipse.dashed`` rim).
"""

from __future__ import annotations

import math
import reprlib
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Literal

import numpy as np

from .._format import fmt_number, fmt_percent
from ..funnel.model import Funnel
from ..funnel.rates import conversion_from_first, step_conversion
from .style import Color, Style
from .text import ELLIPSIS, ascent, clean, fit, line_height, text_width, wrap

if TYPE_CHECKING:
    import numpy.typing as npt

__all__ = [
    "Ellipse",
    "Geometry",
    "Gradient",
    "LabelNote",
    "Layer",
    "Line",
    "Rect",
    "Region",
    "Shape",
    "Side",
    "Text",
    "layout",
]

WidthMapping = Literal["linear", "sqrt"]
Heights = Literal["equal", "value"]
PercentBasis = Literal["both", "first", "previous", "none"]
Part = Literal["rim", "side", "label", "legend", "heading"]


class Layer(str, Enum):
    """Paint layers, in paint order (the enum's order is the paint order)."""

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
    width: float = 0.0
    dashed: bool = False
    front: bool = False

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        pad = self.width / 2 if self.stroke is not None else 0.0
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
    angles = [lo, *(k * step for k in range(first, last)), hi]
    if a0 > a1:
        angles.reverse()
    return [(float(cx + rx * math.cos(a)), float(cy + ry * math.sin(a))) for a in angles]


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
    """A straight stroke of ``width`` from (x0, y0) to (x1, y1), butt ends."""

    x0: float
    y0: float
    x1: float
    y1: float
    color: Color
    width: float = 1.0
    dashed: bool = False

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        w = self.width / 2
        return (
            min(self.x0, self.x1) - w,
            min(self.y0, self.y1) - w,
            max(self.x0, self.x1) + w,
            max(self.y0, self.y1) + w,
        )


@dataclass(frozen=True, slots=True)
class Rect:
    """An axis-aligned rectangle; ``fill=None`` makes it a hit area only (never drawn)."""

    x0: float
    y0: float
    x1: float
    y1: float
    fill: Color | None = None

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        return (self.x0, self.y0, self.x1, self.y1)

    def polygon(self) -> tuple[tuple[float, float], ...]:
        return ((self.x0, self.y0), (self.x1, self.y0), (self.x1, self.y1), (self.x0, self.y1))


@dataclass(frozen=True, slots=True)
class Text:
    """One line of text; (x, y) is the baseline start (or middle for ``anchor='middle'``)."""

    x: float
    y: float
    text: str
    size: float
    color: Color
    anchor: Literal["start", "middle"] = "start"
    width: float = 0.0

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        x0 = self.x - self.width / 2 if self.anchor == "middle" else self.x
        return (x0, self.y - ascent(self.size), x0 + self.width, self.y + 0.25 * self.size)


Primitive = Ellipse | Side | Line | Rect | Text


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


# -- layout ------------------------------------------------------------------------


_INVISIBLE = 1e-6  # layout pixels


class _Builder:
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


def _edge_exit(r0: float, r1: float, h: float, big_r: float, big_b: float) -> float:
    """Where the edge from (r0, 0) to (r1, h) leaves the ellipse (0, 0, big_r, big_b).

    Returned as the edge fraction t in [0, 1]; 0 when the edge starts outside.
    Everything is divided through by the radii first, so tiny radii cannot
    underflow.
    """
    if big_r <= 0 or big_b <= 0 or h <= 0 or r0 >= big_r:
        return 0.0
    a, d, hh = r0 / big_r, (r1 - r0) / big_r, h / big_b
    qa = d * d + hh * hh
    if not math.isfinite(qa) or qa == 0:
        return 0.0
    qb, qc = 2 * a * d, a * a - 1.0
    t = (-qb + math.sqrt(max(0.0, qb * qb - 4 * qa * qc))) / (2 * qa)
    return min(1.0, max(0.0, t))


def _own_exit(r0: float, r1: float, h: float, b0: float) -> float:
    """Where a narrowing edge leaves its own top ellipse (closed form of _edge_exit)."""
    if r0 <= 0 or b0 <= 0 or h <= 0 or r1 >= r0:
        return 0.0
    q, hb = (r0 - r1) / r0, h / b0
    den = q * q + hb * hb
    if not math.isfinite(den) or den == 0:
        return 0.0
    return min(1.0, 2 * q / den)


# The three internal records below are plain slotted classes, not dataclasses:
# creating a dataclass costs about half a millisecond at import, and these are
# never compared, hashed, printed or copied.


class _StageText:
    __slots__ = ("compact", "full", "tooltip", "two")

    def __init__(
        self,
        full: tuple[str, ...],  # name / count / percentages
        two: tuple[str, ...],  # "name: count" / percentages
        compact: tuple[str, ...],  # one-line forms, longest first
        tooltip: str,
    ) -> None:
        self.full = full
        self.two = two
        self.compact = compact
        self.tooltip = tooltip


def _stage_texts(
    funnel: Funnel, percent: PercentBasis, amount_format: Callable[[float], str]
) -> list[_StageText]:
    first = conversion_from_first(funnel)
    step = step_conversion(funnel)
    out = []
    for i, stage in enumerate(funnel.stages):
        name = clean(stage.name)
        count = fmt_number(stage.count)
        if stage.amount is not None:
            count += " \u00b7 " + clean(amount_format(stage.amount))
        of_first = f"{fmt_percent(first[i])} of first"
        # The first stage has no previous stage: its label leaves that part out
        # (an em dash would read as "undefined", which is for 0 -> 0 steps).
        of_prev = f"{fmt_percent(step[i])} of previous" if i > 0 else ""
        pct = {
            "both": f"{of_first} \u00b7 {of_prev}" if of_prev else of_first,
            "first": of_first,
            "previous": of_prev,
            "none": "",
        }[percent]
        full = (name, count, pct) if pct else (name, count)
        primary = {"both": of_first, "first": of_first, "previous": of_prev, "none": ""}[percent]
        # One-line forms, longest first: the percentage goes before the name is cut.
        short = f"{name}: {count}"
        compact = (f"{short} ({primary})", short) if primary else (short,)
        two = (short, pct) if pct else (short,)
        out.append(_StageText(full, two, compact, ", ".join(full)))
    return out


def _luminance(c: Color) -> float:
    return (0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]) / 255.0


class _Pending:
    """An outside label waiting for vertical placement."""

    __slots__ = ("anchor", "forms", "level", "name", "stage", "texts", "tooltip", "want")

    def __init__(
        self,
        stage: int,
        want: float,  # desired vertical centre
        anchor: tuple[float, float],
        texts: _StageText,
        tooltip: str,
        name: str,
    ) -> None:
        self.stage = stage
        self.want = want
        self.anchor = anchor
        self.texts = texts
        self.tooltip = tooltip
        self.name = name
        self.level = 0  # 0 full, 1 two lines, 2 one line, 3 hidden
        self.forms: list[tuple[list[str], bool]] = []  # lines, cut per level


def layout(
    funnels: Sequence[tuple[Hashable, Funnel]],
    width: float,
    height: float,
    *,
    style: Style | None = None,
    title: str | None = None,
    width_mapping: WidthMapping = "linear",
    heights: Heights = "equal",
    percent: PercentBasis = "both",
    min_visible: float = 0.0,
    min_hit: float = 0.0,
    amount_format: Callable[[float], str] | None = None,
) -> Geometry:
    """Lay out funnels side by side on one shared scale.

    Arguments are checked by :class:`~salesfunnel.FunnelChart`; this function
    trusts them. See the module docstring for the encoding rules.

    Examples
    --------
    >>> from salesfunnel import Funnel
    >>> g = layout([("A", Funnel.from_counts({"Calls": 200, "Paid": 10}))], 400, 300)
    >>> [r.part for r in g.regions if r.stage == 1]
    ['side', 'rim', 'label']
    >>> g.contains_all()
    True
    """
    style = style or Style()
    fmt_amount = amount_format or fmt_number
    b = _Builder()
    # A tiny canvas keeps most of itself for the drawing.
    m = min(style.margin, width / 10, height / 10)
    top, bottom = m, height - m
    left, right = m, width - m
    descriptions: list[str] = []
    if title:
        descriptions.append(clean(title) + ".")
    if title and style.show_title:
        ts = style.title_size
        shown = fit(clean(title), ts, right - left)
        if shown and top + 2 * line_height(ts) <= bottom:  # leave room for a funnel
            w = text_width(shown, ts)
            b.add(
                Layer.TITLE,
                None,
                Text(width / 2, top + ascent(ts), shown, ts, style.text_color, "middle", w),
            )
            top += line_height(ts) + 6
    n_max = max((len(f) for _, f in funnels), default=0)
    show_legend = style.show_legend if style.show_legend is not None else len(funnels) > 1
    if show_legend and n_max and _legend_names_agree(funnels):
        bottom = _legend(b, funnels, n_max, style, left, right, top, bottom)
    if not funnels:
        descriptions.append("Funnel chart with no funnels.")
        return Geometry(
            width, height, tuple(b.shapes), tuple(b.regions), tuple(b.notes), " ".join(descriptions)
        )

    vmax = max(float(f.counts.max()) for _, f in funnels)
    k = len(funnels)
    col_w = (right - left) / k
    gutter = col_w * style.label_gutter if style.show_labels else 0.0
    zone_w = col_w - gutter
    pad = max(style.outline_width, style.rim_width) / 2 + 1.0
    big_r = max(0.0, zone_w / 2 - pad)
    heading_h = line_height(style.heading_size) + 4 if k > 1 else 0.0
    if top + 2 * heading_h > bottom:
        heading_h = 0.0  # no room for headings: the legend and labels still name things
    ctop = top + heading_h
    avail_h = max(0.0, bottom - ctop - 2 * pad)
    b_max = min(style.tilt * big_r, 0.3 * avail_h / (n_max + 0.6)) if big_r > 0 else 0.0
    kr = b_max / big_r if big_r > 0 else 0.0
    inner_top = ctop + pad + b_max
    inner_h = max(0.0, avail_h - 2 * b_max)

    total_max = max(float(f.counts.sum()) for _, f in funnels)
    for j, (key, funnel) in enumerate(funnels):
        x0c = left + j * col_w
        cx = x0c + zone_w / 2
        texts = _stage_texts(funnel, percent, fmt_amount)
        counts = funnel.counts
        n = len(funnel)
        if heading_h > 0:
            hs = style.heading_size
            label = clean(funnel.name if funnel.name is not None else str(key))
            shown = fit(label, hs, col_w - 8)
            if shown:
                w = text_width(shown, hs)
                hx = x0c + col_w / 2
                rect = Rect(hx - w / 2, top, hx + w / 2, top + line_height(hs))
                rid = b.region(key, j, None, "heading", rect.polygon(), label)
                b.add(
                    Layer.TITLE,
                    rid,
                    Text(hx, top + ascent(hs), shown, hs, style.text_color, "middle", w),
                )
                b.add(Layer.TITLE, rid, rect)
        descriptions.append(
            (f"{clean(str(key))}: " if k > 1 else "") + "; ".join(t.tooltip for t in texts) + "."
        )
        if bottom - ctop < 2 * pad + 2:
            continue  # no room to draw: the description (alt text) still says everything
        # Vertical bands: equal by default; by value with at least 2 px per non-zero stage.
        if heights == "value" and total_max > 0:
            nonzero = counts > 0
            spare = max(0.0, inner_h - 2.0 * n_max)
            bands = spare * counts / total_max + 2.0 * nonzero
        else:
            bands = np.full(n, inner_h / n_max if n_max else 0.0)
        ys = inner_top + np.concatenate([[0.0], np.cumsum(bands)])
        # Widths: own value only, on the scale shared by every funnel of the chart.
        share = counts / vmax if vmax > 0 else np.zeros(n)
        if width_mapping == "sqrt":
            share = np.sqrt(share)
        radii = big_r * share
        boosted = (counts > 0) & (radii < min_visible * big_r)
        radii = np.where(boosted, min_visible * big_r, radii)
        # Below a millionth of a pixel nothing can show at any scale; such a stage
        # is still clickable (its hit target) and labelled with its count.
        radii = np.where(radii < _INVISIBLE, 0.0, radii)

        slices = [
            _Slice(
                cx,
                float(ys[i]),
                float(ys[i + 1]),
                float(radii[i]),
                float(radii[i]) * style.taper,
                kr * float(radii[i]),
                kr * (float(radii[i]) * style.taper),
                style.hue(i, n_max),
                bool(boosted[i]),
                style,
            )
            for i in range(n)
        ]
        pending: list[_Pending] = []
        for i, sl in enumerate(slices):
            tip = texts[i].tooltip
            above = slices[i - 1] if i > 0 else None
            below_b = slices[i + 1].b0 if i + 1 < n else 0.0
            if counts[i] > 0:
                # The stage's own hit target, painted first so it only claims pixels
                # nothing else covers: at least one pixel, or min_hit wide and high.
                ty = (sl.y0 + (above.b1 if above else 0.0) + sl.y1 - below_b) / 2
                side_len = min(max(min_hit, 1.0), width, height)
                tx0 = min(max(cx - side_len / 2, 0.0), width - side_len)
                ty0 = min(max(ty - side_len / 2, 0.0), height - side_len)
                target = Rect(tx0, ty0, tx0 + side_len, ty0 + side_len)
                b.add(Layer.ELLIPSE, b.region(key, j, i, "side", sl.side.polygon(), tip), target)
            if sl.r0 > 0:
                _stage_shapes(b, key, j, i, sl, above, tip, style)
            if not style.show_labels:
                continue
            if _inside_label(b, key, j, i, sl, texts[i].full, tip, style):
                continue
            ym = (sl.y0 + sl.b0 + sl.y1) / 2
            frac = (ym - sl.y0) / (sl.y1 - sl.y0) if sl.y1 > sl.y0 else 0.0
            edge_x = cx + sl.r0 + (sl.r1 - sl.r0) * frac + (1.0 if sl.r0 > 0 else 0.0)
            name = clean(funnel.stages[i].name)
            pending.append(_Pending(i, ym, (edge_x, ym), texts[i], tip, name))
        if pending:
            # Labels start just right of this funnel's own widest slice: a narrower
            # funnel (on the shared scale) leaves its labels more room.
            widest = float(radii.max()) if n else 0.0
            gx = min(x0c + zone_w, cx + widest + pad) + 6
            gw = x0c + col_w - gx - (4 if k > 1 else 0)
            _place_outside(b, key, j, pending, gx, gw, ctop, bottom, style)
    return Geometry(
        width, height, tuple(b.shapes), tuple(b.regions), tuple(b.notes), " ".join(descriptions)
    )


class _Slice:
    """One stage's slice of the cone: top ellipse (y0, r0, b0), bottom ellipse (y1, r1, b1)."""

    __slots__ = ("b0", "b1", "boosted", "cx", "hue", "r0", "r1", "style", "y0", "y1")

    def __init__(
        self,
        cx: float,
        y0: float,
        y1: float,
        r0: float,
        r1: float,
        b0: float,
        b1: float,
        hue: float,
        boosted: bool,
        style: Style,
    ) -> None:
        self.cx, self.y0, self.y1, self.r0, self.r1 = cx, y0, y1, r0, r1
        self.b0, self.b1, self.hue, self.boosted, self.style = b0, b1, hue, boosted, style

    @property
    def gradient(self) -> Gradient:
        return Gradient(self.hue, self.cx - self.r0, self.cx + self.r0, self.style)

    @property
    def side(self) -> Side:
        t0 = _own_exit(self.r0, self.r1, self.y1 - self.y0, self.b0)
        return Side(
            self.cx, self.y0, self.r0, self.b0, self.y1, self.r1, self.b1, self.gradient, t0
        )


def _stage_shapes(
    b: _Builder,
    key: Hashable,
    j: int,
    i: int,
    sl: _Slice,
    above: _Slice | None,
    tip: str,
    style: Style,
) -> None:
    """The drawn shapes of one stage, each in its layer: the source's layered drawing."""
    cx, y0, y1, r0, r1, b0, b1 = sl.cx, sl.y0, sl.y1, sl.r0, sl.r1, sl.b0, sl.b1
    side = sl.side
    rid_rim = b.region(key, j, i, "rim", Ellipse(cx, y0, r0, b0).polygon(), tip)
    rid_side = b.region(key, j, i, "side", side.polygon(), tip)
    if style.show_ellipses:
        b.add(Layer.ELLIPSE, rid_rim, Ellipse(cx, y0, r0, b0, fill=style.inner_color(sl.hue)))
    if style.show_rims and style.rim_width > 0:
        rim_color = style.stage_rim_color(sl.hue)
        rim = Ellipse(cx, y0, r0, b0, stroke=rim_color, width=style.rim_width, dashed=sl.boosted)
        b.add(Layer.RIM, rid_rim, rim)
    if style.show_sides:
        b.add(Layer.SIDE, rid_side, side)
    if style.show_covers:
        b.add(Layer.COVER, rid_side, Ellipse(cx, y1, r1, b1, fill=side.fill, front=True))
    if not (style.show_outline and style.outline_width > 0):
        return
    color, width = style.outline_color, style.outline_width
    # The edges start where they come out from behind the slice above (or from
    # behind this slice's own rim ellipse).
    t = side.t0
    if above is not None:
        t = max(t, _edge_exit(r0, r1, y1 - y0, above.r1, above.b1))
    if t < 1.0:
        ex, ey = r0 + (r1 - r0) * t, y0 + (y1 - y0) * t
        for sign in (-1.0, 1.0):
            edge = Line(cx + sign * ex, ey, cx + sign * r1, y1, color, width, dashed=sl.boosted)
            b.add(Layer.OUTLINE, rid_side, edge)
    arc = Ellipse(cx, y1, r1, b1, stroke=color, width=width, dashed=sl.boosted, front=True)
    b.add(Layer.OUTLINE, rid_side, arc)


def _inside_label(
    b: _Builder,
    key: Hashable,
    j: int,
    i: int,
    sl: _Slice,
    lines: tuple[str, ...],
    tip: str,
    style: Style,
) -> bool:
    """Put the full label inside its slice if it fits there; say whether it did."""
    size = style.label_size
    lh = line_height(size)
    block_w = max(text_width(s, size) for s in lines)
    block_h = len(lines) * lh
    room_top, room_bottom = sl.y0 + sl.b0 + 1, sl.y1 - 1
    if block_w > 2 * sl.r1 * 0.9 - 6 or block_h > room_bottom - room_top:
        return False
    face = style.face_color(sl.hue)
    color = style.text_color if _luminance(face) > 0.55 else style.light_text_color
    ty0 = (room_top + room_bottom) / 2 - block_h / 2
    rect = Rect(sl.cx - block_w / 2, ty0, sl.cx + block_w / 2, ty0 + block_h)
    rid = b.region(key, j, i, "label", rect.polygon(), tip)
    for li, s in enumerate(lines):
        baseline = ty0 + li * lh + ascent(size)
        w = text_width(s, size)
        b.add(Layer.LABEL, rid, Text(sl.cx, baseline, s, size, color, "middle", w))
    b.add(Layer.LABEL, rid, rect)
    return True


def _place_outside(
    b: _Builder,
    key: Hashable,
    j: int,
    items: list[_Pending],
    gx: float,
    gw: float,
    lo: float,
    hi: float,
    style: Style,
) -> None:
    """Stack outside labels in the gutter: no overlaps, inside [lo, hi], leaders to stages."""
    size = style.label_size
    lh = line_height(size)
    gap = 2.0
    hidden = 3

    def wrapped(raw_lines: tuple[str, ...]) -> tuple[list[str], bool]:
        """Wrap each line to the gutter; a number line that would be cut is dropped."""
        lines: list[str] = []
        cut = False
        for k, raw in enumerate(raw_lines):
            if k == 0:
                part, part_cut = wrap(raw, size, gw)
                lines += part
                cut = cut or part_cut or not part
                continue
            # Numbers: one piece per line at most; a piece cut short ("100.\u2026")
            # says nothing, so it is dropped instead of shown.
            pieces = raw.split(" \u00b7 ")
            part, _ = wrap(raw, size, gw, max_lines=len(pieces))
            kept = [line for line in part if not line.endswith(ELLIPSIS)]
            cut = cut or len(kept) < len(part) or not part
            lines += kept
        return lines, cut

    def one_line(p: _Pending) -> tuple[list[str], bool]:
        fitting = [c for c in p.texts.compact if text_width(c, size) <= gw]
        line = fitting[0] if fitting else fit(p.texts.compact[-1], size, gw)
        return ([line] if line else []), True

    for p in items:
        p.forms = [wrapped(p.texts.full), wrapped(p.texts.two), one_line(p), ([], True)]

    def total(ps: list[_Pending]) -> float:
        heights = [len(p.forms[p.level][0]) * lh for p in ps if p.level < hidden]
        return sum(heights) + gap * max(0, len(heights) - 1)

    room = hi - lo
    if gw < text_width("M\u2026", size):
        for p in items:
            p.level = hidden
    # Full labels; else every label two lines, else one line; else hide labels
    # (keeping every step-th, the first always) until the rest fit.
    for level in (1, 2):
        if total(items) > room:
            for p in items:
                p.level = max(p.level, level)
    step = 2
    while total(items) > room and any(p.level < hidden for p in items):
        for idx, p in enumerate(items):
            p.level = 2 if idx % step == 0 and step <= len(items) else hidden
        step += 1
    shown: list[tuple[_Pending, list[str], bool]] = []
    for p in items:
        lines, cut = p.forms[p.level]
        if not lines:
            b.notes.append(LabelNote(key, p.stage, p.name, "hidden"))
            continue
        if cut:
            b.notes.append(LabelNote(key, p.stage, p.name, "shortened"))
        shown.append((p, lines, cut))
    # Forward pass pushes labels down, backward pass pulls them up inside [lo, hi].
    tops: list[float] = []
    prev_bottom = lo - gap
    for p, lines, _ in shown:
        h = len(lines) * lh
        tops.append(max(p.want - h / 2, lo, prev_bottom + gap))
        prev_bottom = tops[-1] + h
    next_top = hi + gap
    for idx in range(len(shown) - 1, -1, -1):
        h = len(shown[idx][1]) * lh
        tops[idx] = min(tops[idx], next_top - gap - h)
        next_top = tops[idx]
    for (p, lines, _), ty0 in zip(shown, tops, strict=True):
        h = len(lines) * lh
        widths = [text_width(s, size) for s in lines]
        rect = Rect(gx - 1, ty0, gx + max(widths) + 1, ty0 + h)
        rid = b.region(key, j, p.stage, "label", rect.polygon(), p.tooltip)
        ax, ay = p.anchor
        if gx - 3 > ax:
            b.add(Layer.LABEL, None, Line(ax, ay, gx - 3, ty0 + h / 2, style.leader_color, 1.0))
        for li, (s, w) in enumerate(zip(lines, widths, strict=True)):
            b.add(
                Layer.LABEL,
                rid,
                Text(gx, ty0 + li * lh + ascent(size), s, size, style.text_color, "start", w),
            )
        b.add(Layer.LABEL, rid, rect)


def _legend_names_agree(funnels: Sequence[tuple[Hashable, Funnel]]) -> bool:
    """True when every funnel's stage names are a prefix of the longest funnel's names.

    A legend entry stands for one stage position in every funnel (its color is
    the position's hue), so it can name that position only if every funnel that
    has it calls it the same. Otherwise the chart has no legend: the labels
    name each funnel's stages, and a legend entry would misname some of them.
    """
    longest = max((f for _, f in funnels), key=len)
    names = [s.name for s in longest.stages]
    return all([s.name for s in f.stages] == names[: len(f)] for _, f in funnels)


def _legend(
    b: _Builder,
    funnels: Sequence[tuple[Hashable, Funnel]],
    n_max: int,
    style: Style,
    left: float,
    right: float,
    top: float,
    bottom: float,
) -> float:
    """Lay the legend out in rows at the bottom; return the new bottom of the plot area."""
    size = style.legend_size
    lh = line_height(size)
    sw = 0.75 * size
    max_rows = max(0, int((bottom - top) * 0.25 // lh))
    # Every funnel uses the same name at each position (_legend_names_agree).
    longest = max((f for _, f in funnels), key=len)
    names = [clean(stage.name) for stage in longest.stages]
    rows: list[list[tuple[int, str, float]]] = [[]]
    x = left
    for s, name in enumerate(names):
        shown = fit(name, size, right - left - sw - 6)
        if shown is None:
            b.notes.append(LabelNote(None, s, name, "hidden", "legend"))
            continue
        w = sw + 4 + text_width(shown, size)
        if rows[-1] and x + w > right:
            rows.append([])
            x = left
        rows[-1].append((s, shown, w))
        x += w + 14
        if shown != name:
            b.notes.append(LabelNote(None, s, name, "shortened", "legend"))
    if not rows[0]:
        return bottom
    kept = rows[:max_rows]
    for row in rows[max_rows:]:
        for s, _, _ in row:
            b.notes.append(LabelNote(None, s, names[s], "hidden", "legend"))
    if not kept:
        return bottom
    y_top = bottom - len(kept) * lh
    for r, row in enumerate(kept):
        row_w = sum(w for _, _, w in row) + 14 * (len(row) - 1)
        x = (left + right) / 2 - row_w / 2
        yt = y_top + r * lh
        for s, shown, w in row:
            hue = style.hue(s, n_max)
            box = Rect(x, yt, x + w, yt + lh)
            rid = b.region(None, None, s, "legend", box.polygon(), names[s])
            sy = yt + (lh - sw) / 2
            b.add(Layer.LEGEND, rid, Rect(x, sy, x + sw, sy + sw, style.face_color(hue)))
            b.add(
                Layer.LEGEND,
                rid,
                Text(
                    x + sw + 4,
                    yt + (lh - size) / 2 + ascent(size),
                    shown,
                    size,
                    style.text_color,
                    "start",
                    w - sw - 4,
                ),
            )
            b.add(Layer.LEGEND, rid, box)
            x += w + 14
    return y_top - 6
