"""Analytic pixel coverage of the geometry's primitives (shared by raster and hit map).

Every filled primitive is a set of vertical spans per column. Coverage is exact
along y (the overlap of each span with each pixel row) and sampled at ``SUB``
sub-columns along x, then averaged: anti-aliasing at the cost of a few numpy
passes over each shape's bounding box, never a Python loop per pixel line.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from .geometry import Ellipse, Line, Rect, Side, _side_spans

if TYPE_CHECKING:
    import numpy.typing as npt

    FloatArray = npt.NDArray[np.float64]
    Spans = list[tuple[FloatArray, FloatArray]]

SUB = 4


class Patch:
    """Coverage in [0, 1] of a box of pixels: ``cov[row, col]`` at pixel (x0 + col, y0 + row)."""

    __slots__ = ("cov", "x0", "y0")

    def __init__(self, x0: int, y0: int, cov: FloatArray) -> None:
        self.x0 = x0
        self.y0 = y0
        self.cov = cov

    @property
    def box(self) -> tuple[int, int, int, int]:
        h, w = self.cov.shape
        return (self.x0, self.y0, self.x0 + w, self.y0 + h)

    def column_centres(self) -> FloatArray:
        return self.x0 + 0.5 + np.arange(self.cov.shape[1], dtype=np.float64)


def _grid(
    bounds: tuple[float, float, float, float], scale: float, size: tuple[int, int]
) -> tuple[int, int, int, int] | None:
    x0, y0, x1, y1 = (v * scale for v in bounds)
    ix0 = max(0, math.floor(x0))
    iy0 = max(0, math.floor(y0))
    ix1 = min(size[0], math.ceil(x1))
    iy1 = min(size[1], math.ceil(y1))
    if ix1 <= ix0 or iy1 <= iy0:
        return None
    return ix0, iy0, ix1, iy1


def _accumulate(box: tuple[int, int, int, int], spans: Spans) -> Patch:
    """Coverage of the union of disjoint vertical spans, one span per sub-column each.

    Row coverage of a span [t, b] is ``clip(b - r, 0, 1) - clip(t - r, 0, 1)``. Its
    change from row to row is non-zero only at floor(t), floor(t) + 1, floor(b) and
    floor(b) + 1, so four scattered weights per sub-column (one ``bincount``) and a
    cumulative sum down the rows give the exact coverage: two passes over the
    pixels instead of several over the sub-pixels.
    """
    ix0, iy0, ix1, iy1 = box
    nrows, ncols = iy1 - iy0, ix1 - ix0
    k = len(spans)
    tops = np.stack([t for t, _ in spans])
    bottoms = np.maximum(np.stack([b for _, b in spans]), tops)
    ys = np.concatenate([bottoms, tops])
    ys -= iy0
    np.clip(ys, 0.0, float(nrows), out=ys)
    fy = np.floor(ys)
    frac = ys - fy
    base = fy.astype(np.intp) * ncols + np.repeat(np.arange(ncols, dtype=np.intp), SUB)
    sign = np.repeat(np.array([1.0 / SUB, -1.0 / SUB]), k)[:, None]
    index = np.concatenate([base.ravel(), (base + ncols).ravel()])
    weight = np.concatenate([(sign * (frac - 1.0)).ravel(), (-sign * frac).ravel()])
    counts = np.bincount(index, weight, minlength=(nrows + 2) * ncols)
    cov: FloatArray = np.cumsum(counts.reshape(nrows + 2, ncols)[:nrows], axis=0)
    return Patch(ix0, iy0, cov)


def _subcolumns(box: tuple[int, int, int, int]) -> FloatArray:
    ix0, _, ix1, _ = box
    return ix0 + (np.arange((ix1 - ix0) * SUB, dtype=np.float64) + 0.5) / SUB


def _half_heights(xs: FloatArray, cx: float, rx: float, ry: float) -> FloatArray:
    if rx <= 0 or ry <= 0:
        return np.zeros_like(xs)
    with np.errstate(over="ignore"):  # a sub-pixel ellipse: far columns are just outside
        q = np.clip((xs - cx) / rx, -1.0, 1.0)
    h: FloatArray = ry * np.sqrt(1.0 - q * q)
    return np.where(np.abs(xs - cx) < rx, h, 0.0)


def _ellipse_fill_spans(e: Ellipse, xs: FloatArray, s: float) -> Spans:
    h = _half_heights(xs, e.cx * s, e.rx * s, e.ry * s)
    cy = e.cy * s
    if e.front:
        return [(np.full_like(xs, cy), cy + h)]
    return [(cy - h, cy + h)]


def _ellipse_ring_spans(e: Ellipse, xs: FloatArray, s: float) -> Spans:
    w = e.width * s / 2
    cx, cy, rx, ry = e.cx * s, e.cy * s, e.rx * s, e.ry * s
    outer = _half_heights(xs, cx, rx + w, ry + w)
    inner = _half_heights(xs, cx, rx - w, ry - w)
    if e.front:
        lower = np.where(inner > 0, cy + inner, cy)
        return [(lower, cy + outer)]
    return [(cy - outer, cy - inner), (cy + inner, cy + outer)]


def _convex_spans(points: list[tuple[float, float]], xs: FloatArray) -> Spans:
    top = np.full_like(xs, np.inf)
    bottom = np.full_like(xs, -np.inf)
    n = len(points)
    for k in range(n):
        ax, ay = points[k]
        bx, by = points[(k + 1) % n]
        if ax == bx:
            continue
        lo, hi = min(ax, bx), max(ax, bx)
        inside = (xs >= lo) & (xs <= hi)
        y = ay + (xs - ax) * (by - ay) / (bx - ax)
        top = np.where(inside, np.minimum(top, y), top)
        bottom = np.where(inside, np.maximum(bottom, y), bottom)
    empty = ~np.isfinite(top)
    return [(np.where(empty, 0.0, top), np.where(empty, 0.0, bottom))]


def line_quad(line: Line, s: float) -> list[tuple[float, float]] | None:
    """The four corners of a stroked segment at scale ``s`` (None if degenerate)."""
    dx, dy = (line.x1 - line.x0) * s, (line.y1 - line.y0) * s
    length = math.hypot(dx, dy)
    if length == 0 or line.width <= 0:
        return None
    nx, ny = -dy / length * line.width * s / 2, dx / length * line.width * s / 2
    x0, y0, x1, y1 = line.x0 * s, line.y0 * s, line.x1 * s, line.y1 * s
    return [(x0 + nx, y0 + ny), (x1 + nx, y1 + ny), (x1 - nx, y1 - ny), (x0 - nx, y0 - ny)]


def _dash_mask(e: Ellipse, patch: Patch, s: float) -> FloatArray:
    h, w = patch.cov.shape
    px = patch.x0 + 0.5 + np.arange(w, dtype=np.float64)[None, :]
    py = patch.y0 + 0.5 + np.arange(h, dtype=np.float64)[:, None]
    rx, ry = max(e.rx * s, 1e-9), max(e.ry * s, 1e-9)
    theta = np.arctan2((py - e.cy * s) / ry, (px - e.cx * s) / rx)
    perimeter = math.pi * (3 * (rx + ry) - math.sqrt((3 * rx + ry) * (rx + 3 * ry)))
    dashes = max(4, round(perimeter / (8 * s))) * 2
    on = np.floor((theta + math.pi) / (2 * math.pi) * dashes).astype(np.int64) % 2 == 0
    mask: FloatArray = on.astype(np.float64)
    return mask


def ellipse_fill(e: Ellipse, s: float, size: tuple[int, int]) -> Patch | None:
    """Coverage of an ellipse's interior (or its front half)."""
    bounds = (e.cx - e.rx, e.cy if e.front else e.cy - e.ry, e.cx + e.rx, e.cy + e.ry)
    box = _grid(bounds, s, size)
    if box is None:
        return None
    return _accumulate(box, _ellipse_fill_spans(e, _subcolumns(box), s))


