"""Analytic pixel coverage of the geometry's primitives (shared by raster and hit map).

Every filled primitive is, in each pixel column, a vertical span between a top
edge and a bottom edge (a whole rim line is two such blocks: its upper and its
lower arc). Coverage is exact along y and sampled at ``SUB`` sub-columns along
x: a pixel's level is the mean, over its sub-columns, of the part of the pixel
that lies between the edges, times 255, rounded.

:class:`Batch` computes it for many shapes at once, in a fixed number of numpy
passes whatever the number of shapes (the raster backend puts a whole chart in
one batch; the one-shape functions at the end are batches of one):

1. the y of both edges at every sub-column, one vectorised formula per kind of
   shape (:func:`_fill_spans` and its kin), rounded to ``1/Q`` of a pixel;
2. the *band* of each edge in each pixel column: the rows its sub-columns
   cross. Only band pixels are fractional. Each column becomes five runs: a gap
   (level 0), the top band's pixels, a gap (255), the bottom band's pixels, a
   gap (0), each gap one run whatever its length;
3. an edge at ``y`` in one sub-column is a step: ``1 - frac(y)`` in row
   ``floor(y)`` and 1 in every row below, added for a top edge and subtracted
   for a bottom edge. A running sum of the steps along the runs of all columns
   gives every band pixel its level, and every gap its 0 or 255. The steps are
   integers times a power of two, so the sum is exact: a pixel's level never
   depends on which other shapes shared the batch, or on their order;
4. one ``np.repeat`` expands the runs into a flat buffer that holds each
   block's box column by column.

The cost grows with the number of pixel columns and band pixels, not with the
area of the shapes. Work arrays are kept per thread from one batch to the next
(:class:`_Scratch`).
"""

from __future__ import annotations

import functools
import math
import threading
from typing import TYPE_CHECKING, Any

import numpy as np

from .curves import _half_height, _side_spans, _slope
from .shapes import Ellipse, Line, Rect, Side

if TYPE_CHECKING:
    import numpy.typing as npt

    FloatArray = npt.NDArray[np.float64]
    IntArray = npt.NDArray[np.intp]
    Levels = npt.NDArray[np.uint8]

SUB = 4
"""Sub-columns sampled per pixel column."""
QBITS = 10
Q = 1 << QBITS
"""Edge positions are rounded to ``1/Q`` pixel (a level moves by at most 0.13 of 255)."""

_OFFSETS = (np.arange(SUB, dtype=np.float64) + 0.5) / SUB
_STEP = np.array([255.0, -255.0]) / SUB  # the level a sub-column's top edge adds, its bottom edge

Box = tuple[int, int, int, int]


class _Scratch(threading.local):
    """Work arrays of the current thread, kept from one batch to the next.

    A render needs a few MB of temporaries. Fresh memory from the system costs a
    page fault per 4 KiB, which here costs as much as the arithmetic; arrays
    kept for the next render are already mapped. Per thread, so that renders on
    several threads never share one (arrays over ``KEEP`` bytes are not kept).
    """

    KEEP = 16 << 20

    def __init__(self) -> None:
        self.arrays: dict[str, npt.NDArray[Any]] = {}

    def take(self, name: str, shape: tuple[int, ...], dtype: type[Any]) -> npt.NDArray[Any]:
        """An uninitialised array ``shape`` of ``dtype``, the same memory as the last time."""
        count = math.prod(shape)
        kept = self.arrays.get(name)
        if kept is not None and kept.dtype == dtype and kept.size >= count:
            return kept[:count].reshape(shape)
        fresh = np.empty(shape, dtype=dtype)
        if fresh.nbytes <= self.KEEP:
            self.arrays[name] = fresh.reshape(-1)
        return fresh


_scratch = _Scratch()


class Patch:
    """Coverage levels (uint8, 0..255) of a box.

    ``levels[row, col]`` is the level at pixel (x0 + col, y0 + row).
    """

    __slots__ = ("levels", "x0", "y0")

    def __init__(self, x0: int, y0: int, levels: Levels) -> None:
        self.x0 = x0
        self.y0 = y0
        self.levels = levels

    @property
    def box(self) -> Box:
        h, w = self.levels.shape
        return (self.x0, self.y0, self.x0 + w, self.y0 + h)


