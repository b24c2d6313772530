"""The analyses on a Spark DataFrame (extra ``spark``): see :doc:`/cluster`.

Equal to the single-machine functions of the same name; only mergeable
partial results reach the driver.
"""

from __future__ import annotations

from .scale.deals_spark import (
    active_funnel as active_funnel,
    closed_funnel as closed_funnel,
    forecast as forecast,
    monthly_volume as monthly_volume,
    stage_durations as stage_durations,
    stalled_deals as stalled_deals,
    time_to_close as time_to_close,
)
from .scale.spark import event_funnel as event_funnel

__all__ = ["closed_funnel", "event_funnel", "stage_durations", "time_to_close"]
__all__ += ["active_funnel", "forecast", "monthly_volume", "stalled_deals"]
