"""Numbers people read on a chart (issue 13): percent precision, one number format, currency."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given, strategies as st

from salesfunnel import Funnel, FunnelChart, FunnelDataError, Style
from salesfunnel._format import fmt_compact, fmt_percent

AD = Funnel.from_counts(
    {"Impressions": 213_434_828, "Clicks": 38_165, "Leads": 2_669, "Sales": 872}, name="Ads"
)


def _texts(chart: FunnelChart) -> str:
    """Every text drawn, one per line (wrapped labels are joined back by the tooltip)."""
    return "\n".join(r.text for r in chart.regions if r.part == "label")


def test_a_wide_range_funnel_shows_no_zero_rate() -> None:
    text = _texts(FunnelChart(AD, width=900, height=600))
    # 38,165 / 213,434,828 = 0.000178813 -> 0.018 %; 2,669 / 213,434,828 = 0.0000125 -> below 0.01 %
    assert "Clicks, 38,165, 0.018% of first \u00b7 0.018% of previous" in text
    assert "Leads, 2,669, <0.01% of first \u00b7 7.0% of previous" in text
    assert "Sales, 872, <0.01% of first \u00b7 32.7% of previous" in text
    assert not re.search(r"(?<![\d.])0\.0%", text)  # no "0.0%" (100.0% is fine)


def test_percent_floor_and_digits_are_configurable() -> None:
    style = Style(percent_floor=0.0, percent_digits=2)
    text = _texts(FunnelChart(AD, width=900, height=600, style=style))
    # 2,669 / 213,434,828 = 0.00125 % (two significant digits); 7.00 % with two decimals
    assert "Leads, 2,669, 0.0013% of first \u00b7 6.99% of previous" in text


def test_compact_numbers_and_currency_are_one_format_in_the_picture() -> None:
    f = Funnel.from_counts([("Leads", 12_400, 3_641_234.5), ("Won", 1_250, 899_528.68)], name="Q3")
    full = _texts(FunnelChart(f, style=Style(currency="$")))
    assert "Leads, 12,400 \u00b7 $3,641,234.5" in full
    compact = _texts(FunnelChart(f, style=Style(number_format="compact", currency="EUR")))
    assert "Leads, 12.4k \u00b7 EUR 3.64M" in compact
    assert "Won, 1.25k \u00b7 EUR 900k" in compact


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"percent_digits": 7}, "percent_digits"),
        ({"percent_digits": 1.0}, "percent_digits"),
        ({"percent_floor": 0.5}, "percent_floor"),
        ({"number_format": "short"}, "number_format"),
        ({"currency": 3}, "currency"),
    ],
)
def test_bad_number_options_are_refused(options: dict[str, object], match: str) -> None:
    with pytest.raises(FunnelDataError, match=match):
        Style(**options)  # type: ignore[arg-type]


@given(st.floats(0, 1, allow_subnormal=False), st.integers(0, 3))
def test_no_rate_above_zero_prints_as_zero(rate: float, digits: int) -> None:
    text = fmt_percent(rate, digits)
    if rate == 0:
        assert text == f"{0:.{digits}f}%"
    elif rate < 1e-4:
        assert text == "<0.01%"
    elif 0 < 1 - rate < 1e-4:
        assert text == ">99.99%"
    else:
        value = float(text.rstrip("%"))
        assert value > 0
        if rate * 100 < 0.5 * 10**-digits:
            # would have rounded to zero: two significant digits, within 5 % of the rate
            assert math.isclose(value / 100, rate, rel_tol=0.05)
        else:
            assert abs(value - rate * 100) <= 0.5 * 10**-digits + 1e-9


@given(st.floats(-1e16, 1e16, allow_nan=False))
def test_compact_numbers_read_back(value: float) -> None:
    text = fmt_compact(value)
    assert "e" not in text
    m = re.fullmatch(r"(-?[\d,]+(?:\.\d+)?)([kMGT]?)", text)
    assert m is not None, text
    unit = {"": 1.0, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12}[m.group(2)]
    back = float(m.group(1).replace(",", "")) * unit
    assert math.isclose(back, value, rel_tol=0.006, abs_tol=0.006)


@given(st.floats(0, 0.01, allow_subnormal=False), st.integers(0, 3))
def test_no_rate_short_of_one_prints_as_a_hundred(gap: float, digits: int) -> None:
    # The drop rate of the ad funnel's clicks is 1 - 38,165 / 213,434,828 = 99.982 %,
    # which one decimal would round to a "100.0%" drop that did not happen.
    rate = 1 - gap
    text = fmt_percent(rate, digits)
    if rate == 1:
        assert text == f"{100:.{digits}f}%"
    elif 1 - rate < 1e-4:
        assert text == ">99.99%"
    else:
        value = float(text.rstrip("%"))
        assert value < 100
        assert abs(value - rate * 100) <= max(0.5 * 10**-digits, 0.05 * (100 - rate * 100))


def test_the_ad_funnel_drop_rate_is_not_a_hundred_percent() -> None:
    from salesfunnel import metrics_table

    text = str(metrics_table(AD))
    clicks = next(line for line in text.splitlines() if line.startswith("Clicks"))
    assert clicks.split()[-1] == "99.982%"  # 213,396,663 / 213,434,828