def _grid(
    bounds: tuple[float, float, float, float], scale: float, size: tuple[int, int]
) -> Box | None:
    """The pixel box (clipped to the canvas) that holds ``bounds`` at ``scale``."""
    x0, y0, x1, y1 = bounds
    ix0 = max(0, math.floor(x0 * scale))
    iy0 = max(0, math.floor(y0 * scale))
    ix1 = min(size[0], math.ceil(x1 * scale))
    iy1 = min(size[1], math.ceil(y1 * scale))
    if ix1 <= ix0 or iy1 <= iy0:
        return None
    return ix0, iy0, ix1, iy1


def _segment(line: Line, s: float) -> tuple[float, ...] | None:
    """A stroked segment at scale ``s`` as (x0, y0, dx, dy, half width * length, length**2)."""
    dx, dy = (line.x1 - line.x0) * s, (line.y1 - line.y0) * s
    length = math.hypot(dx, dy)
    if length == 0 or line.stroke_width <= 0:
        return None
    return (line.x0 * s, line.y0 * s, dx, dy, line.stroke_width * s / 2 * length, length * length)


# How the span of an ellipse's interior follows from its half height h at x:
# top = cy + A h, bottom = cy + C h.
_FILL = (-1.0, 1.0)  # the whole interior
_FRONT_FILL = (0.0, 1.0)  # the half below the centre line


