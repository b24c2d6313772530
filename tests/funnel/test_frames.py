"""DataFrames in: Funnel.from_counts(Series), Funnel.from_frame (long, wide), DealLog.from_wide(df)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given

from salesfunnel import DealLog, Funnel, FunnelDataError, Pipeline

from strategies import funnels

pd = pytest.importorskip("pandas")
pl = pytest.importorskip("polars")

AD = {"Impressions": 213_434_828, "Clicks": 38_165, "Leads": 2_669, "Sales": 872}


def test_from_counts_takes_a_pandas_series() -> None:
    # Issue 13: this failed with "stage 0: expected a Stage ... (got 213434828)".
    series = pd.Series(AD)
    assert Funnel.from_counts(series) == Funnel.from_counts(AD)
    events = pd.DataFrame({"stage": ["A", "A", "B", "A", "C"]})
    f = Funnel.from_counts(events.groupby("stage", sort=False).size(), name="x")
    assert (f.names, f.counts.tolist(), f.name) == (("A", "B", "C"), [3.0, 1.0, 1.0], "x")


def test_from_counts_series_errors_say_what_to_do() -> None:
    with pytest.raises(FunnelDataError, match=r"needs the stage names as its index \(got index"):
        Funnel.from_counts(pd.Series([3, 2]))
    with pytest.raises(FunnelDataError, match=r"polars Series has no index .*Funnel.from_frame"):
        Funnel.from_counts(pl.Series([3, 2]))  # type: ignore[arg-type]
    with pytest.raises(FunnelDataError, match=r"count of stage 'B' must be a finite number"):
        Funnel.from_counts(pd.Series({"A": 3.0, "B": math.nan}))


@pytest.mark.parametrize("lib", [pd, pl])
def test_long_frame_by_group(lib: object) -> None:
    frame = lib.DataFrame(  # type: ignore[attr-defined]
        {
            "owner": ["Ann", "Ann", "Ann", "Bob", "Bob"],
            "stage": ["Calls", "Meetings", "Paid", "Calls", "Paid"],
            "n": [200, 40, 10, 100, 8],
            "usd": [0.0, 0.0, 5000.0, 0.0, 3000.0],
        }
    )
    out = Funnel.from_frame(frame, stage="stage", count="n", amount="usd", by="owner")
    assert isinstance(out, dict)
    assert list(out) == ["Ann", "Bob"]
    # Bob has no Meetings row: counted 0 there, in the frame's stage order.
    assert out["Bob"] == Funnel(
        (("Calls", 100, 0.0), ("Meetings", 0), ("Paid", 8, 3000.0)), name="Bob"
    )
    assert out["Ann"].counts.tolist() == [200.0, 40.0, 10.0]
    one = Funnel.from_frame(frame[:3] if lib is pd else frame.head(3), stage="stage", count="n")
    assert isinstance(one, Funnel)
    assert one.names == ("Calls", "Meetings", "Paid")


@pytest.mark.parametrize("lib", [pd, pl])
def test_wide_frame_one_row_per_funnel(lib: object) -> None:
    frame = lib.DataFrame(  # type: ignore[attr-defined]
        {"region": ["EU", "US"], "team": ["a", "b"], "Calls": [200, 100], "Paid": [10, 8]}
    )
    out = Funnel.from_frame(frame, count=["Calls", "Paid"], by=["region", "team"])
    assert isinstance(out, dict)
    assert list(out) == ["EU / a", "US / b"]
    assert out["US / b"].counts.tolist() == [100.0, 8.0]
    assert out["US / b"].name == "US / b"
    single = lib.DataFrame({"Calls": [5], "Paid": [1]})  # type: ignore[attr-defined]
    assert Funnel.from_frame(single, count=["Calls", "Paid"]) == Funnel.from_counts(
        {"Calls": 5, "Paid": 1}
    )


def test_frame_errors_name_row_column_and_value() -> None:
    frame = pd.DataFrame({"stage": ["A", "B", "A"], "n": [3, 2, 1]})
    with pytest.raises(FunnelDataError, match=r"rows 0 and 2 are both stage 'A': sum them first"):
        Funnel.from_frame(frame, stage="stage", count="n")
    with pytest.raises(
        FunnelDataError, match=r"no column 'count'; its columns are \['stage', 'n'\]"
    ):
        Funnel.from_frame(frame, stage="stage", count="count")
    bad = pd.DataFrame({"stage": ["A", "B"], "n": [3, -1]})
    with pytest.raises(FunnelDataError, match=r"row 1, column 'count': count of stage 'B'") as e:
        Funnel.from_frame(bad, stage="stage", count="n")
    assert (e.value.index, e.value.value) == (1, -1)
    wide = pd.DataFrame({"A": [3, 4], "B": [1, 2]})
    with pytest.raises(FunnelDataError, match=r"without by= must have one row \(got 2\)"):
        Funnel.from_frame(wide, count=["A", "B"])
    with pytest.raises(FunnelDataError, match="needs stage="):
        Funnel.from_frame(frame, count="n")
    with pytest.raises(FunnelDataError, match="frame must be a pandas or polars DataFrame"):
        Funnel.from_frame({"stage": ["A"]}, stage="stage", count="n")


@given(funnels())
def test_long_and_wide_frames_round_trip(f: Funnel) -> None:
    long = pd.DataFrame({"stage": list(f.names), "count": f.counts})
    assert Funnel.from_frame(long, stage="stage", count="count") == f
    wide = pd.DataFrame({n: [c] for n, c in zip(f.names, f.counts, strict=True)})
    assert Funnel.from_frame(wide, count=list(f.names)) == f
    assert Funnel.from_frame(pl.from_pandas(long), stage="stage", count="count") == f


@pytest.mark.parametrize("lib", [pd, pl])
def test_from_wide_takes_a_dataframe(lib: object) -> None:
    # Issue 13: from_wide iterated the column names as letters ("columns are ['o','p',...]").
    p = Pipeline(["Prospecting", "Engaging"], won="Won", lost="Lost")
    rows = [
        {"id": "A", "stage": "Won", "engage": "2017-01-02", "close": "2017-02-01"},
        {"id": "B", "stage": "Prospecting", "engage": None, "close": None},
    ]
    kw = {"deal": "id", "stage_dates": {"Engaging": "engage"}, "outcome": "stage",
          "outcome_date": "close"}  # fmt: skip
    expected = DealLog.from_wide(rows, p, **kw)  # type: ignore[arg-type]
    log = DealLog.from_wide(lib.DataFrame(rows), p, **kw)  # type: ignore[attr-defined, arg-type]
    assert log.code.tolist() == expected.code.tolist()
    assert log.deal_ids.tolist() == expected.deal_ids.tolist()
    with pytest.raises(FunnelDataError, match=r"no column 'idx'; its columns are \['id', "):
        DealLog.from_wide(lib.DataFrame(rows), p, **{**kw, "deal": "idx"})  # type: ignore[attr-defined, arg-type]
