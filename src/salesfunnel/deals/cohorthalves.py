"""Per-deal steps of the cohort funnel in two halves at once (private).

On a large cohort (:mod:`salesfunnel.deals.cohortscatter`), most steps after the
scatter are numpy calls over per-deal arrays: each releases the GIL, so two
threads can each take half of the deals. :class:`Halves` runs a step over two
halves at once (or in one go without a pool); the steps here are gathers, table
fills and the stage sets' sort, each giving what the one-thread call gives.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import numpy.typing as npt

from .closed import _stage_sets
from .shared import I64, bincount

StageSets = tuple[I64, list[tuple[I64, I64]]]  # (counts, runs) of closed._stage_sets
MERGED_KEYS = 1 << 12  # stage-set keys up to which each half of the deals is sorted apart


class Halves:
    """Runs ``f(lo, hi)`` over ``0 .. n``: in two halves at once when given a pool (its
    thread takes the second half), else in one go here. Every ``f`` here is numpy
    calls (each releasing the GIL) on its own slices, so the result is the same."""

    def __init__(self, pool: ThreadPoolExecutor | None) -> None:
        self.pool = pool

    def __call__(self, f: Callable[[int, int], None], n: int) -> None:
        if self.pool is None:
            f(0, n)
            return
        other = self.pool.submit(f, n // 2, n)
        try:
            f(0, n // 2)
        finally:
            other.result()


def take(values: np.ndarray, index: I64, halves: Halves) -> np.ndarray:
    """``values[index]`` (valid positions), gathered by ``halves``."""
    out = np.empty(index.size, dtype=values.dtype)

    def run(lo: int, hi: int) -> None:
        np.take(values, index[lo:hi], out=out[lo:hi], mode="clip")  # "raise" would buffer

    halves(run, index.size)
    return out


def filled(n: int, value: int, dtype: type[np.integer[Any]], halves: Halves) -> np.ndarray:
    """``np.full(n, value, dtype)``, filled by ``halves``."""
    out = np.empty(n, dtype=dtype)

    def run(lo: int, hi: int) -> None:
        out[lo:hi] = value

    halves(run, n)
    return out


def sets_by_halves(
    group: np.ndarray, n_groups: int, k1: int, reach: npt.NDArray[np.int16], halves: Halves
) -> StageSets:
    """:func:`~salesfunnel.deals.closed._stage_sets` of ``group`` and ``reach``, each half
    of the deals sorted on its own thread (a radix sort of the same 16-bit keys) and
    the two put together key by key, the first half's deals first: the order of one
    stable sort of the whole. Up to ``MERGED_KEYS`` keys (groups times stage slots)."""
    width = k1 + 2  # the slots of ``_stage_sets``' key: k1 - reach, 0 .. k1 + 1
    n_keys = n_groups * width
    n = reach.size
    if halves.pool is None or n_keys > MERGED_KEYS or n < 2:
        return _stage_sets(group, n_groups, k1, reach, None)
    key = np.empty(n, dtype=np.int16)
    parts: dict[int, tuple[I64, I64]] = {}

    def sort(lo: int, hi: int) -> None:
        part = key[lo:hi]
        np.multiply(group[lo:hi], width, out=part, casting="unsafe")  # below 2**15
        part += (k1 - reach[lo:hi]).astype(np.int16)
        order = np.argsort(part, kind="stable")  # a radix sort of 16-bit keys
        order += lo
        parts[lo] = (order, bincount(part, n_keys))

    halves(sort, n)
    (first, hist_a), (second, hist_b) = parts[0], parts[n // 2]
    hist = hist_a + hist_b
    at = np.zeros(n_keys + 1, dtype=np.int64)
    np.cumsum(hist, out=at[1:])
    order = np.empty(n, dtype=np.int64)
    runs = {0: (first, hist_a, at[:-1]), n // 2: (second, hist_b, at[:-1] + hist_a)}

    def place(lo: int, hi: int) -> None:  # one half's runs, into their places
        sorted_part, counts, to = runs[lo]
        src = 0
        for m, o in zip(counts.tolist(), to.tolist(), strict=True):
            order[o : o + m] = sorted_part[src : src + m]
            src += m

    halves(place, n)
    hist = hist.reshape(n_groups, width)
    bounds = np.zeros(n_groups + 1, dtype=np.int64)
    np.cumsum(hist.sum(axis=1), out=bounds[1:])
    within = np.cumsum(hist[:, 1:], axis=1)  # deals reaching stage j or beyond: slots 1 .. k1 - j
    counts = within[:, k1 - 1 - np.arange(k1)]
    return counts, [(order, bounds[:-1])] * k1
