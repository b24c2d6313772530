"""The analyses on a Spark DataFrame (extra ``spark``): see :doc:`/cluster`.

Equal to the single-machine functions of the same name; only mergeable
partial results reach the driver.
"""

from __future__ import annotations

from .scale.spark import event_funnel as event_funnel

__all__ = ["event_funnel"]
