"""The Maven "CRM Sales Opportunities" data, loaded with DealLog.from_wide.

Every expected number is computed here again, independently, with the csv
module and plain Python from the documented rules, or taken from the figures
printed in the data set's SOURCE.md. The data is read in place from the shared
folder (never copied into the project); the tests skip when it is absent.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import statistics
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from salesfunnel import (
    DealLog,
    Pipeline,
    active_funnel,
    closed_funnel,
    forecast,
    monthly_volume,
    stage_durations,
    time_to_close,
    trend,
)

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "maven-crm-sales-opportunities"
if not DATA.is_dir():  # the worktree layout: /work/<tree>/tests -> /work/shared
    DATA = Path("/work/shared/data/maven-crm-sales-opportunities")
PIPELINE_CSV = DATA / "sales_pipeline.csv"
TEAMS_CSV = DATA / "sales_teams.csv"

pytestmark = pytest.mark.skipif(not PIPELINE_CSV.is_file(), reason="Maven data not present")

P = Pipeline(["Prospecting", "Engaging"], won="Won", lost="Lost")


@pytest.fixture(scope="module")
def log() -> DealLog:
    return DealLog.from_wide(
        PIPELINE_CSV,
        P,
        deal="opportunity_id",
        stage_dates={"Engaging": "engage_date"},
        outcome="deal_stage",
        outcome_date="close_date",
        owner="sales_agent",
        amount="close_value",
    )


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    with PIPELINE_CSV.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def test_closed_funnel_and_win_rate(log: DealLog, rows: list[dict[str, str]]) -> None:
    stages = Counter(r["deal_stage"] for r in rows)
    assert stages == {"Won": 4238, "Lost": 2473, "Engaging": 1589, "Prospecting": 500}  # SOURCE.md
    cf = closed_funnel(log)
    won, lost = stages["Won"], stages["Lost"]
    # Every closed deal has an engage date, so cumulatively it passed both open stages.
    assert all(r["engage_date"] for r in rows if r["deal_stage"] in ("Won", "Lost"))
    assert cf.funnel.counts.tolist() == [won + lost, won + lost, won]
    assert cf.win_rate == won / (won + lost)
    # The export has no Prospecting date column: classic mode sees no closed deal there.
    classic = closed_funnel(log, mode="classic")
    assert classic.funnel.counts.tolist() == [0, won + lost, won]
    won_ids = {r["opportunity_id"] for r in rows if r["deal_stage"] == "Won"}
    assert set(cf.funnel["Won"].data.tolist()) == won_ids
    assert cf.funnel["Won"].amount == 10_005_534  # SOURCE.md


def test_cycle_time_matches_source_and_csv(log: DealLog, rows: list[dict[str, str]]) -> None:
    spans = [
        (day(r["close_date"]) - day(r["engage_date"])).days
        for r in rows
        if r["deal_stage"] in ("Won", "Lost")
    ]
    d = stage_durations(log)
    assert d.cycle.count == len(spans) == 6711
    # SOURCE.md: engage -> close for closed deals: median 45, mean 48.0 days.
    assert d.cycle.median_days == statistics.median(spans) == 45
    assert d.cycle.mean_days == pytest.approx(statistics.fmean(spans))
    assert round(d.cycle.mean_days, 1) == 48.0
    # The cycle is all spent in Engaging (the first dated event).
    assert d.stage("Engaging").median_days == 45


def test_per_agent_win_rates_and_durations(log: DealLog, rows: list[dict[str, str]]) -> None:
    won: Counter[str] = Counter()
    lost: Counter[str] = Counter()
    spans: dict[str, list[int]] = defaultdict(list)
    for r in rows:
        if r["deal_stage"] in ("Won", "Lost"):
            (won if r["deal_stage"] == "Won" else lost)[r["sales_agent"]] += 1
            spans[r["sales_agent"]].append((day(r["close_date"]) - day(r["engage_date"])).days)
    per_agent = closed_funnel(log, by="owner")
    assert isinstance(per_agent, dict)
    assert sorted(per_agent) == sorted({r["sales_agent"] for r in rows})
    for agent, result in per_agent.items():
        assert (result.won, result.lost) == (won[agent], lost[agent])
        assert result.win_rate == won[agent] / (won[agent] + lost[agent])
        assert result.durations is not None
        assert result.cycle.median_days == statistics.median(spans[agent])
        # the whole cycle is spent in Engaging (the first dated event)
        engaging = result.durations.stage("Engaging")
        assert (engaging.count, engaging.median_days) == (
            len(spans[agent]),
            result.cycle.median_days,
        )


def test_per_manager_win_rates_match_source(log: DealLog) -> None:
    with TEAMS_CSV.open(newline="", encoding="utf-8") as fh:
        manager_of = {r["sales_agent"]: r["manager"] for r in csv.DictReader(fh)}
    per_agent = closed_funnel(log, by="owner")
    assert isinstance(per_agent, dict)
    won: Counter[str] = Counter()
    closed: Counter[str] = Counter()
    for agent, result in per_agent.items():
        won[manager_of[agent]] += result.won
        closed[manager_of[agent]] += result.deals
    # Reference win rates printed in SOURCE.md (3 decimals).
    reference = {
        "Cara Losch": 0.644,
        "Summer Sewald": 0.643,
        "Celia Rouche": 0.634,
        "Dustin Brinkmann": 0.630,
        "Melvin Marxen": 0.622,
        "Rocco Neubert": 0.621,
    }
    for manager, rate in reference.items():
        assert round(won[manager] / closed[manager], 3) == rate


def test_active_funnel_now_and_at_a_date(log: DealLog, rows: list[dict[str, str]]) -> None:
    now = active_funnel(log)
    assert now.funnel.counts.tolist() == [500, 1589]
    d = "2017-06-30"
    # SOURCE.md's rule: active on D when engage_date <= D and (no close date or close > D).
    expected = {
        r["opportunity_id"]
        for r in rows
        if r["engage_date"]
        and r["engage_date"] <= d
        and (not r["close_date"] or r["close_date"] > d)
    }
    snap = active_funnel(log, as_of=d)
    assert set(snap.funnel["Engaging"].data.tolist()) == expected
    assert snap.funnel["Prospecting"].count == 0
    # Prospecting rows have no date at all: they cannot be placed in time.
    assert snap.unknown_time_deals == 500
    closed_by = sum(1 for r in rows if r["close_date"] and r["close_date"] <= d)
    assert snap.won + snap.lost == closed_by


def test_forecast_of_open_deals_without_values(log: DealLog, rows: list[dict[str, str]]) -> None:
    # The export gives a close_value only to closed deals: every open deal's value is
    # unknown, so the expected amount is undefined rather than 0.
    open_rows = [r for r in rows if r["deal_stage"] in ("Prospecting", "Engaging")]
    assert len(open_rows) == 500 + 1589  # SOURCE.md
    assert not any(r["close_value"] for r in open_rows)
    fc = forecast(log)
    assert fc.amount_unknown == len(open_rows)
    assert math.isnan(fc.expected_amount)
    assert fc.table.column("amount") == [None, None]
    # Every closed deal reached Engaging; Prospecting and Engaging share the win rate.
    assert fc.expected_won == pytest.approx(len(open_rows) * 4238 / 6711)


def test_monthly_volume_per_agent(log: DealLog, rows: list[dict[str, str]]) -> None:
    count: Counter[tuple[str, str]] = Counter()
    amount: Counter[tuple[str, str]] = Counter()
    for r in rows:
        if r["deal_stage"] == "Won":
            key = (r["sales_agent"], r["close_date"][:7])
            count[key] += 1
            amount[key] += int(r["close_value"])
    mv = monthly_volume(log, by="owner")
    seen = 0
    for rec in mv.to_records():
        key = (str(rec["owner"]), str(rec["month"]))
        assert rec["won_deals"] == count[key]
        assert rec["won_amount"] == amount[key]
        seen += rec["won_deals"]  # type: ignore[operator]
    assert seen == 4238
    months = sorted({m for _, m in count})
    assert (months[0], months[-1]) == ("2017-03", "2017-12")  # SOURCE.md: Mar-Dec 2017
    assert len(mv.table) == 30 * 10  # every agent x every month, zeros included


def test_time_to_close_counts_every_engaged_deal(log: DealLog, rows: list[dict[str, str]]) -> None:
    km = time_to_close(log, as_of="2017-12-31")
    engaged = [r for r in rows if r["engage_date"]]
    assert km.n == len(engaged)
    assert km.unknown_time == 500
    closed = sum(1 for r in engaged if r["close_date"])
    assert int(km.events.sum()) == closed


def test_by_product_and_by_quarter_match_a_count_of_the_rows(rows: list[dict[str, str]]) -> None:
    by_product = DealLog.from_wide(
        PIPELINE_CSV,
        P,
        deal="opportunity_id",
        stage_dates={"Engaging": "engage_date"},
        outcome="deal_stage",
        outcome_date="close_date",
        owner="sales_agent",
        amount="close_value",
        keep=("product",),
    )
    # Plain Python: each product's won and lost rows, and the won rows per quarter of closing.
    won: dict[str, int] = {}
    lost: dict[str, int] = {}
    quarters: dict[str, int] = {}
    for r in rows:
        if r["deal_stage"] == "Won":
            won[r["product"]] = won.get(r["product"], 0) + 1
            year, month = r["close_date"][:4], int(r["close_date"][5:7])
            q = f"{year}-Q{(month - 1) // 3 + 1}"
            quarters[q] = quarters.get(q, 0) + 1
        elif r["deal_stage"] == "Lost":
            lost[r["product"]] = lost.get(r["product"], 0) + 1
    closed = closed_funnel(by_product, by="product")
    assert sorted(closed) == sorted({r["product"] for r in rows})
    assert {k: c.won for k, c in closed.items() if c.won} == won
    assert {k: c.lost for k, c in closed.items() if c.lost} == lost
    per_quarter = trend(by_product, period="Q")
    periods, won_per = per_quarter.table.column("period"), per_quarter.table.column("won")
    found = dict(zip(periods, won_per, strict=True))
    assert {q: n for q, n in found.items() if n} == quarters
