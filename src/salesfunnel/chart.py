"""The public chart object: one geometry, drawn as a Pillow image, PNG, SVG or hit map."""

from __future__ import annotations

import io
import math
import os
import sys
import threading
import warnings
from collections.abc import Callable, Hashable, Mapping, Sequence, ValuesView
from typing import IO, TYPE_CHECKING, Any

import numpy as np

from ._format import fmt_number
from .errors import FunnelDataError
from .funnel.model import Funnel, SupportsFunnel, as_funnel, as_funnels
from .render.labels import PercentBasis
from .render.layout import Heights, Shape, WidthMapping, layout
from .render.shapes import Geometry, LabelNote, Region, output_size
from .render.style import Style

if TYPE_CHECKING:
    import numpy.typing as npt
    from PIL import Image

    from .funnel.metrics import MetricsTable
    from .render.hitmap import Hit

__all__ = ["MAX_PIXELS", "MAX_STAGES", "FunnelChart", "HiddenLabelsWarning"]

MAX_PIXELS = 40_000_000
"""Largest output canvas (width x height x scale\u00b2) a chart accepts: 40 megapixels.

Larger requests raise :class:`~salesfunnel.FunnelDataError` before anything is
allocated (a 40-megapixel RGB image already takes 120 MB)."""

MAX_STAGES = 250
"""Most stages a chart draws in one funnel: 250.

A funnel with more raises :class:`~salesfunnel.FunnelDataError` before any
layout. Drawing time and memory grow with the number of stages (each is a
full-width slice with its own shapes, coverage and hit region): at the limit an
800 x 600 chart takes about 3.5 s and 0.35 GB for its PNG and hit mask, and
its slices are about 2 pixels tall, past legibility. (10,000 stages took 20 s and
5.8 GB before the limit.)"""

FunnelData = SupportsFunnel | Mapping[Hashable, SupportsFunnel] | Sequence[SupportsFunnel]


def _funnels(data: object) -> list[tuple[Hashable, Funnel]]:
    items: list[tuple[Hashable, Funnel]]
    if isinstance(getattr(data, "funnel", None), Funnel):  # a Funnel or a result with one
        one = as_funnel(data, "data")
        items = [(one.name, one)]
    elif isinstance(data, Mapping):
        items = list(as_funnels(data, "data").items())
    elif isinstance(data, (list, tuple)):
        items = [(i, as_funnel(f, f"data[{i}]")) for i, f in enumerate(data)]
    else:
        msg = (
            "data must be a Funnel, a result with a .funnel (ClosedFunnel, ActiveFunnel, "
            "CohortFunnel, EventFunnel), a mapping of keys to them or a sequence of them "
            f"(got {type(data).__name__})"
        )
        raise FunnelDataError(msg)
    for key, f in items:
        if len(f) > MAX_STAGES:
            which = "the funnel" if len(items) == 1 and key is None else f"funnel {key!r}"
            limit = f"above the limit of {MAX_STAGES:,} (salesfunnel.MAX_STAGES)"
            raise FunnelDataError(f"{which} has {len(f):,} stages, {limit}")
    return items


