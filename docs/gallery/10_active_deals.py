"""Active-deal snapshot from a synthetic CRM.

The open deals of the same synthetic history on 1 April 2026, counted at
their current stage: the input of the sales forecast. A snapshot need not
narrow from stage to stage, and a share "of first" means nothing here, so the
labels show counts and amounts only (``percent="none"``). A snapshot is drawn
as centred bars (``shape="bars"``, the default for an ``ActiveFunnel`` or
counts that grow), not as a funnel.
"""

from salesfunnel import DealLog, FunnelChart, Pipeline, active_funnel
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
snapshot = active_funnel(log, as_of="2026-04-01")
chart = FunnelChart(
    snapshot,
    width=600,
    height=420,
    percent="none",
    amount_format=lambda amount: f"{amount:,.0f}",
    title=f"{snapshot.open_deals} open deals on 1 April 2026",
)
