"""Funnels of data held in a Dask or Spark cluster: one partition function, mergeable partials.

:mod:`~salesfunnel.scale.partials` holds what both engines share (the partition
function and the partial results, merged exactly); :mod:`~salesfunnel.scale.dask`
and :mod:`~salesfunnel.scale.spark` only move partitions and partials.
"""
