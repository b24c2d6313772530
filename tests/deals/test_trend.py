"""Trends: the closed or cohort funnel of every calendar period, as one table.

Worked examples by hand, then properties against the plain definition: each
row is what :func:`closed_funnel` (or :func:`cohort_funnel`) gives with the
row's ``start`` and ``end``, and the periods tile the span.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

import pytest
from hypothesis import given, settings, strategies as st

from salesfunnel import (
    DealLog,
    FunnelDataError,
    Pipeline,
    closed_funnel,
    cohort_funnel,
    trend,
)
from salesfunnel.deals.trend import MAX_PERIODS, period_bounds

from strategies import BASE_DAY, deal_events_with_columns

P = Pipeline(["Call", "Offer"], won="Won", lost="Lost")
ROWS = [
    ("A", "Call", "2024-01-03", "X", 100),
    ("A", "Won", "2024-01-20", "X", 100),
    ("B", "Call", "2024-01-05", "Y", None),
    ("B", "Lost", "2024-02-02", "Y", None),
    ("C", "Call", "2024-02-10", "X", 40),
    ("C", "Offer", "2024-02-11", "X", 40),
    ("C", "Won", "2024-03-01", "X", 40),
    ("D", "Call", "2024-03-30", "Y", 5),
]
Records = list[dict[str, Any]]


def log() -> DealLog:
    keys = ("deal", "stage", "time", "product", "amount")
    recs = [dict(zip(keys, r, strict=True)) for r in ROWS]
    return DealLog.from_records(recs, P, amount="amount", keep="product")


def sec(text: str) -> int:
    return int(dt.datetime.fromisoformat(text).replace(tzinfo=dt.timezone.utc).timestamp())


# -- worked examples ------------------------------------------------------------------
def test_monthly_closed_trend_by_hand() -> None:
    t = trend(log())
    table = t.table
    assert table.columns == (
        "period", "start", "end", "deals", "won", "lost", "win_rate", "won_amount",
        "unknown_time_deals",
    )  # fmt: skip
    # A won in January (100), B lost in February, C won on 1 March (40); D is open.
    assert table.rows == (
        ("2024-01", "2024-01-01T00:00:00", "2024-02-01T00:00:00", 1, 1, 0, 1.0, 100.0, 0),
        ("2024-02", "2024-02-01T00:00:00", "2024-03-01T00:00:00", 1, 0, 1, 0.0, 0.0, 0),
        ("2024-03", "2024-03-01T00:00:00", "2024-04-01T00:00:00", 1, 1, 0, 1.0, 40.0, 0),
    )
    # Per stage, absolute counts and conversions: February's B reached Call only.
    feb = [r for r in t.stages.rows if r[0] == "2024-02"]
    assert [r[:4] for r in feb] == [
        ("2024-02", "Call", 1, 1.0),
        ("2024-02", "Offer", 0, 0.0),
        ("2024-02", "Won", 0, feb[2][3]),
    ]
    assert math.isnan(float(feb[2][3]))  # type: ignore[arg-type]  # 0 of 0: undefined
    assert [r[4] for r in feb] == [1.0, 0.0, 0.0]
    assert [r.funnel.counts.tolist() for r in t.results] == [[1, 1, 1], [1, 0, 0], [1, 1, 1]]


def test_cohort_trend_by_quarter_and_product() -> None:
    t = trend(log(), period="Q", kind="cohort", by="product", as_of="2024-03-31")
    assert t.table.columns[:5] == ("product", "period", "start", "end", "deals")
    assert t.table.columns[5] == "open_deals"
    # X: A and C entered in Q1, both won; Y: B lost, D open.
    rows = [(r[0], r[1], r[4], r[5], r[6], r[7]) for r in t.table.rows]
    assert rows == [("X", "2024-Q1", 2, 0, 2, 0), ("Y", "2024-Q1", 2, 1, 0, 1)]


def test_weeks_are_iso_weeks_from_monday() -> None:
    spans = period_bounds("W", sec("2024-12-31T10:00:00"), sec("2025-01-09T00:00:00"))
    # Tuesday 31 Dec 2024 lies in ISO week 2025-W01, which began on Monday 30 Dec.
    assert [s[2] for s in spans] == ["2025-W01", "2025-W02"]
    assert spans[0][0] == sec("2024-12-31T10:00:00")  # cut at start
    assert spans[1] == (sec("2025-01-06T00:00:00"), sec("2025-01-09T00:00:00"), "2025-W02")
    whole = period_bounds("W", sec("2024-12-31T10:00:00"), sec("2025-01-09"), cut=(False, False))
    assert whole[0][0] == sec("2024-12-30T00:00:00")
    assert whole[-1][1] == sec("2025-01-13T00:00:00")
    days = period_bounds("D", sec("2024-02-28T00:00:00"), sec("2024-03-01T12:00:00"))
    assert [s[2] for s in days] == ["2024-02-28", "2024-02-29", "2024-03-01"]
    quarters = period_bounds("Q", sec("2023-11-15T00:00:00"), sec("2024-04-01T00:00:00"))
    assert [s[2] for s in quarters] == ["2023-Q4", "2024-Q1"]


def test_bad_trend_arguments_are_named() -> None:
    with pytest.raises(FunnelDataError, match="period must be 'D', 'W', 'M' or 'Q' \\(got 'Y'\\)"):
        trend(log(), period="Y")  # type: ignore[arg-type]
    with pytest.raises(FunnelDataError, match="kind must be 'closed' or 'cohort'"):
        trend(log(), kind="open")  # type: ignore[arg-type]
    with pytest.raises(FunnelDataError, match="as_of is for kind='cohort'"):
        trend(log(), as_of="2024-03-01")
    with pytest.raises(FunnelDataError, match="end must not be before start"):
        trend(log(), start="2024-03-01", end="2024-01-01")
    with pytest.raises(FunnelDataError, match=f"more than {MAX_PERIODS} periods of one day"):
        trend(log(), period="D", start="2000-01-01", end="2024-01-01")
    with pytest.raises(FunnelDataError, match="no column 'region'"):
        trend(log(), by="region")


def test_json_is_strict_and_complete() -> None:
    payload = json.loads(trend(log(), period="M", by="product").to_json())
    assert payload["by"] == "product"
    assert len(payload["rows"]) == 6  # two products, three months
    assert len(payload["stages"]) == 18
    assert payload["rows"][1]["win_rate"] is None  # X in February: nothing closed


# -- properties -----------------------------------------------------------------------
def build(records: Records, pipeline: Pipeline) -> DealLog:
    return DealLog.from_records(
        records, pipeline, owner="owner", amount="amount", keep=("product", "region")
    )


def unnamed(result: Any) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads(result.to_json())
    payload.pop("name", None)
    return payload


@settings(max_examples=50, deadline=None)
@given(
    deal_events_with_columns(),
    st.sampled_from(["D", "W", "M"]),
    st.sampled_from([None, "product", ["owner", "region"]]),
    st.integers(min_value=-2, max_value=8),
)
def test_each_row_is_the_funnel_of_its_period(
    data: tuple[Pipeline, Records], period: str, by: Any, start_day: int
) -> None:
    pipeline, records = data
    lg = build(records, pipeline)
    start = BASE_DAY + dt.timedelta(days=start_day, hours=5)  # mid-day: a cut first period
    t = trend(lg, period=period, start=start, by=by)  # type: ignore[arg-type]
    names = t.table.columns[: t.table.columns.index("period")]
    for row, result in zip(t.table.rows, t.results, strict=True):
        cells = dict(zip(t.table.columns, row, strict=True))
        alone = closed_funnel(lg, start=cells["start"], end=cells["end"], by=by, durations=False)
        if by is not None:
            key = tuple(cells[n] for n in names)
            alone = alone[key if isinstance(by, list) else key[0]]
        assert unnamed(result) == unnamed(alone)
        assert cells["deals"] == alone.deals
        assert cells["won"] == alone.won
    # Periods tile: each closed deal counts in exactly one row.
    whole = closed_funnel(lg, start=start)
    assert sum(r.deals for r in t.results) == whole.deals
    assert sum(r.won for r in t.results) == whole.won


@settings(max_examples=40, deadline=None)
@given(deal_events_with_columns(), st.sampled_from(["W", "M", "Q"]))
def test_cohort_rows_are_cohort_funnels(data: tuple[Pipeline, Records], period: str) -> None:
    pipeline, records = data
    lg = build(records, pipeline)
    as_of = BASE_DAY + dt.timedelta(days=14)
    t = trend(lg, period=period, kind="cohort", as_of=as_of)  # type: ignore[arg-type]
    for row, result in zip(t.table.rows, t.results, strict=True):
        cells = dict(zip(t.table.columns, row, strict=True))
        alone = cohort_funnel(lg, start=cells["start"], end=cells["end"], as_of=as_of)
        assert unnamed(result) == unnamed(alone)
        assert (cells["deals"], cells["open_deals"]) == (alone.deals, alone.open_deals)
    assert sum(r.deals for r in t.results) == cohort_funnel(lg, as_of=as_of).deals
