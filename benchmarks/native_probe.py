"""Would a compiled kernel beat numpy's ``ufunc.at`` in the cohort scatter? (issue 11)

A probe, not a workload: it needs numba, which salesfunnel does not depend on,
so run it in a virtual environment of its own::

    python -m venv /tmp/nb && /tmp/nb/bin/pip install numba
    /tmp/nb/bin/python benchmarks/native_probe.py

The arrays have the ``long`` shape of ``bench_deals.py`` at 1e7 events (80,000
deals, the cohort scatter's eight slots per deal, times in order): per event
a slot index, a 32-bit time and a 64-bit packed key. The scatter is what
``deals/cohortscatter._extremes`` does with two ``ufunc.at`` calls: the
minimum time per (slot, deal) and the maximum key per deal. Printed: the
import of numba and the first call (compilation) in a fresh process, then
medians of the same scatter by ``ufunc.at``, by one compiled loop, and by the
compiled loop on two threads (each thread reads every event and writes the
deals of its half: the GIL is released, ``nogil=True``). Every variant's
tables are compared with ``ufunc.at``'s.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import threading
import time

import numpy as np

N_EVENTS = 10_000_000
N_DEALS = 80_000
SLOTS = 8
ROUNDS = 7

_FRESH = """
import time
t0 = time.perf_counter()
import numba
t1 = time.perf_counter()
import numpy as np

@numba.njit(nogil=True)
def f(a, i, v):
    for k in range(i.size):
        if v[k] < a[i[k]]:
            a[i[k]] = v[k]

f(np.zeros(4, np.int64), np.zeros(2, np.intp), np.ones(2, np.int64))
t2 = time.perf_counter()
print(t1 - t0, t2 - t1)
"""


def fresh_costs() -> tuple[float, float]:
    """Median seconds of ``import numba`` and of the first call, over 5 fresh processes."""
    runs = []
    for _ in range(5):
        out = subprocess.run([sys.executable, "-c", _FRESH], capture_output=True, text=True)
        out.check_returncode()
        a, b = (float(x) for x in out.stdout.split())
        runs.append((a, b))
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


def main() -> None:
    import numba

    imp, first = fresh_costs()
    print(f"numba {numba.__version__}, numpy {np.__version__}")
    print(f"fresh process: import numba {imp:.3f} s, first call (compile) {first:.3f} s")

    @numba.njit(nogil=True)
    def scatter(earliest, index, t, last, deal, key, lo, hi):  # type: ignore[no-untyped-def]
        for i in range(index.size):
            d = deal[i]
            if d < lo or d >= hi:
                continue
            j = index[i]
            if t[i] < earliest[j]:
                earliest[j] = t[i]
            if key[i] > last[d]:
                last[d] = key[i]

    rng = np.random.default_rng(11)
    deal = rng.integers(0, N_DEALS, N_EVENTS).astype(np.intp)
    slot = rng.integers(0, SLOTS, N_EVENTS).astype(np.intp)
    stride = N_DEALS + 1
    index = slot * stride + deal
    t = np.sort(rng.integers(0, 1 << 30, N_EVENTS)).astype(np.uint32)
    key = rng.integers(0, 1 << 62, N_EVENTS)

    def tables() -> tuple[np.ndarray, np.ndarray]:
        return np.full(SLOTS * stride, np.iinfo(np.uint32).max, np.uint32), np.full(
            stride, -1, np.int64
        )

    def with_at() -> tuple[np.ndarray, np.ndarray]:
        e, m = tables()
        np.minimum.at(e, index, t)
        np.maximum.at(m, deal, key)
        return e, m

    def compiled() -> tuple[np.ndarray, np.ndarray]:
        e, m = tables()
        scatter(e, index, t, m, deal, key, 0, stride)
        return e, m

    def compiled_two() -> tuple[np.ndarray, np.ndarray]:
        e, m = tables()
        half = stride // 2
        other = threading.Thread(target=scatter, args=(e, index, t, m, deal, key, half, stride))
        other.start()
        scatter(e, index, t, m, deal, key, 0, half)
        other.join()
        return e, m

    want = with_at()
    compiled()  # compiled here, outside the timings
    for name, run in (("ufunc.at", with_at), ("compiled", compiled), ("compiled x2", compiled_two)):
        times = []
        for _ in range(ROUNDS):
            t0 = time.perf_counter()
            got = run()
            times.append(time.perf_counter() - t0)
            assert all(np.array_equal(a, b) for a, b in zip(got, want, strict=True)), name
        print(f"{name:12s} median {statistics.median(times):.4f} s over {ROUNDS} rounds")


if __name__ == "__main__":
    main()