class Batch:
    """Coverage requests collected shape by shape, computed together by :meth:`run`.

    ``add_*`` return the request's index, or None when the shape covers no
    pixel of the canvas. After :meth:`run`, :meth:`mask` gives each request's
    box and its coverage levels (uint8, rows by columns).

    Each request is one or two *blocks* of one span per sub-column (a whole rim
    line is its upper arc and its lower arc), computed by kind of shape.
    """

    def __init__(self, scale: float, size: tuple[int, int]) -> None:
        self.s = scale
        self.size = size
        self.boxes: list[Box] = []
        # blocks by kind: (request, numbers of the block)
        self._fills: list[tuple[int, tuple[float, ...]]] = []
        self._back_rims: list[tuple[int, tuple[float, ...]]] = []  # whole rim lines
        self._front_rims: list[tuple[int, tuple[float, ...]]] = []  # their lower halves
        self._segments: list[tuple[int, tuple[float, ...]]] = []
        self._rects: list[tuple[int, tuple[float, ...]]] = []
        self._sides: list[tuple[int, tuple[float, ...]]] = []
        self._levels: Levels = np.zeros(0, dtype=np.uint8)
        self._blocks: dict[int, list[int]] = {}  # request -> offsets of its blocks

    def _box(self, bounds: tuple[float, float, float, float]) -> int | None:
        box = _grid(bounds, self.s, self.size)
        if box is None:
            return None
        self.boxes.append(box)
        return len(self.boxes) - 1

    def add_ellipse_fill(self, e: Ellipse) -> int | None:
        """The interior of an ellipse (its lower half if ``e.front``)."""
        bounds = (e.cx - e.rx, e.cy if e.front else e.cy - e.ry, e.cx + e.rx, e.cy + e.ry)
        k = self._box(bounds)
        if k is not None:
            s = self.s
            numbers = (e.cx * s, e.cy * s, *_slope(e.rx * s, e.ry * s))
            self._fills.append((k, numbers + (_FRONT_FILL if e.front else _FILL)))
        return k

    def add_ellipse_stroke(self, e: Ellipse) -> int | None:
        """The rim line of an ellipse, ``e.stroke_width`` wide (undashed: see ellipse_stroke)."""
        if e.stroke_width <= 0:
            return None
        k = self._box(e.bounds)
        if k is not None:
            s, w = self.s, e.stroke_width / 2
            outer = _slope((e.rx + w) * s, (e.ry + w) * s)
            inner = _slope((e.rx - w) * s, (e.ry - w) * s)
            numbers = (e.cx * s, e.cy * s, *outer, *inner)
            (self._front_rims if e.front else self._back_rims).append((k, numbers))
        return k

    def add_line(self, shape: Line) -> int | None:
        """A stroked segment (undashed: see :func:`line`)."""
        segment = _segment(shape, self.s)
        if segment is None:
            return None
        k = self._box(shape.bounds)
        if k is not None:
            # a vertical or a level stroke is a rectangle
            x0, y0, dx, dy = segment[:4]
            w = shape.stroke_width * self.s / 2
            if dx == 0:
                self._rects.append((k, (x0 - w, min(y0, y0 + dy), x0 + w, max(y0, y0 + dy))))
            elif dy == 0:
                self._rects.append((k, (min(x0, x0 + dx), y0 - w, max(x0, x0 + dx), y0 + w)))
            else:
                self._segments.append((k, segment))
        return k

    def add_rect(self, shape: Rect) -> int | None:
        k = self._box(shape.bounds)
        if k is not None:
            s = self.s
            self._rects.append((k, (shape.x0 * s, shape.y0 * s, shape.x1 * s, shape.y1 * s)))
        return k

    def add_side(self, shape: Side) -> int | None:
        k = self._box(shape.bounds)
        if k is not None:
            self._sides.append((k, (shape.cx, *shape._span_numbers())))
        return k

    # -- computing ---------------------------------------------------------------
    def run(self) -> None:
        """Compute the coverage of every request."""
        # A rim line is two blocks: its lower arc, and for a whole rim its upper arc.
        # The lower arcs of whole rims come first and their upper arcs last, so
        # both arcs of a rim are worked out from one pass (see _rim_spans).
        backs = self._back_rims
        uppers = sum(self.boxes[k][2] - self.boxes[k][0] for k, _ in backs)
        kinds = [
            (blocks, spans)
            for blocks, spans in (
                (self._fills, _fill_spans),
                (backs + self._front_rims + backs, functools.partial(_rim_spans, uppers=uppers)),
                (self._segments, _segment_spans),
                (self._rects, _rect_spans),
                (self._sides, _side_spans_at),
            )
            if blocks
        ]
        self._blocks = {}
        ids = [k for blocks, _ in kinds for k, _ in blocks]
        if not ids:
            return
        boxes = np.array([self.boxes[k] for k in ids], dtype=np.intp)
        ncols = boxes[:, 2] - boxes[:, 0]
        first = np.cumsum(ncols) - ncols
        n = int(ncols.sum())
        # x of every sub-column, (SUB, n), in the memory _levels takes for its run indexes
        # later (its first half, read as floats): one less fresh array for a first render
        xs = _scratch.take("idx", (2, SUB, n), np.intp).view(np.float64)[0]
        np.add(np.arange(n, dtype=np.float64), np.repeat(boxes[:, 0] - first, ncols), out=xs[0])
        np.add(xs[0], _OFFSETS[:, None], out=xs)
        # top and bottom edge of every sub-column, kind by kind
        y = _scratch.take("y", (2, SUB, n), np.float64)
        done = 0
        for blocks, spans in kinds:
            counts = ncols[done : done + len(blocks)]
            table = np.array([numbers for _, numbers in blocks], dtype=np.float64)
            per_column = np.repeat(table.T, counts, axis=1)
            a, b = int(first[done]), int(first[done] + counts.sum())
            spans(per_column, xs[:, a:b], self.s, y[0, :, a:b], y[1, :, a:b])
            done += len(blocks)
        np.maximum(y[1], y[0], out=y[1])
        rows = np.repeat(boxes[:, 3] - boxes[:, 1], ncols)
        self._levels = _levels(np.repeat(boxes[:, 1], ncols), rows, y)
        offsets = (np.cumsum(rows) - rows)[first]
        for k, off in zip(ids, offsets.tolist(), strict=True):
            self._blocks.setdefault(k, []).append(off)

    def mask(self, k: int) -> tuple[Box, Levels]:
        """Request ``k``'s box and coverage levels (rows x columns, uint8)."""
        x0, y0, x1, y1 = box = self.boxes[k]
        rows, cols = y1 - y0, x1 - x0
        blocks = self._blocks[k]
        first = blocks[0]
        block = self._levels[first : first + cols * rows].reshape(cols, rows)
        if len(blocks) > 1:
            # the two arcs of a rim: their spans never overlap, so levels add up
            # (two levels rounded up may make 256: saturate, in uint8)
            other = self._levels[blocks[1] : blocks[1] + cols * rows].reshape(cols, rows)
            block = block + np.minimum(other, 255 - block)
        return box, np.ascontiguousarray(block.T)

    def patch(self, k: int | None) -> Patch | None:
        if k is None:
            return None
        box, levels = self.mask(k)
        return Patch(box[0], box[1], levels)