def ellipse_stroke(
    e: Ellipse, s: float, size: tuple[int, int], *, dashes: bool = True
) -> Patch | None:
    """Coverage of an ellipse's rim line of width ``e.width`` (dashed if ``e.dashed``)."""
    box = _grid(e.bounds, s, size)
    if box is None or e.width <= 0:
        return None
    patch = _accumulate(box, _ellipse_ring_spans(e, _subcolumns(box), s))
    if e.dashed and dashes:
        patch.cov = patch.cov * _dash_mask(e, patch, s)
    return patch


def side(shape: Side, s: float, size: tuple[int, int]) -> Patch | None:
    """Coverage of a slice's side surface."""
    box = _grid(shape.bounds, s, size)
    if box is None:
        return None
    xs = _subcolumns(box)
    top, bottom = shape.spans(xs / s)
    return _accumulate(box, [(top * s, bottom * s)])


def line(shape: Line, s: float, size: tuple[int, int], *, dashes: bool = True) -> Patch | None:
    """Coverage of a stroked segment (4 px on, 4 px off when ``shape.dashed``)."""
    quad = line_quad(shape, s)
    if quad is None:
        return None
    box = _grid(shape.bounds, s, size)
    if box is None:
        return None
    patch = _accumulate(box, _convex_spans(quad, _subcolumns(box)))
    if shape.dashed and dashes:
        h, w = patch.cov.shape
        px = patch.x0 + 0.5 + np.arange(w, dtype=np.float64)[None, :] - shape.x0 * s
        py = patch.y0 + 0.5 + np.arange(h, dtype=np.float64)[:, None] - shape.y0 * s
        dx, dy = (shape.x1 - shape.x0) * s, (shape.y1 - shape.y0) * s
        along = (px * dx + py * dy) / math.hypot(dx, dy)
        patch.cov = patch.cov * (np.floor(along / (4 * s)).astype(np.int64) % 2 == 0)
    return patch


