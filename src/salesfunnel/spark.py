"""The analyses on a Spark DataFrame (extra ``spark``): see :doc:`/cluster`.

Equal to the single-machine functions of the same name; only mergeable
partial results reach the driver.
"""

from __future__ import annotations

from .scale.deals_spark import (
    closed_funnel as closed_funnel,
    stage_durations as stage_durations,
    time_to_close as time_to_close,
)
from .scale.spark import event_funnel as event_funnel

__all__ = ["closed_funnel", "event_funnel", "stage_durations", "time_to_close"]