def _fill_spans(
    numbers: FloatArray, xs: FloatArray, s: float, top: FloatArray, bottom: FloatArray
) -> None:
    """Spans of ellipse interiors at ``xs``: see ``_FILL`` for the two factors."""
    cx, cy, slope, ry, a, c = numbers
    dx = np.subtract(xs, cx, out=_scratch.take("row", xs.shape, np.float64))
    h = _half_height(dx, slope, ry, out=dx)
    np.multiply(a, h, out=top)
    top += cy
    np.multiply(c, h, out=bottom)
    bottom += cy


def _rim_spans(
    numbers: FloatArray,
    xs: FloatArray,
    s: float,
    top: FloatArray,
    bottom: FloatArray,
    *,
    uppers: int,
) -> None:
    """Spans of rim lines at ``xs``: lower arcs, then upper arcs of the first ``uppers`` columns.

    A line ``2w`` wide along an ellipse lies between the ellipses (rx - w, ry - w)
    and (rx + w, ry + w): below the centre line from ``cy + inner`` to ``cy + outer``,
    above it from ``cy - outer`` to ``cy - inner`` (half heights of those ellipses).
    """
    lower = xs.shape[1] - uppers
    cx, cy, slope_a, ry_a, slope_b, ry_b = numbers[:, :lower]
    shape = (SUB, lower)
    dx = np.subtract(xs[:, :lower], cx, out=_scratch.take("row", shape, np.float64))
    outer = _half_height(dx, slope_a, ry_a, _scratch.take("outer", shape, np.float64))
    inner = _half_height(dx, slope_b, ry_b, out=dx)
    np.add(cy, inner, out=top[:, :lower])
    np.add(cy, outer, out=bottom[:, :lower])
    np.subtract(cy[:uppers], outer[:, :uppers], out=top[:, lower:])
    np.subtract(cy[:uppers], inner[:, :uppers], out=bottom[:, lower:])


def _rect_spans(
    numbers: FloatArray, xs: FloatArray, s: float, top: FloatArray, bottom: FloatArray
) -> None:
    """Spans of axis-aligned rectangles (x0, y0, x1, y1 per column) at ``xs``."""
    x0, y0, x1, y1 = numbers
    inside = (xs >= x0) & (xs <= x1)
    top[...] = y0
    np.copyto(bottom, np.where(inside, y1, y0))


def _side_spans_at(
    numbers: FloatArray, xs: FloatArray, s: float, top: FloatArray, bottom: FloatArray
) -> None:
    """Spans of slice sides at ``xs`` (output pixels; the sides' numbers are in layout units)."""
    ax = xs / s
    ax -= numbers[0]
    t, b = _side_spans(np.abs(ax, out=ax), *numbers[1:])
    np.multiply(t, s, out=top)
    np.multiply(b, s, out=bottom)


