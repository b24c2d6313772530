"""Amounts grouped by spaces or apostrophes: ``1 234,50`` (French, Russian), ``1'234.50`` (Swiss).

Spreadsheets in those locales export amounts so, often with a no-break or narrow
no-break space; they were refused ("not a number"). They are read in full groups of
three with one kind of separator per number, by both CSV engines and in records;
anything else stays refused.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from salesfunnel import DealLog, FunnelDataError, Pipeline
from salesfunnel._numbers import number

P = Pipeline(["Lead", "Meeting"], won="Won", lost="Lost")
SPACERS = [" ", "\u00a0", "\u202f", "\u2009", "'", "\u2019"]


def _grouped(whole: int, spacer: str) -> str:
    digits = str(whole)
    head = len(digits) % 3 or 3
    return spacer.join([digits[:head], *(digits[i : i + 3] for i in range(head, len(digits), 3))])


@given(
    st.integers(0, 10**15),
    st.integers(0, 99),
    st.sampled_from(SPACERS),
    st.sampled_from([".", ","]),
    st.booleans(),
)
def test_grouped_amounts_read_back_exactly(
    whole: int, cents: int, spacer: str, mark: str, negative: bool
) -> None:
    text = ("-" if negative else "") + _grouped(whole, spacer) + f"{mark}{cents:02d}"
    want = float(f"{'-' if negative else ''}{whole}.{cents:02d}")
    assert number(text, mark) == want


@pytest.mark.parametrize(
    ("text", "mark"),
    [
        ("12 34", ","),  # a group of two
        ("1 234 56", ","),
        ("1234 567", ","),  # four digits before the first separator
        ("1 234'567", ","),  # two kinds of separator
        ("1 234,5", "."),  # the other decimal mark
        ("1  234", "."),  # two spaces
        ("1 234.5", ","),
    ],
)
def test_anything_else_is_still_refused(text: str, mark: str) -> None:
    with pytest.raises(ValueError, match="not a number"):
        number(text, mark)


@pytest.mark.parametrize("engine", ["python", "arrow"])
def test_both_engines_read_a_french_export(tmp_path: Path, engine: str) -> None:
    if engine == "arrow":
        pytest.importorskip("pyarrow")
    path = tmp_path / "deals.csv"
    path.write_text(
        "deal;stage;time;amount\n"
        "a;Lead;2024-01-01;1\u202f234,50\n"
        "a;Won;2024-01-05;12\u00a0345,00\n"
        "b;Lead;2024-01-02;999\n",
        encoding="utf-8",
    )
    log = DealLog.from_csv(path, P, amount="amount", decimal=",", delimiter=";", engine=engine)
    assert log.amount.tolist() == [1234.5, 12345.0, 999.0]
    bad = tmp_path / "bad.csv"
    bad.write_text("deal;stage;time;amount\na;Lead;2024-01-01;12 34,5\n", encoding="utf-8")
    with pytest.raises(FunnelDataError, match="line 2, column 'amount'"):
        DealLog.from_csv(bad, P, amount="amount", decimal=",", delimiter=";", engine=engine)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_plain_numbers_read_as_python_reads_them(x: float) -> None:
    text = repr(x)
    assert number(text) == x
    if "e" not in text:  # a decimal comma: the same digits
        assert number(text.replace(".", ","), ",") == x


@pytest.mark.parametrize(
    ("text", "mark", "says"),
    [
        # The hint names the one change that reads the text, and only then.
        ("1,5", ".", "not a number (got '1,5'; pass decimal=',' for a decimal comma)"),
        ("1.234,56", ".", "(got '1.234,56'; pass decimal=',' for a decimal comma)"),
        # A currency sign is the trouble: a decimal comma would not read '$1,200' (and
        # would read '1,200' as 1.2), so the hint is the sign.
        ("$1,200", ".", "not a number (got '$1,200'; remove the currency sign '$')"),
        ("1 200 €", ",", "(got '1 200 €'; remove the currency sign '€')"),
        ("£12.50", ".", "(got '£12.50'; remove the currency sign '£')"),
        # Read with neither mark: no hint rather than a wrong one.
        ("1,2,3", ".", "not a number (got '1,2,3')"),
        ("12%", ".", "not a number (got '12%')"),
        ("1,200.5", ",", "not a number with ',' as the decimal mark (got '1,200.5')"),
    ],
)
def test_a_refusal_hints_only_at_what_would_read_it(text: str, mark: str, says: str) -> None:
    with pytest.raises(ValueError, match="not a number") as caught:
        number(text, mark)
    assert says in str(caught.value)
    assert ("decimal=','" in says) == ("decimal=','" in str(caught.value))
