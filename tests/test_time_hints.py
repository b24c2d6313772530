"""A Unix time is refused, never guessed, and the error says what it may be.

``1704103200`` may be seconds (2024-01-01), milliseconds (1970-01-20) or
microseconds since 1970: nothing in the number tells. The error said only "not an
ISO 8601 date"; it now names the three units and how to convert.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from salesfunnel import DealLog, EventLog, FunnelDataError, Pipeline, _timehints

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


# -- formats that read the value, and spreadsheet serial days (_timehints) ------------------

_PIPE = Pipeline(["Lead"], won="Won", lost="Lost")
_OFFERED = re.compile(r"'(%[^']*)'(?: reads it as | as )?([0-9][0-9: -]*[0-9])?")


def _refusal(value: object, **options: object) -> str:
    with pytest.raises(FunnelDataError) as err:
        DealLog.from_records([{"deal": 1, "stage": "Lead", "time": value}], _PIPE, **options)
    return str(err.value)


def test_a_day_month_swap_names_both_formats_and_both_readings() -> None:
    # 12/05/2026 is 12 May read day first and 5 December read month first.
    msg = _refusal("12/05/2026")
    assert "'%d/%m/%Y' reads it as 2026-05-12, '%m/%d/%Y' as 2026-12-05" in msg
    assert msg.endswith("nothing in the value tells which)")


def test_a_day_past_twelve_leaves_one_format() -> None:
    msg = _refusal("13/05/2026 17:30")
    assert msg.endswith("e.g. '%d/%m/%Y %H:%M')")


def test_a_wrong_date_format_names_one_that_reads_the_value() -> None:
    msg = _refusal("05.12.2026 10:00", date_format="%d.%m.%Y")
    assert msg.endswith("does not match the date format '%d.%m.%Y': '05.12.2026 10:00'; "
                        "'%d.%m.%Y %H:%M' reads it)")  # fmt: skip


def test_text_no_format_reads_keeps_the_plain_example() -> None:
    assert _refusal("soon").endswith("e.g. '%d.%m.%Y')")
    assert _refusal("soon", date_format="%Y").endswith("'soon')")


@pytest.mark.parametrize(
    ("value", "day"),
    # Excel's serial day numbers (1900 date system): 36526 is 2000-01-01 and 45292 is
    # 2024-01-01, as Excel's DATEVALUE gives them; .5 is noon.
    [("36526", "2000-01-01"), ("45292", "2024-01-01"), ("45292.5", "2024-01-01 12:00:00")],
)
def test_a_spreadsheet_serial_day_is_named_with_its_date(value: str, day: str) -> None:
    msg = _refusal(value)
    assert (
        f"may be a spreadsheet's serial day number ({value} would be {day}), which is not guessed"
        in msg
    )
    # The conversion offered reads the number as the message says.
    pd = pytest.importorskip("pandas")
    read = pd.to_datetime(float(value), unit="D", origin="1899-12-30")
    assert str(read) in (day, f"{day} 00:00:00")


@pytest.mark.parametrize("value", ["2024", "123456", "4529.5", "45292.", "4.5e4"])
def test_no_serial_day_hint_for_other_numbers(value: str) -> None:
    assert "serial day" not in _refusal(value)


_WRITTEN = st.sampled_from([f for f in _timehints._FORMATS if "%z" not in f])


@settings(max_examples=300, deadline=None)
@given(
    when=st.datetimes(min_value=dt.datetime(1970, 1, 1), max_value=dt.datetime(2060, 12, 31)),
    fmt=_WRITTEN,
)
def test_every_offered_format_reads_the_value_as_it_says(when: dt.datetime, fmt: str) -> None:
    """A time written in a common layout: either read right, or refused with formats
    that each read it as the message says, one of them as it was written."""
    text = when.strftime(fmt)
    written = dt.datetime.strptime(text, fmt)  # what the layout keeps of ``when``
    message = None
    try:
        log = DealLog.from_records([{"deal": 1, "stage": "Lead", "time": text}], _PIPE)
    except FunnelDataError as err:
        message = str(err)
    if message is None:  # ISO 8601 reads it (e.g. 20240102): it must read it right
        assert log.time[0] == np.datetime64(written.replace(microsecond=0), "s")
        return
    offered = _OFFERED.findall(message)
    assert offered, message
    readings = {f: dt.datetime.strptime(text, f) for f, _ in offered}
    for f, shown in offered:
        if shown:  # several formats: each says what it reads
            value = readings[f]
            assert shown == (value.date().isoformat() if value.time() == dt.time()
                             else value.isoformat(sep=" "))  # fmt: skip
    assert written in readings.values()