def _segment_spans(
    segments: FloatArray, xs: FloatArray, s: float, top_out: FloatArray, bottom_out: FloatArray
) -> None:
    """Top and bottom of slanted strokes at ``xs``; ``segments`` per column as :func:`_segment`.

    A stroke is where two slabs cross: within half its width of the line
    (``|n . (p - p0)| <= w``) and between its ends (``0 <= d . (p - p0) <= |d|^2``);
    at a given x each slab is an interval of y. (Level and vertical strokes are
    rectangles: see :meth:`Batch.add_line`.) A sub-column the stroke misses gets an
    empty span on the segment's centre line, clamped to its ends, so that it does
    not widen the column's bands.
    """
    x0, y0, dx, dy, hw, length2 = segments
    u = xs - x0
    along = u * dx  # d . (p - p0) without its y part
    # slab 1: y in y0 + (u dy +- hw) / dx
    centre = u * (dy / dx)
    centre += y0
    half = np.abs(hw / dx)
    # slab 2: y in y0 + (0 .. length2 - u dx) / dy
    a = along / -dy
    b = (length2 - along) / dy
    np.maximum(centre - half, np.minimum(a, b) + y0, out=top_out)
    np.minimum(centre + half, np.maximum(a, b) + y0, out=bottom_out)
    empty = top_out > bottom_out
    if empty.any():
        ends = np.minimum(y0, y0 + dy), np.maximum(y0, y0 + dy)
        mid = np.clip(centre, *ends, out=centre)
        np.copyto(top_out, mid, where=empty)
        np.copyto(bottom_out, mid, where=empty)


def _levels(top: IntArray, rows: IntArray, y: FloatArray) -> Levels:
    """uint8 coverage of pixel columns, column after column (column ``c`` is ``rows[c]`` long).

    ``top`` is each column's first row; ``y`` (2, SUB, n) holds the top and the
    bottom of the span in every sub-column (bottom >= top). It is overwritten.
    See the module docstring for the method.
    """
    n = y.shape[2]
    y -= top
    np.maximum(y, 0.0, out=y)
    np.minimum(y, rows.astype(np.float64), out=y)
    # fixed point: y * Q rounded to an integer, then its row floor(y) and the
    # remainder frac (Q is a power of two: a shift and a mask)
    y *= Q
    y += 0.5
    fixed = _scratch.take("index", y.shape, np.intp)
    np.copyto(fixed, y, casting="unsafe")  # y >= 0: truncation is floor
    index = np.right_shift(fixed, QBITS, out=_scratch.take("idx", y.shape, np.intp))
    # The band of an edge: rows floor(min y) .. ceil(max y) - 1 over its sub-columns;
    # the bottom edge's band starts below the top edge's. Each column is laid out as
    # runs: a gap (all 0), the top band's pixels, a gap (all 255), the bottom band's
    # pixels, a gap (all 0). A gap is one run, whatever its length.
    lo = index.min(axis=1)  # (2, n)
    hi = fixed.max(axis=1)
    hi += Q - 1
    hi >>= QBITS
    np.maximum(hi[1], hi[0], out=hi[1])
    np.maximum(lo[1], hi[0], out=lo[1])
    size = hi - lo
    runs = np.empty((3, n), dtype=np.intp)  # where each gap's run is
    runs[2] = np.cumsum(size[0] + size[1] + 3)
    runs[2] -= 1
    runs[0] = runs[2] - 2 - size[0] - size[1]
    runs[1] = runs[0] + 1 + size[0]
    gaps = np.empty((3, n), dtype=np.intp)  # their lengths
    gaps[0] = lo[0]
    gaps[1] = lo[1] - hi[0]
    gaps[2] = rows - hi[1]
    count = int(runs[2, -1]) + 1
    # An edge at y in a sub-column is a step: Q - frac in row floor(y), Q in every
    # row below; entering (top) edges add it, leaving (bottom) edges subtract it. A
    # running sum of the steps down the runs gives the coverage of every band pixel,
    # and the full or empty level of every gap. A step one row past its band falls
    # on the gap that follows it, where it belongs.
    base = runs[:2] + 1 - lo  # the run of row r of band e is base[e] + r
    # a bottom edge above its band (a thin span) lies in the top band
    thin = index[1] < lo[1]
    index[1] += base[1]
    np.add(index[1], base[0] - base[1], out=index[1], where=thin)
    index[0] += base[0]
    # In levels of 255, signed by edge, in y's memory (the edges are in fixed now). Every
    # step is an integer times 2**-12 and every sum far below 2**41: exact, so the order
    # in which they are added does not matter.
    frac = np.bitwise_and(fixed, Q - 1, out=fixed)
    frac_levels = y
    np.multiply(frac[0], 255.0 / (SUB * Q), out=frac_levels[0])
    np.multiply(frac[1], -255.0 / (SUB * Q), out=frac_levels[1])
    steps = _scratch.take("steps", (count + 1,), np.float64)
    steps.fill(0.0)
    steps[0] = 0.5  # carried by the running sum to every value: truncation then rounds
    index += 1
    np.add.at(steps, index.ravel(), frac_levels.ravel())  # the rest, in the row below
    index -= 1
    lower = np.subtract(_STEP[:, None, None], frac_levels, out=y)
    np.add.at(steps, index.ravel(), lower.ravel())
    values = np.cumsum(steps[:count], out=steps[:count])
    lengths = _scratch.take("index", (count,), np.intp)  # frac is no longer needed
    lengths.fill(1)
    lengths[runs] = gaps
    levels: Levels = np.repeat(values.astype(np.uint8), lengths)
    return levels


