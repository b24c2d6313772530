"""salesfunnel: sales funnels as data, metrics and layered pictures.

This module only re-exports the public API; the code lives in the submodules.
"""

from __future__ import annotations

from ._table import ResultTable
from .chart import MAX_PIXELS, FunnelChart
from .comparison import Comparison, GroupStep, compare, wilson_interval
from .deallog import UNASSIGNED, DealLog
from .errors import FunnelDataError, SalesFunnelError
from .geometry import LabelNote, Region
from .history import (
    ActiveFunnel,
    ClosedFunnel,
    DurationStats,
    Forecast,
    MonthlyVolume,
    StageDurations,
    StalledDeals,
    active_funnel,
    closed_funnel,
    forecast,
    monthly_volume,
    stage_durations,
    stalled_deals,
    time_to_close,
)
from .hitmap import Hit
from .metrics import (
    Bottleneck,
    MetricsTable,
    StageMetrics,
    bottleneck,
    conversion_from_first,
    drop_off,
    drop_off_rate,
    metrics_table,
    overall_conversion,
    step_conversion,
)
from .model import Funnel, Stage
from .pipeline import Pipeline
from .planning import LeadsPlan, ManagerPlan, TeamPlan, feasible_plan, leads_needed, managers_needed
from .receivables import ReceivablesAging, receivables_aging
from .report import build_report, save_report
from .style import Style
from .survival import SurvivalCurve, cumulative_incidence, kaplan_meier

__version__ = "0.1.0"

__all__ = [
    "MAX_PIXELS",
    "UNASSIGNED",
    "ActiveFunnel",
    "Bottleneck",
    "ClosedFunnel",
    "Comparison",
    "DealLog",
    "DurationStats",
    "Forecast",
    "Funnel",
    "FunnelChart",
    "FunnelDataError",
    "GroupStep",
    "Hit",
    "LabelNote",
    "LeadsPlan",
    "ManagerPlan",
    "MetricsTable",
    "MonthlyVolume",
    "Pipeline",
    "ReceivablesAging",
    "Region",
    "ResultTable",
    "SalesFunnelError",
    "Stage",
    "StageDurations",
    "StageMetrics",
    "StalledDeals",
    "Style",
    "SurvivalCurve",
    "TeamPlan",
    "__version__",
    "active_funnel",
    "bottleneck",
    "build_report",
    "closed_funnel",
    "compare",
    "conversion_from_first",
    "cumulative_incidence",
    "drop_off",
    "drop_off_rate",
    "feasible_plan",
    "forecast",
    "kaplan_meier",
    "leads_needed",
    "managers_needed",
    "metrics_table",
    "monthly_volume",
    "overall_conversion",
    "receivables_aging",
    "save_report",
    "stage_durations",
    "stalled_deals",
    "step_conversion",
    "time_to_close",
    "wilson_interval",
]
