"""One number formatter and one escaper per output language, for every text people read.

An undefined value (``None`` or NaN) is shown as an em dash, never as ``nan``.

User text (stage, funnel and owner names, titles, deal ids) reaches people
through three escapers, all built on one rule, :func:`clean_text`:

* :func:`escape_xml_text` for SVG/XML element content,
* :func:`escape_xml_attr` for SVG/XML attribute values,
* :func:`escape_html` for HTML element content and quoted attributes.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Iterable
from functools import cache, lru_cache

EM_DASH = "\u2014"
REPLACEMENT = "\ufffd"

# Characters no output may carry as they are: controls (C0 other than tab and line
# feed, DEL, C1), lone surrogates (UTF-8 cannot encode them: writing the file would
# fail), the non-characters U+FFFE and U+FFFF (not XML), and the bidi embedding,
# override and isolate controls, which would reorder the numbers that follow the
# name (U+202E in a stage name turns "12 deals" into "slaed 21").
_UNSAFE = "[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff\u202a-\u202e\u2066-\u2069]"
_SURROGATE = "[\ud800-\udfff]"


@cache
def _pattern(chars: str) -> re.Pattern[str]:
    """Compiled on first use: a process that draws plain names never compiles them."""
    return re.compile(chars)


def clean_text(text: object) -> str:
    """User text as every output shows it: the one rule of the escapers.

    Control characters other than tab and line feed, lone surrogates, U+FFFE,
    U+FFFF and the bidi embedding, override and isolate controls (U+202A to
    U+202E, U+2066 to U+2069) become U+FFFD, so that a reader sees where
    something was, nothing is reordered and every output encodes as UTF-8.
    Every other character (right-to-left letters included) is kept.

    >>> clean_text("Won\\u202e: 12"), clean_text("a\\x07b\\tc")
    ('Won\ufffd: 12', 'a\ufffdb\\tc')
    """
    raw = str(text)
    if raw.isprintable():
        return raw  # every character replaced above is non-printable: the common case
    return _pattern(_UNSAFE).sub(REPLACEMENT, raw)


@lru_cache(maxsize=4096)
def escape_xml_text(text: str) -> str:
    """Escape user text for XML/SVG element content (after :func:`clean_text`).

    >>> escape_xml_text('<script>"x" & \\'y\\' ]]>\\x07')
    '&lt;script&gt;&quot;x&quot; &amp; &#39;y&#39; ]]&gt;\ufffd'
    """
    return (
        clean_text(text)
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#39;")
    )


def escape_xml_attr(text: str) -> str:
    """Escape user text for a quoted XML/SVG attribute value.

    As :func:`escape_xml_text`, and tab and line feed as character references,
    which a parser keeps (a raw one is read back as a space).

    >>> escape_xml_attr('a "b"\\n')
    'a &quot;b&quot;&#10;'
    """
    return escape_xml_text(text).replace("\t", "&#9;").replace("\n", "&#10;")


def escape_html(text: object) -> str:
    """Escape user text for HTML element content and quoted attributes.

    >>> escape_html("<b>Ann & 'Bo'</b>\\x00")
    '&lt;b&gt;Ann &amp; &#x27;Bo&#x27;&lt;/b&gt;\ufffd'
    """
    import html  # here, not at import: drawing a chart never needs it

    return html.escape(clean_text(text), quote=True)


def json_text(text: str) -> str:
    """JSON text with every lone surrogate written as a ``\\uXXXX`` escape.

    ``json.dumps(..., ensure_ascii=False)`` keeps a lone surrogate as it is, and
    UTF-8 cannot encode it; as an escape it is valid JSON and reads back the same.
    """
    return _pattern(_SURROGATE).sub(lambda m: f"\\u{ord(m.group()):04x}", text)


PERCENT_FLOOR = 1e-4
"""Rates above zero and below this (0.01 %) print as ``<0.01%``."""


def fmt_percent(rate: float | None, digits: int = 1, *, floor: float = PERCENT_FLOOR) -> str:
    """Format a rate in [0, 1] as a percentage; undefined -> em dash.

    ``digits`` decimals, and more for a small rate above zero, so that it
    shows two significant digits instead of rounding to zero (0.00018 is
    ``0.018%``, never ``0.0%``); a rate above zero and below ``floor`` prints
    as ``<`` the floor (``floor=0`` turns that off). Zero is ``0.0%``. The
    same holds next to 100%: a rate short of 1 never prints as ``100.0%``
    (0.99982 is ``99.982%``; within ``floor`` of 1 it is ``>99.99%``).

    >>> fmt_percent(0.05), fmt_percent(0.00018), fmt_percent(0.00004), fmt_percent(0.0)
    ('5.0%', '0.018%', '<0.01%', '0.0%')
    >>> fmt_percent(0.99982), fmt_percent(0.99999), fmt_percent(1.0), fmt_percent(1.00002)
    ('99.982%', '>99.99%', '100.0%', '100.0020%')
    >>> fmt_percent(0.00004, floor=0), fmt_percent(0.00123, digits=0)
    ('0.0040%', '0.12%')
    >>> fmt_percent(float("nan"))
    '\u2014'
    """
    if rate is None or not math.isfinite(rate):
        return EM_DASH
    percent = float(rate) * 100.0  # a Python float: overflow gives inf, not a warning
    if not math.isfinite(percent):
        return EM_DASH  # a finite rate beyond 1e306 has no percentage worth printing
    if 0 < rate < floor:
        return f"<{floor * 100:g}%"
    if 0 < 1 - rate < floor:
        return f">{100 - floor * 100:g}%"
    text = f"{percent:.{digits}f}"
    if percent > 0 and float(text) == 0:
        # Two significant digits: the first one sits at 10**floor(log10(percent)).
        digits = 1 - math.floor(math.log10(percent))
        text = f"{percent:.{digits}f}"
    elif rate != 1 and float(text) == 100:
        # The same at the other end: 0.99982 is 99.982%, never 100.0%.
        digits = 1 - math.floor(math.log10(abs(100.0 - percent)))
        text = f"{percent:.{digits}f}"
    return text + "%"


def value_text(v: object) -> str:
    """A value as the text of its group (an owner, a kept column's value, an event
    property): a whole float as the integer it is, so that ``2.0`` (an integer column
    that pandas made float for a blank cell) is the group ``'2'``.

    >>> value_text(2.0), value_text(2.5), value_text("2.0"), value_text(7)
    ('2', '2.5', '2.0', '7')
    """
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    return str(v)


def fmt_count(n: float, noun: str) -> str:
    """A count and its noun, plural unless the count is one.

    >>> fmt_count(1, "closed deal"), fmt_count(6711, "closed deal"), fmt_count(0, "deal")
    ('1 closed deal', '6,711 closed deals', '0 deals')
    """
    return f"{fmt_number(n)} {noun}{'' if n == 1 else 's'}"


def fmt_number(value: float | None) -> str:
    """Format a count or amount: integers without decimals, thousands separated.

    >>> fmt_number(1234.0), fmt_number(2.5), fmt_number(None)
    ('1,234', '2.5', '\u2014')
    >>> fmt_number(1e30)
    '1,000,000,000,000,000,000,000,000,000,000'
    >>> fmt_number(-0.001), fmt_number(-0.5), fmt_number(0.004)
    ('0', '-0.5', '0')
    >>> fmt_number(2.0**53), fmt_number(2**60)
    ('9,007,199,254,740,992', '1,152,921,504,606,846,976')
    """
    if value is None or not math.isfinite(value):
        return EM_DASH
    if abs(value) >= 2**53 and not isinstance(value, numbers.Integral):
        # A float this large is not an exact integer: print its shortest digits
        # (1e30 as 1 and 30 zeros), not its binary value's (...019,884,624,838,656).
        import decimal

        return f"{decimal.Decimal(repr(float(value))).to_integral_value():,f}"
    if float(value).is_integer():
        return f"{int(value):,}"
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text  # -0.001 rounds to 0, not to a signed zero


def json_number(value: float | None) -> float | None:
    """A float for JSON, or ``None`` when undefined (JSON has no NaN)."""
    if value is None or not math.isfinite(value):
        return None
    return float(value)


def fmt_compact(value: float) -> str:
    """Short amounts for chart labels: 3.64M, 899k, 950.

    Three significant digits; a value that rounds up to the next unit takes
    it (999,999 is ``1M``, not ``1e+03k``); undefined -> em dash.

    >>> fmt_compact(3_641_234.5), fmt_compact(899_528.68), fmt_compact(950.0)
    ('3.64M', '900k', '950')
    >>> fmt_compact(999_999), fmt_compact(213_434_828), fmt_compact(float("inf"))
    ('1M', '213M', '—')
    """
    if not math.isfinite(value):
        return EM_DASH
    v = abs(value)
    units = ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"))
    for k, (limit, suffix) in enumerate(units):
        if v >= limit:
            text = f"{value / limit:.3g}"
            if abs(float(text)) >= 1000:
                if k == 0:  # beyond the largest unit: whole units, separated
                    return f"{value / limit:,.0f}{suffix}"
                limit, suffix = units[k - 1]
                text = f"{value / limit:.3g}"
            return text + suffix
    if round(v, 2) >= 999.5:
        return f"{value / 1e3:.3g}k"
    return fmt_number(round(value, 2))


def fmt_value(value: object) -> str:
    """A table cell for people: numbers rounded to 2 decimals, undefined -> em dash.

    >>> fmt_value(2.345), fmt_value(None), fmt_value(float("inf")), fmt_value("Won")
    ('2.35', '\u2014', '\u2014', 'Won')
    """
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return EM_DASH
    if isinstance(value, (int, float)):
        return fmt_number(round(float(value), 2))
    return str(value)


def near_name(name: object, names: Iterable[str], what: str = "it") -> str:
    """:func:`near_miss` as a parenthesis to add to an error
    (``" ('Won' differs only in case)"``), or ``""``."""
    near = near_miss(name, names, what)
    return f" ({near})" if near else ""


def near_miss(name: object, names: Iterable[str], what: str = "it") -> str:
    """Which of ``names`` a missing ``name`` may mean (``"'Won' differs only in case"``),
    or ``""``; ``what`` is what the advice to normalize names (``"the column"``).

    Only near misses invisible or nearly so in a message are named: the same
    text in another Unicode normalization (accents written as combining marks,
    as files saved on macOS often are), a difference of case, and spaces around
    the name (with or without a difference of case). Names
    are matched exactly: which one was meant is for the data's owner to say.
    """
    import unicodedata  # on error paths only: not on a first chart's import

    names = list(names)
    text = str(name)
    for known in names:
        if unicodedata.normalize("NFC", text) == unicodedata.normalize("NFC", known):
            if unicodedata.is_normalized("NFD", text):
                how = f"with its accents decomposed (Unicode NFD); normalize {what} to NFC"
            else:
                how = f"in another Unicode normalization; normalize {what} to NFC"
            return f"the same text as {known!r} {how}"
    folded = unicodedata.normalize("NFC", text).casefold()
    for known in names:
        if folded == unicodedata.normalize("NFC", known).casefold():
            return f"{known!r} differs only in case"
    # Spaces around a name (a header cell 'Deal ' is read as 'Deal'; a label typed
    # with a trailing space) are invisible in a message's list of names.
    for known in names:
        if text.strip() == known.strip():
            return f"{known!r} differs only in the spaces around it"
    for known in names:
        if folded.strip() == unicodedata.normalize("NFC", known).casefold().strip():
            return f"{known!r} differs only in case and the spaces around it"
    return ""
