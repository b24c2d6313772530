"""Hit maps: decode a click at (x, y) on any output back to the stage under it.

The hit mask is painted from the same geometry, in the same paint loop, with
the same coverage as the raster image: a pixel belongs to the topmost shape
that covers at least half of it. Hit areas (:class:`~salesfunnel.render.shapes.HitArea`,
never drawn) claim the pixels whose centres they contain; a stage's target is
painted before the stage's own shapes, so it enlarges a small stage onto the
background without stealing pixels from anything drawn after it.
"""

from __future__ import annotations

import math
import urllib.parse
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .._format import escape_html
from ..funnel.metrics import StageMetrics
from . import coverage as cov
from .paint import Painter, paint
from .shapes import (
    Ellipse,
    Geometry,
    HitArea,
    Line,
    Rect,
    Region,
    Side,
    Text,
    _short_repr,
    output_size,
)
from .text import clean

if TYPE_CHECKING:
    import numpy.typing as npt

__all__ = ["Hit", "hit_mask", "image_map"]


@dataclass(frozen=True, slots=True)
class Hit:
    """What a click decoded to.

    ``funnel`` is the funnel's key (None for a legend entry, which stands for a
    stage in every funnel); ``stage`` the stage index (None on a funnel
    heading); ``name`` the stage name; ``data`` the stage's user payload
    (:attr:`Stage.data`); ``metrics`` its row of the metrics table; ``part``
    one of ``rim``, ``side``, ``label``, ``legend``, ``heading``. The repr
    names the funnel, stage, name and part only; ``region``, ``data`` and
    ``metrics`` are attributes.

    >>> from salesfunnel import Funnel, FunnelChart
    >>> chart = FunnelChart({"Ann": Funnel.from_counts({"Calls": 9, "Paid": 3})})
    >>> chart.hit_test(300, 450)
    Hit(funnel='Ann', stage=1, name='Paid', part='side')
    """

    region: Region
    funnel: Hashable
    stage: int | None
    name: str | None
    part: str
    data: Any
    metrics: StageMetrics | None

    def __repr__(self) -> str:
        return (
            f"Hit(funnel={_short_repr(self.funnel)}, stage={self.stage}, "
            f"name={_short_repr(self.name)}, part={self.part!r})"
        )


class HitPainter(Painter):
    """Paints region ids into an int32 mask (-1 = background)."""

    def __init__(self, geometry: Geometry, scale: float) -> None:
        self.scale = scale
        self.size = output_size(geometry.width, geometry.height, scale)
        self.mask = np.full((self.size[1], self.size[0]), -1, dtype=np.int32)
        self.stage_targets: list[tuple[int, int, int]] = []

    def _claim(self, patch: cov.Patch | None, region: int | None) -> None:
        if patch is None or region is None:
            return
        x0, y0, x1, y1 = patch.box
        view = self.mask[y0:y1, x0:x1]
        view[patch.levels >= 128] = region  # at least half covered

    def ellipse(self, shape: Ellipse, region: int | None) -> None:
        if shape.fill is not None:
            self._claim(cov.ellipse_fill(shape, self.scale, self.size), region)
        if shape.stroke is not None:
            # Gaps between dashes still belong to the rim: clicks need no precision.
            self._claim(cov.ellipse_stroke(shape, self.scale, self.size, dashes=False), region)

    def side(self, shape: Side, region: int | None) -> None:
        self._claim(cov.side(shape, self.scale, self.size), region)

    def line(self, shape: Line, region: int | None) -> None:
        self._claim(cov.line(shape, self.scale, self.size, dashes=False), region)

    def rect(self, shape: Rect, region: int | None) -> None:
        self._claim(cov.rect(shape, self.scale, self.size), region)

    def hit_area(self, shape: HitArea, region: int | None) -> None:
        if region is None:
            return
        s = self.scale
        w, h = self.size
        # Pixels whose centre is inside, and always the pixel holding the centre.
        x0 = max(0, math.ceil(shape.x0 * s - 0.5))
        x1 = min(w, math.floor(shape.x1 * s - 0.5) + 1)
        y0 = max(0, math.ceil(shape.y0 * s - 0.5))
        y1 = min(h, math.floor(shape.y1 * s - 0.5) + 1)
        if x1 > x0 and y1 > y0:
            self.mask[y0:y1, x0:x1] = region
        cx = min(w - 1, max(0, math.floor((shape.x0 + shape.x1) / 2 * s)))
        cy = min(h - 1, max(0, math.floor((shape.y0 + shape.y1) / 2 * s)))
        self.mask[cy, cx] = region
        self.stage_targets.append((region, cx, cy))

    def text(self, shape: Text, region: int | None) -> None:
        """Text is decoded through its label box (a :class:`HitArea`), not its glyphs."""


