"""salesfunnel: sales funnels as data, metrics and layered pictures.

This module only re-exports the public API; the code lives in the submodules.
"""

from __future__ import annotations

from ._table import ResultTable
from .deallog import UNASSIGNED, DealLog
from .errors import FunnelDataError, SalesFunnelError
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
from .receivables import ReceivablesAging, receivables_aging
from .survival import SurvivalCurve, cumulative_incidence, kaplan_meier

__version__ = "0.1.0"

__all__ = [
    "UNASSIGNED",
    "ActiveFunnel",
    "Bottleneck",
    "ClosedFunnel",
    "DealLog",
    "DurationStats",
    "Forecast",
    "Funnel",
    "FunnelDataError",
    "MetricsTable",
    "MonthlyVolume",
    "Pipeline",
    "ReceivablesAging",
    "ResultTable",
    "SalesFunnelError",
    "Stage",
    "StageDurations",
    "StageMetrics",
    "StalledDeals",
    "SurvivalCurve",
    "__version__",
    "active_funnel",
    "bottleneck",
    "closed_funnel",
    "conversion_from_first",
    "cumulative_incidence",
    "drop_off",
    "drop_off_rate",
    "forecast",
    "kaplan_meier",
    "metrics_table",
    "monthly_volume",
    "overall_conversion",
    "receivables_aging",
    "stage_durations",
    "stalled_deals",
    "step_conversion",
    "time_to_close",
]
