"""Text helpers shared by layout and the backends: the bundled font, measuring, cleaning.

Only the font shipped inside the package is ever loaded (DejaVu Sans, licence in
``fonts/LICENSE-DejaVu.txt``), with Pillow's basic layout engine, so text
measures and renders the same on every machine.
"""

from __future__ import annotations

import re
import sys
import threading
import warnings
import zlib
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._format import clean_text

if TYPE_CHECKING:
    from PIL.ImageFont import FreeTypeFont

FONT_PATH = Path(__file__).resolve().parent / "fonts" / "DejaVuSans.ttf"
FONT_FAMILY = "DejaVu Sans"
ELLIPSIS = "\u2026"
# Measuring happens on a large face so hinting does not round widths per size.
_MEASURE_SIZE = 64

# FreeType faces are not safe to share across threads: one cache per thread.
_local = threading.local()


def font(size: float) -> FreeTypeFont:
    """The bundled font at ``size`` pixels (cached per thread)."""
    from PIL import ImageFont

    def make(pixels: int) -> FreeTypeFont:
        return ImageFont.truetype(str(FONT_PATH), size=pixels, layout_engine=ImageFont.Layout.BASIC)

    face: FreeTypeFont = _per_thread("fonts", size, make)
    return face


def _per_thread(name: str, size: float, make: Callable[[int], Any]) -> Any:
    """``make(pixels)`` for the bundled font at ``size``, cached in this thread's
    ``name`` cache (FreeType faces are not safe to share across threads)."""
    cache: dict[float, Any] | None = getattr(_local, name, None)
    if cache is None:
        cache = {}
        setattr(_local, name, cache)
    key = round(size, 3)
    face = cache.get(key)
    if face is None:
        face = make(max(1, round(size)))
        cache[key] = face
    return face


# -- the bundled font through Pillow's FreeType core ------------------------------------
# PIL.ImageFont wraps a font object of Pillow's C module PIL._imagingft; importing it
# (with base64 and its wrappers) is about 1 ms of a fresh process that draws a chart.
# Measuring and glyph masks call that object directly, with the arguments
# FreeTypeFont.getlength and getmask2 pass, when it gives exactly, on a probe text, what
# the public API gave for it with the Pillow and FreeType this was written with
# (_PROBE). Another Pillow or FreeType may differ: then the public API, always right.

_PROBE_TEXT = "Calls 200 \u00b7 45.0% \u0416\u2026"
_PROBE = (8640, (136, 11), (0, -10), 1110615696)  # length in 1/64 px, mask size, offset, CRC-32
_MAX_CHARS = 1_000_000  # PIL.ImageFont.MAX_STRING_LENGTH's default


@lru_cache(maxsize=1)
def _core() -> Any:
    """Pillow's FreeType module if its font objects pass the probe, else None."""
    try:
        from PIL import _imagingft

        core: Any = _imagingft  # (called as FreeTypeFont calls it, not as its stubs say)
        face = core.getfont(str(FONT_PATH), 12, 0, "", layout_engine=0)
        length = face.getlength(_PROBE_TEXT, "", None, None, None)
        mask, offset = face.render(
            _PROBE_TEXT, _fill, "L", None, None, None, 0, False, "ls", 0, (0.25, 0.5)
        )
        got = (length, mask.size, offset, zlib.crc32(bytes(mask)))
    except (ImportError, AttributeError, TypeError, ValueError, OSError):
        return None
    return core if got == _PROBE else None


def _fill(width: int, height: int) -> Any:
    """A new "L" core image for a glyph mask (what FreeTypeFont.getmask2 makes)."""
    from PIL import Image, _imaging  # (Image.core is _imaging)

    Image._decompression_bomb_check((width, height))
    return _imaging.fill("L", (width, height))


def _check_length(text: str) -> None:
    """Pillow's limit on the characters of one text (PIL.ImageFont.MAX_STRING_LENGTH)."""
    image_font = sys.modules.get("PIL.ImageFont")
    limit = getattr(image_font, "MAX_STRING_LENGTH", _MAX_CHARS) if image_font else _MAX_CHARS
    if limit is not None and len(text) > limit:
        msg = "too many characters in string"
        raise ValueError(msg)


def _face(size: float) -> Any:
    """The core font object of the bundled font at ``size`` (cached per thread), or None
    when the public API is to be used (:func:`_core`)."""
    core = _core()
    if core is None:
        return None
    return _per_thread(
        "faces", size, lambda pixels: core.getfont(str(FONT_PATH), pixels, 0, "", layout_engine=0)
    )


def glyph_mask(
    text: str, size: float, anchor: str | None, start: tuple[float, float], mode: str = "L"
) -> tuple[Any, tuple[int, int]]:
    """``font(size).getmask2(text, mode, anchor=anchor, start=start)``: the same mask
    and offset (a core image of the glyphs' coverage, and where it starts)."""
    face = _face(size)
    if face is None:
        return font(size).getmask2(text, mode, anchor=anchor, start=start)
    _check_length(text)
    mask, offset = face.render(text, _fill, mode, None, None, None, 0, False, anchor, 0, start)
    return mask, offset


def _length(text: str) -> float:
    """``font(_MEASURE_SIZE).getlength(text)``, the same float."""
    face = _face(_MEASURE_SIZE)
    if face is None:
        return float(font(_MEASURE_SIZE).getlength(text))
    _check_length(text)
    return float(face.getlength(text, "", None, None, None) / 64)


def advance(text: str, size: float) -> float:
    """Advance of ``text`` at ``size`` pixels: how far it runs along the baseline."""
    if not text:
        return 0.0
    return _measured(text) * size / _MEASURE_SIZE


