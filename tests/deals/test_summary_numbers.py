"""One number format per printed result: the summary lines group thousands as the tables do."""

from __future__ import annotations

import datetime as dt
import re

from salesfunnel import DealLog, Pipeline, active_funnel, closed_funnel, cohort_funnel

PIPELINE = Pipeline(["Lead", "Demo"], won="Won", lost="Lost")
T0 = dt.datetime(2024, 1, 1)


def _log() -> DealLog:
    # 1,500 deals: 1,200 won, 300 still open at Demo (counts chosen by hand).
    records = []
    for i in range(1500):
        records.append({"deal": f"d{i}", "stage": "Lead", "time": T0})
        last = "Won" if i < 1200 else "Demo"
        records.append({"deal": f"d{i}", "stage": last, "time": T0 + dt.timedelta(days=3)})
    return DealLog.from_records(records, PIPELINE)


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
