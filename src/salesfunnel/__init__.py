"""salesfunnel: sales funnels as data, metrics and layered pictures.

This module only re-exports the public API; the code lives in the submodules.
"""

from __future__ import annotations

from .chart import MAX_PIXELS, FunnelChart
from .comparison import Comparison, GroupStep, compare, wilson_interval
from .errors import FunnelDataError, SalesFunnelError
from .geometry import LabelNote, Region
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
from .planning import LeadsPlan, ManagerPlan, TeamPlan, feasible_plan, leads_needed, managers_needed
from .style import Style

__version__ = "0.1.0"

__all__ = [
    "MAX_PIXELS",
    "Bottleneck",
    "Comparison",
    "Funnel",
    "FunnelChart",
    "FunnelDataError",
    "GroupStep",
    "Hit",
    "LabelNote",
    "LeadsPlan",
    "ManagerPlan",
    "MetricsTable",
    "Region",
    "SalesFunnelError",
    "Stage",
    "StageMetrics",
    "Style",
    "TeamPlan",
    "__version__",
    "bottleneck",
    "compare",
    "conversion_from_first",
    "drop_off",
    "drop_off_rate",
    "feasible_plan",
    "leads_needed",
    "managers_needed",
    "metrics_table",
    "overall_conversion",
    "step_conversion",
    "wilson_interval",
]