def rect(shape: Rect, s: float, size: tuple[int, int]) -> Patch | None:
    """Coverage of an axis-aligned rectangle."""
    box = _grid(shape.bounds, s, size)
    if box is None:
        return None
    xs = _subcolumns(box)
    inside = (xs >= shape.x0 * s) & (xs <= shape.x1 * s)
    top = np.where(inside, shape.y0 * s, 0.0)
    bottom = np.where(inside, shape.y1 * s, 0.0)
    return _accumulate(box, [(top, bottom)])


# -- many shapes at once -------------------------------------------------------------
# The raster backend's fast path: the coverage of every shape of a chart in one
# set of numpy passes, instead of a dozen small passes per shape, and only where
# it is fractional. The spans per sub-column come from the formulas of the
# one-shape functions above, element by element. Coverage is then computed only
# in the few rows each edge crosses (see :func:`_banded`); the rows between are
# runs of 255 (inside a span) or 0, written with one ``np.repeat``. Each shape's
# mask is a column-major block of one flat uint8 buffer. Tests check the result
# against the one-shape path.

Box = tuple[int, int, int, int]


def _batch_half_heights(
    xs: FloatArray, cx: FloatArray, rx: FloatArray, ry: FloatArray
) -> FloatArray:
    """:func:`_half_heights` with per-element centre and radii (0 where a radius is <= 0)."""
    ok = (rx > 0) & (ry > 0)
    safe_rx = np.where(ok, rx, 1.0)
    with np.errstate(over="ignore"):
        q = np.clip((xs - cx) / safe_rx, -1.0, 1.0)
    h: FloatArray = ry * np.sqrt(1.0 - q * q)
    return np.where(ok & (np.abs(xs - cx) < rx), h, 0.0)


