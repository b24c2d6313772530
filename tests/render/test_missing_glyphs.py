"""A label the bundled font cannot draw is said, not silently drawn as boxes."""

from __future__ import annotations

import warnings

import pytest

from salesfunnel import Funnel, FunnelChart, MissingGlyphsWarning
from salesfunnel.render.text import drawable

# Characters DejaVu Sans has (its coverage tables: Latin-1, Latin Extended, Greek,
# Cyrillic, Arabic, Hebrew, general punctuation, currency) and ones it has not (CJK
# ideographs, Hangul, Hiragana, emoji).
HAS = "aZé ñßŁ ΩЖ жאء\u2013\u2014·…€₽№"
HAS_NOT = "访問한あ🎉"


@pytest.mark.parametrize("ch", list(HAS))
def test_characters_the_font_has(ch: str) -> None:
    assert drawable(ch)


@pytest.mark.parametrize("ch", list(HAS_NOT))
def test_characters_the_font_has_not(ch: str) -> None:
    assert not drawable(ch)


def test_png_of_chinese_labels_warns_naming_the_characters() -> None:
    chart = FunnelChart(Funnel.from_counts({"访问": 1000, "Cart": 400, "购买 🎉": 120}), title="x")
    with pytest.warns(MissingGlyphsWarning) as caught:
        chart.to_png()
    assert len(caught) == 1
    message = str(caught[0].message)
    assert message.startswith("2 line(s) of text hold characters the bundled font")
    assert "'访', '问', '购', '买', '🎉'" in message
    assert caught[0].filename == __file__  # the user's call, not the library's inside


def test_labels_the_font_draws_do_not_warn_and_svg_never_does() -> None:
    ok = FunnelChart(
        Funnel.from_counts({"Звонок": 10, "Zahlung \u2013 fertig": 5}), title="Воронка"
    )
    cjk = FunnelChart(Funnel.from_counts({"访问": 10, "购买": 5}))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ok.to_png()
        cjk.to_svg()
        assert "访问" in cjk.to_svg()  # text kept as text for the viewer's fonts


def test_drawable_is_the_fonts_character_map() -> None:
    """Against the font file's own cmap table, read by fontTools (when installed)."""
    ttlib = pytest.importorskip("fontTools.ttLib")
    from salesfunnel.render.text import FONT_PATH

    cmap = ttlib.TTFont(str(FONT_PATH)).getBestCmap()
    points = [*range(0x80, 0x3000, 3), *range(0x3000, 0x30000, 97)]
    wrong = [
        hex(p) for p in points if not 0xD800 <= p <= 0xDFFF and drawable(chr(p)) != (p in cmap)
    ]
    assert wrong == []
