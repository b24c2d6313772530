"""The analyses on a Dask DataFrame (extra ``dask``): see :doc:`/cluster`.

Equal to the single-machine functions of the same name; only mergeable
partial results reach the client.
"""

from __future__ import annotations

from .scale.deals_dask import (
    closed_funnel as closed_funnel,
    stage_durations as stage_durations,
    time_to_close as time_to_close,
)

__all__ = ["closed_funnel", "event_funnel", "stage_durations", "time_to_close"]

try:  # until events/units.py is ported to the new events engine, the event side cannot load
    from .scale.dask import event_funnel as event_funnel
except ImportError:  # pragma: no cover - remove with the port
    __all__ = ["closed_funnel", "stage_durations", "time_to_close"]