class Batch:
    """Coverage requests collected shape by shape, computed together by :meth:`run`.

    ``add_*`` return the request's index, or None when the shape covers no
    pixel of the canvas. After :meth:`run`, :meth:`mask` gives each request's
    coverage as uint8 levels (0..255), rows by columns, with its box.
    """

    def __init__(self, scale: float, size: tuple[int, int]) -> None:
        self.s = scale
        self.size = size
        self.boxes: list[Box] = []
        # per kind: request indices and their shapes
        self._fills: list[tuple[int, Ellipse]] = []
        self._rings: list[tuple[int, Ellipse]] = []
        self._lines: list[tuple[int, list[tuple[float, float]]]] = []
        self._rects: list[tuple[int, Rect]] = []
        self._sides: list[tuple[int, Side]] = []
        self._buffers: list[npt.NDArray[np.uint8]] = []
        self._where: dict[int, tuple[int, int]] = {}

    def _box(self, bounds: tuple[float, float, float, float]) -> int | None:
        box = _grid(bounds, self.s, self.size)
        if box is None:
            return None
        self.boxes.append(box)
        return len(self.boxes) - 1

    def add_ellipse_fill(self, e: Ellipse) -> int | None:
        bounds = (e.cx - e.rx, e.cy if e.front else e.cy - e.ry, e.cx + e.rx, e.cy + e.ry)
        k = self._box(bounds)
        if k is not None:
            self._fills.append((k, e))
        return k

    def add_ellipse_stroke(self, e: Ellipse) -> int | None:
        """An undashed rim line (dashed ones take the one-shape path)."""
        if e.width <= 0:
            return None
        k = self._box(e.bounds)
        if k is not None:
            self._rings.append((k, e))
        return k

    def add_line(self, shape: Line) -> int | None:
        """An undashed stroke (dashed ones take the one-shape path)."""
        quad = line_quad(shape, self.s)
        if quad is None:
            return None
        k = self._box(shape.bounds)
        if k is not None:
            self._lines.append((k, quad))
        return k

    def add_rect(self, shape: Rect) -> int | None:
        k = self._box(shape.bounds)
        if k is not None:
            self._rects.append((k, shape))
        return k

    def add_side(self, shape: Side) -> int | None:
        k = self._box(shape.bounds)
        if k is not None:
            self._sides.append((k, shape))
        return k

    # -- computing ---------------------------------------------------------------
    def _columns(
        self, ids: list[int]
    ) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], FloatArray]:
        """Request index, pixel column in its box, and x of every sub-column of ``ids``."""
        boxes = np.array([self.boxes[k] for k in ids], dtype=np.intp).reshape(-1, 4)
        n = (boxes[:, 2] - boxes[:, 0]) * SUB
        owner = np.repeat(np.asarray(ids, dtype=np.intp), n)
        starts = np.cumsum(n) - n
        local = np.arange(int(n.sum()), dtype=np.intp) - np.repeat(starts, n)
        xs = np.repeat(boxes[:, 0].astype(np.float64), n) + (local + 0.5) / SUB
        return owner, local // SUB, xs

    def run(self) -> None:
        """Compute every request's coverage, only near the edges (see :func:`_banded`)."""
        s = self.s
        count = len(self.boxes)
        self._buffers = []
        self._where = {}
        if not count:
            return
        boxes = np.array(self.boxes, dtype=np.intp)
        # one-span shapes: (owner, column, top, bottom) per sub-column
        owners: list[npt.NDArray[np.intp]] = []
        columns: list[npt.NDArray[np.intp]] = []
        tops: list[FloatArray] = []
        bottoms: list[FloatArray] = []

        def emit(
            owner: npt.NDArray[np.intp], col: npt.NDArray[np.intp], t: FloatArray, b: FloatArray
        ) -> None:
            owners.append(owner)
            columns.append(col)
            tops.append(t)
            bottoms.append(np.maximum(b, t))

        def params(items: list[tuple[int, Ellipse]], owner: npt.NDArray[np.intp]) -> FloatArray:
            table = np.zeros((count, 5))
            for k, e in items:
                table[k] = (e.cx * s, e.cy * s, e.rx * s, e.ry * s, e.width * s / 2)
            columns_of: FloatArray = table[owner].T
            return columns_of

        if self._fills:
            ids = [k for k, _ in self._fills]
            owner, col, xs = self._columns(ids)
            cx, cy, rx, ry, _ = params(self._fills, owner)
            h = _batch_half_heights(xs, cx, rx, ry)
            front = np.zeros(count, dtype=bool)
            front[[k for k, e in self._fills if e.front]] = True
            emit(owner, col, np.where(front[owner], cy, cy - h), cy + h)
        fronts = [(k, e) for k, e in self._rings if e.front]
        if fronts:
            owner, col, xs = self._columns([k for k, _ in fronts])
            cx, cy, rx, ry, w = params(fronts, owner)
            outer = _batch_half_heights(xs, cx, rx + w, ry + w)
            inner = _batch_half_heights(xs, cx, rx - w, ry - w)
            emit(owner, col, np.where(inner > 0, cy + inner, cy), cy + outer)
        if self._lines:
            ids = [k for k, _ in self._lines]
            owner, col, xs = self._columns(ids)
            corners = np.zeros((count, 4, 2))
            for k, quad in self._lines:
                corners[k] = quad
            pts = corners[owner]
            top = np.full_like(xs, np.inf)
            bottom = np.full_like(xs, -np.inf)
            for k in range(4):
                ax, ay = pts[:, k, 0], pts[:, k, 1]
                bx, by = pts[:, (k + 1) % 4, 0], pts[:, (k + 1) % 4, 1]
                slanted = ax != bx
                lo, hi = np.minimum(ax, bx), np.maximum(ax, bx)
                inside = slanted & (xs >= lo) & (xs <= hi)
                with np.errstate(divide="ignore", invalid="ignore"):
                    y = ay + (xs - ax) * (by - ay) / (bx - ax)
                top = np.where(inside, np.minimum(top, y), top)
                bottom = np.where(inside, np.maximum(bottom, y), bottom)
            empty = ~np.isfinite(top)
            emit(owner, col, np.where(empty, 0.0, top), np.where(empty, 0.0, bottom))
        if self._rects:
            ids = [k for k, _ in self._rects]
            owner, col, xs = self._columns(ids)
            table = np.zeros((count, 4))
            for k, r in self._rects:
                table[k] = (r.x0 * s, r.y0 * s, r.x1 * s, r.y1 * s)
            x0, y0, x1, y1 = table[owner].T
            inside = (xs >= x0) & (xs <= x1)
            emit(owner, col, np.where(inside, y0, 0.0), np.where(inside, y1, 0.0))
        if self._sides:
            ids = [k for k, _ in self._sides]
            owner, col, xs = self._columns(ids)
            table = np.zeros((count, 8))
            for k, sd in self._sides:
                table[k] = (sd.cx, sd.y0, sd.r0, sd.b0, sd.y1, sd.r1, sd.b1, sd.start[0])
            cx, y0, r0, b0, y1, r1, b1, sx = table[owner].T
            t, b = _side_spans(np.abs(xs / s - cx), y0, r0, b0, y1, r1, b1, sx)
            emit(owner, col, t * s, b * s)
        if owners:
            self._add_buffer(
                boxes,
                np.concatenate(owners),
                np.concatenate(columns),
                [np.concatenate(tops), np.concatenate(bottoms)],
            )
        backs = [(k, e) for k, e in self._rings if not e.front]
        if backs:
            # a whole rim: the upper and the lower span, i.e. four edges per sub-column
            owner, col, xs = self._columns([k for k, _ in backs])
            cx, cy, rx, ry, w = params(backs, owner)
            outer = _batch_half_heights(xs, cx, rx + w, ry + w)
            inner = _batch_half_heights(xs, cx, rx - w, ry - w)
            t_out = cy - outer
            t_in = np.maximum(cy - inner, t_out)
            self._add_buffer(boxes, owner, col, [t_out, t_in, cy + inner, cy + outer])

    def _add_buffer(
        self,
        boxes: npt.NDArray[np.intp],
        owner: npt.NDArray[np.intp],
        col: npt.NDArray[np.intp],
        edges: list[FloatArray],
    ) -> None:
        levels, first, offsets = _banded(boxes, owner[::SUB], edges)
        index = len(self._buffers)
        self._buffers.append(levels)
        for k, off in zip(first.tolist(), offsets.tolist(), strict=True):
            self._where[k] = (index, off)

    def mask(self, k: int) -> tuple[Box, npt.NDArray[np.uint8]]:
        """Request ``k``'s box and coverage levels (rows x columns, uint8)."""
        index, off = self._where[k]
        x0, y0, x1, y1 = self.boxes[k]
        rows, cols = y1 - y0, x1 - x0
        block = self._buffers[index][off : off + cols * rows].reshape(cols, rows)
        return self.boxes[k], np.ascontiguousarray(block.T)


