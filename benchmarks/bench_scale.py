"""Cluster benchmark: ``salesfunnel.dask`` and ``salesfunnel.spark`` against one machine and DuckDB.

The funnel everywhere: ordered, four steps (view, cart, checkout, purchase),
a one-day window from step 1, per user; about 20 events per user over 30 days,
generated from seeds in chunks of ``--chunk-size`` events (users spread over
every chunk, so the shuffle moves them).

Part 1, overhead (``--events``, default 1e7; ``0`` skips it), medians of
``--repeat`` rounds, ratios against ``single`` in the same run:

* ``single``: ``EventLog.from_pandas`` of the whole frame, then
  ``event_funnel`` (one process);
* ``dask``: ``salesfunnel.dask.event_funnel`` on a ``LocalCluster`` of two
  worker processes (one thread each) holding the chunks (generated there and
  persisted before the clock starts);
* ``spark`` (``--spark``): ``salesfunnel.spark.event_funnel`` on ``local[2]``
  reading the same events from Parquet (cached before the clock starts).

With ``--deals`` the same for one deal analysis, ``closed_funnel(by="owner")``
of ``benchmarks/bench_deals.py``'s ``classic`` log of ``--events`` events
(``DealLog.from_pandas`` then ``closed_funnel`` against the two adapters).
Every result is checked equal to the single-machine one.

Part 2, beyond memory (``--big``, sizes such as ``1e7,3e7,1e8``): per size,

* ``dask``: the events generated inside the two workers
  (``dask.dataframe.from_map`` of the seeded generator: never materialised in
  the driver), each worker with a memory limit (``--memory-limit``) below the
  size of the data at 1e8; the wall time, each worker's peak resident memory
  (VmHWM of the worker process; the workers are checked not to have been
  restarted) and the driver's;
* ``duckdb``: the workers write the same events to Parquet (``to_parquet`` of
  the same ``from_map``), then DuckDB, in a fresh process limited to two
  threads and the memory of both workers together, reads them and computes the
  same funnel (``bench_events.py``'s ``ASOF JOIN`` chain); its wall time
  (reading the Parquet included) and peak resident memory. Its counts must
  equal Dask's.

Run::

    PYTHONPATH=src python benchmarks/bench_scale.py --events 1e7 --repeat 3 --spark --deals
    PYTHONPATH=src python benchmarks/bench_scale.py --events 0 --big 1e7,3e7,1e8 --memory-limit 1GB
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench_deals, bench_events

from salesfunnel import DealLog, EventLog, closed_funnel, event_funnel

NAMES = np.array(["view", "cart", "checkout", "purchase", "search"], dtype=object)
STEPS = ["view", "cart", "checkout", "purchase"]
WINDOW = dt.timedelta(days=1)
BASE = np.datetime64("2024-01-01T00:00:00", "s")
EVENTS_PER_UNIT = 20


# -- data ---------------------------------------------------------------------------------
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


def plan(n: int, chunk_size: int) -> tuple[list[int], list[int], int]:
    """Seeds, chunk sizes and the number of users for ``n`` events."""
    chunks = max(-(-n // chunk_size), 1)
    sizes = [n // chunks + (i < n % chunks) for i in range(chunks)]
    return list(range(chunks)), sizes, max(n // EVENTS_PER_UNIT, 1)


def deal_frame(n: int) -> pd.DataFrame:
    """``bench_deals.py``'s seeded ``classic`` log of ``n`` events as a pandas frame."""
    import bench_deals

    table = bench_deals.synthetic(n, "classic")
    stages = np.array([*bench_deals.PIPELINE.stages, "Won", "Lost"], dtype=object)
    return pd.DataFrame(
        {
            "deal": table["deal"].to_numpy(),
            "stage": stages[table["code"].to_numpy()],
            "time": table["t"].to_numpy().astype("datetime64[s]"),
            "owner": table["owner"].to_numpy(),
        }
    )


# -- measuring ----------------------------------------------------------------------------
def peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM: reset at exec, unlike ``ru_maxrss``)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def median_time(fn: Any, repeat: int) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def _cluster(memory_limit: str | None = None) -> Any:
    from distributed import LocalCluster

    limit = {} if memory_limit is None else {"memory_limit": memory_limit}
    return LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None, **limit)


def _spark_session(partitions: int) -> Any:
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", str(partitions))
        .config("spark.driver.memory", "2g")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return session


