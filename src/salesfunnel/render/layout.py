"""Layout: funnels + style -> one frozen geometry of tagged shapes.

Every output reads this geometry and nothing else: the raster backend, the SVG
backend and the hit map paint the same shapes in the same order (see
:mod:`salesfunnel.render.paint`), so a click decodes to exactly what was drawn.
The primitives live in :mod:`salesfunnel.render.shapes`, label placement in
:mod:`salesfunnel.render.labels`.

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
square root; ``log``: to ``log(1 + count)``; ``rank``: equal steps, the k-th
smallest distinct non-zero count of the chart at k / (number of distinct
non-zero counts)). Every mapping but ``linear`` is stated in a caption under
the drawing and in the description. Every slice tapers by the same factor, so
neighbours never change a stage's size. Zero stays zero (nothing is drawn,
the label still says 0); an optional minimum visible width applies to non-zero
stages only and is marked (``Ellipse.dashed`` rim).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Literal

import numpy as np

from ..funnel.model import Funnel
from .builder import _Builder
from .labels import (
    PercentBasis,
    _caption,
    _inside_label,
    _legend,
    _legend_names_agree,
    _Pending,
    _place_outside,
    _stage_texts,
    _StageText,
    _title,
)
from .shapes import Geometry, HitArea, Layer, Text
from .slices import _bar_shapes, _Slice, _stage_shapes
from .style import Style
from .text import advance, ascent, clean, line_height, wrap

if TYPE_CHECKING:
    import numpy.typing as npt

__all__ = ["Heights", "Shape", "WidthMapping", "layout"]

WidthMapping = Literal["linear", "sqrt", "log", "rank"]
Heights = Literal["equal", "value"]
Shape = Literal["funnel", "bars"]

_INVISIBLE = 1e-6  # layout pixels

# The internal records below are plain slotted classes, not dataclasses:
# creating a dataclass costs about half a millisecond at import, and these are
# never compared, hashed, printed or copied.


class _Frame:
    """The plot area, the options, and the numbers every funnel column shares (layout pixels).

    Columns of ``col_w`` side by side from ``left``; in each, a drawing zone of
    ``zone_w`` (the rest is the label gutter) with radii up to ``big_r``;
    slices stacked from ``inner_top`` over ``inner_h``, ellipses ``kr`` times
    as tall as wide (at most ``b_max``), below headings ending at ``ctop``.
    """

    __slots__ = (
        "avail_h",
        "b_max",
        "bars",
        "big_r",
        "bottom",
        "col_w",
        "ctop",
        "first",
        "fmt_amount",
        "heading_h",
        "heading_lines",
        "height",
        "heights",
        "inner_h",
        "inner_top",
        "k",
        "kr",
        "left",
        "levels",
        "min_hit",
        "min_visible",
        "n_max",
        "pad",
        "percent",
        "probing",
        "several",
        "shift",
        "style",
        "top",
        "total_max",
        "vmax",
        "width",
        "width_mapping",
        "zone_w",
    )
    # the options, set by layout() after the numbers
    width_mapping: WidthMapping
    heights: Heights
    percent: PercentBasis
    min_visible: float
    min_hit: float
    fmt_amount: Callable[[float], str] | None
    levels: npt.NDArray[np.float64]  # the distinct non-zero counts, for width_mapping="rank"

    def __init__(
        self,
        funnels: Sequence[tuple[Hashable, Funnel]],
        style: Style,
        canvas: tuple[float, float],
        area: tuple[float, float, float, float],
        grid: tuple[int, int] | None = None,
    ) -> None:
        """``grid`` is (columns, index of the row's first funnel) for a row of a grid;
        by default every funnel side by side in one row."""
        self.style = style
        self.width, self.height = canvas
        left, top, right, bottom = area
        self.left, self.top, self.bottom = left, top, bottom
        n_max = self.n_max = max((len(f) for _, f in funnels), default=0)
        self.vmax = max(float(f.counts.max()) for _, f in funnels)
        k, self.first = grid or (len(funnels), 0)
        self.shift = 0.0  # moves a lone funnel and its labels to the middle (layout())
        self.probing = False  # True while _centring measures the labels: no shapes
        self.k = k
        self.several = len(funnels) > 1 or k > 1  # a lone funnel in a grid cell is named too
        col_w = self.col_w = (right - left) / k
        gutter = col_w * style.label_gutter if style.show_labels else 0.0
        zone_w = self.zone_w = col_w - gutter
        pad = self.pad = max(style.outline_width, style.rim_width) / 2 + 1.0
        big_r = self.big_r = max(0.0, zone_w / 2 - pad)
        # A name too long for its column is wrapped onto a second line, not cut.
        hs = style.heading_size
        self.heading_lines = 1
        if self.several and any(
            advance(_heading_text(key, f), hs) > col_w - 8 for key, f in funnels
        ):
            self.heading_lines = 2
        heading_h = self.heading_lines * line_height(hs) + 4 if self.several else 0.0
        if top + 2 * heading_h > bottom:
            heading_h = 0.0  # no room for headings: the legend and labels still name things
        self.heading_h = heading_h
        ctop = self.ctop = top + heading_h
        avail_h = self.avail_h = max(0.0, bottom - ctop - 2 * pad)
        b_max = min(style.tilt * big_r, 0.3 * avail_h / (n_max + 0.6)) if big_r > 0 else 0.0
        self.b_max = b_max
        self.kr = b_max / big_r if big_r > 0 else 0.0
        self.inner_top = ctop + pad + b_max
        self.inner_h = max(0.0, avail_h - 2 * b_max)
        self.total_max = max(float(f.counts.sum()) for _, f in funnels)
        self.bars = False

    def flatten(self) -> None:
        """Bars instead of slices of a cone: no ellipses, so no room kept for them."""
        self.bars = True
        self.kr = self.b_max = 0.0
        self.inner_top = self.ctop + self.pad
        self.inner_h = self.avail_h


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
    columns: int | None = None,
    scale_to: float | None = None,
    shape: Shape = "funnel",
) -> Geometry:
    """Lay out funnels side by side on one shared scale (``columns`` per row of a grid).

    The scale's widest stage is the largest count, or ``scale_to`` when given
    (never below the largest count), so several charts can share one scale.
    ``shape="bars"`` draws each stage as a flat centred bar, apart from the next.

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
    style = style or _default_style()
    b = _Builder()
    # A tiny canvas keeps most of itself for the drawing.
    m = min(style.margin, width / 10, height / 10)
    top, bottom = m, height - m
    left, right = m, width - m
    descriptions: list[str] = []
    if title:
        descriptions.append(clean(title) + ".")
    if title and style.show_title:
        top = _title(b, clean(title), style, width, (left, top, right, bottom))
    n_max = max((len(f) for _, f in funnels), default=0)
    show_legend = style.show_legend if style.show_legend is not None else len(funnels) > 1
    if show_legend and n_max and _legend_names_agree(funnels):
        bottom = _legend(b, funnels, n_max, style, (left, top, right, bottom))
    if not funnels:
        descriptions.append("Funnel chart with no funnels.")
        return b.geometry(width, height, descriptions)
    if width_mapping != "linear":
        descriptions.append(MAPPING_CAPTIONS[width_mapping] + ".")
        bottom = _caption(b, MAPPING_CAPTIONS[width_mapping], style, (left, top, right, bottom))
    k = len(funnels)
    # ``columns`` cells per row even when fewer funnels fill them: a grid's cells keep
    # their width (a page of one owner matches the pages of four).
    cols = columns or k
    rows = math.ceil(k / cols)
    levels = np.zeros(0)
    if width_mapping == "rank":
        every = np.concatenate([f.counts for _, f in funnels])
        levels = np.unique(every[every > 0])
    row_h = (bottom - top) / rows
    for r in range(rows):
        area = (left, top + r * row_h, right, top + (r + 1) * row_h)
        fr = _Frame(funnels, style, (width, height), area, (cols, r * cols))
        fr.width_mapping, fr.heights, fr.percent = width_mapping, heights, percent
        fr.levels = levels
        if scale_to is not None:
            fr.vmax = max(fr.vmax, scale_to)
        if shape == "bars":
            fr.flatten()
        fr.min_visible, fr.min_hit = min_visible, min_hit
        fr.fmt_amount = amount_format
        if k == cols == 1:
            # A lone funnel is laid out twice (once aside to centre it): what does not
            # depend on where it stands is worked out once for both passes.
            key, funnel = funnels[0]
            lone = _Lone(_stage_texts(funnel, percent, amount_format, style), _plan(fr, funnel))
            fr.shift = _centring(fr, key, funnel, (left, right), lone)
            descriptions.append(_column(b, fr, 0, key, funnel, lone))
            continue
        for j in range(r * cols, min(k, (r + 1) * cols)):
            key, funnel = funnels[j]
            descriptions.append(_column(b, fr, j, key, funnel))
    return b.geometry(width, height, descriptions)


@lru_cache(maxsize=1)
def _default_style() -> Style:
    """The default style, made once (styles are frozen; making one checks every field)."""
    return Style()


class _Lone:
    """What both passes over a lone funnel share: its label texts and its slices' numbers."""

    __slots__ = ("plan", "texts")

    def __init__(self, texts: list[_StageText], plan: _Plan) -> None:
        self.texts = texts
        self.plan = plan


def _centring(
    fr: _Frame, key: Hashable, funnel: Funnel, span: tuple[float, float], lone: _Lone
) -> float:
    """How far right a lone funnel and its labels move to sit in the middle of ``span``.

    The drawing keeps its size and its labels their room; the labels are laid out
    once aside to find how far they reach (short or inside labels leave room).
    """
    probe = _Builder(reach=True)  # records how far the label text reaches, adds nothing
    fr.probing = True  # labels only: the slices' shapes do not move the labels
    _column(probe, fr, 0, key, funnel, lone)
    fr.probing = False
    # The drawing by its widest slice (whatever layers are switched off), the labels
    # by their text.
    cx = fr.left + fr.zone_w / 2
    widest = lone.plan.widest + fr.pad
    extents = [(cx - widest, cx + widest)]
    extents += probe.reach or []
    lo = min(e[0] for e in extents)
    hi = max(e[1] for e in extents)
    return max(0.0, (span[0] + span[1] - lo - hi) / 2)


def _heading_text(key: Hashable, funnel: Funnel) -> str:
    """A funnel's name as its heading shows it: its own name, else its key."""
    return clean(funnel.name if funnel.name is not None else str(key))


MAPPING_CAPTIONS = {
    "sqrt": "Widths show the square root of each count",
    "log": "Widths show log(1 + count)",
    "rank": "Widths show each count's rank, in equal steps",
}
"""What a chart says under the drawing when its widths are not proportional to counts."""


def _heading(b: _Builder, fr: _Frame, j: int, key: Hashable, funnel: Funnel) -> None:
    """Funnel ``j``'s name above its column (charts of several funnels)."""
    hs = fr.style.heading_size
    label = _heading_text(key, funnel)
    lines, _ = wrap(label, hs, fr.col_w - 8, max_lines=fr.heading_lines)
    if lines:
        widths = [advance(line, hs) for line in lines]
        w, lh = max(widths), line_height(hs)
        hx = fr.left + (j - fr.first) * fr.col_w + fr.col_w / 2
        top = fr.top
        rect = HitArea(hx - w / 2, top, hx + w / 2, top + len(lines) * lh)
        rid = b.region(key, j, None, "heading", rect.polygon(), label)
        for n, (line, lw) in enumerate(zip(lines, widths, strict=True)):
            baseline = top + n * lh + ascent(hs)
            b.add(Layer.TITLE, rid, Text(hx, baseline, line, hs, fr.style.text_color, "middle", lw))
        b.add(Layer.TITLE, rid, rect)


def _column(
    b: _Builder, fr: _Frame, j: int, key: Hashable, funnel: Funnel, lone: _Lone | None = None
) -> str:
    """Lay out funnel ``j`` in its column; return its sentence of the description.

    ``lone`` holds the texts and slice numbers of a lone funnel, worked out once.
    """
    x0c = fr.left + fr.shift + (j - fr.first) * fr.col_w
    cx = x0c + fr.zone_w / 2
    if lone is None:
        texts, plan = _stage_texts(funnel, fr.percent, fr.fmt_amount, fr.style), None
    else:
        texts, plan = lone.texts, lone.plan
    if fr.heading_h > 0:
        _heading(b, fr, j, key, funnel)
    description = (
        (f"{clean(str(key))}: " if fr.several else "") + "; ".join(t.tooltip for t in texts) + "."
    )
    if fr.bottom - fr.ctop < 2 * fr.pad + 2:
        return description  # no room to draw: the description (alt text) still says everything
    if plan is None:
        plan = _plan(fr, funnel)
    slices = _slices(fr, cx, plan)
    pending: list[_Pending] = []
    for i in range(len(slices)):
        waiting = _stage(b, fr, (key, j, i), funnel, slices, texts[i])
        if waiting is not None:
            pending.append(waiting)
    if pending:
        # Labels start just right of this funnel's own widest slice: a narrower
        # funnel (on the shared scale) leaves its labels more room.
        widest = plan.widest
        gx = min(x0c + fr.zone_w, cx + widest + fr.pad) + 6
        gw = x0c + fr.col_w - gx - (4 if fr.several else 0)
        _place_outside(b, key, j, pending, (gx, gw), (fr.ctop, fr.bottom), fr.style)
    return description


class _Plan:
    """Every stage's slice of the cone but its centre: bands, radii (the encoding rules).

    ``numbers`` holds, per stage, ``(y0, y1, r0, r1, b0, b1, hue, boosted)``;
    ``widest`` is the largest rim radius (0 for a funnel of no stages).
    """

    __slots__ = ("numbers", "widest")

    def __init__(
        self,
        numbers: list[tuple[float, float, float, float, float, float, float, bool]],
        widest: float,
    ) -> None:
        self.numbers = numbers
        self.widest = widest


def _plan(fr: _Frame, funnel: Funnel) -> _Plan:
    """The slices' numbers of ``funnel``, which do not depend on where it stands."""
    counts = funnel.counts
    n = len(funnel)
    style = fr.style
    # Vertical bands: equal by default; by value with at least 2 px per non-zero stage.
    if fr.heights == "value" and fr.total_max > 0:
        nonzero = counts > 0
        spare = max(0.0, fr.inner_h - 2.0 * fr.n_max)
        bands = spare * counts / fr.total_max + 2.0 * nonzero
    else:
        bands = np.full(n, fr.inner_h / fr.n_max if fr.n_max else 0.0)
    ys = fr.inner_top + np.concatenate([[0.0], np.cumsum(bands)])
    # Bars stand apart: a gap of a quarter of the band (at most 8 px) under each.
    gaps = np.minimum(bands / 4, 8.0) if fr.bars else np.zeros(n)
    taper = 1.0 if fr.bars else style.taper
    # Widths: own value only, on the scale shared by every funnel of the chart.
    share = _shares(fr, counts)
    big_r = fr.big_r
    radii = big_r * share
    boosted = (counts > 0) & (radii < fr.min_visible * big_r)
    radii = np.where(boosted, fr.min_visible * big_r, radii)
    # Below a millionth of a pixel nothing can show at any scale; such a stage
    # is still clickable (its hit target) and labelled with its count.
    radii = np.where(radii < _INVISIBLE, 0.0, radii)
    kr = fr.kr
    # Python floats, element by element the same numbers as numpy's
    tops, bottoms, rims = ys[:-1].tolist(), (ys[1:] - gaps).tolist(), radii.tolist()
    numbers = []
    for i, (y0, y1, r0, up) in enumerate(zip(tops, bottoms, rims, boosted.tolist(), strict=True)):
        r1 = r0 * taper
        numbers.append((y0, y1, r0, r1, kr * r0, kr * r1, style.hue(i, fr.n_max), up))
    return _Plan(numbers, float(radii.max()) if n else 0.0)


def _slices(fr: _Frame, cx: float, plan: _Plan) -> list[_Slice]:
    """Every stage's slice of the cone, centred on ``cx``."""
    style, bars = fr.style, fr.bars
    return [
        _Slice(cx, y0, y1, r0, r1, b0, b1, hue, up, style, bars)
        for y0, y1, r0, r1, b0, b1, hue, up in plan.numbers
    ]


def _shares(fr: _Frame, counts: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Each count's width as a share of the widest possible (the width mapping's rule).

    >>> import numpy as np
    >>> fr = _Frame.__new__(_Frame)
    >>> fr.vmax, fr.levels = 1000.0, np.array([10.0, 100.0, 1000.0])
    >>> counts = np.array([1000.0, 100.0, 10.0, 0.0])
    >>> for fr.width_mapping in ("linear", "sqrt", "log", "rank"):
    ...     print(fr.width_mapping, np.round(_shares(fr, counts), 4).tolist())
    linear [1.0, 0.1, 0.01, 0.0]
    sqrt [1.0, 0.3162, 0.1, 0.0]
    log [1.0, 0.6681, 0.3471, 0.0]
    rank [1.0, 0.6667, 0.3333, 0.0]
    """
    if fr.vmax <= 0:
        return np.zeros(len(counts))
    if fr.width_mapping == "log":
        share: npt.NDArray[np.float64] = np.log1p(counts) / math.log1p(fr.vmax)
        return share
    if fr.width_mapping == "rank":
        steps = np.searchsorted(fr.levels, counts) + 1.0
        return np.where(counts > 0, steps / len(fr.levels), 0.0)
    share = counts / fr.vmax
    return np.sqrt(share) if fr.width_mapping == "sqrt" else share


def _stage(
    b: _Builder,
    fr: _Frame,
    at: tuple[Hashable, int, int],
    funnel: Funnel,
    slices: list[_Slice],
    texts: _StageText,
) -> _Pending | None:
    """Stage ``i`` of funnel ``j`` (``at`` = key, j, i): its hit target, shapes and label.

    Returns its label when that must wait for a place outside the funnel.
    """
    key, j, i = at
    sl = slices[i]
    style = fr.style
    tip = texts.tooltip
    above = slices[i - 1] if i > 0 else None
    if funnel.counts[i] > 0 and not fr.probing:
        # The stage's own hit target, painted first so it only claims pixels
        # nothing else covers: at least one pixel, or min_hit wide and high.
        below_b = slices[i + 1].b0 if i + 1 < len(slices) else 0.0
        ty = (sl.y0 + (above.b1 if above else 0.0) + sl.y1 - below_b) / 2
        side_len = min(max(fr.min_hit, 1.0), fr.width, fr.height)
        tx0 = min(max(sl.cx - side_len / 2, 0.0), fr.width - side_len)
        ty0 = min(max(ty - side_len / 2, 0.0), fr.height - side_len)
        target = HitArea(tx0, ty0, tx0 + side_len, ty0 + side_len)
        b.add(Layer.ELLIPSE, b.region(key, j, i, "side", sl.outline, tip), target)
    if sl.r0 > 0 and not fr.probing:
        if sl.bar:
            _bar_shapes(b, key, j, i, sl, tip, style)
        else:
            _stage_shapes(b, key, j, i, sl, above, tip, style)
    if not style.show_labels:
        return None
    room = (sl.y0 + sl.b0 + 1, sl.y1 - 1)
    max_width = 2 * sl.r1 * 0.9 - 6
    if _inside_label(b, at, sl.cx, room, max_width, sl.hue, texts.full, tip, style):
        return None
    ym = (sl.y0 + sl.b0 + sl.y1) / 2
    frac = (ym - sl.y0) / (sl.y1 - sl.y0) if sl.y1 > sl.y0 else 0.0
    edge_x = sl.cx + sl.r0 + (sl.r1 - sl.r0) * frac + (1.0 if sl.r0 > 0 else 0.0)
    name = clean(funnel.stages[i].name)
    return _Pending(i, ym, (edge_x, ym), texts, tip, name)