# -- one shape at a time (hit map, dashed strokes, the plain painter) ------------------


def _dash_mask(e: Ellipse, patch: Patch, s: float) -> npt.NDArray[np.bool_]:
    h, w = patch.levels.shape
    px = patch.x0 + 0.5 + np.arange(w, dtype=np.float64)[None, :]
    py = patch.y0 + 0.5 + np.arange(h, dtype=np.float64)[:, None]
    rx, ry = max(e.rx * s, 1e-9), max(e.ry * s, 1e-9)
    theta = np.arctan2((py - e.cy * s) / ry, (px - e.cx * s) / rx)
    perimeter = math.pi * (3 * (rx + ry) - math.sqrt((3 * rx + ry) * (rx + 3 * ry)))
    dashes = max(4, round(perimeter / (8 * s))) * 2
    on: npt.NDArray[np.bool_] = (
        np.floor((theta + math.pi) / (2 * math.pi) * dashes).astype(np.int64) % 2 == 0
    )
    return on


def _one(batch: Batch, k: int | None) -> Patch | None:
    if k is None:
        return None
    batch.run()
    return batch.patch(k)


def ellipse_fill(e: Ellipse, s: float, size: tuple[int, int]) -> Patch | None:
    """Coverage of an ellipse's interior (or its front half)."""
    batch = Batch(s, size)
    return _one(batch, batch.add_ellipse_fill(e))


def ellipse_stroke(
    e: Ellipse, s: float, size: tuple[int, int], *, dashes: bool = True
) -> Patch | None:
    """Coverage of an ellipse's rim line of width ``e.stroke_width`` (dashed if ``e.dashed``)."""
    batch = Batch(s, size)
    patch = _one(batch, batch.add_ellipse_stroke(e))
    if patch is not None and e.dashed and dashes:
        patch.levels = patch.levels * _dash_mask(e, patch, s)
    return patch


def side(shape: Side, s: float, size: tuple[int, int]) -> Patch | None:
    """Coverage of a slice's side surface."""
    batch = Batch(s, size)
    return _one(batch, batch.add_side(shape))


def line(shape: Line, s: float, size: tuple[int, int], *, dashes: bool = True) -> Patch | None:
    """Coverage of a stroked segment (4 px on, 4 px off when ``shape.dashed``)."""
    batch = Batch(s, size)
    patch = _one(batch, batch.add_line(shape))
    if patch is not None and shape.dashed and dashes:
        h, w = patch.levels.shape
        px = patch.x0 + 0.5 + np.arange(w, dtype=np.float64)[None, :] - shape.x0 * s
        py = patch.y0 + 0.5 + np.arange(h, dtype=np.float64)[:, None] - shape.y0 * s
        dx, dy = (shape.x1 - shape.x0) * s, (shape.y1 - shape.y0) * s
        along = (px * dx + py * dy) / math.hypot(dx, dy)
        patch.levels = patch.levels * (np.floor(along / (4 * s)).astype(np.int64) % 2 == 0)
    return patch


def rect(shape: Rect, s: float, size: tuple[int, int]) -> Patch | None:
    """Coverage of an axis-aligned rectangle."""
    batch = Batch(s, size)
    return _one(batch, batch.add_rect(shape))
