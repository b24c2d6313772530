"""One number format per printed result: the summary lines group thousands as the tables do."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from pathlib import Path

from salesfunnel import DealLog, Pipeline, active_funnel, closed_funnel, cohort_funnel

PIPELINE = Pipeline(["Lead", "Demo"], won="Won", lost="Lost")
T0 = dt.datetime(2024, 1, 1)


def _deal_rows(i: int) -> list[dict[str, object]]:
    # Deals 0-1,199 are won three days after entering; the other 300 stay open at Demo.
    last = "Won" if i < 1200 else "Demo"
    return [
        {"deal": f"d{i}", "stage": "Lead", "time": T0},
        {"deal": f"d{i}", "stage": last, "time": T0 + dt.timedelta(days=3)},
    ]


def _log() -> DealLog:
    # 1,500 deals: 1,200 won, 300 still open at Demo (counts chosen by hand).
    return DealLog.from_records([r for i in range(1500) for r in _deal_rows(i)], PIPELINE)


def test_summaries_group_thousands_like_their_tables() -> None:
    log = _log()
    closed = str(closed_funnel(log)).splitlines()[-1]
    assert closed.startswith("1,200 closed deals: 1,200 won, 0 lost")
    cohort = str(cohort_funnel(log)).splitlines()[-1]
    assert cohort.startswith("1,500 deals entered: 1,200 won, 0 lost, 300 open")
    active = str(active_funnel(log, as_of=T0 + dt.timedelta(days=1))).splitlines()[-1]
    assert active.startswith("1,500 open deals as of")
    # No four-digit count without its separator anywhere in the three texts.
    for text in (closed, cohort, active):
        assert not re.search(r"(?<![\d,.])\d{4,}(?![\d-])", text), text


def test_event_funnel_and_cli_summaries_group_thousands(tmp_path: Path) -> None:
    from salesfunnel import EventLog, event_funnel
    from salesfunnel.cli.main import main

    # 1,500 users view; the first 1,200 buy a minute later (counts chosen by hand).
    rows = [{"user": f"u{i}", "event": "view", "time": T0} for i in range(1500)]
    rows += [
        {"user": f"u{i}", "event": "buy", "time": T0 + dt.timedelta(minutes=1)} for i in range(1200)
    ]
    log = EventLog.from_records(rows, entity="user", event="event", time="time")
    text = str(event_funnel(log, ["view", "buy"], window=dt.timedelta(hours=1)))
    assert "1,500 units entered, 1,200 completed (80.0%)" in text
    path = tmp_path / "deals.csv"
    lines = ["deal,stage,time"]
    for r in (r for i in range(1500) for r in _deal_rows(i)):
        lines.append(f"{r['deal']},{r['stage']},{r['time']:%Y-%m-%d}")
    path.write_text("\n".join(lines) + "\n")
    out = tmp_path / "out.txt"
    with out.open("w") as f, contextlib.redirect_stdout(f):
        main(["metrics", str(path), "--pipeline", "Lead,Demo"])
    printed = out.read_text()
    assert "whole cycle: median 3 d, mean 3 d, p90 3 d (1,200 deals)" in printed
    assert "300 open deals, 1,200 won, 0 lost, 0 frozen" in printed


def test_a_count_of_one_is_singular() -> None:
    """One deal: "1 closed deal", "1 deal entered", "1 open deal" (not "1 closed deals")."""
    won = DealLog.from_records(_deal_rows(0), PIPELINE)
    assert str(closed_funnel(won)).splitlines()[-1].startswith("1 closed deal: 1 won, 0 lost")
    assert str(cohort_funnel(won)).splitlines()[-1].startswith("1 deal entered: 1 won")
    open_one = DealLog.from_records(_deal_rows(1300), PIPELINE)
    text = str(active_funnel(open_one)).splitlines()[-1]
    assert text.startswith("1 open deal as of"), text
    from salesfunnel import EventLog, event_funnel

    events = EventLog.from_records(
        [{"entity": "u", "event": "view", "time": T0}, {"entity": "v", "event": "buy", "time": T0}]
    )
    ef = event_funnel(events, ["view", "buy"], window=dt.timedelta(days=1))
    assert "1 unit entered, 0 completed" in str(ef)
