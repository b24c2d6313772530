"""One escaper per output language (salesfunnel._format), one rule for what no output carries.

Each escaper's output is read back by a real parser (xml.etree for XML/SVG,
html.parser for HTML): it must parse, give back :func:`clean_text` of the input
(the printable text unchanged) and encode as UTF-8.
"""

from __future__ import annotations

import unicodedata
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

from hypothesis import given, settings, strategies as st

from salesfunnel import Funnel, FunnelChart
from salesfunnel._format import clean_text, escape_html, escape_xml_attr, escape_xml_text
from salesfunnel.output.html import escape as html_escape
from salesfunnel.render.svg import escape as svg_escape

# every code point, lone surrogates and controls included
any_text = st.text(alphabet=st.characters(blacklist_categories=()), max_size=40)
printable_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Cf", "Zl", "Zp")), max_size=40
)
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


def _unsafe(ch: str) -> bool:
    """An independent statement of the rule, from Unicode categories."""
    cat = unicodedata.category(ch)
    return (cat == "Cc" and ch not in "\t\n") or cat == "Cs" or ch in "\ufffe\uffff" or ch in BIDI


def test_clean_text_worked_examples() -> None:
    assert clean_text("Won\u202e: 12 deals") == "Won\ufffd: 12 deals"
    assert clean_text("a\x00b\x1bc\x7fd\x85e") == "a\ufffdb\ufffdc\ufffdd\ufffde"
    assert clean_text("tab\tline\nend\r") == "tab\tline\nend\ufffd"
    assert clean_text("x\ud800y\udfffz") == "x\ufffdy\ufffdz"
    assert (
        clean_text("\u05e9\u05dc\u05d5\u05dd 12") == "\u05e9\u05dc\u05d5\u05dd 12"
    )  # RTL letters stay
    assert clean_text(12.5) == "12.5"


@given(any_text)
def test_clean_text_replaces_exactly_the_unsafe_characters(text: str) -> None:
    out = clean_text(text)
    assert len(out) == len(text)
    for a, b in zip(text, out, strict=True):
        assert b == ("\ufffd" if _unsafe(a) else a)
    out.encode("utf-8")  # no lone surrogate left


@given(any_text)
def test_xml_text_parses_and_round_trips(text: str) -> None:
    doc = f"<t>{escape_xml_text(text)}</t>".encode()
    assert (ET.fromstring(doc).text or "") == clean_text(text)


@given(any_text)
def test_xml_attribute_parses_and_round_trips(text: str) -> None:
    doc = f'<t a="{escape_xml_attr(text)}"/>'.encode()
    assert ET.fromstring(doc).get("a") == clean_text(text)


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.data: list[str] = []
        self.attrs: dict[str, str | None] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.attrs.update(attrs)

    def handle_data(self, data: str) -> None:
        self.data.append(data)


@given(any_text)
def test_html_text_and_attribute_parse_and_round_trip(text: str) -> None:
    e = escape_html(text)
    reader = _Reader()
    reader.feed(f'<p title="{e}">{e}</p>')
    reader.close()
    assert "".join(reader.data) == clean_text(text)
    assert reader.attrs["title"] == clean_text(text)
    e.encode("utf-8")


@given(printable_text)
def test_printable_text_is_kept_by_every_escaper(text: str) -> None:
    assert (ET.fromstring(f"<t>{escape_xml_text(text)}</t>").text or "") == text
    reader = _Reader()
    reader.feed(f"<p>{escape_html(text)}</p>")
    reader.close()
    assert "".join(reader.data) == text


def test_every_output_uses_the_one_escaper_per_language() -> None:
    assert html_escape is escape_html
    assert svg_escape is escape_xml_text


def test_bidi_override_in_a_stage_name_is_closed_in_svg_and_image_map() -> None:
    # U+202E left open reverses what follows it: "12 deals" would read "slaed 21".
    chart = FunnelChart(Funnel.from_counts({"Call\u202e": 10, "Won\u2067": 3}), title="T\u202d")
    svg = chart.to_svg()
    area_map = chart.image_map("m\u202e")
    for out in (svg, area_map):
        assert not any(ch in out for ch in BIDI)
        assert "Call\ufffd" in out
    ET.fromstring(svg.encode())  # still one well-formed document


@settings(max_examples=40, deadline=None)
@given(st.lists(any_text.filter(lambda s: s.strip() != ""), min_size=1, max_size=4, unique=True))
def test_any_stage_names_give_well_formed_svg_and_image_maps(names: list[str]) -> None:
    funnel = Funnel.from_counts({n: 10 - i for i, n in enumerate(names)}, name=names[0])
    chart = FunnelChart(funnel, title=names[-1])
    svg = chart.to_svg()
    ET.fromstring(svg.encode("utf-8"))  # parses: nothing XML cannot carry is left
    area_map = chart.image_map(names[0])
    area_map.encode("utf-8")
    for out in (svg, area_map):
        assert not any(_unsafe(ch) for ch in out)
