"""A real CRM export: breakdown by product, by month, and thirty reps in a grid.

The Maven Analytics "CRM Sales Opportunities" export (``sales_pipeline.csv``,
one row per deal, see :doc:`howto-notebook`) loaded with
:meth:`~salesfunnel.DealLog.from_wide` and ``keep=("product",)``, without
its amounts so that the labels carry counts and rates only. First the
won share of the closed deals per product, then per month of closing (the
win rate peaks in the last month of each quarter), then the thirty sales
agents on one shared scale in a six-column grid. Where the export is not
next to the repository (``../shared/data``), a synthetic export of the same
shape stands in, and every title says so.
"""

import csv
import datetime as dt
import random
from pathlib import Path

from salesfunnel import DealLog, FunnelChart, Pipeline, closed_funnel, trend

EXPORT = Path(__file__).resolve().parents[3] / "shared/data/maven-crm-sales-opportunities"
PRODUCTS = ("GTX Basic", "MG Special", "GTXPro", "MG Advanced", "GTX Plus Basic", "GTX Plus Pro")


def synthetic_export(deals: int = 3000, seed: int = 13) -> list[dict[str, str]]:
    """Rows shaped like sales_pipeline.csv: 30 agents of varied reach, 6 products."""
    rng = random.Random(seed)
    agents = [f"Agent {k:02d}" for k in range(1, 31)]
    reach = [rng.uniform(0.4, 2.0) for _ in agents]  # some agents handle more deals
    rows = []
    for k in range(deals):
        engage = rng.randrange(-70, 360)  # days after 2017-01-01, as in the export
        closes = max(engage + 5 + rng.randrange(90), 59)  # closes begin in March 2017
        stage = "Engaging" if closes > 364 else rng.choice(["Won", "Won", "Lost"])
        rows.append(
            {
                "opportunity_id": f"S{k:05d}",
                "sales_agent": rng.choices(agents, weights=reach)[0],
                "product": rng.choice(PRODUCTS),
                "deal_stage": stage,
                "engage_date": _day(engage),
                "close_date": "" if stage == "Engaging" else _day(closes),
            }
        )
    return rows


def _day(offset: int) -> str:
    return (dt.date(2017, 1, 1) + dt.timedelta(days=offset)).isoformat()


if (EXPORT / "sales_pipeline.csv").exists():
    with open(EXPORT / "sales_pipeline.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    source = "Maven CRM export"
else:
    rows = synthetic_export()
    source = "synthetic stand-in for the Maven CRM export"

pipeline = Pipeline(["Prospecting", "Engaging"], won="Won", lost="Lost")
log = DealLog.from_wide(
    rows,
    pipeline,
    deal="opportunity_id",
    stage_dates={"Engaging": "engage_date"},
    outcome="deal_stage",
    outcome_date="close_date",
    owner="sales_agent",
    keep=("product",),
)
by_product = closed_funnel(log, by="product")
monthly = trend(log, period="M", start="2017-03-01", end="2018-01-01")
by_month = {row["period"]: r for row, r in zip(monthly.to_records(), monthly.results, strict=True)}
by_agent = closed_funnel(log, by="owner")

charts = [
    FunnelChart(
        by_product,
        width=1300,
        height=600,
        columns=4,
        min_visible=0.03,
        percent="previous",
        title=f"Closed deals per product ({source})",
    ),
    FunnelChart(
        by_month,
        width=1300,
        height=600,
        columns=5,
        percent="previous",
        title=f"Closed deals per month of closing, 2017 ({source})",
    ),
    FunnelChart(
        by_agent,
        width=1400,
        height=1200,
        columns=6,
        percent="previous",
        title=f"Thirty agents, one shared scale ({source})",
    ),
]
