"""salesfunnel: sales funnels as data, metrics and layered pictures.

This module only re-exports the public API; the code lives in the submodules.
"""

from __future__ import annotations

from .errors import FunnelDataError, SalesFunnelError
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

__version__ = "0.1.0"

__all__ = [
    "Bottleneck",
    "Funnel",
    "FunnelDataError",
    "MetricsTable",
    "SalesFunnelError",
    "Stage",
    "StageMetrics",
    "__version__",
    "bottleneck",
    "conversion_from_first",
    "drop_off",
    "drop_off_rate",
    "metrics_table",
    "overall_conversion",
    "step_conversion",
]