def clear_text_cache() -> None:
    """Forget every measured text width (to time a first layout; results are the same)."""
    _measured.cache_clear()


@lru_cache(maxsize=8192)
def _measured(text: str) -> float:
    """Advance of ``text`` on the measuring face, measured once per process.

    Measuring is most of a layout's time (a label is measured in each of its
    forms while labels are placed); the width depends only on the text and the
    bundled font, so every thread may share it.
    """
    return _length(text)


def ascent(size: float) -> float:
    """Distance from the top of a line box to the baseline (DejaVu Sans metrics)."""
    return 0.93 * size


def line_height(size: float) -> float:
    """Height of one line of text, leading included."""
    return 1.25 * size


def clean(text: str) -> str:
    """Display form of user text on one line: the shared rule of
    :func:`salesfunnel._format.clean_text` (controls, lone surrogates and bidi
    controls become U+FFFD), after line breaks and tabs become spaces.

    >>> clean("a\\nb\\x00c\\u202ed")
    'a b\ufffdc\ufffdd'
    """
    if text.isprintable():
        return text  # nothing to replace: the common case, without a pass over characters
    return clean_text(re.sub(_LINE_BREAKS, " ", text))


_LINE_BREAKS = "[\t\n\r\x0b\x0c]"  # compiled on first use (re's cache), not at import


def fit(text: str, size: float, max_width: float) -> str | None:
    """``text`` if it fits ``max_width``, else shortened with an ellipsis, else None.

    The cut is found by measured width (binary search on the prefix length).

    >>> fit("Presentation", 12, 1000)
    'Presentation'
    >>> fit("Presentation", 12, 40)
    'Pres…'
    >>> fit("Presentation", 12, 2) is None
    True
    """
    if advance(text, size) <= max_width:
        return text
    lo, hi = 0, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if advance(text[:mid].rstrip() + ELLIPSIS, size) <= max_width:
            lo = mid
        else:
            hi = mid - 1
    if lo == 0:
        return None
    return text[:lo].rstrip() + ELLIPSIS


def wrap(text: str, size: float, max_width: float, max_lines: int = 2) -> tuple[list[str], bool]:
    """Break ``text`` into at most ``max_lines`` lines that fit ``max_width``.

    Breaks at " · " separators first, else at spaces; what still does not
    fit ends in an ellipsis. Returns the lines and whether anything was cut
    (an empty list when not even an ellipsis fits).

    >>> wrap("45.0% of first · 66.7% of previous", 12, 120)
    (['45.0% of first', '66.7% of previous'], False)
    >>> wrap("Коммерческое предложение", 12, 95)
    (['Коммерческое', 'предложение'], False)
    >>> wrap("100.0% of first", 12, 70, max_lines=1)
    (['100.0% o…'], True)
    """
    if advance(text, size) <= max_width:
        return [text], False
    sep = " \u00b7 " if " \u00b7 " in text else " "
    words = text.split(sep)
    lines: list[str] = []
    current = ""
    for k, word in enumerate(words):
        trial = word if not current else current + sep + word
        if not current or advance(trial, size) <= max_width:
            current = trial
            continue
        if len(lines) == max_lines - 1:
            # The last line allowed takes the rest, to be cut with an ellipsis below.
            current = sep.join([current, *words[k:]])
            break
        lines.append(current)
        current = word
    lines.append(current)
    out: list[str] = []
    cut = False
    for line in lines:
        shown = fit(line, size, max_width)
        if shown is None:
            return [], True
        cut = cut or shown != line
        out.append(shown)
    return out, cut


class MissingGlyphsWarning(UserWarning):
    """Text of a chart holds characters the bundled font cannot draw.

    The bundled DejaVu Sans covers Latin, Greek, Cyrillic, Armenian, Georgian,
    Hebrew, Arabic and many symbols, but not Chinese, Japanese, Korean or
    emoji. A Pillow image (``to_image``, ``to_png``, the PNG copies of the
    HTML report) shows such characters as boxes; ``to_svg()`` leaves text to
    the viewer's fonts, which usually have them (the layout still measures
    them at the width of DejaVu's box).
    """


# A private-use code point: no glyph in the bundled font, so it draws the box (.notdef).
_NO_GLYPH = "\U0010fffd"


@lru_cache(maxsize=4096)
def _drawn(ch: str) -> tuple[tuple[int, int], bytes]:
    mask, _ = glyph_mask(ch, 32, None, (0, 0), mode="")  # font(32).getmask(ch)
    return mask.size, bytes(mask)


def drawable(ch: str) -> bool:
    """Whether the bundled font has a glyph for the character ``ch`` (else it draws a box).

    >>> drawable("é"), drawable("Ж"), drawable("访"), drawable("🎉")
    (True, True, False, False)
    """
    return ch.isascii() or _drawn(ch) != _drawn(_NO_GLYPH)


def warn_missing_glyphs(texts: Iterable[str]) -> None:
    """Warn (:class:`MissingGlyphsWarning`) if some of ``texts`` cannot be drawn."""
    missing: dict[str, None] = {}  # in order of appearance
    lines = 0
    for text in texts:
        if text.isascii():
            continue
        bad = [ch for ch in text if not drawable(ch)]
        missing.update(dict.fromkeys(bad))
        lines += bool(bad)
    if missing:
        from .._time import outside_level  # only now: _time imports numpy.typing

        shown = ", ".join(repr(c) for c in list(missing)[:5])
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        msg = (
            f"{lines} line(s) of text hold characters the bundled font (DejaVu Sans) cannot "
            f"draw: {shown}{more}; the image shows them as boxes (to_svg() leaves text to "
            "the viewer's fonts, which usually have them)"
        )
        warnings.warn(msg, MissingGlyphsWarning, stacklevel=outside_level())
