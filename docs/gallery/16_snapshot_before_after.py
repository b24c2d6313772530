"""Before and after: an open-deal snapshot as a funnel and as bars.

The open deals of a synthetic CRM on 1 April 2026, counted at their current
stage. A snapshot is rarely narrowing: more deals sit in Qualified than in
Lead. Left, forced into the funnel form (``shape="funnel"``): a wider stage
under a narrower one draws as stacked bowls with their rims poking out.
Right, the default for a snapshot, ``shape="bars"`` (the picture of the
active-deal example above): centred flat bars apart
from each other, each as wide as its count, with no taper and no ellipses;
a click on a bar still decodes to its stage.
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
charts = [
    FunnelChart(
        snapshot,
        width=600,
        height=420,
        percent="none",
        amount_format=lambda amount: f"{amount:,.0f}",
        shape=shape,
        title=title,
    )
    for shape, title in (("funnel", "funnel (before)"), (None, "bars (default for a snapshot)"))
]
chart = charts[1]
