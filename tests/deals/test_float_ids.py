"""Float ids too large for a float to tell neighbouring integers apart are refused.

pandas turns an integer id column with one blank cell into float64, and above
2**53 a float cannot hold every integer: 1234567890123456789 and
1234567890123456788 are the same float. Read so, two deals were one deal
before salesfunnel saw them, and every count was one short with nothing said.
Every constructor now refuses a float id of 2**53 or more (2**24 for float32),
naming the row and the column; smaller whole floats stay ids equal to the
integers (1.0 is deal 1).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from salesfunnel import DealLog, EventLog, FunnelDataError, Pipeline

P = Pipeline(["Lead"], won="Won", lost="Lost")
A, B = 1234567890123456789, 1234567890123456788  # one float64: 1.2345678901234568e18
STAGES = ["Lead", "Won", "Lead", "Lost"]
TIMES = [dt.datetime(2024, 1, d) for d in (1, 5, 2, 9)]
REFUSED = r"row 0, column 'deal': deal id 1\.2345678901234568e\+18 is a float of 2\*\*53 or more"


def test_the_two_ids_are_one_float() -> None:
    assert A != B
    assert float(A) == float(B)  # why the refusal: the merge is already done


def _columns(deal: Any) -> dict[str, Any]:
    return {"deal": deal, "stage": STAGES, "time": TIMES}


def test_from_columns_and_records_refuse() -> None:
    floats = np.array([A, A, B, B], dtype=np.float64)
    with pytest.raises(FunnelDataError, match=REFUSED) as info:
        DealLog.from_columns(_columns(floats), P)
    assert info.value.column == "deal"
    assert "'string' or 'Int64'" in str(info.value)
    records = [{"deal": float(d), "stage": s, "time": t} for d, s, t in zip(
        [A, A, B, B], STAGES, TIMES, strict=True)]  # fmt: skip
    with pytest.raises(FunnelDataError, match=REFUSED):
        DealLog.from_records(records, P)
    # A column of mixed types (an object column: floats beside text ids).
    mixed = np.array([float(A), float(A), "x", "x"], dtype=object)
    with pytest.raises(FunnelDataError, match=REFUSED):
        DealLog.from_columns(_columns(mixed), P)
    mixed32 = np.array([np.float32(2**24), np.float32(2**24), "x", "x"], dtype=object)
    with pytest.raises(FunnelDataError, match=r"deal id 16777216\.0 is a float of 2\*\*24"):
        DealLog.from_columns(_columns(mixed32), P)


@pytest.mark.parametrize("source", ["pandas", "polars", "arrow"])
def test_frames_refuse(source: str) -> None:
    frame: Any = {"deal": [float(A), float(A), float(B), float(B)], "stage": STAGES, "time": TIMES}
    if source == "pandas":
        pd = pytest.importorskip("pandas")
        # What pandas makes of integer ids with a blank cell: floats (and NaN).
        frame = pd.DataFrame({**frame, "deal": pd.Series([A, A, B, None]).astype(float)})
        call = DealLog.from_pandas
    elif source == "polars":
        pl = pytest.importorskip("polars")
        frame, call = pl.DataFrame(frame), DealLog.from_polars
    else:
        pa = pytest.importorskip("pyarrow")
        frame, call = pa.table(frame), DealLog.from_arrow
    with pytest.raises(FunnelDataError, match=REFUSED):
        call(frame, P)


def test_the_wide_form_refuses() -> None:
    rows = [{"deal": float(A), "lead": "2024-01-01", "status": "Won"},
            {"deal": float(B) + 4096, "lead": "2024-01-02", "status": "Lost"}]  # fmt: skip
    with pytest.raises(FunnelDataError, match=r"deal id 1\.2345678901234568e\+18 is a float"):
        DealLog.from_wide(rows, P, deal="deal", stage_dates={"Lead": "lead"}, outcome="status")


def test_event_logs_refuse_with_their_column() -> None:
    says = r"row 2, column 'user': entity id 9007199254740992\.0 is a float of 2\*\*53"
    with pytest.raises(FunnelDataError, match=says):
        EventLog.from_columns(
            {"user": np.array([1.0, 2.0, 2.0**53]), "event": ["a", "a", "b"],
             "time": ["2024-01-01", "2024-01-02", "2024-01-03"]}, entity="user",
        )  # fmt: skip


def test_the_bound_is_the_first_float_that_loses_integers() -> None:
    """2**53 - 1 is read (every integer below it is a float of its own); 2**53 is refused
    (2**53 + 1 is the same float). float32: the bound is 2**24, negatives alike."""
    below = 2.0**53 - 1
    log = DealLog.from_columns(_columns(np.array([below, below, 7.0, 7.0])), P)
    assert sorted(log.deal_ids.tolist()) == [7, 2**53 - 1]
    assert 2.0**53 == 2.0**53 + 1
    with pytest.raises(FunnelDataError, match=r"row 2, column 'deal'.*2\*\*53 or more"):
        DealLog.from_columns(_columns(np.array([1.0, 1.0, -(2.0**53), 3.0])), P)
    f32 = np.array([1, 1, 2**24, 2**24], dtype=np.float32)
    with pytest.raises(FunnelDataError, match=r"row 2, .*deal id 16777216\.0 .*2\*\*24 or more"):
        DealLog.from_columns(_columns(f32), P)
    ok = DealLog.from_columns(_columns(np.array([1, 1, 2**24 - 1, 2**24 - 1], np.float32)), P)
    assert ok.n_deals == 2


def test_a_blank_float_is_still_a_missing_id() -> None:
    with pytest.raises(FunnelDataError, match=r"row 3, column 'deal': missing deal id"):
        DealLog.from_columns(_columns(np.array([1.0, 1.0, 2.0, np.nan])), P)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(-(2**53) + 1, 2**53 - 1), min_size=1, max_size=12))
def test_whole_floats_below_the_bound_are_the_integer_ids(ids: list[int]) -> None:
    """A float id that is a whole number below 2**53 is the integer id: the same deals,
    the same ids, as when the column holds integers."""
    n = len(ids)
    cols = {"stage": ["Lead"] * n, "time": [TIMES[0]] * n}
    as_float = DealLog.from_columns({"deal": np.array(ids, dtype=np.float64), **cols}, P)
    as_int = DealLog.from_columns({"deal": np.array(ids, dtype=np.int64), **cols}, P)
    assert as_float.n_deals == as_int.n_deals == len(set(ids))
    assert sorted(as_float.deal_ids.tolist()) == sorted(as_int.deal_ids.tolist())


def test_whole_float_owners_and_kept_values_are_their_integers() -> None:
    """Owner 7.0 (an integer column made float by a blank) is owner '7', as an event
    breakdown's 2.0 is group '2'; a fraction keeps its digits; NaN is unassigned."""
    cols = {
        "deal": ["a", "a", "b", "b", "c", "c"],
        "stage": ["Lead", "Won", "Lead", "Lost", "Lead", "Won"],
        "time": [TIMES[0], TIMES[1], TIMES[0], TIMES[3], TIMES[0], TIMES[2]],
        "owner": np.array([7.0, 7.0, 10.0, 10.0, np.nan, np.nan]),
        "region": np.array([1.5, 1.5, 2.0, 2.0, np.nan, np.nan]),
    }
    log = DealLog.from_columns(cols, P, owner="owner", keep=["region"])
    assert log.owners == ("(unassigned)", "10", "7")  # sorted as text, as other text owners
    assert log.kept["region"][1] == ("(unassigned)", "1.5", "2")
    records = [dict(zip(cols, row, strict=True)) for row in zip(*cols.values(), strict=True)]
    assert DealLog.from_records(records, P, owner="owner").owners == log.owners
