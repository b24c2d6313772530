"""The analyses on a Dask DataFrame (extra ``dask``): see :doc:`/cluster`.

Equal to the single-machine functions of the same name; only mergeable
partial results reach the client.
"""

from __future__ import annotations

from .scale.dask import event_funnel as event_funnel

__all__ = ["event_funnel"]