def hit_mask(geometry: Geometry, scale: float) -> npt.NDArray[np.int32]:
    """An int32 array (height x width of the output): region id per pixel, -1 background.

    A non-zero stage whose every pixel was painted over (a sliver under a
    neighbour) gets back the pixel at its own target's centre, so every
    non-zero stage stays clickable.
    """
    painter = HitPainter(geometry, scale)
    paint(geometry, painter)
    mask = painter.mask
    present = np.zeros(len(geometry.regions) + 1, dtype=bool)
    present[np.unique(mask) + 1] = True
    for region, cx, cy in painter.stage_targets:
        r = geometry.regions[region]
        if r.part == "side" and not present[region + 1]:
            mask[cy, cx] = region
            present[region + 1] = True
    return mask


def _url_part(value: object) -> str:
    """A value for an href template: percent-encoded (UTF-8), None as an empty string."""
    return "" if value is None else urllib.parse.quote(str(value), safe="")


def _area_coords(region: Region) -> list[tuple[int, int]]:
    """A region's polygon in whole pixels, as an image map's ``coords`` give it.

    Labels, legend entries and headings are rectangles that claim the pixels
    whose centres they hold: their corners round to the nearest pixel, which
    gives those pixels exactly. Rims and sides are drawn with a stroke along
    their edges, so the mask holds a little more than their geometry: their
    vertices round away from the middle of the polygon's bounds (down left of
    it or above it, up right of it or below it), so an area never comes out
    thinner than its region. Where neighbouring areas then overlap (a pixel at
    most), the first listed wins, as the one painted on top does in the mask.
    """
    polygon = region.polygon
    if region.part not in ("rim", "side") or not polygon:
        return [(round(x), round(y)) for x, y in polygon]
    xs = [x for x, _ in polygon]
    ys = [y for _, y in polygon]
    mx, my = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
    return [
        (math.floor(x) if x < mx else math.ceil(x), math.floor(y) if y < my else math.ceil(y))
        for x, y in polygon
    ]


_PART_ORDER = {"label": 0, "legend": 0, "heading": 0, "side": 1, "rim": 2}


def image_map(
    regions: tuple[Region, ...],
    name: str,
    href: str | Callable[[Region], str] | None = None,
) -> str:
    """An HTML ``<map>`` with one ``<area shape="poly">`` per region (topmost first).

    ``href`` may be a string (``{funnel}``, ``{stage}`` and ``{part}`` are
    replaced by the region's values, percent-encoded as URL components, or by
    an empty string where the region has none: a legend entry has no funnel, a
    heading no stage) or a function of the :class:`Region`. All text is
    HTML-escaped.

    >>> from salesfunnel import Funnel, FunnelChart
    >>> chart = FunnelChart({"Ann & Bo": Funnel.from_counts({"A": 2, "B": 1})})
    >>> 'href="?f=Ann%20%26%20Bo&amp;s=0"' in chart.image_map("m", href="?f={funnel}&s={stage}")
    True
    """
    areas = []
    for r in sorted(regions, key=lambda r: (_PART_ORDER.get(r.part, 3), r.id)):
        coords = ",".join(f"{x},{y}" for x, y in _area_coords(r))
        text = escape_html(clean(r.text))
        attrs = [f'shape="poly" coords="{coords}" alt="{text}" title="{text}"']
        attrs.append(f'data-part="{r.part}"')
        if r.funnel_index is not None:
            attrs.append(f'data-funnel="{r.funnel_index}"')
        if r.stage is not None:
            attrs.append(f'data-stage="{r.stage}"')
        if href is not None:
            link = (
                href(r)
                if callable(href)
                else (
                    href.replace("{funnel}", _url_part(r.funnel))
                    .replace("{stage}", _url_part(r.stage))
                    .replace("{part}", _url_part(r.part))
                )
            )
            attrs.append(f'href="{escape_html(clean(link))}"')
        areas.append(f"<area {' '.join(attrs)}>")
    return f'<map name="{escape_html(clean(name))}">\n' + "\n".join(areas) + "\n</map>"


def check_point(x: object, y: object) -> None:
    """Refuse a click coordinate that is not a number (numpy would read the text "1" as 1)."""
    for name, value in (("x", x), ("y", y)):
        number = isinstance(value, (int, float, np.integer, np.floating))
        if isinstance(value, bool) or not number:
            msg = f"hit_test: {name} must be a number of pixels (got {value!r})"
            raise TypeError(msg)