def _check_size(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 16:
        msg = f"{name} must be an int >= 16 pixels (got {value!r})"
        raise FunnelDataError(msg)
    return value


def _check_canvas(width: int, height: int, scale: float) -> None:
    if (
        isinstance(scale, bool)
        or not isinstance(scale, (int, float))
        or not math.isfinite(scale)
        or not 0 < scale <= 16
    ):
        msg = f"scale must be a number in (0, 16] (got {scale!r})"
        raise FunnelDataError(msg)
    out_w, out_h = output_size(width, height, scale)
    if out_w * out_h > MAX_PIXELS:
        msg = (
            f"canvas of {out_w} x {out_h} = {out_w * out_h:,} pixels is above the "
            f"limit of {MAX_PIXELS:,} (salesfunnel.MAX_PIXELS)"
        )
        raise FunnelDataError(msg)
    if out_w < 1 or out_h < 1:
        msg = f"scale {scale!r} leaves no pixels"
        raise FunnelDataError(msg)


def _check_choice(value: object, name: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        msg = f"{name} must be one of {', '.join(map(repr, choices))} (got {value!r})"
        raise FunnelDataError(msg)


def _check_columns(columns: object) -> None:
    if columns is not None and (
        isinstance(columns, bool) or not isinstance(columns, int) or columns < 1
    ):
        msg = f"columns must be None or an int >= 1 (got {columns!r})"
        raise FunnelDataError(msg)


def _check_scale_to(
    scale_to: object, funnels: Sequence[tuple[Hashable, Funnel]], mapping: str
) -> None:
    if scale_to is None:
        return
    if (
        isinstance(scale_to, bool)
        or not isinstance(scale_to, (int, float))
        or not math.isfinite(scale_to)
        or scale_to <= 0
    ):
        msg = f"scale_to must be None or a finite number > 0 (got {scale_to!r})"
        raise FunnelDataError(msg)
    if mapping == "rank":
        msg = "scale_to does not apply to width_mapping='rank' (ranks are the chart's own)"
        raise FunnelDataError(msg)
    for key, f in funnels:
        top = float(f.counts.max()) if len(f) else 0.0
        if top > scale_to:
            msg = (
                f"scale_to must be at least the chart's largest count (got {scale_to!r}; "
                f"funnel {key!r} has a stage of {fmt_number(top)})"
            )
            raise FunnelDataError(msg)


def _default_shape(data: object, funnels: Sequence[tuple[Hashable, Funnel]]) -> Shape:
    """Bars for a snapshot or for counts that grow along a funnel; else a funnel."""
    # An ActiveFunnel can only arrive if its module was imported: no import here.
    active = sys.modules.get("salesfunnel.deals.active")
    items = data.values() if isinstance(data, Mapping) else data
    items = items if isinstance(items, (list, tuple, ValuesView)) else [items]
    if active is not None and any(isinstance(v, active.ActiveFunnel) for v in items):
        return "bars"
    for _, f in funnels:
        c = f.counts
        # the smallest non-zero count so far: a later stage above it grows
        lowest = np.minimum.accumulate(np.where(c > 0, c, np.inf))
        if len(c) > 1 and bool(np.any(c[1:] > lowest[:-1])):
            return "bars"
    return "funnel"


def _warn_hidden(notes: Sequence[LabelNote]) -> None:
    """Say, as a warning to whoever made the chart, which labels were hidden."""
    hidden = [n for n in notes if n.status == "hidden"]
    if hidden:
        names = ", ".join(repr(n.name) for n in hidden[:5])
        more = f" and {len(hidden) - 5} more" if len(hidden) > 5 else ""
        msg = (
            f"{len(hidden)} label(s) hidden to stay legible: {names}{more} "
            "(see FunnelChart.label_notes; a larger canvas or columns= shows them)"
        )
        warnings.warn(msg, HiddenLabelsWarning, stacklevel=3)  # the FunnelChart(...) call


class HiddenLabelsWarning(UserWarning):
    """Some labels of a chart were hidden to stay legible (see ``FunnelChart.label_notes``)."""


class FunnelChart:
    """A layered funnel picture of one funnel or several side by side.

    Parameters
    ----------
    data
        A :class:`~salesfunnel.Funnel`, or a mapping (key -> funnel) or sequence
        of funnels drawn side by side on one shared scale (per-manager small
        multiples: widths compare across funnels). An empty mapping or sequence
        gives an empty chart (background, title); a single :class:`Funnel` always
        has at least one stage.
    width, height
        Layout size in pixels (ints >= 16).
    style
        Appearance and layer switches (:class:`~salesfunnel.Style`).
    title
        Optional title drawn at the top, also the SVG ``<title>``.
    scale
        Output pixels per layout pixel (2 for high-DPI): it multiplies pixels,
        never changes the layout.
    width_mapping
        ``"linear"`` (default): a stage's width is proportional to its count;
        ``"sqrt"``: to the square root of its count; ``"log"``: to
        ``log(1 + count)``; ``"rank"``: equal steps by rank among the
        chart's distinct non-zero counts (the largest is widest). For wide
        ranges (213 million impressions to 872 sales). Any mapping but
        ``"linear"`` is stated in a caption under the drawing and in
        :meth:`alt_text`; zero stays zero in every mapping.
    heights
        ``"equal"`` (default) slice heights, or ``"value"``: heights
        proportional to counts (each non-zero stage at least 2 px).
    percent
        Percentages in labels: ``"both"`` (default) ``"of first"`` and
        ``"of previous"``, ``"first"``, ``"previous"`` or ``"none"``. The basis
        is always named in the text; undefined rates show an em dash.
    min_visible
        Minimum width of non-zero stages as a share of the widest possible
        stage (0 = off). Boosted stages are marked with a dashed rim. Zero
        stages always stay zero.
    min_hit
        Minimum clickable size (layout pixels) of each non-zero stage: enlarges
        the hit area onto the background, never the drawing.
    amount_format
        Formats stage amounts in labels (default: the library's number format).
    columns
        Funnels per row: several funnels are laid out in a grid of
        ``columns`` columns, row after row, all on one shared scale (``None``,
        the default: all in one row). Thirty reps read best with
        ``columns=6`` on a tall canvas. Fewer funnels than ``columns`` leave
        the row's last cells empty: cells keep their width, so charts of the
        same ``columns`` (and ``scale_to``) compare by width.
    scale_to
        The count drawn at the widest possible stage (``None``, the default:
        the chart's largest count). Give several charts the same ``scale_to``
        (their largest count overall) and their widths compare across charts:
        one shared scale over pages of small multiples. It must be a finite
        number at least the chart's largest count; not with ``"rank"`` widths
        (ranks are the chart's own).
    shape
        ``"funnel"``: each stage a slice of a cone under the one before;
        ``"bars"``: each stage a flat bar centred under the one before, apart
        from it (no taper, no ellipses), for counts that are not a narrowing
        funnel. ``None`` (the default) chooses bars for an open-deal snapshot
        (:class:`~salesfunnel.ActiveFunnel`, or a mapping or sequence holding
        one) and for any funnel in which a stage is larger than an earlier
        non-zero stage; a funnel otherwise. The chosen form is :attr:`shape`.

    Warns
    -----
    HiddenLabelsWarning
        When some labels or legend entries had to be hidden to stay legible
        (:attr:`label_notes` names them): a larger canvas, ``columns=`` or
        fewer percentages bring them back.

    Raises
    ------
    FunnelDataError
        Bad data or options, a canvas above :data:`MAX_PIXELS`, or a funnel of
        more than :data:`MAX_STAGES` stages.

    Notes
    -----
    A chart pickles (its caches and lock are left out and rebuilt on load), so
    it can be sent to another process and drawn there, with the same bytes.

    Examples
    --------
    >>> from salesfunnel import Funnel, FunnelChart
    >>> f = Funnel.from_counts({"Calls": 200, "Meetings": 60, "Paid": 10})
    >>> chart = FunnelChart(f, width=400, height=300)
    >>> chart.to_image().size
    (400, 300)
    >>> chart.to_png()[:8]
    b'\\x89PNG\\r\\n\\x1a\\n'
    >>> chart.to_svg().startswith("<svg")
    True
    >>> hit = chart.hit_test(120, 150)
    >>> hit.name, hit.part
    ('Meetings', 'side')
    """

    def __init__(
        self,
        data: FunnelData,
        *,
        width: int = 800,
        height: int = 600,
        style: Style | None = None,
        title: str | None = None,
        scale: float = 1,
        width_mapping: WidthMapping = "linear",
        heights: Heights = "equal",
        percent: PercentBasis = "both",
        min_visible: float = 0.0,
        min_hit: float = 0.0,
        amount_format: Callable[[float], str] | None = None,
        columns: int | None = None,
        scale_to: float | None = None,
        shape: Shape | None = None,
    ) -> None:
        self._width = _check_size(width, "width")
        self._height = _check_size(height, "height")
        _check_canvas(width, height, scale)
        if style is not None and not isinstance(style, Style):
            msg = f"style must be a Style or None (got {type(style).__name__})"
            raise FunnelDataError(msg)
        if title is not None and not isinstance(title, str):
            msg = f"title must be a string or None (got {title!r})"
            raise FunnelDataError(msg)
        _check_choice(width_mapping, "width_mapping", ("linear", "sqrt", "log", "rank"))
        _check_choice(heights, "heights", ("equal", "value"))
        _check_choice(percent, "percent", ("both", "first", "previous", "none"))
        for name, value, hi in (("min_visible", min_visible, 1.0), ("min_hit", min_hit, 1000.0)):
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not 0 <= value <= hi
            ):
                msg = f"{name} must be a number in [0, {hi:g}] (got {value!r})"
                raise FunnelDataError(msg)
        _check_columns(columns)
        self._funnels = _funnels(data)
        _check_scale_to(scale_to, self._funnels, width_mapping)
        if shape is None:
            shape = _default_shape(data, self._funnels)
        _check_choice(shape, "shape", ("funnel", "bars"))
        self._shape: Shape = shape
        self._style = style or Style()
        self._scale = scale
        self._title = title
        self.geometry: Geometry = layout(
            self._funnels,
            float(width),
            float(height),
            style=self._style,
            title=title,
            width_mapping=width_mapping,
            heights=heights,
            percent=percent,
            min_visible=float(min_visible),
            min_hit=float(min_hit),
            amount_format=amount_format,
            columns=columns,
            scale_to=None if scale_to is None else float(scale_to),
            shape=shape,
        )
        _warn_hidden(self.geometry.label_notes)
        self._tables: list[MetricsTable] | None = None  # for hit_test, on first use
        self._regions = self._scaled_regions()
        self._mask: npt.NDArray[np.int32] | None = None
        self._lock = threading.Lock()

    # -- pickling ----------------------------------------------------------------
    def __getstate__(self) -> dict[str, Any]:
        """The chart's state without its lock and caches (a lock cannot be pickled)."""
        state = self.__dict__.copy()
        del state["_lock"]
        state["_mask"] = None  # the hit mask and metrics tables are rebuilt on first use
        state["_tables"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    # -- properties ------------------------------------------------------------
    @property
    def size(self) -> tuple[int, int]:
        """Output size in pixels: (width x scale, height x scale)."""
        return output_size(self._width, self._height, self._scale)

    @property
    def shape(self) -> Shape:
        """The form drawn: ``"funnel"`` or ``"bars"`` (see the ``shape`` parameter)."""
        return self._shape

    @property
    def funnels(self) -> tuple[tuple[Hashable, Funnel], ...]:
        """The (key, funnel) pairs drawn, left to right."""
        return tuple(self._funnels)

    @property
    def style(self) -> Style:
        """The style in use."""
        return self._style

    @property
    def label_notes(self) -> tuple[LabelNote, ...]:
        """Labels and legend entries that were shortened or hidden to stay legible.

        >>> from salesfunnel import Funnel, FunnelChart
        >>> f = Funnel.from_counts({f"Stage number {i}": 100 - i for i in range(30)})
        >>> notes = FunnelChart(f, width=300, height=200).label_notes
        >>> sorted({n.status for n in notes})
        ['hidden', 'shortened']
        """
        return self.geometry.label_notes

    @property
    def regions(self) -> tuple[Region, ...]:
        """Clickable regions (ids index this tuple), polygons and bounds in output pixels."""
        return self._regions

    def _scaled_regions(self) -> tuple[Region, ...]:
        s = self._scale
        if s == 1:
            return self.geometry.regions
        return tuple(
            Region(
                r.id,
                r.funnel,
                r.funnel_index,
                r.stage,
                r.part,
                tuple((x * s, y * s) for x, y in r.polygon),
                (r.bounds[0] * s, r.bounds[1] * s, r.bounds[2] * s, r.bounds[3] * s),
                r.text,
            )
            for r in self.geometry.regions
        )

    # -- outputs -----------------------------------------------------------------
    def to_image(self) -> Image.Image:
        """The chart as a new RGB Pillow image of exactly :attr:`size` pixels."""
        from .render.raster import render

        return render(self.geometry, self._scale, self._style.background)

    def to_png(self) -> bytes:
        """The chart as PNG bytes (8-bit RGB; the same bytes for the same chart)."""
        # Our own writer (render.png: numpy + zlib, tuned for flat-colour charts):
        # smaller than Image.save's PNG in about a third of its time, and without
        # importing Pillow's PNG plugin (~8 ms of a fresh process).
        from .render.pillow_fast import png_bytes  # imports Pillow: not needed until drawn

        return png_bytes(self.to_image())

    def to_svg(self) -> str:
        """The chart as an SVG document (str).

        >>> from salesfunnel import Funnel, FunnelChart
        >>> svg = FunnelChart(Funnel.from_counts({"A": 2, "B": 1}), width=200, height=150).to_svg()
        >>> 'role="img"' in svg and svg.count('data-stage="1"') > 0
        True
        """
        from .render import svg

        return svg.render(
            self.geometry,
            self._scale,
            self._style.background,
            title=self._title or "Sales funnel chart",
            desc=self.alt_text(),
        )

    def save(self, fp: str | os.PathLike[str] | IO[bytes], format: str | None = None) -> None:
        """Write the chart to a path or binary file.

        The format comes from ``format`` or the path's suffix: ``png``, ``svg``,
        or any format Pillow writes (``jpeg``, ``webp``, ...). A file object
        without ``format`` gets PNG.
        """
        if format is None:
            if isinstance(fp, (str, os.PathLike)):
                suffix = os.path.splitext(os.fspath(fp))[1].lower().lstrip(".")
                if not suffix:
                    msg = f"cannot tell the format of {os.fspath(fp)!r}: pass format="
                    raise FunnelDataError(msg)
                format = suffix
            else:
                format = "png"
        fmt = format.lower()
        if fmt == "svg":
            data = self.to_svg().encode("utf-8")
        elif fmt == "png":
            data = self.to_png()
        else:
            from PIL import Image

            Image.init()
            name = Image.registered_extensions().get("." + fmt, fmt.upper())
            if name not in Image.SAVE:
                msg = f"unknown image format {format!r}"
                raise FunnelDataError(msg)
            buf = io.BytesIO()
            self.to_image().save(buf, format=name)
            data = buf.getvalue()
        if isinstance(fp, (str, os.PathLike)):
            with open(fp, "wb") as out:
                out.write(data)
        else:
            fp.write(data)

    # -- hit testing -----------------------------------------------------------
    def hit_mask(self) -> npt.NDArray[np.int32]:
        """Region id per output pixel (int32, shape (height, width)); -1 is background.

        The array is computed once and returned read-only.
        """
        with self._lock:
            if self._mask is None:
                from .render.hitmap import hit_mask  # not needed to draw: imported on first use

                mask = hit_mask(self.geometry, self._scale)
                mask.flags.writeable = False
                self._mask = mask
            return self._mask

    def hit_test_many(self, xs: npt.ArrayLike, ys: npt.ArrayLike) -> npt.NDArray[np.int32]:
        """Region ids under many points (output pixels); -1 where nothing was hit.

        >>> from salesfunnel import Funnel, FunnelChart
        >>> chart = FunnelChart(Funnel.from_counts({"A": 2, "B": 1}), width=200, height=150)
        >>> ids = chart.hit_test_many([0, 60], [0, 60])
        >>> int(ids[0]), chart.regions[ids[1]].part
        (-1, 'side')
        """
        mask = self.hit_mask()
        x = np.asarray(xs, dtype=np.float64)
        y = np.asarray(ys, dtype=np.float64)
        x, y = np.broadcast_arrays(x, y)
        h, w = mask.shape
        ok = (x >= 0) & (x < w) & (y >= 0) & (y < h)
        xi = np.where(ok, x, 0).astype(np.intp)
        yi = np.where(ok, y, 0).astype(np.intp)
        return np.where(ok, mask[yi, xi], np.int32(-1)).astype(np.int32)

    def hit_test(self, x: float, y: float) -> Hit | None:
        """Decode a click at output pixel (x, y): the funnel, stage, its data and the part.

        Returns None on the background and outside the canvas.
        """
        from .render.hitmap import Hit, check_point

        check_point(x, y)
        rid = int(self.hit_test_many([x], [y])[0])
        if rid < 0:
            return None
        region = self.regions[rid]
        if region.stage is None:
            return Hit(region, region.funnel, None, None, region.part, None, None)
        if region.funnel_index is None:  # legend entry: a stage of every funnel
            owner = next(f for _, f in self._funnels if len(f) > region.stage)
            return Hit(
                region, None, region.stage, owner.stages[region.stage].name, region.part, None, None
            )
        funnel = self._funnels[region.funnel_index][1]
        stage = funnel.stages[region.stage]
        if self._tables is None:
            from .funnel.metrics import metrics_table  # not needed to draw: imported on first use

            self._tables = [metrics_table(f) for _, f in self._funnels]
        row = self._tables[region.funnel_index][region.stage]
        return Hit(region, region.funnel, region.stage, stage.name, region.part, stage.data, row)

    def image_map(
        self,
        name: str,
        href: str | Callable[[Region], str] | None = None,
        *,
        pixels: str = "output",
    ) -> str:
        """An HTML ``<map name=...>`` with one ``<area shape="poly">`` per region.

        Pair it with ``<img usemap="#name">`` showing :meth:`to_png`. ``href``
        is a string (``{funnel}``, ``{stage}``, ``{part}`` are replaced by the
        region's values, percent-encoded; by an empty string where a region
        has none, e.g. ``{funnel}`` of a legend entry) or a function of the
        :class:`Region`; alt and title carry the label's text.

        Browsers read area coordinates in the image's CSS pixels. ``pixels``
        says which: ``"output"`` (default), the PNG's own pixels, for an image
        shown at its natural size; ``"layout"``, the chart's ``width`` x
        ``height``, for a PNG drawn at ``scale`` 2 (sharp on high-DPI screens)
        and shown with ``width``/``height`` set to the layout size.

        >>> from salesfunnel import Funnel, FunnelChart
        >>> funnel = Funnel.from_counts({"A": 2, "B": 1})
        >>> html = FunnelChart(funnel, width=200, height=150).image_map("f")
        >>> html.splitlines()[0], html.count("<area")
        ('<map name="f">', 6)
        >>> sharp = FunnelChart(funnel, width=200, height=150, scale=2)
        >>> sharp.image_map("f", pixels="layout") == html
        True
        """
        from .render.hitmap import image_map

        _check_choice(pixels, "pixels", ("output", "layout"))
        regions = self.regions if pixels == "output" else self.geometry.regions
        return image_map(regions, name, href)

    def alt_text(self) -> str:
        """A text summary of the chart: stages, counts and conversions, for ``alt``/``<desc>``."""
        return "Sales funnel chart. " + self.geometry.description

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str | bytes]:
        return {"image/svg+xml": self.to_svg(), "image/png": self.to_png()}

    def __repr__(self) -> str:
        keys = [k for k, _ in self._funnels]
        return f"FunnelChart(funnels={keys!r}, size={self.size})"
