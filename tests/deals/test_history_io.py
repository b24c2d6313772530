"""DealLog constructors, validation at the boundary, wide form, receivables."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from salesfunnel import (
    DealLog,
    FunnelDataError,
    Pipeline,
    active_funnel,
    closed_funnel,
    receivables_aging,
    stage_durations,
    time_to_close,
)

P = Pipeline(["Call", "Offer"], won="Won", lost="Lost")
RECORDS = [
    {"deal": "A", "stage": "Call", "time": "2024-01-01", "owner": "ann", "amount": None},
    {"deal": "A", "stage": "Won", "time": "2024-01-05T12:00:00", "owner": "ann", "amount": 10},
    {"deal": "B", "stage": "Call", "time": "2024-01-02", "owner": "bob", "amount": None},
    {"deal": "B", "stage": "Offer", "time": "2024-01-03", "owner": "bob", "amount": 7.5},
]


def test_unknown_label_names_row_and_column_or_is_dropped_and_counted() -> None:
    bad = [*RECORDS, {"deal": "C", "stage": "Demo", "time": "2024-01-04"}]
    with pytest.raises(FunnelDataError, match=r"row 4, column 'stage': unknown label 'Demo'"):
        DealLog.from_records(bad, P)
    log = DealLog.from_records(bad, P, drop_unknown=True)
    assert log.dropped == 1
    assert len(log) == 4
    assert "dropped=1" in repr(log)


def test_unparsable_and_missing_timestamps_and_ids() -> None:
    bad = [*RECORDS[:2], {"deal": "C", "stage": "Call", "time": "31/01/2024"}]
    with pytest.raises(FunnelDataError, match=r"row 2, column 'time': unparsable timestamp"):
        DealLog.from_records(bad, P)
    bad = [*RECORDS[:2], {"deal": "C", "stage": "Call", "time": ""}]
    with pytest.raises(FunnelDataError, match=r"row 2, column 'time': missing timestamp"):
        DealLog.from_records(bad, P)
    bad = [*RECORDS[:2], {"deal": None, "stage": "Call", "time": "2024-01-01"}]
    with pytest.raises(FunnelDataError, match=r"row 2, column 'deal': missing deal id"):
        DealLog.from_records(bad, P)
    bad = [*RECORDS[:1], {"deal": "C", "stage": "Won", "time": "2024-01-03", "amount": "-5"}]
    with pytest.raises(FunnelDataError, match=r"row 1, column 'amount'"):
        DealLog.from_records(bad, P, amount="amount")


def test_csv_errors_name_the_file_line(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text("deal,stage,time\nA,Call,2024-01-01\nA,Won,not a date\n", encoding="utf-8")
    with pytest.raises(FunnelDataError, match=r"line 3, column 'time'"):
        DealLog.from_csv(path, P)
    path.write_text("id,label,at\nA,Call,2024-01-01\nA,Won,2024-01-04\n", encoding="utf-8")
    log = DealLog.from_csv(path, P, deal="id", stage="label", time="at")
    assert closed_funnel(log).won == 1
    with pytest.raises(FunnelDataError, match="no column 'deal'"):
        DealLog.from_csv(path, P)


def test_columns_accept_integer_codes_and_check_their_range() -> None:
    cols = {
        "deal": np.array([5, 5, 9]),
        "stage": np.array([0, 2, 1]),
        "time": np.array(["2024-01-01", "2024-01-02", "2024-01-03"], dtype="datetime64[s]"),
    }
    log = DealLog.from_columns(cols, P)
    assert log.deal_ids.tolist() == [5, 9]
    assert [P.labels[c] for c in log.code] == ["Call", "Won", "Offer"]
    cols["stage"] = np.array([0, 7, 1])
    with pytest.raises(FunnelDataError, match=r"row 1, column 'stage': label code 7"):
        DealLog.from_columns(cols, P)
    with pytest.raises(FunnelDataError, match="equal lengths"):
        DealLog.from_columns({**cols, "deal": np.array([1])}, P)


def test_time_keeps_second_resolution_and_timezones_become_utc() -> None:
    tz = dt.timezone(dt.timedelta(hours=3))
    recs = [
        {"deal": 1, "stage": "Call", "time": dt.datetime(2024, 1, 1, 3, 0, tzinfo=tz)},
        {"deal": 1, "stage": "Won", "time": dt.date(2024, 1, 2)},
    ]
    log = DealLog.from_records(recs, P)
    assert str(log.time[0]) == "2024-01-01T00:00:00"
    assert stage_durations(log).cycle.median_days == 1.0


def test_dataframe_constructors_agree_with_records() -> None:
    ref = closed_funnel(DealLog.from_records(RECORDS, P, owner="owner", amount="amount"))
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(RECORDS)
    frame["time"] = pd.to_datetime(frame["time"], format="ISO8601")
    log = DealLog.from_pandas(frame, P, owner="owner", amount="amount")
    assert closed_funnel(log).to_json() == ref.to_json()
    pl = pytest.importorskip("polars")
    log = DealLog.from_polars(pl.from_pandas(frame), P, owner="owner", amount="amount")
    assert closed_funnel(log).to_json() == ref.to_json()
    pa = pytest.importorskip("pyarrow")
    log = DealLog.from_arrow(pa.Table.from_pandas(frame), P, owner="owner", amount="amount")
    assert closed_funnel(log).to_json() == ref.to_json()
    assert list(ref.to_pandas().columns)[:2] == ["stage", "deals"]


def test_core_import_does_not_import_optional_packages() -> None:
    code = (
        "import sys, salesfunnel; "
        "bad = [m for m in ('pandas', 'polars', 'pyarrow', 'duckdb') if m in sys.modules]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    src = str(Path(__file__).resolve().parents[2] / "src")
    done = subprocess.run(
        [sys.executable, "-c", code], env={"PYTHONPATH": src}, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


# -- wide form ------------------------------------------------------------------------
W = Pipeline(["Lead", "Meeting", "Offer"], won="Won", lost="Lost")
WIDE = {
    "deal": "id",
    "stage_dates": {"Lead": "lead", "Meeting": "meet", "Offer": "offer"},
    "outcome": "status",
    "outcome_date": "closed",
}


def wide_row(i: str, lead: str, meet: str, offer: str, status: str, closed: str) -> dict[str, str]:
    return {"id": i, "lead": lead, "meet": meet, "offer": offer, "status": status, "closed": closed}


def test_wide_blank_stage_date_counts_as_reached_with_unknown_time() -> None:
    rows = [
        wide_row("1", "2024-01-01", "", "2024-01-05", "Won", "2024-01-09"),
        wide_row("2", "2024-01-02", "2024-01-04", "", "Lost", "2024-01-06"),
        wide_row("3", "2024-01-03", "", "", "Meeting", ""),
    ]
    log = DealLog.from_wide(rows, W, **WIDE)  # type: ignore[arg-type]
    classic = closed_funnel(log, mode="classic")
    # Deal 1 has a blank Meeting cell but a dated Offer: classic mode counts only
    # what the export records, cumulative mode counts the skipped stage as passed.
    assert classic.funnel.counts.tolist() == [2, 1, 1, 1]
    assert closed_funnel(log).funnel.counts.tolist() == [2, 2, 1, 1]
    # Deal 3 is open at Meeting with no date: reached, time unknown.
    af = active_funnel(log)
    assert af.funnel.counts.tolist() == [0, 1, 0]
    snap = active_funnel(log, as_of="2024-01-10")
    assert snap.unknown_time_deals == 1
    assert snap.started == 2
    # Deal 3's Meeting lies after its 01-03 lead date: before 01-03 it is surely not there.
    early = active_funnel(log, as_of="2024-01-02T12:00")
    assert early.unknown_time_deals == 0
    assert early.funnel.counts.tolist() == [2, 0, 0]
    ttc = time_to_close(log, as_of="2024-01-10")
    assert ttc.unknown_time == 1


def test_wide_undated_outcome_makes_cycle_time_unknown_but_counts() -> None:
    rows = [
        wide_row("1", "2024-01-01", "2024-01-02", "", "Won", ""),
        wide_row("2", "2024-01-01", "", "", "Lost", "2024-01-03"),
    ]
    log = DealLog.from_wide(rows, W, **WIDE)  # type: ignore[arg-type]
    cf = closed_funnel(log)
    assert (cf.won, cf.lost) == (1, 1)
    assert cf.cycle.count == 1
    assert cf.cycle.unknown == 1
    assert cf.durations.stage("Meeting").unknown == 1
    # With a period the undated win cannot be placed: left out and reported.
    cf = closed_funnel(log, start="2024-01-01", end="2024-02-01")
    assert (cf.won, cf.lost, cf.unknown_time_deals) == (0, 1, 1)


def test_wide_errors_name_rows_and_columns() -> None:
    rows = [
        wide_row("1", "2024-01-01", "", "", "Lead", ""),
        wide_row("1", "2024-01-01", "", "", "Lead", ""),
    ]
    with pytest.raises(FunnelDataError, match=r"row 1, column 'id': duplicate deal id '1'.*row 0"):
        DealLog.from_wide(rows, W, **WIDE)  # type: ignore[arg-type]
    rows = [wide_row("1", "2024-01-05", "2024-01-02", "", "", "")]
    with pytest.raises(FunnelDataError, match=r"row 0, column 'meet'.*before"):
        DealLog.from_wide(rows, W, **WIDE)  # type: ignore[arg-type]
    rows = [wide_row("1", "2024-01-01", "", "2024-01-03", "Meeting", "")]
    with pytest.raises(FunnelDataError, match=r"row 0, column 'offer'.*open at 'Meeting'"):
        DealLog.from_wide(rows, W, **WIDE)  # type: ignore[arg-type]
    rows = [wide_row("1", "2024-01-01", "", "", "Paused", ""), wide_row("2", "", "", "", "", "")]
    with pytest.raises(FunnelDataError, match=r"row 0, column 'status': unknown label 'Paused'"):
        DealLog.from_wide(rows, W, **WIDE)  # type: ignore[arg-type]
    log = DealLog.from_wide(rows, W, drop_unknown=True, **WIDE)  # type: ignore[arg-type]
    assert log.dropped == 1
    # A row with nothing at all sits at the first stage, time unknown.
    assert active_funnel(log).funnel.counts.tolist() == [1, 0, 0]


def test_wide_reads_a_csv_path(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    path.write_text(
        "id,lead,meet,offer,status,closed\n1,2024-01-01,,,Won,2024-01-04\n2,2024-01-01,,,Lost,bad\n",
        encoding="utf-8",
    )
    with pytest.raises(FunnelDataError, match=r"line 3, column 'closed'"):
        DealLog.from_wide(path, W, **WIDE)  # type: ignore[arg-type]


# -- receivables ------------------------------------------------------------------------
def test_receivables_buckets_at_their_boundaries() -> None:
    as_of = dt.date(2024, 6, 30)
    overdue_days = [0, 1, 30, 31, 60, 61, 90, 91, -5]
    invoices = [
        {"customer": f"c{d}", "amount": 100 + d, "due": as_of - dt.timedelta(days=d)}
        for d in overdue_days
    ]
    aging = receivables_aging(invoices, as_of)
    assert aging.buckets.to_records() == [
        {"bucket": "current", "invoices": 2, "outstanding": 100.0 + 95.0},
        {"bucket": "1-30", "invoices": 2, "outstanding": 101.0 + 130.0},
        {"bucket": "31-60", "invoices": 2, "outstanding": 131.0 + 160.0},
        {"bucket": "61-90", "invoices": 2, "outstanding": 161.0 + 190.0},
        {"bucket": "90+", "invoices": 1, "outstanding": 191.0},
    ]
    assert aging.invoices.column("key")[0] == "c91"
    json.loads(aging.to_json())


def test_receivables_count_only_payments_made_by_as_of() -> None:
    invoices = [
        {
            "customer": "a",
            "amount": 100,
            "due": "2024-01-01",
            "paid": 100,
            "paid_date": "2024-02-01",
        },
        {"customer": "b", "amount": 100, "due": "2024-01-01", "paid": 40, "paid_date": ""},
        {
            "customer": "c",
            "amount": 100,
            "due": "2024-01-01",
            "paid": 100,
            "paid_date": "2024-01-10",
        },
    ]
    aging = receivables_aging(invoices, "2024-01-15")
    # a: paid after as_of -> 100 outstanding; b: 60; c: settled.
    assert aging.invoices.column("outstanding") == [100.0, 60.0]
    assert (aging.settled, aging.total, aging.overdue) == (1, 160.0, 160.0)
    with pytest.raises(FunnelDataError, match=r"row 0, column 'due'"):
        receivables_aging([{"customer": "x", "amount": 1, "due": "soon"}], "2024-01-15")
    with pytest.raises(FunnelDataError, match=r"row 0, column 'amount'"):
        receivables_aging([{"customer": "x", "amount": -1, "due": "2024-01-01"}], "2024-01-15")


def test_receivables_report_an_overpayment_as_a_credit() -> None:
    # Hand example: 100 paid on 80 is settled with 20 over; 30 paid on 30 settles with
    # nothing over; 50 paid on 120 leaves 70 owed, 15 days overdue on 2024-03-01.
    invoices = [
        {"customer": "a", "amount": 80, "due": "2024-01-01", "paid": 100},
        {"customer": "b", "amount": 30, "due": "2024-01-01", "paid": 30},
        {"customer": "c", "amount": 120, "due": "2024-02-15", "paid": 50},
    ]
    aging = receivables_aging(invoices, "2024-03-01")
    assert (aging.settled, aging.overpaid, aging.credit, aging.total) == (2, 1, 20.0, 70.0)
    assert aging.invoices.column("days_overdue") == [15]
    assert json.loads(aging.to_json())["credit"] == 20.0
    assert str(aging).endswith("paid beyond the amount: 1 invoice, credit 20")
    # A payment after as_of does not count: no credit yet.
    later = [{"customer": "a", "amount": 80, "due": "2024-01-01", "paid": 100,
              "paid_date": "2024-04-01"}]  # fmt: skip
    assert receivables_aging(later, "2024-03-01").credit == 0.0


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 500), st.integers(0, 500), st.integers(-40, 40), st.booleans()),
        max_size=12,
    )
)
def test_receivables_balance_owed_less_credit_equals_amounts_less_payments(
    rows: list[tuple[int, int, int, bool]],
) -> None:
    """What is owed less what was paid over = every amount less every payment counted."""
    as_of = dt.date(2024, 6, 1)
    invoices = [
        {"customer": f"c{i}", "amount": amount, "due": as_of - dt.timedelta(days=lag),
         "paid": paid, "paid_date": as_of + dt.timedelta(days=1) if late else as_of}
        for i, (amount, paid, lag, late) in enumerate(rows)
    ]  # fmt: skip
    aging = receivables_aging(invoices, as_of)
    counted = sum(p for _, p, _, late in rows if not late)
    assert aging.total - aging.credit == sum(a for a, *_ in rows) - counted
    assert aging.overpaid == sum(1 for a, p, _, late in rows if not late and p > a)
    assert aging.settled + len(aging.invoices) == len(rows)


def test_big_log_fast_paths_leave_the_callers_arrays_alone() -> None:
    deal = np.array([10, 10, 12])
    code = np.array([0, 2, 0], dtype=np.int8)
    owner = np.array([0, 0, 1], dtype=np.int16)
    time = np.array(["2024-01-01", "2024-01-03", "2024-01-02"], dtype="datetime64[s]")
    cols = {"deal": deal, "stage": code, "time": time, "owner": owner}
    log = DealLog.from_columns(cols, P, owner="owner")
    assert code.flags.writeable
    assert owner.flags.writeable
    assert time.flags.writeable
    assert not log.code.flags.writeable
    assert log.owners == ("0", "1")
    assert log.deal_ids.tolist() == [10, 12]
    # The caller's writable arrays are not kept: a later write to them must not change
    # the log (tests/test_no_aliasing.py). Arrow's immutable columns are kept uncopied.
    assert not np.shares_memory(log.deal, deal)
    assert not np.shares_memory(log.time, time)
    deal[:] = 0
    assert log.deal_ids.tolist() == [10, 12]
    assert closed_funnel(log, by="owner")["0"].funnel["Won"].data.tolist() == [10]


def test_deals_left_out_for_unknown_times_are_counted_per_owner() -> None:
    rows = [
        {**wide_row("1", "2024-01-01", "", "", "Won", ""), "who": "ann"},
        {**wide_row("2", "", "", "", "Meeting", ""), "who": "bob"},
        {**wide_row("3", "2024-01-02", "", "", "Lost", "2024-01-05"), "who": "bob"},
    ]
    log = DealLog.from_wide(rows, W, owner="who", **WIDE)  # type: ignore[arg-type]
    team = active_funnel(log, as_of="2024-01-10")
    per_owner = active_funnel(log, as_of="2024-01-10", by="owner")
    # Deal 1's win and deal 2's Meeting have no date: neither can be placed at 01-10.
    assert team.unknown_time_deals == 2
    assert {o: r.unknown_time_deals for o, r in per_owner.items()} == {"ann": 1, "bob": 1}
    assert per_owner["bob"].lost == 1
    closed = closed_funnel(log, start="2024-01-01", by="owner")
    # Deal 1 won at an unknown time after its 01-01 lead: surely after start, so it counts.
    assert (closed["ann"].won, closed["ann"].unknown_time_deals) == (1, 0)
    assert (closed["bob"].lost, closed["bob"].unknown_time_deals) == (1, 0)
    ttc = time_to_close(log, as_of="2024-01-10", by="owner")
    assert ttc["ann"].unknown_time == 1  # its undated win may fall after 01-10
    assert ttc["bob"].unknown_time == 1  # deal 2 cannot be placed


# -- issue 10: no silent wrong numbers while loading --------------------------------------
def _won_and_open(n_labels: int) -> tuple[float, float]:
    """A pipeline of ``n_labels`` labels; deal 1 won from the last stage, deal 2 open there."""
    p = Pipeline([f"s{i}" for i in range(n_labels - 2)], won="W", lost="L")
    last = f"s{n_labels - 3}"
    recs = [
        {"deal": 1, "stage": last, "time": "2024-01-01"},
        {"deal": 1, "stage": "W", "time": "2024-01-02"},
        {"deal": 2, "stage": last, "time": "2024-01-01"},
    ]
    log = DealLog.from_records(recs, p)
    won = closed_funnel(log).funnel.counts[-1]
    still_open = active_funnel(log, as_of="2024-02-01").funnel.counts[-1]
    return float(won), float(still_open)


def test_label_codes_do_not_wrap_at_the_pipeline_limit() -> None:
    # 127 labels: the most a pipeline holds; one won deal and one open deal, counted right.
    assert _won_and_open(127) == (1.0, 1.0)
    for n in (128, 129, 130, 255, 256):
        with pytest.raises(FunnelDataError, match="at most 127 labels") as info:
            _won_and_open(n)
        assert info.value.value == n


MIXED = [
    {"deal": 1, "stage": "Call", "time": "2024-01-02T10:00:00"},
    {"deal": 1, "stage": "Won", "time": "2024-01-02T10:30:00+05:00"},
]


def test_mixed_naive_and_offset_times_are_refused_unless_tz_is_given(tmp_path: Path) -> None:
    with pytest.raises(FunnelDataError, match="pass tz=") as info:
        DealLog.from_records(MIXED, P)
    assert (info.value.index, info.value.column) == (1, "time")
    path = tmp_path / "mixed.csv"
    path.write_text(
        "deal,stage,time\n1,Call,2024-01-02T10:00:00\n1,Won,2024-01-02T10:30:00+05:00\n"
    )
    with pytest.raises(FunnelDataError, match="pass tz=") as info:
        DealLog.from_csv(path, P)
    assert info.value.line == 3
    # With a zone, naive times are read in it: 10:00 in Kolkata is 04:30 UTC, the Won at 05:30.
    log = DealLog.from_records(MIXED, P, tz="Asia/Kolkata")
    assert [str(t) for t in log.time] == ["2024-01-02T04:30:00", "2024-01-02T05:30:00"]
    assert closed_funnel(log).won == 1
    # The same through columns and the wide form (its date columns are one input).
    cols = {k: np.array([r[k] for r in MIXED], dtype=object) for k in MIXED[0]}
    with pytest.raises(FunnelDataError, match="pass tz="):
        DealLog.from_columns(cols, P)
    wide = [{"id": 1, "call": "2024-01-02T10:00:00", "won": "2024-01-02T10:30:00+05:00"}]
    kw: dict[str, Any] = {"deal": "id", "stage_dates": {"Call": "call", "Won": "won"}}
    with pytest.raises(FunnelDataError, match="pass tz="):
        DealLog.from_wide(wide, P, **kw)
    assert DealLog.from_wide(wide, P, tz="Asia/Kolkata", **kw).time.tolist() == [
        dt.datetime(2024, 1, 2, 4, 30),
        dt.datetime(2024, 1, 2, 5, 30),
    ]


def test_offset_times_alone_become_utc_and_bad_zones_are_refused() -> None:
    recs = [{**MIXED[1], "stage": "Call"}, {**MIXED[1], "stage": "Won"}]
    assert str(DealLog.from_records(recs, P).time[0]) == "2024-01-02T05:30:00"
    with pytest.raises(FunnelDataError, match="unknown time zone") as info:
        DealLog.from_records(recs, P, tz="Mars/Olympus")
    assert info.value.column == "tz"


@pytest.mark.parametrize("engine", ["python", "arrow"])
def test_a_utc_suffix_reads_as_offset_zero(tmp_path: Path, engine: str) -> None:
    # "2019-10-01 00:00:00 UTC" (BigQuery, the REES46 export) means +00:00: the same
    # instants as the ISO forms with Z and +00:00, and mixing with naive times is refused.
    pytest.importorskip("pyarrow") if engine == "arrow" else None
    texts = ["2024-01-02 05:30:00 UTC", "2024-01-02T05:30:00Z", "2024-01-02T07:30:00+02:00"]
    for text in texts:
        path = tmp_path / "utc.csv"
        path.write_text(f"deal,stage,time\n1,Call,{text}\n1,Won,2024-01-03 00:00:00 UTC\n")
        log = DealLog.from_csv(path, P, engine=engine)  # type: ignore[arg-type]
        assert [str(t) for t in log.time] == ["2024-01-02T05:30:00", "2024-01-03T00:00:00"]
    path.write_text("deal,stage,time\n1,Call,2024-01-02 05:30:00 UTC\n1,Won,2024-01-03 00:00:00\n")
    with pytest.raises(FunnelDataError, match="pass tz="):
        DealLog.from_csv(path, P, engine=engine)  # type: ignore[arg-type]
    path.write_text("deal,stage,time\n1,Call,2024-01-02 UTC\n")  # no time of day: not ISO
    with pytest.raises(FunnelDataError, match="not an ISO 8601"):
        DealLog.from_csv(path, P, engine=engine)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("cell", "decimal", "expected"),
    [
        ("1,234,567.5", ".", 1234567.5),
        ("1.234,56", ",", 1234.56),
        ("1,5", ",", 1.5),
        ("1200", ".", 1200.0),
    ],
)
def test_amounts_with_separators_read_only_when_unambiguous(
    tmp_path: Path, cell: str, decimal: str, expected: float
) -> None:
    path = tmp_path / "a.csv"
    path.write_text(f'deal,stage,time,amount\n1,Call,2024-01-01,"{cell}"\n')
    log = DealLog.from_csv(path, P, amount="amount", decimal=decimal)
    assert log.amount is not None
    assert log.amount.tolist() == [expected]


@pytest.mark.parametrize("cell", ["1,5", "1.234,56", "12,34"])
def test_comma_decimals_are_refused_without_decimal_comma(tmp_path: Path, cell: str) -> None:
    path = tmp_path / "a.csv"
    path.write_text(f'deal,stage,time,amount\n1,Call,2024-01-01,"{cell}"\n')
    with pytest.raises(FunnelDataError, match="decimal=','") as info:
        DealLog.from_csv(path, P, amount="amount")
    assert (info.value.line, info.value.column, info.value.value) == (2, "amount", cell)
    rec = [{"deal": 1, "stage": "Call", "time": "2024-01-01", "amount": cell}]
    with pytest.raises(FunnelDataError, match="decimal=','"):
        DealLog.from_records(rec, P, amount="amount")
    inv = [{"customer": "A", "amount": cell, "due": "2024-01-01"}]
    with pytest.raises(FunnelDataError, match="decimal=','") as info:
        receivables_aging(inv, "2024-02-01")
    assert (info.value.index, info.value.column, info.value.value) == (0, "amount", cell)


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("deal,stage,time\n1,Call,2024-01-01,1,200\n", 2, "3 cells"),
        ("deal,stage,deal,time\n1,Call,2,2024-01-01\n", 1, "names column 'deal' twice"),
        ('deal,stage,time\n1,Call,2024-01-01\n2,"Call\n', 3, "ends inside a quoted cell"),
    ],
)
def test_malformed_csv_is_a_located_error(
    tmp_path: Path, text: str, line: int, fragment: str
) -> None:
    path = tmp_path / "m.csv"
    path.write_text(text)
    with pytest.raises(FunnelDataError) as info:
        DealLog.from_csv(path, P)
    assert fragment.split()[0] in str(info.value)
    assert fragment in str(info.value) or fragment == "3 cells"
    assert (info.value.source, info.value.line) == (str(path), line)


def test_twenty_digit_unsigned_ids_stay_exact() -> None:
    ids = np.array([18446744073709551615, 18446744073709551614], dtype=np.uint64)
    cols = {"deal": ids, "stage": np.array([0, 0]), "time": np.array(["2024-01-01"] * 2, "M8[s]")}
    log = DealLog.from_columns(cols, P)
    assert sorted(int(v) for v in log.deal_ids) == [18446744073709551614, 18446744073709551615]
    recs = [{"deal": 10**30, "stage": "Call", "time": "2024-01-01"}]
    assert [int(v) for v in DealLog.from_records(recs, P).deal_ids] == [10**30]


def test_latin1_bytes_name_line_and_file_offset(tmp_path: Path) -> None:
    good = "1,Call,2024-01-01\n" * 200_000  # 3.6 MB: the bad byte sits far past any read chunk
    head = "deal,stage,time\n" + good
    path = tmp_path / "l.csv"
    path.write_bytes(head.encode() + "2,Caf\xe9,2024-01-01\n".encode("latin-1"))
    with pytest.raises(FunnelDataError, match="not valid utf-8") as info:
        DealLog.from_csv(path, P)
    offset = len(head.encode()) + len("2,Caf")
    assert f"byte offset {offset} " in str(info.value)
    assert info.value.line == 200_002


def test_bom_nul_and_oversized_cells(tmp_path: Path) -> None:
    path = tmp_path / "b.csv"
    path.write_bytes(b"\xef\xbb\xbfdeal,stage,time\n1,Call,2024-01-01\n")
    assert len(DealLog.from_csv(path, P)) == 1
    path.write_bytes(b"deal,stage,time\n1,Call,2024-01-01\n" + b"\0" * 5_000_000)
    with pytest.raises(FunnelDataError, match="NUL") as info:
        DealLog.from_csv(path, P)
    assert info.value.line == 3
    path.write_text("deal,stage,time\n1," + "x" * 200_000 + ",2024-01-01\n")
    with pytest.raises(FunnelDataError, match="longer than 131,072") as info:
        DealLog.from_csv(path, P)
    assert info.value.line == 2


def test_records_given_as_tuples_are_a_clear_error() -> None:
    with pytest.raises(FunnelDataError, match="must be a mapping") as info:
        DealLog.from_records([(1, "Call", "2024-01-01")], P)  # type: ignore[list-item]
    assert info.value.index == 0
    with pytest.raises(FunnelDataError, match="must be a mapping"):
        receivables_aging([("A", 1, "2024-01-01")], "2024-02-01")  # type: ignore[list-item]


def test_from_csv_reads_file_objects_and_date_formats(tmp_path: Path) -> None:
    import io

    text = "deal;stage;time\n1;Call;02/01/2024\n1;Won;05/01/2024\n"
    log = DealLog.from_csv(io.StringIO(text), P, delimiter=";", date_format="%d/%m/%Y")
    assert [str(t)[:10] for t in log.time] == ["2024-01-02", "2024-01-05"]
    log2 = DealLog.from_csv(io.BytesIO(text.encode()), P, delimiter=";", date_format="%d/%m/%Y")
    assert log2.time.tolist() == log.time.tolist()


def test_csv_lines_count_quoted_line_breaks_and_crlf(tmp_path: Path) -> None:
    path = tmp_path / "q.csv"
    body = 'deal,stage,time,note\r\n1,Call,2024-01-01,"two\r\nlines"\r\n\r\n2,Demo,2024-01-02,x\r\n'
    path.write_bytes(body.encode())
    with pytest.raises(FunnelDataError, match="unknown label 'Demo'") as info:
        DealLog.from_csv(path, P)
    assert info.value.line == 5  # header 1, the quoted cell spans 2-3, a blank line 4
    # A CRLF split across the reader's 64 KiB chunks still ends one line.
    pad = "x" * (65536 - len("deal,stage,time,note\r\n") - len("1,Call,2024-01-01,") - 1)
    path.write_bytes(
        f"deal,stage,time,note\r\n1,Call,2024-01-01,{pad}\r\n2,Demo,2024-01-02,y\r\n".encode()
    )
    with pytest.raises(FunnelDataError, match="unknown label 'Demo'") as info:
        DealLog.from_csv(path, P)
    assert info.value.line == 3


def test_header_is_checked_before_the_body_and_progress_is_reported(tmp_path: Path) -> None:
    from salesfunnel._csvio import read_csv

    path = tmp_path / "h.csv"
    # A missing column is reported before a bad byte below the header.
    path.write_bytes(b"deal,stage\n" + b"1,Call\n" * 10 + b"\xff\0")
    with pytest.raises(FunnelDataError, match="no column 'time'"):
        DealLog.from_csv(path, P)
    path.write_bytes(b"a,b\n" + b"1,2\n" * 50_000)
    seen: list[tuple[int, int | None]] = []
    table = read_csv(path, ["b"], progress=lambda done, total: seen.append((done, total)))
    assert len(table.columns["b"]) == 50_000
    assert seen[-1] == (path.stat().st_size, path.stat().st_size)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_zone_aware_table_columns_become_utc() -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(
        {
            "deal": [1, 1],
            "stage": ["Call", "Won"],
            "time": pd.to_datetime(["2024-01-02T10:00:00+05:00", "2024-01-03T10:00:00+05:00"]),
        }
    )
    expected = ["2024-01-02T05:00:00", "2024-01-03T05:00:00"]
    assert [str(t) for t in DealLog.from_pandas(frame, P).time] == expected
    pa = pytest.importorskip("pyarrow")
    table = pa.Table.from_pandas(frame)
    assert [str(t) for t in DealLog.from_arrow(table, P).time] == expected
    # An aware column is UTC already: tz= (for naive times) leaves it alone.
    assert [str(t) for t in DealLog.from_arrow(table, P, tz="Asia/Kolkata").time] == expected
    pl = pytest.importorskip("polars")
    assert [str(t) for t in DealLog.from_polars(pl.from_arrow(table), P).time] == expected


def test_wide_csv_takes_the_same_options_as_from_csv(tmp_path: Path) -> None:
    path = tmp_path / "w.csv"
    path.write_text("id;call;won;value\nA;02/01/2024;05/01/2024;1.234,5\nB;03/01/2024;;7\n")
    seen: list[int] = []
    log = DealLog.from_wide(
        path,
        P,
        deal="id",
        stage_dates={"Call": "call", "Won": "won"},
        amount="value",
        delimiter=";",
        decimal=",",
        date_format="%d/%m/%Y",
        progress=lambda done, _total: seen.append(done),
    )
    assert [str(t)[:10] for t in log.time] == ["2024-01-02", "2024-01-05", "2024-01-03"]
    assert log.amount is not None
    assert np.nan_to_num(log.amount).tolist() == [0.0, 1234.5, 7.0]
    assert seen[-1] == path.stat().st_size


_cells = st.text(alphabet=st.sampled_from('ab,"\n\r; \x0c\u2028é'), max_size=6)


@settings(max_examples=150, deadline=None)
@given(
    rows=st.lists(st.lists(_cells, min_size=3, max_size=3), max_size=12),
    ending=st.sampled_from(["\n", "\r\n", "\r"]),
    blanks=st.sets(st.integers(0, 12), max_size=3),
)
def test_csv_reader_agrees_with_the_csv_module(
    tmp_path_factory: pytest.TempPathFactory, rows: list[list[str]], ending: str, blanks: set[int]
) -> None:
    """Cells and line numbers of the one reader match csv.reader on open(newline='')."""
    import csv
    import io

    from salesfunnel._csvio import read_csv

    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator=ending)
    writer.writerow(["a", "b", "c"])
    for i, row in enumerate(rows):
        if i in blanks:
            out.write(ending)
        writer.writerow(row)
    path = tmp_path_factory.mktemp("csv") / "p.csv"
    path.write_bytes(out.getvalue().encode())
    expected_cells, expected_lines = [], []
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        next(reader)
        for row in reader:
            if row:  # the one reader pads a short row with blank cells
                expected_cells.append(row + [""] * (3 - len(row)))
                expected_lines.append(reader.line_num)
    import salesfunnel._csvio as csvio

    batch = csvio._BATCH
    csvio._BATCH = 2  # rows are parsed in batches: make the test cross their edges
    try:
        table = read_csv(path, ["a", "b", "c"])
    finally:
        csvio._BATCH = batch
    got = [list(r) for r in zip(*table.columns.values(), strict=True)]
    assert got == expected_cells
    assert list(table.lines) == expected_lines


def test_integers_too_large_for_a_float_are_located_errors() -> None:
    for amount in (10**400, "1" + "0" * 400):
        rec = [{"deal": 1, "stage": "Call", "time": "2024-01-01", "amount": amount}]
        with pytest.raises(FunnelDataError) as info:
            DealLog.from_records(rec, P, amount="amount")
        assert (info.value.index, info.value.column, info.value.value) == (0, "amount", amount)


@pytest.mark.parametrize("flag", [True, np.bool_(False)])
def test_a_boolean_amount_is_refused_not_read_as_one(flag: object) -> None:
    pipe = Pipeline(["Call"], won="Won", lost="Lost")
    rows = [{"deal": "a", "stage": "Call", "time": "2024-01-01", "amount": flag}]
    with pytest.raises(
        FunnelDataError, match=r"amount is not a number \(got (True|np\.False_|False)\)"
    ):
        DealLog.from_records(rows, pipe, amount="amount")


# -- the CSV path converts batch by batch (#10): same log, same errors --------------
_CELLS = {
    "deal": ["A", "B", " C ", "10", "", "D1"],
    "stage": ["Call", "Offer", "Won", "Lost", " Call ", "Demo", ""],
    "time": [
        "2024-01-02",
        "2024-01-02T10:00:00",
        "20240102T103000",
        "2024-01-03 09:00:30.5",
        "2024-01-02T10:00:00+05:00",
        "2024-01-02T00:00:00Z",
        "31/01/2024",
        "",
    ],
    "owner": ["ann", " bob", "", "cy"],
    "amount": ["1", "2.5", "", "1,234.5", "1,5", "+nan", "nan", "inf", "-1", "1_000", "x"],
}


def _outcome(make: Any) -> tuple[Any, ...]:
    """A log's arrays, or its error's detail, column, value and record index."""
    try:
        log = make()
    except FunnelDataError as exc:
        return ("error", exc.detail, exc.column, repr(exc.value), exc.index)
    arrays = [getattr(log, name) for name in ("deal", "code", "time", "owner", "amount")]
    table = log.deal_ids.tolist()  # the table of ids, however the loader keeps it
    shown = [None if a is None else (a.dtype.str, a.tobytes()) for a in arrays]  # NaN == NaN
    return ("log", shown, table, log.owners, log.dropped, log.n_deals)


@st.composite
def _messy_rows(draw: st.DrawFn) -> list[dict[str, str]]:
    """Rows mostly of good cells, with a few hostile ones per column (or none)."""
    bad = {c: draw(st.sampled_from([0.0, 0.1, 0.5])) for c in _CELLS}
    n = draw(st.integers(0, 14))
    rows = []
    for _ in range(n):
        row = {}
        for c, cells in _CELLS.items():
            hostile = draw(st.floats(0, 1)) < bad[c]
            row[c] = draw(st.sampled_from(cells if hostile else cells[:2]))
        rows.append(row)
    return rows


@settings(max_examples=300, deadline=None)
@given(
    rows=_messy_rows(),
    batch=st.sampled_from([1, 2, 3, 5, 16384]),
    options=st.sampled_from(
        [
            {},
            {"owner": "owner", "amount": "amount"},
            {"owner": "owner", "amount": "amount", "drop_unknown": True},
            {"amount": "amount", "tz": "UTC"},
            {"amount": "amount", "decimal": ","},
        ]
    ),
)
def test_from_csv_equals_from_records_across_batch_boundaries(
    rows: list[dict[str, str]], batch: int, options: dict[str, Any]
) -> None:
    """Each batch is converted as it is read; the log, or the first error (in
    the whole-column order: labels, deal ids, times, amounts), is that of one
    pass over the same rows."""
    from unittest import mock

    from salesfunnel import _csvio

    text = io.StringIO()
    writer = csv.DictWriter(text, list(_CELLS), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    with mock.patch.object(_csvio, "_BATCH", batch):
        got = _outcome(lambda: DealLog.from_csv(io.StringIO(text.getvalue()), P, **options))
    assert got == _outcome(lambda: DealLog.from_records(rows, P, **options))


def _batched_file(tmp_path: Path, bad: dict[int, str], n: int = 20_000) -> Path:
    """``n`` good rows, with line ``k`` (header = line 1) replaced by ``bad[k]``."""
    rows = [
        f"D{i % 997},Call,2024-01-{1 + i % 28:02d}T10:00:00,o{i % 7},{i % 50}.5" for i in range(n)
    ]
    for line, row in bad.items():
        rows[line - 2] = row
    path = tmp_path / "deals.csv"
    path.write_text("deal,stage,time,owner,amount\n" + "\n".join(rows) + "\n")
    return path


@pytest.mark.parametrize(
    ("row", "column", "detail"),
    [
        ("D1,Call,31/01/2024,o1,1", "time", "unparsable timestamp"),
        ("D1,Call,,o1,1", "time", "missing timestamp"),
        ("D1,Demo,2024-01-02,o1,1", "stage", "unknown label 'Demo'"),
        (",Call,2024-01-02,o1,1", "deal", "missing deal id"),
        ('D1,Call,2024-01-02,o1,"1,5"', "amount", "amount is not a number"),
        ("D1,Call,2024-01-02,o1,-3", "amount", "amount must be finite and >= 0"),
        (
            "D1,Call,2024-01-02T10:00:00+05:00,o1,1",
            "time",
            r"unparsable timestamp \(a time with a UTC offset among",
        ),
    ],
)
def test_a_bad_cell_in_a_later_batch_is_reported_at_its_line(
    tmp_path: Path, row: str, column: str, detail: str
) -> None:
    path = _batched_file(tmp_path, {18_000: row})
    with pytest.raises(
        FunnelDataError, match=rf"deals.csv, line 18000, column '{column}': {detail}"
    ) as err:
        DealLog.from_csv(path, P, owner="owner", amount="amount")
    assert (err.value.line, err.value.index, err.value.column) == (18_000, 17_998, column)


def test_the_first_error_of_the_whole_file_wins_over_an_earlier_batch(tmp_path: Path) -> None:
    """Labels are checked before times over the whole column, and a malformed
    line anywhere comes before any cell: as when the file was read whole."""
    bad = {5: "D1,Call,31/01/2024,o1,1", 19_000: "D1,Demo,2024-01-02,o1,1"}
    with pytest.raises(FunnelDataError, match=r"line 19000, column 'stage': unknown label"):
        DealLog.from_csv(_batched_file(tmp_path, bad), P)
    bad = {5: "D1,Call,,o1,1", 19_000: "D1,Call,31/01/2024,o1,1"}  # unparsable before blank
    with pytest.raises(FunnelDataError, match=r"line 19000, column 'time': unparsable"):
        DealLog.from_csv(_batched_file(tmp_path, bad), P)
    bad = {5: "D1,Demo,2024-01-02,o1,1", 19_500: "D1,Call,2024-01-02,o1,1,200"}
    with pytest.raises(FunnelDataError, match=r"line 19500: 6 cells in a row under a header of 5"):
        DealLog.from_csv(_batched_file(tmp_path, bad), P)
    # A signed NaN passes float() but not the cell-by-cell reading that "1,234.5" forces.
    bad = {5: "D1,Call,2024-01-02,o1,+nan", 19_000: 'D1,Call,2024-01-02,o1,"1,234.5"'}
    with pytest.raises(FunnelDataError, match=r"line 5, column 'amount': amount is not a number"):
        DealLog.from_csv(_batched_file(tmp_path, bad), P, amount="amount")


@pytest.mark.parametrize("batch", [1, 2, 3, 16384])
def test_lines_stay_right_across_batches_after_blank_lines_and_quoted_breaks(batch: int) -> None:
    """Line 3 is blank and row 2 spans lines 4-5, so the bad time on line 7 is record 3."""
    from unittest import mock

    from salesfunnel import _csvio

    text = 'deal,stage,time\nA,Call,2024-01-02\n\n"B\nx",Call,2024-01-02\nC,Call,2024-01-02\nD,Call,x\n'
    with (
        mock.patch.object(_csvio, "_BATCH", batch),
        pytest.raises(FunnelDataError, match=r"<file>, line 7, column 'time': unparsable") as err,
    ):
        DealLog.from_csv(io.StringIO(text), P)
    assert (err.value.line, err.value.index) == (7, 3)
    with mock.patch.object(_csvio, "_BATCH", batch):
        log = DealLog.from_csv(io.StringIO(text.replace(",x\n", ",2024-01-03\n")), P)
    assert log.deal_ids.tolist() == ["A", "B\nx", "C", "D"]
