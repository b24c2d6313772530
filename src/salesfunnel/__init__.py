"""salesfunnel: sales funnels as data, metrics and layered pictures.

This module only re-exports the public API; the code lives in the rooms
(``funnel/``, ``deals/``, ``render/``, ``output/``, ``cli/``: see the architecture
page of the docs).

The public names are written once, as the imports below (``name as name`` marks a
re-export for type checkers). What drawing a chart needs is imported with the
package. Every name imported under ``TYPE_CHECKING`` is re-exported lazily
(:pep:`562` module ``__getattr__``): ``salesfunnel.closed_funnel`` imports
:mod:`salesfunnel.deals.closed` on first use, so a process that only draws charts
does not pay for the rest. The lazy table and ``__all__`` are read from these
imports, so a name added here is exported, documented-checked and lazily loaded
without a second list.
"""

from __future__ import annotations

import ast
import functools
import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .chart import MAX_PIXELS as MAX_PIXELS, MAX_STAGES as MAX_STAGES, FunnelChart as FunnelChart
from .errors import FunnelDataError as FunnelDataError, SalesFunnelError as SalesFunnelError
from .funnel.model import (
    Funnel as Funnel,
    Stage as Stage,
    SupportsFunnel as SupportsFunnel,
)
from .render.shapes import LabelNote as LabelNote, Region as Region
from .render.style import Style as Style

if TYPE_CHECKING:
    from ._table import (
        ResultTable as ResultTable,
        to_pandas as to_pandas,
        to_polars as to_polars,
    )
    from ._time import (
        PlaceholderTimesWarning as PlaceholderTimesWarning,
        SubsecondTimesWarning as SubsecondTimesWarning,
    )
    from .deals.active import (
        ActiveFunnel as ActiveFunnel,
        Forecast as Forecast,
        active_funnel as active_funnel,
        forecast as forecast,
    )
    from .deals.closed import (
        ClosedFunnel as ClosedFunnel,
        closed_funnel as closed_funnel,
        stage_durations as stage_durations,
    )
    from .deals.cohort import CohortFunnel as CohortFunnel, cohort_funnel as cohort_funnel
    from .deals.durations import (
        DurationStats as DurationStats,
        StageDurations as StageDurations,
        time_to_close as time_to_close,
    )
    from .deals.log import UNASSIGNED as UNASSIGNED, DealLog as DealLog
    from .deals.pipeline import Pipeline as Pipeline
    from .deals.receivables import (
        ReceivablesAging as ReceivablesAging,
        receivables_aging as receivables_aging,
    )
    from .deals.stalled import (
        StalledDeals as StalledDeals,
        stalled_deals as stalled_deals,
    )
    from .deals.status import LooksLikeEventLogWarning as LooksLikeEventLogWarning
    from .deals.survival import (
        SurvivalCurve as SurvivalCurve,
        cumulative_incidence as cumulative_incidence,
        kaplan_meier as kaplan_meier,
    )
    from .deals.trend import Trend as Trend, trend as trend
    from .deals.volume import MonthlyVolume as MonthlyVolume, monthly_volume as monthly_volume
    from .events.funnel import EventFunnel as EventFunnel, event_funnel as event_funnel
    from .events.log import EventLog as EventLog
    from .funnel.compare import (
        Comparison as Comparison,
        GroupStep as GroupStep,
        adjust_p_values as adjust_p_values,
        compare as compare,
        wilson_interval as wilson_interval,
    )
    from .funnel.metrics import (
        Bottleneck as Bottleneck,
        MetricsTable as MetricsTable,
        StageMetrics as StageMetrics,
        bottleneck as bottleneck,
        conversion_from_first as conversion_from_first,
        drop_off as drop_off,
        drop_off_rate as drop_off_rate,
        metrics_table as metrics_table,
        overall_conversion as overall_conversion,
        step_conversion as step_conversion,
    )
    from .funnel.planning import (
        LeadsPlan as LeadsPlan,
        ManagerPlan as ManagerPlan,
        TeamPlan as TeamPlan,
        feasible_plan as feasible_plan,
        leads_needed as leads_needed,
        managers_needed as managers_needed,
    )
    from .output.events import (
        build_event_report as build_event_report,
        save_event_report as save_event_report,
    )
    from .output.report import build_report as build_report, save_report as save_report
    from .render.hitmap import Hit as Hit
    from .render.text import MissingGlyphsWarning as MissingGlyphsWarning

__version__ = "0.1.0"


@functools.cache
def _imports() -> tuple[tuple[str, ...], dict[str, str]]:
    """Eager names, and lazy name -> submodule, read from this file's own imports.

    Read on first need (a lazy name, ``__all__`` or ``dir()``), not at import: a
    process that only draws charts never parses it.
    """
    tree = ast.parse(Path(__file__).read_text(encoding="utf-8"))
    eager: list[str] = []
    lazy: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            eager += [a.asname or a.name for a in node.names]
        elif isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            for imp in node.body:
                if isinstance(imp, ast.ImportFrom) and imp.module:
                    lazy.update(dict.fromkeys((a.asname or a.name for a in imp.names), imp.module))
    return tuple(eager), lazy


def __getattr__(name: str) -> Any:
    eager, lazy = _imports()
    if name == "__all__":
        value: Any = sorted([*eager, *lazy, "__version__"])
    elif name in lazy:
        value = getattr(importlib.import_module(f".{lazy[name]}", __name__), name)
    else:
        msg = f"module {__name__!r} has no attribute {name!r}"
        raise AttributeError(msg)
    globals()[name] = value  # later look-ups skip this function
    return value


# This module's own tools: not part of the package, so not offered by dir() or tab completion.
_OWN = frozenset({"annotations", "ast", "functools", "importlib", "Path", "TYPE_CHECKING", "Any"})


def __dir__() -> list[str]:
    return sorted({*globals(), *_imports()[1]} - _OWN)