def _banded(
    boxes: npt.NDArray[np.intp], owner: npt.NDArray[np.intp], edges: list[FloatArray]
) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """uint8 coverage levels of pixel columns, computed only near the edges.

    ``owner`` names the request of each pixel column (a request's columns are
    consecutive, left to right); ``edges`` are E arrays with the y of each edge at
    every sub-column (``SUB`` per pixel column), sorted down each sub-column and
    alternately entering and leaving the shape (one span: top, bottom; a rim:
    four). Coverage of row r is ``sum_e (+-1) mean_j clip(r + 1 - y_ej, 0, 1)``,
    the same as :func:`_accumulate`'s running sum. It is fractional only in the
    rows an edge crosses in some sub-column (its *band*); between bands it is 1
    inside a span and 0 outside, so those rows are runs of 255 or 0 and only the
    band pixels are computed. Returns the levels column-major (each column
    ``rows`` long, a request's columns one after the other), the requests in
    order and the offset of each one's block.
    """
    n = len(owner)
    count = len(edges)
    # y of every edge relative to its box, one array per sub-column, (column, edge) order.
    # Arrays of this size, not one (column, edge, sub-column) block and (pixel,
    # sub-column) gathers: large temporaries cost fresh pages on every render.
    top = np.repeat(boxes[owner, 1].astype(np.float64), count)
    nrows = boxes[owner, 3] - boxes[owner, 1]
    floor_of = np.repeat(nrows.astype(np.float64), count)
    subs = []
    for j in range(SUB):
        y = np.stack([e[j::SUB] for e in edges], axis=1).ravel()
        y -= top
        np.clip(y, 0.0, floor_of, out=y)
        subs.append(y)
    low = subs[0].copy()
    high = subs[0].copy()
    for y in subs[1:]:
        np.minimum(low, y, out=low)
        np.maximum(high, y, out=high)
    # band of edge e: rows floor(min y) .. ceil(max y) - 1, pushed below the band above it
    lo = np.floor(low).astype(np.intp).reshape(n, count)
    hi = np.ceil(high).astype(np.intp).reshape(n, count)
    np.maximum.accumulate(hi, axis=1, out=hi)
    above = np.zeros_like(hi)
    above[:, 1:] = hi[:, :-1]
    start = np.maximum(lo, above)
    size = (hi - start).ravel()
    # every band pixel: its band (column * count + edge) and row
    # (int32 indices and in-place updates: fewer fresh pages per render)
    band = np.repeat(np.arange(n * count, dtype=np.int32), size)
    within = np.arange(len(band), dtype=np.int32)
    within -= np.repeat((np.cumsum(size) - size).astype(np.int32), size)
    row = start.ravel().astype(np.int32)[band]
    row += within
    below = row + 1.0
    odd = (band & 1).astype(bool)  # count is even: band parity is edge parity (odd: leaving)

    def passed(rows_below: FloatArray, which: npt.NDArray[np.int32]) -> FloatArray:
        """Sum over the sub-columns of the part of edge ``which`` above each row's bottom."""
        total = np.zeros(len(which))
        for y in subs:
            part = rows_below - y[which]
            np.clip(part, 0.0, 1.0, out=part)
            total += part
        return total

    # In band e every edge above e is passed (+1 after an entering edge, -1 after a
    # leaving one, so the edges above add up to e % 2) and edge e is crossing; an edge
    # below e counts too in the rows where its own band has begun (thin shapes).
    cov = passed(below, band)
    np.subtract(float(SUB), cov, out=cov, where=odd)  # after a leaving edge: 1 - its part
    edge = band % count
    flat_lo = lo.ravel()
    for d in range(1, count):
        later = band + d
        begun = row >= flat_lo[np.minimum(later, n * count - 1)]
        hit = np.flatnonzero(begun & (edge + d < count))
        if len(hit):
            # edges alternate (entering, leaving, ...): edge e + d enters iff e + d is even
            sign = 1.0 - 2.0 * ((edge[hit] + d) % 2)
            cov[hit] += sign * passed(below[hit], later[hit])
    cov *= 255.0 / SUB
    cov += 0.5  # +0.5 then truncation rounds
    np.clip(cov, 0.0, 255.0, out=cov)
    # runs down each column: gap 0, band 0 pixels, gap 1, band 1 pixels, ..., gap E;
    # gap e lies between the bands, at 255 after an entering edge and 0 after a leaving one
    per_column = size.reshape(n, count)
    runs = per_column.sum(axis=1) + count + 1
    run0 = np.cumsum(runs) - runs
    before = np.cumsum(per_column, axis=1) - per_column  # band pixels above band e
    gap_at = np.empty((n, count + 1), dtype=np.intp)
    gap_at[:, :count] = run0[:, None] + np.arange(count) + before
    gap_at[:, count] = run0 + runs - 1
    gap_len = np.empty((n, count + 1), dtype=np.intp)
    gap_len[:, :count] = start - above
    gap_len[:, count] = nrows - hi[:, -1]
    pixel_at = (gap_at[:, :count] + 1).ravel()[band] + within
    values = np.empty(int(runs.sum()), dtype=np.uint8)
    lengths = np.ones(len(values), dtype=np.int32)
    values[gap_at] = np.resize(np.array([0, 255], dtype=np.uint8), count + 1)
    lengths[gap_at] = gap_len
    values[pixel_at] = cov.astype(np.uint8)
    levels: npt.NDArray[np.uint8] = np.repeat(values, lengths)
    # each request's first column and the offset of its block
    first = np.flatnonzero(np.concatenate([[True], owner[1:] != owner[:-1]]))
    col_offsets = np.cumsum(nrows) - nrows
    return levels, owner[first], col_offsets[first]
