"""A Unix time is refused, never guessed, and the error says what it may be.

``1704103200`` may be seconds (2024-01-01), milliseconds (1970-01-20) or
microseconds since 1970: nothing in the number tells. The error said only "not an
ISO 8601 date"; it now names the three units and how to convert.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from salesfunnel import DealLog, EventLog, FunnelDataError, Pipeline

HINT = re.escape(
    "may be a Unix time (seconds, milliseconds or microseconds since 1970), which is not guessed"
)


@pytest.mark.parametrize("stamp", ["1704103200", "1704103200000", "1704103200000000"])
def test_csv_unix_times_are_refused_with_the_hint(tmp_path: Path, stamp: str) -> None:
    path = tmp_path / "log.csv"
    path.write_text(f"u,e,t\n1,view,{stamp}\n", encoding="utf-8")
    with pytest.raises(FunnelDataError, match=HINT) as err:
        EventLog.from_csv(path, entity="u", event="e", time="t")
    assert (err.value.line, err.value.column) == (2, "t")


@pytest.mark.parametrize("stamp", [1704103200, 1704103200000])
def test_number_times_in_records_are_refused_with_the_hint(stamp: int) -> None:
    p = Pipeline(["Lead"], won="Won", lost="Lost")
    with pytest.raises(FunnelDataError, match=HINT):
        DealLog.from_records([{"deal": 1, "stage": "Lead", "time": stamp}], p)


@pytest.mark.parametrize("value", ["12345678", "20240101x", True, 12])
def test_no_hint_for_what_cannot_be_a_unix_time(value: object) -> None:
    p = Pipeline(["Lead"], won="Won", lost="Lost")
    with pytest.raises(FunnelDataError) as err:
        DealLog.from_records([{"deal": 1, "stage": "Lead", "time": value}], p)
    assert "Unix time" not in str(err.value)
