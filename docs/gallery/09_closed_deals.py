"""Closed-deal funnel from a synthetic CRM.

The deals of :func:`salesfunnel.datasets.synthetic_crm` that closed (won or
lost) in the first quarter, per salesperson. Each stage's ``data`` holds the
ids of its deals, so a click on the chart decodes to them.
"""

from salesfunnel import DealLog, FunnelChart, Pipeline, closed_funnel
from salesfunnel.datasets import CRM_STAGES, synthetic_crm

pipeline = Pipeline(CRM_STAGES, won="Won", lost="Lost", frozen="Frozen")
log = DealLog.from_columns(
    synthetic_crm(1200, owners=4, seed=7),
    pipeline,
    deal="deal_id",
    time="timestamp",
    owner="owner",
    amount="amount",
)
per_owner = closed_funnel(log, start="2026-01-01", end="2026-04-01", by="owner")
chart = FunnelChart(
    {name: cf.funnel for name, cf in per_owner.items()},
    width=1000,
    height=480,
    percent="previous",
    amount_format=lambda amount: f"{amount / 1000:,.0f}k",
    title="Deals closed in Q1 2026, per salesperson",
)
