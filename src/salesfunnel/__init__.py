"""salesfunnel: sales funnels as data, metrics and layered pictures.

This module only re-exports the public API; the code lives in the submodules.

What drawing a chart needs (the model, style, geometry and
:class:`FunnelChart`) is imported with the package. The deal-history, survival,
comparison, planning, receivables and report names, and the metric functions
and records, :class:`Hit` and :class:`ResultTable` (drawing needs none of
them), are re-exported lazily (:pep:`562` module ``__getattr__``):
``salesfunnel.closed_funnel`` imports :mod:`salesfunnel.history` on first use,
so a process that only draws charts does not pay for them at import. Type
checkers see ordinary imports.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .chart import MAX_PIXELS, FunnelChart
from .errors import FunnelDataError, SalesFunnelError
from .geometry import LabelNote, Region
from .model import Funnel, Stage
from .style import Style

if TYPE_CHECKING:
    from ._table import ResultTable
    from .comparison import Comparison, GroupStep, compare, wilson_interval
    from .deallog import UNASSIGNED, DealLog
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
    from .pipeline import Pipeline
    from .planning import (
        LeadsPlan,
        ManagerPlan,
        TeamPlan,
        feasible_plan,
        leads_needed,
        managers_needed,
    )
    from .receivables import ReceivablesAging, receivables_aging
    from .report import build_report, save_report
    from .survival import SurvivalCurve, cumulative_incidence, kaplan_meier

# Lazily re-exported names -> the submodule that defines them.
_LAZY = {
    **dict.fromkeys(("Comparison", "GroupStep", "compare", "wilson_interval"), "comparison"),
    **dict.fromkeys(("UNASSIGNED", "DealLog"), "deallog"),
    "Hit": "hitmap",
    **dict.fromkeys(
        (
            "Bottleneck",
            "MetricsTable",
            "StageMetrics",
            "bottleneck",
            "conversion_from_first",
            "drop_off",
            "drop_off_rate",
            "metrics_table",
            "overall_conversion",
            "step_conversion",
        ),
        "metrics",
    ),
    "ResultTable": "_table",
    **dict.fromkeys(
        (
            "ActiveFunnel",
            "ClosedFunnel",
            "DurationStats",
            "Forecast",
            "MonthlyVolume",
            "StageDurations",
            "StalledDeals",
            "active_funnel",
            "closed_funnel",
            "forecast",
            "monthly_volume",
            "stage_durations",
            "stalled_deals",
            "time_to_close",
        ),
        "history",
    ),
    "Pipeline": "pipeline",
    **dict.fromkeys(
        (
            "LeadsPlan",
            "ManagerPlan",
            "TeamPlan",
            "feasible_plan",
            "leads_needed",
            "managers_needed",
        ),
        "planning",
    ),
    **dict.fromkeys(("ReceivablesAging", "receivables_aging"), "receivables"),
    **dict.fromkeys(("build_report", "save_report"), "report"),
    **dict.fromkeys(("SurvivalCurve", "cumulative_incidence", "kaplan_meier"), "survival"),
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        msg = f"module {__name__!r} has no attribute {name!r}"
        raise AttributeError(msg)
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


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
