"""How a funnel chart looks: colors, the HSV shading ramp, sizes and layer switches.

A :class:`Style` is a frozen value. It changes appearance only; what is encoded
(width mapping, slice heights, percentage basis) is chosen on
:class:`~salesfunnel.FunnelChart` itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from functools import lru_cache
from typing import TYPE_CHECKING, Literal

import numpy as np

from ..errors import FunnelDataError
from .frozen import Frozen

if TYPE_CHECKING:
    import numpy.typing as npt

_set = object.__setattr__

__all__ = ["DISTINCT_HUES", "Color", "Palette", "Style"]

NumberFormat = Literal["full", "compact"]
Palette = Literal["distinct", "ramp"]

DISTINCT_HUES = (0.583, 0.167, 0.667, 0.083, 0.833, 0.333)
"""The default stage hues: blue, yellow, violet, orange, pink, green (then again).

Chosen among 24 evenly spaced hues, on the faces the default style paints
(HSV value and saturation at the front of a side), for the largest smallest
colour difference between neighbours (the sixth next to the first as well)
in normal vision and under simulated deuteranopia and protanopia, with every
pair of the six apart in normal vision. Difference: CIE 1976 delta E (the
Euclidean distance in CIELAB, D65 white); simulation: the severity-1.0
matrices of Machado, Oliveira and Fernandes, "A Physiologically-based Model
for Simulation of Color Vision Deficiency" (IEEE TVCG 15(6), 2009), on linear
sRGB. Smallest neighbour difference: 72 (the former blue-to-green ramp: 11);
smallest difference of any two of the six in normal vision: 35 or more.
``tests/render/test_render_palette.py`` recomputes both."""
Color = tuple[int, int, int]
"""An opaque RGB color, each channel an int in [0, 255]."""


def _check_color(value: object, name: str) -> None:
    ok = (
        isinstance(value, tuple)
        and len(value) == 3
        and all(isinstance(c, int) and not isinstance(c, bool) and 0 <= c <= 255 for c in value)
    )
    if not ok:
        msg = f"Style.{name} must be an RGB tuple of three ints in [0, 255] (got {value!r})"
        raise FunnelDataError(msg)


def _check_range(value: object, name: str, lo: float, hi: float) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or not lo <= value <= hi
    ):
        msg = f"Style.{name} must be a number in [{lo}, {hi}] (got {value!r})"
        raise FunnelDataError(msg)


@dataclass(init=False, repr=False, eq=False, slots=True)
class Style(Frozen):
    """Appearance of a :class:`~salesfunnel.FunnelChart`.

    Every layer of the drawing can be switched off (``show_*``) and restyled.
    Sizes are in layout pixels (``FunnelChart(scale=2)`` doubles them in the
    output). The side of each slice is shaded through the HSV model: hue per
    stage, saturation and value ramping from ``*_shadow`` to ``*_light`` as the
    surface turns toward the light.

    Parameters
    ----------
    background
        Canvas color.
    hues
        Hue per stage in [0, 1] (repeated if shorter than the funnel); ``None``
        takes them from ``palette``.
    palette
        ``"distinct"`` (default): :data:`DISTINCT_HUES`, six hues (blue,
        yellow, violet, orange, pink, green, then again) chosen so that
        neighbouring stages differ clearly, also for readers with
        deuteranopia or protanopia; ``"ramp"``: the stages spread evenly from
        ``hue_start`` to ``hue_end`` (a calm gradient of close neighbours).
    saturation_shadow, saturation_light, value_shadow, value_light
        The HSV ramp across the side, from the surface turned away from the
        light to the surface facing it.
    light
        Where the light comes from across the width: -1 left, 0 front, 1 right.
    ambient
        Share of light that reaches surfaces turned away from the light.
    tilt
        How far we look down on the funnel: ellipse height / ellipse width.
    taper
        Bottom width of each slice relative to its top width (in (0, 1]). The
        top width encodes the stage; the taper is the same for every stage.
    percent_digits
        Decimals of the percentages in labels (0 to 6). A small rate above
        zero gets more, to show two significant digits (``0.018%``, never
        ``0.0%``).
    percent_floor
        Rates above zero and below this show as ``<`` the floor (default
        0.0001: ``<0.01%``); 0 turns that off.
    number_format
        ``"full"`` (default: ``213,434,828``) or ``"compact"`` (``213M``):
        the one format of every count and amount in the picture (an
        ``amount_format`` given to the chart still formats the amounts).
    currency
        Put before every amount (``"$"``: ``$59.1k``; a code such as
        ``"EUR"`` is followed by a space). Empty by default.
    show_legend
        Draw a legend naming the stage colors: ``None`` (default) draws it for
        several funnels only. A legend entry stands for one stage position in
        every funnel, so it is drawn only when the funnels agree on the names:
        each funnel's stage names are the first names of the longest funnel, in
        the same order. Otherwise it is left out (the labels still name every
        stage) even with ``show_legend=True``.

    Examples
    --------
    >>> Style(show_legend=False, light=0.5).light
    0.5
    >>> Style(taper=0)
    Traceback (most recent call last):
    ...
    salesfunnel.errors.FunnelDataError: Style.taper must be a number in [0.05, 1.0] (got 0)
    """

    background: Color = (255, 255, 255)
    hues: tuple[float, ...] | None = None
    palette: Palette = "distinct"
    hue_start: float = 0.58
    hue_end: float = 0.40
    saturation_shadow: float = 0.75
    saturation_light: float = 0.45
    value_shadow: float = 0.45
    value_light: float = 0.97
    light: float = -0.4
    ambient: float = 0.2
    tilt: float = 0.16
    taper: float = 0.86
    inner_value: float = 0.55
    rim_color: Color | None = None
    rim_width: float = 1.0
    outline_color: Color = (45, 52, 64)
    outline_width: float = 1.25
    text_color: Color = (33, 37, 45)
    light_text_color: Color = (255, 255, 255)
    leader_color: Color = (130, 136, 148)
    label_size: float = 12.0
    title_size: float = 18.0
    heading_size: float = 14.0
    legend_size: float = 12.0
    margin: float = 12.0
    label_gutter: float = 0.5
    show_ellipses: bool = True
    show_rims: bool = True
    show_sides: bool = True
    show_covers: bool = True
    show_outline: bool = True
    show_labels: bool = True
    show_title: bool = True
    show_legend: bool | None = None
    percent_digits: int = 1
    percent_floor: float = 1e-4
    number_format: NumberFormat = "full"
    currency: str = ""

    def __init__(
        self,
        background: Color = (255, 255, 255),
        hues: tuple[float, ...] | None = None,
        palette: Palette = "distinct",
        hue_start: float = 0.58,
        hue_end: float = 0.40,
        saturation_shadow: float = 0.75,
        saturation_light: float = 0.45,
        value_shadow: float = 0.45,
        value_light: float = 0.97,
        light: float = -0.4,
        ambient: float = 0.2,
        tilt: float = 0.16,
        taper: float = 0.86,
        inner_value: float = 0.55,
        rim_color: Color | None = None,
        rim_width: float = 1.0,
        outline_color: Color = (45, 52, 64),
        outline_width: float = 1.25,
        text_color: Color = (33, 37, 45),
        light_text_color: Color = (255, 255, 255),
        leader_color: Color = (130, 136, 148),
        label_size: float = 12.0,
        title_size: float = 18.0,
        heading_size: float = 14.0,
        legend_size: float = 12.0,
        margin: float = 12.0,
        label_gutter: float = 0.5,
        show_ellipses: bool = True,
        show_rims: bool = True,
        show_sides: bool = True,
        show_covers: bool = True,
        show_outline: bool = True,
        show_labels: bool = True,
        show_title: bool = True,
        show_legend: bool | None = None,
        percent_digits: int = 1,
        percent_floor: float = 1e-4,
        number_format: NumberFormat = "full",
        currency: str = "",
    ) -> None:
        # The fields above, in order, with their defaults (written out for type
        # checkers and the signature; tests/render/test_render_records.py compares).
        given = locals()
        for name in self.__match_args__:
            _set(self, name, given[name])
        self.__post_init__()

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            optional = value is None and f.name in ("rim_color", "show_legend")
            if optional:
                continue
            if f.name.endswith("color") or f.name == "background":
                _check_color(value, f.name)
            elif f.name.startswith("show_") and not isinstance(value, bool):
                msg = f"Style.{f.name} must be a bool (got {value!r})"
                raise FunnelDataError(msg)
        if self.hues is not None:
            if not isinstance(self.hues, tuple) or not self.hues:
                msg = f"Style.hues must be None or a non-empty tuple of floats (got {self.hues!r})"
                raise FunnelDataError(msg)
            for h in self.hues:
                _check_range(h, "hues[...]", 0.0, 1.0)
        for name in ("hue_start", "hue_end", "saturation_shadow", "saturation_light"):
            _check_range(getattr(self, name), name, 0.0, 1.0)
        for name in ("value_shadow", "value_light", "ambient", "inner_value"):
            _check_range(getattr(self, name), name, 0.0, 1.0)
        _check_range(self.light, "light", -1.0, 1.0)
        _check_range(self.tilt, "tilt", 0.0, 1.0)
        _check_range(self.taper, "taper", 0.05, 1.0)
        _check_range(self.label_gutter, "label_gutter", 0.0, 0.8)
        for name in ("rim_width", "outline_width", "margin"):
            _check_range(getattr(self, name), name, 0.0, 100.0)
        for name in ("label_size", "title_size", "heading_size", "legend_size"):
            _check_range(getattr(self, name), name, 4.0, 200.0)
        if self.palette not in ("distinct", "ramp"):
            msg = f"Style.palette must be 'distinct' or 'ramp' (got {self.palette!r})"
            raise FunnelDataError(msg)
        digits = self.percent_digits
        if isinstance(digits, bool) or not isinstance(digits, int) or not 0 <= digits <= 6:
            msg = f"Style.percent_digits must be an int in [0, 6] (got {digits!r})"
            raise FunnelDataError(msg)
        _check_range(self.percent_floor, "percent_floor", 0.0, 0.01)
        if self.number_format not in ("full", "compact"):
            msg = f"Style.number_format must be 'full' or 'compact' (got {self.number_format!r})"
            raise FunnelDataError(msg)
        if not isinstance(self.currency, str) or len(self.currency) > 8:
            msg = f"Style.currency must be a string of at most 8 characters (got {self.currency!r})"
            raise FunnelDataError(msg)

    # -- colors ----------------------------------------------------------------
    def hue(self, index: int, count: int) -> float:
        """Hue of stage ``index`` in a chart whose longest funnel has ``count`` stages."""
        if self.hues is not None:
            return self.hues[index % len(self.hues)]
        if self.palette == "distinct":
            return DISTINCT_HUES[index % len(DISTINCT_HUES)]
        if count <= 1:
            return self.hue_start
        return self.hue_start + (self.hue_end - self.hue_start) * index / (count - 1)

    def shade(
        self, hue: float | npt.NDArray[np.float64], u: npt.ArrayLike
    ) -> npt.NDArray[np.uint8]:
        """RGB colors (n x 3, uint8) of a side at positions ``u`` in [-1, 1] across it.

        The side is lit like a cylinder: the surface normal at ``u`` leans by
        ``asin(u)``; brightness is Lambert's cosine toward ``light`` plus
        ``ambient``. Brightness drives HSV value and saturation linearly.
        ``hue`` is one hue, or an array with one hue per position.

        >>> Style().shade(0.58, [0.0]).tolist()
        [[126, 185, 238]]
        """
        u = np.clip(np.asarray(u, dtype=np.float64), -1.0, 1.0)
        lz = math.sqrt(1.0 - self.light * self.light)
        diffuse = np.clip(u * self.light + np.sqrt(1.0 - u * u) * lz, 0.0, 1.0)
        lum = self.ambient + (1.0 - self.ambient) * diffuse
        s = self.saturation_shadow + (self.saturation_light - self.saturation_shadow) * lum
        v = self.value_shadow + (self.value_light - self.value_shadow) * lum
        # hue: one for all positions, or one per position (many sides at once)
        return hsv_to_rgb(np.broadcast_to(np.asarray(hue, dtype=np.float64), u.shape), s, v)

    def flat(self, hue: float, saturation: float, value: float) -> Color:
        """One RGB color from HSV components."""
        return _flat(hue, saturation, value)

    def face_color(self, hue: float) -> Color:
        """Color of a side at its front (``u = 0``), used for swatches and contrast."""
        return _face_color(self, hue)

    def inner_color(self, hue: float) -> Color:
        """Fill of the rim ellipse: the darker inside of the funnel seen through its top."""
        return self.flat(hue, self.saturation_shadow, self.value_shadow * self.inner_value + 0.2)

    def stage_rim_color(self, hue: float) -> Color:
        """The rim line color (``rim_color`` or a dark shade of the stage hue)."""
        if self.rim_color is not None:
            return self.rim_color
        return self.flat(hue, self.saturation_shadow, self.value_shadow * 0.8)


def hsv_to_rgb(
    h: npt.NDArray[np.float64], s: npt.NDArray[np.float64], v: npt.NDArray[np.float64]
) -> npt.NDArray[np.uint8]:
    """Vectorised HSV -> RGB (all in [0, 1]) rounded to uint8, n x 3.

    Uses the closed form ``c_n = v - v s max(0, min(k, 4 - k, 1))`` with
    ``k = (n + 6 h) mod 6`` for n = 5, 3, 1 (red, green, blue): a few array
    operations for all channels at once.

    >>> h, s, v = np.array([0.0, 1 / 3, 0.5]), np.array([1.0, 1.0, 0.0]), np.array([1.0, 1.0, 0.5])
    >>> hsv_to_rgb(h, s, v)
    array([[255,   0,   0],
           [  0, 255,   0],
           [128, 128, 128]], dtype=uint8)
    """
    # Channels along the first axis: numpy's loops then run over the n positions
    # (an inner axis of length 3 is several times slower).
    h = np.asarray(h, dtype=np.float64)
    # k = (n + 6 (h mod 1)) mod 6, with floor and a subtraction: the same numbers as
    # the % operator (exactly), which is several times slower on floats
    h6 = h - np.floor(h)
    h6 *= 6.0
    k = np.add(_CHANNELS[:, None], h6)
    k -= np.where(k >= 6.0, 6.0, 0.0)
    ramp = np.minimum(k, 4.0 - k)
    np.clip(ramp, 0.0, 1.0, out=ramp)
    v = np.asarray(v, dtype=np.float64)
    rgb = ramp
    rgb *= v * np.asarray(s, dtype=np.float64)
    np.subtract(v, rgb, out=rgb)
    rgb *= 255.0
    rgb += 0.5
    np.floor(rgb, out=rgb)
    np.clip(rgb, 0, 255, out=rgb)
    out: npt.NDArray[np.uint8] = rgb.T.astype(np.uint8, order="C")
    return out


_CHANNELS = np.array([5.0, 3.0, 1.0])


# A layout asks for a few colors per stage; numpy on one-element arrays costs
# microseconds a call, so each color is worked out once (styles are frozen and
# hashable, colors depend on nothing else).
@lru_cache(maxsize=1024)
def _flat(hue: float, saturation: float, value: float) -> Color:
    rgb = hsv_to_rgb(np.array([hue]), np.array([saturation]), np.array([value]))[0]
    return (int(rgb[0]), int(rgb[1]), int(rgb[2]))


@lru_cache(maxsize=1024)
def _face_color(style: Style, hue: float) -> Color:
    rgb = style.shade(hue, [0.0])[0]
    return (int(rgb[0]), int(rgb[1]), int(rgb[2]))