# -- part 1: overhead at one size ---------------------------------------------------------
def overhead(n: int, chunk_size: int, repeat: int, spark: bool) -> dict[str, float]:
    """Seconds per engine for the event funnel of ``n`` events (and the workers' peak)."""
    import dask.dataframe as dd
    from distributed import Client, wait

    import salesfunnel.dask

    seeds, sizes, units = plan(n, chunk_size)
    frame = pd.concat([chunk(s, m, units) for s, m in zip(seeds, sizes, strict=True)])

    def single() -> Any:
        return event_funnel(EventLog.from_pandas(frame), STEPS, window=WINDOW)

    out: dict[str, float] = {}
    out["single"], want = median_time(single, repeat)
    print(f"  events single {out['single']:.2f} s {list(want.counts)}", flush=True)
    with _cluster() as cluster, Client(cluster) as client:
        ddf = dd.from_map(chunk, seeds, sizes, [units] * len(seeds)).persist()
        wait(ddf)

        def on_dask() -> Any:
            return salesfunnel.dask.event_funnel(ddf, STEPS, window=WINDOW)

        out["dask"], got = median_time(on_dask, repeat)
        assert got == want, (got, want)
        out["dask worker peak MB"] = max(client.run(peak_rss_mb).values())
    print(f"  events dask {out['dask']:.2f} s", flush=True)
    if spark:
        import salesfunnel.spark

        session = _spark_session(len(seeds))
        with tempfile.TemporaryDirectory() as tmp:
            frame.assign(time=frame["time"].dt.tz_localize("UTC")).to_parquet(f"{tmp}/e.parquet")
            sdf = session.read.parquet(f"{tmp}/e.parquet").cache()
            sdf.count()

            def on_spark() -> Any:
                return salesfunnel.spark.event_funnel(sdf, STEPS, window=WINDOW)

            out["spark"], got = median_time(on_spark, repeat)
            sdf.unpersist()
        assert got == want, (got, want)
        print(f"  events spark {out['spark']:.2f} s", flush=True)
    return out


