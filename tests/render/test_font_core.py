"""The bundled font through Pillow's FreeType core (``render.text``) against the public
``PIL.ImageFont`` API: the same widths, glyph masks and offsets, and the public API
whenever the core does not pass the probe."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import example, given, settings, strategies as st
from PIL import ImageFont

import salesfunnel
from salesfunnel import Funnel, FunnelChart
from salesfunnel.render import pillow_fast, text

# Child processes import the package under test, not whatever copy is installed.
_ENV = {**os.environ, "PYTHONPATH": str(Path(salesfunnel.__file__).resolve().parents[1])}

ALPHABET = st.sampled_from(
    [*"AaBbWgjy0123456789 .,:%·…-", "é", "Ж", "λ", "ß", "访", "🎉", "\u0301", "\t"]
)
ANCHORS = [None, "ls", "ms", "la", "mm", "rd"]


def _public(size: float) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(
        str(text.FONT_PATH), size=max(1, round(size)), layout_engine=ImageFont.Layout.BASIC
    )


def test_this_pillow_passes_the_probe() -> None:
    # otherwise the comparisons below would compare the public API with itself
    assert text._core() is not None
    assert text._face(12) is not None


@settings(max_examples=200, deadline=None)
@given(
    chars=st.text(ALPHABET, min_size=1, max_size=14),
    size=st.floats(1.0, 72.0),
    anchor=st.sampled_from(ANCHORS),
    start=st.tuples(st.floats(0, 0.999), st.floats(0, 0.999)),
    mode=st.sampled_from(["L", ""]),
)
@example(chars="Calls 200", size=12.0, anchor="ls", start=(0.0, 0.0), mode="L")
def test_masks_and_widths_are_the_public_apis(
    chars: str, size: float, anchor: str | None, start: tuple[float, float], mode: str
) -> None:
    public = _public(size)
    mask, offset = text.glyph_mask(chars, size, anchor, start, mode)
    ref, ref_offset = public.getmask2(chars, mode, anchor=anchor, start=start)
    assert (mask.size, offset, bytes(mask)) == (ref.size, ref_offset, bytes(ref))
    assert text._length(chars) == _public(text._MEASURE_SIZE).getlength(chars)


def test_a_face_that_fails_the_probe_leaves_the_public_api(monkeypatch: pytest.MonkeyPatch) -> None:
    chart = FunnelChart(Funnel.from_counts({"Calls": 200, "Meetings": 60, "Paid": 10}), title="Ж")
    expected = chart.to_png()
    text._core.cache_clear()
    monkeypatch.setattr(text, "_PROBE", (0, (0, 0), (0, 0), 0))  # another FreeType, say
    try:
        assert text._core() is None
        assert text._face(12) is None
        text.clear_text_cache()
        pillow_fast.clear_glyph_cache()
        again = FunnelChart(
            Funnel.from_counts({"Calls": 200, "Meetings": 60, "Paid": 10}), title="Ж"
        )
        assert again.to_png() == expected
    finally:
        text._core.cache_clear()
        text.clear_text_cache()
        pillow_fast.clear_glyph_cache()


def test_a_changed_core_interface_leaves_the_public_api(monkeypatch: pytest.MonkeyPatch) -> None:
    from PIL import _imagingft

    def getfont(*args: object, **kwargs: object) -> object:
        raise TypeError("getfont() takes other arguments now")

    public = _public(12)  # (before the change: truetype() calls getfont too)
    ref, ref_offset = public.getmask2("Ab", "L", anchor="ls", start=(0.5, 0.0))
    monkeypatch.setattr(text, "font", lambda size: public)
    text._core.cache_clear()
    monkeypatch.setattr(_imagingft, "getfont", getfont)
    try:
        assert text._core() is None
        mask, offset = text.glyph_mask("Ab", 12, "ls", (0.5, 0.0))
        assert (bytes(mask), offset) == (bytes(ref), ref_offset)
    finally:
        text._core.cache_clear()


@pytest.mark.parametrize("core", [True, False])
def test_pillows_limit_on_characters_holds(core: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    if not core:
        monkeypatch.setattr(text, "_core", lambda: None)
    monkeypatch.setattr(ImageFont, "MAX_STRING_LENGTH", 5)
    with pytest.raises(ValueError, match="too many characters"):
        text.glyph_mask("abcdef", 12, "ls", (0.0, 0.0))
    with pytest.raises(ValueError, match="too many characters"):
        text._length("abcdef")
    text.glyph_mask("abcde", 12, "ls", (0.0, 0.0))
    monkeypatch.setattr(ImageFont, "MAX_STRING_LENGTH", None)
    text.glyph_mask("abcdefgh", 12, "ls", (0.0, 0.0))


def test_without_pil_imagefont_loaded_the_default_limit_holds() -> None:
    code = (
        "from salesfunnel.render import text\n"
        "try:\n"
        "    text._length('x' * 1_000_001)\n"
        "except ValueError as e:\n"
        "    print(e)\n"
        "print(text._length('x' * 1000) > 0)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=_ENV
    )
    assert done.stdout.split("\n")[:2] == ["too many characters in string", "True"]
