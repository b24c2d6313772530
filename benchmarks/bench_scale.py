"""Cluster benchmark: ``salesfunnel.dask`` (and ``salesfunnel.spark``) against one machine.

Part 1, overhead (``--events``, default 1e7): the same events, generated from
seeds in ``--chunks`` chunks (units spread over every chunk, so the shuffle
moves them), funnelled

* ``single``: ``EventLog.from_pandas`` of the whole frame, then
  ``event_funnel`` (one process);
* ``dask``: ``salesfunnel.dask.event_funnel`` on a ``LocalCluster`` of two
  worker processes (one thread each) holding the chunks (generated there and
  persisted before the clock starts);
* ``spark`` (``--spark``): ``salesfunnel.spark.event_funnel`` on ``local[2]``
  reading the same chunks from Parquet files.

Each result is checked equal to the single-machine one. Ratios are against
``single`` in the same run.

Part 2, beyond memory (``--big``, e.g. 1e8): events generated inside the workers
(``dask.dataframe.from_map``; never materialised in the driver) on two workers
whose memory limit (``--memory-limit``) is below the size of the data; reports
the wall time, the time per event against part 1, and each worker's peak
resident memory.

Run::

    PYTHONPATH=src python benchmarks/bench_scale.py --events 1e7 --repeat 3
    PYTHONPATH=src python benchmarks/bench_scale.py --events 1e6 --big 1e8 --memory-limit 2GB
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from salesfunnel import EventLog, event_funnel

NAMES = np.array(["view", "cart", "checkout", "purchase", "search"], dtype=object)
STEPS = ["view", "cart", "checkout", "purchase"]
WINDOW = dt.timedelta(minutes=30)
BASE = np.datetime64("2024-01-01T00:00:00", "s")
EVENTS_PER_UNIT = 20


def chunk(seed: int, n: int, units: int) -> pd.DataFrame:
    """``n`` events of ``units`` users over 30 days: the same rows for the same seed."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "entity": rng.integers(0, units, n),
            "event": NAMES[rng.integers(0, len(NAMES), n)],
            "time": BASE + rng.integers(0, 30 * 86400, n).astype("timedelta64[s]"),
        }
    )


def _peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM: reset at exec, unlike ``ru_maxrss``)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _median_time(fn: Any, repeat: int) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def overhead(n: int, chunks: int, repeat: int, spark: bool) -> dict[str, float]:
    import dask.dataframe as dd
    from distributed import Client, LocalCluster, wait

    import salesfunnel.dask

    units = max(n // EVENTS_PER_UNIT, 1)
    sizes = [n // chunks + (i < n % chunks) for i in range(chunks)]
    seeds = list(range(chunks))
    frame = pd.concat([chunk(s, m, units) for s, m in zip(seeds, sizes, strict=True)])

    def single() -> Any:
        return event_funnel(EventLog.from_pandas(frame), STEPS, window=WINDOW)

    out: dict[str, float] = {}
    out["single"], want = _median_time(single, repeat)
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        ddf = dd.from_map(chunk, seeds, sizes, [units] * chunks).persist()
        wait(ddf)

        def on_dask() -> Any:
            return salesfunnel.dask.event_funnel(ddf, STEPS, window=WINDOW)

        out["dask"], got = _median_time(on_dask, repeat)
        assert got == want, (got, want)
        peaks = client.run(_peak_rss_mb)
        out["dask worker peak MB"] = max(peaks.values())
    if spark:
        out.update(_spark(frame, chunks, repeat, want))
    return out


def _spark(frame: pd.DataFrame, chunks: int, repeat: int, want: Any) -> dict[str, float]:
    os.environ["PYSPARK_PYTHON"] = sys.executable
    from pyspark.sql import SparkSession

    import salesfunnel.spark

    session = (
        SparkSession.builder.master("local[2]")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", str(chunks))
        .config("spark.driver.memory", "4g")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    with tempfile.TemporaryDirectory() as tmp:
        frame.assign(time=frame["time"].dt.tz_localize("UTC")).to_parquet(f"{tmp}/e.parquet")
        sdf = session.read.parquet(f"{tmp}/e.parquet").cache()
        sdf.count()

        def on_spark() -> Any:
            return salesfunnel.spark.event_funnel(sdf, STEPS, window=WINDOW)

        seconds, got = _median_time(on_spark, repeat)
    assert got == want, (got, want)
    session.stop()
    return {"spark": seconds}


def big(n: int, chunks: int, memory_limit: str) -> dict[str, float]:
    """``n`` events generated in the workers, on workers with ``memory_limit`` each."""
    import dask.dataframe as dd
    from distributed import Client, LocalCluster

    import salesfunnel.dask

    units = max(n // EVENTS_PER_UNIT, 1)
    sizes = [n // chunks + (i < n % chunks) for i in range(chunks)]
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, memory_limit=memory_limit, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        ddf = dd.from_map(chunk, list(range(chunks)), sizes, [units] * chunks)
        t = time.perf_counter()
        f = salesfunnel.dask.event_funnel(ddf, STEPS, window=WINDOW)
        seconds = time.perf_counter() - t
        peaks = client.run(_peak_rss_mb)
    print(f"  result: {f.counts}")
    return {"seconds": seconds, **{f"peak MB {w[-5:]}": p for w, p in peaks.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=float, default=1e7)
    parser.add_argument("--chunks", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--spark", action="store_true")
    parser.add_argument("--big", type=float, default=0)
    parser.add_argument("--big-chunks", type=int, default=400)
    parser.add_argument("--memory-limit", default="2GB")
    args = parser.parse_args()
    print(f"load average: {Path('/proc/loadavg').read_text().split()[:3]}")
    n = int(args.events)
    res = overhead(n, args.chunks, args.repeat, args.spark)
    print(f"{n:.0e} events, median of {args.repeat}")
    print(f"{'engine':<22}{'seconds':>10}{'ratio':>8}")
    for name in ("single", "dask", "spark"):
        if name in res:
            print(f"{name:<22}{res[name]:>10.2f}{res[name] / res['single']:>8.2f}")
    print(f"dask worker peak resident: {res['dask worker peak MB']:.0f} MB")
    if args.big:
        m = int(args.big)
        data_mb = m * (8 + 8 + 8) / 2**20  # int64 unit, time, one object pointer per event
        print(f"\n{m:.0e} events generated in the workers (at least {data_mb:.0f} MB as pandas), ")
        print(f"two workers, memory limit {args.memory_limit} each")
        out = big(m, args.big_chunks, args.memory_limit)
        per = out["seconds"] / m / (res["dask"] / n)
        print(f"  {out['seconds']:.1f} s, {per:.2f}x the time per event of {n:.0e} on dask")
        for k, v in out.items():
            if k.startswith("peak"):
                print(f"  {k}: {v:.0f} MB")
    print(f"load average: {Path('/proc/loadavg').read_text().split()[:3]}")


if __name__ == "__main__":
    main()
