"""The loader options of ``metrics`` and ``report``: ``--tz``, ``--decimal`` (issue 10), and
where an error in a file is said to be (the library's ``line`` is the CLI's row).

Run in-process through ``main``; the expected figures are worked out by hand in
the comments.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from salesfunnel.__main__ import main

MIXED = (
    "deal,stage,time\n"
    "D1,Call,2024-01-02T10:00:00\n"  # no offset: in which zone?
    "D1,Won,2024-01-02T18:30:00+05:00\n"  # 13:30 UTC
    "D2,Call,2024-01-03\n"  # a date alone mixes with either kind
)


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def _write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_mixed_time_zones_are_refused_without_tz(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = _write(tmp_path / "log.csv", MIXED)
    assert _run(capsys, "metrics", log, "--pipeline", "Call") == (
        2,
        "",
        f"salesfunnel: error: {log}, row 3, column 'time': unparsable timestamp (a time "
        "with a UTC offset among times without one (first '2024-01-02T10:00:00'); set --tz "
        "ZONE to give the zone of the times without an offset)\n",
    )


@pytest.mark.parametrize(
    ("zone", "hours"),
    [
        ("UTC", 3.5),  # Call 10:00 UTC, Won 13:30 UTC
        ("Asia/Kolkata", 9.0),  # Call 10:00 +05:30 = 04:30 UTC, Won 13:30 UTC
        ("Europe/Berlin", 4.5),  # Call 10:00 +01:00 (winter) = 09:00 UTC
    ],
)
def test_with_tz_the_times_without_offset_are_read_in_that_zone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], zone: str, hours: float
) -> None:
    log = _write(tmp_path / "log.csv", MIXED)
    status, out, err = _run(capsys, "metrics", log, "--pipeline", "Call", "--tz", zone, "--json")
    assert (status, err) == (0, "")
    closed = json.loads(out)["closed"]
    assert (closed["deals"], closed["won"]) == (1, 1)
    assert closed["cycle"]["median_days"] == pytest.approx(hours / 24)


NEW_YEAR = (
    "deal,stage,time,owner\n"
    "A,Call,2023-12-20 10:00,Ann\n"
    "A,Won,2024-01-01 00:30,Ann\n"  # Berlin: 23:30 UTC on 31 December
    "B,Call,2023-12-20 10:00,Bob\n"
    "B,Lost,2023-12-31 23:30,Bob\n"  # 22:30 UTC
    "C,Call,2024-01-05 10:00,Ann\n"
)


def test_tz_reads_start_and_end_in_the_zone_and_cuts_its_months(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # --start 2024-01-01 with --tz Europe/Berlin is Berlin's midnight (23:00 UTC): A's win
    # at 00:30 Berlin time is in the period, B's loss at 23:30 the evening before is not.
    # Read as UTC's midnight, the win (23:30 UTC) fell before the start.
    log = _write(tmp_path / "log.csv", NEW_YEAR)
    argv = ["metrics", log, "--pipeline", "Call", "--tz", "Europe/Berlin"]
    status, out, err = _run(capsys, *argv, "--start", "2024-01-01", "--period", "M", "--json")
    assert (status, err) == (0, "")
    got = json.loads(out)
    assert (got["closed"]["deals"], got["closed"]["won"], got["closed"]["lost"]) == (1, 1, 0)
    assert got["period"] == {
        "start": "2024-01-01T00:00:00+01:00", "end": None, "as_of": None, "tz": "Europe/Berlin",
    }  # fmt: skip
    assert [(r["period"], r["won"]) for r in got["trend"]["rows"]] == [("2024-01", 1)]
    assert got["trend"]["tz"] == "Europe/Berlin"
    # The monthly volume counts the win in Berlin's January (23:30 UTC on 31 December).
    months = {(r["owner"], r["month"]): r["won_deals"] for r in got["monthly_volume"]["rows"]}
    assert months == {("Ann", "2024-01"): 1, ("Bob", "2024-01"): 0}
    # --end too: Berlin's 1 January ends the period before A's win.
    status, out, _ = _run(capsys, *argv, "--end", "2024-01-01", "--json")
    got = json.loads(out)
    assert (got["closed"]["won"], got["closed"]["lost"]) == (0, 1)
    # The text names the zone of the period.
    status, out, _ = _run(capsys, *argv, "--start", "2024-01-01")
    assert "Closed deals (closed from 2024-01-01 on, Europe/Berlin time)" in out


def test_an_unknown_zone_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = _write(tmp_path / "log.csv", MIXED)
    assert _run(
        capsys, "report", log, "--pipeline", "Call", "-o", "r.html", "--tz", "Mars/Base"
    ) == (
        2,
        "",
        "salesfunnel: error: argument --tz: unknown time zone 'Mars/Base' (give an IANA name "
        "such as 'Europe/Berlin' or 'UTC') (try 'salesfunnel report --help')\n",
    )


COMMA = (
    "deal;stage;time;amount\n"
    "D1;Call;2026-01-02;1,5\n"
    "D1;Won;2026-01-05;1,5\n"
    "D2;Call;2026-01-03;1.234,56\n"
    "D2;Won;2026-01-04;1.234,56\n"
)


def test_comma_decimals_need_the_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = _write(tmp_path / "log.csv", COMMA)
    assert _run(capsys, "metrics", log, "--pipeline", "Call", "--delimiter", ";") == (
        2,
        "",
        f"salesfunnel: error: {log}, row 2, column 'amount': amount is not a number (got "
        "'1,5'; set --decimal , for a decimal comma)\n",
    )


def test_with_decimal_comma_the_amounts_load(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = _write(tmp_path / "log.csv", COMMA)
    argv = ["metrics", log, "--pipeline", "Call", "--delimiter", ";", "--decimal", ",", "--json"]
    status, out, _ = _run(capsys, *argv)
    assert status == 0
    closed = json.loads(out)["closed"]
    # Two won deals: 1,5 -> 1.5 and 1.234,56 -> 1234.56 (a full group of three).
    assert closed["stages"][-1]["amount"] == pytest.approx(1.5 + 1234.56)


def test_decimal_and_tz_reach_the_wide_form(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = _write(
        tmp_path / "wide.csv",
        "id;stage;engage;close;value\n"
        "A;Won;2024-01-02T10:00:00;2024-01-02T18:30:00+05:00;2,5\n"
        "B;Lost;2024-01-03;2024-01-04;\n",
    )
    argv = ["metrics", log, "--wide", "--pipeline", "Prospecting,Engaging", "--delimiter", ";"]
    argv += ["--deal-column", "id", "--stage-date", "Engaging=engage", "--outcome-column", "stage"]
    argv += ["--outcome-date-column", "close", "--amount-column", "value"]
    status, _, err = _run(capsys, *argv, "--tz", "UTC")
    assert (status, err) == (
        2,
        f"salesfunnel: error: {log}, row 2, column 'value': amount is not a number (got "
        "'2,5'; set --decimal , for a decimal comma)\n",
    )
    status, out, err = _run(capsys, *argv, "--decimal", ",")
    assert status == 2
    assert f"{log}, row 2, column 'close': " in err
    assert "set --tz ZONE" in err
    status, out, err = _run(capsys, *argv, "--decimal", ",", "--tz", "UTC", "--json")
    assert (status, err) == (0, "")
    closed = json.loads(out)["closed"]
    assert (closed["won"], closed["lost"]) == (1, 1)
    assert closed["stages"][-1]["amount"] == 2.5


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    lines=st.lists(
        st.sampled_from(["good", "blank", "quoted"]),
        max_size=12,
    ),
)
def test_the_row_of_an_error_is_its_line_in_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], lines: list[str]
) -> None:
    # Good rows, blank lines and rows whose quoted cell spans two lines, then an unknown
    # label: the row named is the bad row's (last) line, the header being row 1.
    text = ["deal,stage,time,note"]
    for i, kind in enumerate(lines):
        if kind == "blank":
            text.append("")
        elif kind == "good":
            text.append(f"D{i},Call,2026-01-02,x")
        else:
            text.append(f'D{i},Call,2026-01-02,"two\nlines"')
    text.append("D99,Demo,2026-01-03,x")
    body = "\n".join(text) + "\n"
    row = body.count("\n")  # the bad row ends the last line
    log = _write(tmp_path / "log.csv", body)
    assert _run(capsys, "metrics", log, "--pipeline", "Call") == (
        2,
        "",
        f"salesfunnel: error: {log}, row {row}, column 'stage': unknown label 'Demo'; the "
        "pipeline's labels are ['Call', 'Won', 'Lost'] (use --drop-unknown to drop such rows)\n",
    )