def deal_overhead(n: int, chunk_size: int, repeat: int, spark: bool) -> dict[str, float]:
    """Seconds per engine for ``closed_funnel(by="owner")`` of ``n`` deal events."""
    import bench_deals
    import dask.dataframe as dd
    from distributed import Client, wait

    import salesfunnel.dask

    pipeline = bench_deals.PIPELINE
    frame = deal_frame(n)
    parts = max(-(-n // chunk_size), 1)

    def single() -> Any:
        return closed_funnel(DealLog.from_pandas(frame, pipeline, owner="owner"), by="owner")

    out: dict[str, float] = {}
    out["single"], want = median_time(single, repeat)
    print(f"  deals single {out['single']:.2f} s ({len(want)} owners)", flush=True)
    with _cluster() as cluster, Client(cluster) as client:
        ddf = client.persist(dd.from_pandas(frame, npartitions=parts))
        wait(ddf)

        def on_dask() -> Any:
            return salesfunnel.dask.closed_funnel(ddf, pipeline, by="owner", owner="owner")

        out["dask"], got = median_time(on_dask, repeat)
        assert got == want
    print(f"  deals dask {out['dask']:.2f} s", flush=True)
    if spark:
        import salesfunnel.spark

        session = _spark_session(parts)
        with tempfile.TemporaryDirectory() as tmp:
            frame.assign(time=frame["time"].dt.tz_localize("UTC")).to_parquet(f"{tmp}/d.parquet")
            sdf = session.read.parquet(f"{tmp}/d.parquet").cache()
            sdf.count()

            def on_spark() -> Any:
                return salesfunnel.spark.closed_funnel(sdf, pipeline, by="owner", owner="owner")

            out["spark"], got = median_time(on_spark, repeat)
            sdf.unpersist()
        assert got == want
        print(f"  deals spark {out['spark']:.2f} s", flush=True)
    return out


# -- part 2: beyond memory ----------------------------------------------------------------
def big(n: int, chunk_size: int, memory_limit: str, tmp: str) -> dict[str, Any]:
    """``n`` events generated in the workers: Dask's funnel, then Parquet for DuckDB."""
    import dask.dataframe as dd
    from distributed import Client

    import salesfunnel.dask

    seeds, sizes, units = plan(n, chunk_size)
    with _cluster(memory_limit) as cluster, Client(cluster) as client:
        pids = client.run(os.getpid)
        ddf = dd.from_map(chunk, seeds, sizes, [units] * len(seeds))
        t = time.perf_counter()
        f = salesfunnel.dask.event_funnel(ddf, STEPS, window=WINDOW)
        seconds = time.perf_counter() - t
        peaks = client.run(peak_rss_mb)
        assert client.run(os.getpid) == pids, "a worker was restarted: its peak is lost"
        t = time.perf_counter()
        ddf.to_parquet(tmp, write_index=False)
        write = time.perf_counter() - t
    return {
        "seconds": seconds,
        "counts": [int(c) for c in f.counts],
        "worker peaks MB": sorted(peaks.values()),
        "parquet seconds": write,
    }


def duckdb_child(path: str, memory: str) -> None:
    """(In a fresh process) the funnel of the Parquet files under ``path`` in DuckDB: JSON out."""
    import bench_events
    import duckdb

    t = time.perf_counter()
    con = duckdb.connect()
    con.execute(f"SET threads = 2; SET memory_limit = '{memory}'")
    con.execute(f"SET temp_directory = '{path}.duckdb.tmp'")
    cases = " ".join(f"WHEN '{s}' THEN {j}" for j, s in enumerate(STEPS, 1))
    con.execute(
        "CREATE TABLE s AS SELECT u, t, step, row_number() OVER (ORDER BY u, t, step) AS pos "
        f"FROM (SELECT entity AS u, epoch(time)::BIGINT AS t, (CASE event {cases} END)::TINYINT "
        f"AS step FROM read_parquet('{path}/*.parquet') WHERE event IN {tuple(STEPS)})"
    )
    counts = bench_events.duckdb_run(con)
    seconds = time.perf_counter() - t
    print(json.dumps({"seconds": seconds, "counts": counts, "peak MB": peak_rss_mb()}))


def on_duckdb(path: str, memory: str) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--duckdb-child", path, "--duckdb-memory", memory]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    out: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return out


def _limit_bytes(limit: str) -> int:
    from dask.utils import parse_bytes

    return int(parse_bytes(limit))


def run_big(sizes: list[int], chunk_size: int, memory_limit: str) -> None:
    limit = _limit_bytes(memory_limit)
    duck_memory = f"{2 * limit // 2**20}MB"
    print(f"\ntwo workers, one thread and {memory_limit} each; DuckDB: 2 threads, {duck_memory}")
    head = f"{'events':>12}{'pandas MB':>10}{'dask s':>9}{'s/1e7':>8}{'worker peaks MB':>17}"
    print(head + f"{'duckdb s':>10}{'duck MB':>9}{'dask/duck':>10}  load")
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            d = big(n, chunk_size, memory_limit, f"{tmp}/events")
            print(f"    {n:.0e} dask: {d['seconds']:.1f} s, {d['counts']}", flush=True)
            q = on_duckdb(f"{tmp}/events", duck_memory)
        assert q["counts"] == d["counts"], (q["counts"], d["counts"])
        data_mb = n * (8 + 8 + 8) / 2**20  # int64 user, time, one object pointer per event
        peaks = "/".join(f"{p:.0f}" for p in d["worker peaks MB"])
        print(
            f"{n:>12,}{data_mb:>10.0f}{d['seconds']:>9.1f}{d['seconds'] / n * 1e7:>8.1f}"
            f"{peaks:>17}{q['seconds']:>10.1f}{q['peak MB']:>9.0f}"
            f"{d['seconds'] / q['seconds']:>10.2f}  {loadavg()}",
            flush=True,
        )
        write, driver = d["parquet seconds"], peak_rss_mb()
        print(f"    counts {d['counts']} (equal in both); Parquet written in {write:.1f} s;")
        print(f"    driver peak {driver:.0f} MB", flush=True)


def table(title: str, res: dict[str, float]) -> None:
    print(f"{title}\n{'engine':<10}{'seconds':>10}{'ratio':>8}")
    for name in ("single", "dask", "spark"):
        if name in res:
            print(f"{name:<10}{res[name]:>10.2f}{res[name] / res['single']:>8.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--events", type=float, default=1e7)
    parser.add_argument("--chunk-size", type=int, default=250_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--spark", action="store_true")
    parser.add_argument("--deals", action="store_true")
    parser.add_argument("--big", default="", help="comma-separated sizes, e.g. 1e7,3e7,1e8")
    parser.add_argument("--memory-limit", default="1GB")
    parser.add_argument("--duckdb-child", help=argparse.SUPPRESS)
    parser.add_argument("--duckdb-memory", default="2GB", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.duckdb_child:
        duckdb_child(args.duckdb_child, args.duckdb_memory)
        return
    print(f"load average: {loadavg()}", flush=True)
    n = int(args.events)
    if n:
        res = overhead(n, args.chunk_size, args.repeat, args.spark)
        table(f"event_funnel, {n:.0e} events, median of {args.repeat}", res)
        print(f"dask worker peak resident: {res['dask worker peak MB']:.0f} MB")
        print(f"load average: {loadavg()}", flush=True)
    if n and args.deals:
        res = deal_overhead(n, args.chunk_size, args.repeat, args.spark)
        table(f"closed_funnel(by='owner'), {n:.0e} deal events, median of {args.repeat}", res)
        print(f"load average: {loadavg()}", flush=True)
    if args.big:
        sizes = [int(float(s)) for s in args.big.split(",")]
        run_big(sizes, args.chunk_size, args.memory_limit)
        print(f"load average: {loadavg()}")


if __name__ == "__main__":
    main()
