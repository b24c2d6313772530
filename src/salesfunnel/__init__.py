"""salesfunnel: sales funnels as data, metrics and layered pictures.

This module only re-exports the public API; the code lives in the submodules.

What drawing a chart needs (the model, style, geometry and
:class:`FunnelChart`) is imported with the package. The deal-history, survival,
comparison, planning, receivables and report names, and the metric functions
and records, :class:`Hit` and :class:`ResultTable` (drawing needs none of
them), are re-exported lazily (:pep:`562` module ``__getattr__``):
``salesfunnel.closed_funnel`` imports :mod:`salesfunnel.deals.closed` on first use,
so a process that only draws charts does not pay for them at import. Type
checkers see ordinary imports.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .chart import MAX_PIXELS, FunnelChart
from .errors import FunnelDataError, SalesFunnelError
from .funnel.model import Funnel, Stage
from .render.shapes import LabelNote, Region
from .render.style import Style

if TYPE_CHECKING:
    from ._table import ResultTable
    from .deals.active import (
        ActiveFunnel,
        Forecast,
        StalledDeals,
        active_funnel,
        forecast,
        stalled_deals,
    )
    from .deals.closed import ClosedFunnel, closed_funnel, stage_durations
    from .deals.durations import DurationStats, StageDurations, time_to_close
    from .deals.log import UNASSIGNED, DealLog
    from .deals.pipeline import Pipeline
    from .deals.receivables import ReceivablesAging, receivables_aging
    from .deals.survival import SurvivalCurve, cumulative_incidence, kaplan_meier
    from .deals.volume import MonthlyVolume, monthly_volume
    from .funnel.compare import Comparison, GroupStep, compare, wilson_interval
    from .funnel.metrics import (
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
    from .funnel.planning import (
        LeadsPlan,
        ManagerPlan,
        TeamPlan,
        feasible_plan,
        leads_needed,
        managers_needed,
    )
    from .output.report import build_report, save_report
    from .render.hitmap import Hit

# Lazily re-exported names -> the submodule that defines them.
_LAZY = {
    **dict.fromkeys(("Comparison", "GroupStep", "compare", "wilson_interval"), "funnel.compare"),
    **dict.fromkeys(("UNASSIGNED", "DealLog"), "deals.log"),
    "Hit": "render.hitmap",
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
        "funnel.metrics",
    ),
    "ResultTable": "_table",
    **dict.fromkeys(
        ("ActiveFunnel", "Forecast", "StalledDeals", "active_funnel", "forecast", "stalled_deals"),
        "deals.active",
    ),
    **dict.fromkeys(("ClosedFunnel", "closed_funnel", "stage_durations"), "deals.closed"),
    **dict.fromkeys(("DurationStats", "StageDurations", "time_to_close"), "deals.durations"),
    **dict.fromkeys(("MonthlyVolume", "monthly_volume"), "deals.volume"),
    "Pipeline": "deals.pipeline",
    **dict.fromkeys(
        (
            "LeadsPlan",
            "ManagerPlan",
            "TeamPlan",
            "feasible_plan",
            "leads_needed",
            "managers_needed",
        ),
        "funnel.planning",
    ),
    **dict.fromkeys(("ReceivablesAging", "receivables_aging"), "deals.receivables"),
    **dict.fromkeys(("build_report", "save_report"), "output.report"),
    **dict.fromkeys(("SurvivalCurve", "cumulative_incidence", "kaplan_meier"), "deals.survival"),
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
