"""salesfunnel: sales funnels as data, metrics and layered pictures.

This module only re-exports the public API; the code lives in the submodules.
"""

from __future__ import annotations

from .chart import MAX_PIXELS, FunnelChart
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
from .style import Style

__version__ = "0.1.0"

__all__ = [
    "MAX_PIXELS",
    "Bottleneck",
    "Funnel",
    "FunnelChart",
    "FunnelDataError",
    "Hit",
    "LabelNote",
    "MetricsTable",
    "Region",
    "SalesFunnelError",
    "Stage",
    "StageMetrics",
    "Style",
    "__version__",
    "bottleneck",
    "conversion_from_first",
    "drop_off",
    "drop_off_rate",
    "metrics_table",
    "overall_conversion",
    "step_conversion",
]
