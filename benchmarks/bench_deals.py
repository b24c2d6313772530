"""Deal-history benchmark: per-owner closed funnel plus median cycle time.

salesfunnel (numpy) against polars, DuckDB and pandas computing the same numbers
from the same in-memory columns (deal id int64, label code int8, epoch seconds
int64, owner code int16) of a seeded synthetic log. Every engine's answer is
checked to be exactly equal to salesfunnel's before any time is reported.

Run::

    PYTHONPATH=src python benchmarks/bench_deals.py            # 1e5, 1e6, 1e7 events
    PYTHONPATH=src python benchmarks/bench_deals.py --sizes 1e5 --repeat 3

Times are medians of ``--repeat`` runs in this process. Peak memory is measured
in a fresh subprocess per engine and size: the peak resident set (VmHWM, reset
after the data is generated) minus the resident set before the engine starts,
so native memory (DuckDB, polars) is counted the same way as numpy's.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from salesfunnel import DealLog, Pipeline, closed_funnel

N_STAGES = 6
N_OWNERS = 20
WON, LOST = N_STAGES, N_STAGES + 1
PIPELINE = Pipeline([f"S{i}" for i in range(N_STAGES)], won="Won", lost="Lost")
BASE = int(np.datetime64("2024-01-01T00:00:00", "s").astype(np.int64))

Columns = dict[str, np.ndarray]
# One owner's answer: counts per funnel stage (6 open + won), won, lost, median cycle days.
Answer = dict[int, tuple[tuple[int, ...], int, int, float]]


def synthetic(n_events: int, seed: int = 20261126) -> Columns:
    """A seeded log of about ``n_events`` events, ~2.2 events per deal, rows shuffled.

    Each deal starts at stage 0, may jump to a furthest stage (with an earlier
    stage revisited now and then), and 75 % of deals close (40 % of those won).
    """
    rng = np.random.default_rng(seed)
    n_deals = max(int(n_events / 2.22), 1)
    owner = rng.integers(0, N_OWNERS, n_deals).astype(np.int16)
    start = BASE + rng.integers(0, 2 * 365 * 86_400, n_deals)
    furthest = np.minimum(rng.geometric(0.53, n_deals) - 1, N_STAGES - 1)
    closes = rng.random(n_deals) < 0.75
    won = rng.random(n_deals) < 0.4
    revisit = (rng.random(n_deals) < 0.03) & (furthest > 1)
    gap = lambda: rng.exponential(12 * 86_400, n_deals).astype(np.int64) + 1  # noqa: E731
    t_reach = start + gap()
    t_back = t_reach + gap()
    t_close = np.maximum(t_reach, np.where(revisit, t_back, t_reach)) + gap()
    ids = rng.permutation(n_deals).astype(np.int64) * 7 + 1_000_000  # sparse, unsorted ids
    parts = [
        (ids, np.zeros(n_deals, np.int8), start, owner),
        (
            ids[furthest > 0],
            furthest[furthest > 0].astype(np.int8),
            t_reach[furthest > 0],
            owner[furthest > 0],
        ),
        (ids[revisit], (furthest[revisit] - 1).astype(np.int8), t_back[revisit], owner[revisit]),
        (
            ids[closes],
            np.where(won, WON, LOST)[closes].astype(np.int8),
            t_close[closes],
            owner[closes],
        ),
    ]
    cols = {
        k: np.concatenate([p[i] for p in parts])
        for i, k in enumerate(("deal", "code", "t", "owner"))
    }
    order = rng.permutation(len(cols["deal"]))
    return {k: np.ascontiguousarray(v[order]) for k, v in cols.items()}


# -- engines ------------------------------------------------------------------------
def run_salesfunnel(cols: Columns, durations: bool = False) -> Answer:
    log = DealLog.from_columns(
        {
            "deal": cols["deal"],
            "stage": cols["code"],
            "time": cols["t"].view("datetime64[s]"),
            "owner": cols["owner"],
        },
        PIPELINE,
        owner="owner",
    )
    # The same numbers as the peers: time in each stage is not asked for here
    # (the "+ time in stage" row times the full default call).
    result = closed_funnel(log, by="owner", durations=durations)
    out: Answer = {}
    for name, cf in result.items():
        counts = tuple(int(c) for c in cf.funnel.counts)
        out[int(name)] = (counts, cf.won, cf.lost, cf.cycle.median_days)
    return out


def run_salesfunnel_full(cols: Columns) -> Answer:
    return run_salesfunnel(cols, durations=True)


def _answer(rows: list[tuple[Any, ...]]) -> Answer:
    """(owner, s0..s5, won, lost, median cycle seconds) rows -> Answer."""
    out: Answer = {}
    for row in rows:
        owner, *counts, won, lost, med = row
        funnel = (*(int(c) for c in counts), int(won))
        out[int(owner)] = (funnel, int(won), int(lost), float(med) / 86_400)
    return out


def run_polars(cols: Columns) -> Answer:
    import polars as pl

    df = pl.DataFrame(
        {"deal": cols["deal"], "code": cols["code"], "t": cols["t"], "owner": cols["owner"]}
    )
    # Last event = max of (time, code, owner) packed in one key, as salesfunnel orders them.
    key = (pl.col("t") * 8 + pl.col("code").cast(pl.Int64)) * 32 + pl.col("owner").cast(pl.Int64)
    per_deal = (
        df.lazy()
        .group_by("deal")
        .agg(
            key.max().alias("k"),
            pl.col("t").min().alias("first"),
            pl.when(pl.col("code") < N_STAGES)
            .then(pl.col("code"))
            .otherwise(-1)
            .max()
            .alias("reach"),
        )
        .with_columns(
            (pl.col("k") // 32 % 8).alias("last"),
            (pl.col("k") % 32).alias("owner"),
            (pl.col("k") // 256 - pl.col("first")).alias("cycle"),
        )
        .filter(pl.col("last") >= WON)
        .with_columns(
            pl.when(pl.col("last") == WON).then(N_STAGES).otherwise(pl.col("reach")).alias("r")
        )
        .group_by("owner")
        .agg(
            *[(pl.col("r") >= j).sum().alias(f"s{j}") for j in range(N_STAGES)],
            (pl.col("last") == WON).sum().alias("won"),
            (pl.col("last") == LOST).sum().alias("lost"),
            pl.col("cycle").median().alias("median"),
        )
        .sort("owner")
        .collect()
    )
    return _answer(per_deal.rows())


def run_duckdb(cols: Columns) -> Answer:
    import duckdb
    import pyarrow as pa

    table = pa.table(
        {"deal": cols["deal"], "code": cols["code"], "t": cols["t"], "owner": cols["owner"]}
    )
    con = duckdb.connect()
    con.register("ev", table)
    stages = ", ".join(f"sum((r >= {j})::BIGINT)" for j in range(N_STAGES))
    rows = con.execute(
        f"""
        WITH d AS (
            SELECT deal,
                   max((t * 8 + code) * 32 + owner) AS k,
                   min(t) AS first,
                   max(CASE WHEN code < {N_STAGES} THEN code ELSE -1 END) AS reach
            FROM ev GROUP BY deal
        ), c AS (
            SELECT k % 32 AS owner, (k // 32) % 8 AS last, k // 256 - first AS cycle,
                   CASE WHEN (k // 32) % 8 = {WON} THEN {N_STAGES} ELSE reach END AS r
            FROM d WHERE (k // 32) % 8 >= {WON}
        )
        SELECT owner, {stages}, sum((last = {WON})::BIGINT), sum((last = {LOST})::BIGINT),
               median(cycle)
        FROM c GROUP BY owner ORDER BY owner
        """
    ).fetchall()
    con.close()
    return _answer(rows)


def run_pandas(cols: Columns) -> Answer:
    import pandas as pd

    df = pd.DataFrame(
        {"deal": cols["deal"], "code": cols["code"], "t": cols["t"], "owner": cols["owner"]}
    )
    df["k"] = (df["t"] * 8 + df["code"].astype("int64")) * 32 + df["owner"].astype("int64")
    df["oc"] = df["code"].where(df["code"] < N_STAGES, -1)
    d = df.groupby("deal", sort=False).agg(k=("k", "max"), first=("t", "min"), reach=("oc", "max"))
    d["last"] = d["k"] // 32 % 8
    d = d[d["last"] >= WON]
    d["owner"] = d["k"] % 32
    d["cycle"] = d["k"] // 256 - d["first"]
    d["r"] = d["reach"].where(d["last"] != WON, N_STAGES)
    for j in range(N_STAGES):
        d[f"s{j}"] = d["r"] >= j
    d["won"] = d["last"] == WON
    d["lost"] = d["last"] == LOST
    g = d.groupby("owner", sort=True)
    sums = g[[*(f"s{j}" for j in range(N_STAGES)), "won", "lost"]].sum()
    med = g["cycle"].median()
    rows = [(o, *sums.loc[o].tolist(), med.loc[o]) for o in sums.index]
    return _answer(rows)


ENGINES: dict[str, Callable[[Columns], Answer]] = {
    "salesfunnel": run_salesfunnel,
    "salesfunnel+stage-time": run_salesfunnel_full,
    "polars": run_polars,
    "duckdb": run_duckdb,
    "pandas": run_pandas,
}


def available() -> list[str]:
    names = ["salesfunnel", "salesfunnel+stage-time"]
    for name in ("polars", "duckdb", "pandas"):
        try:
            __import__(name)
            if name == "duckdb":
                __import__("pyarrow")
        except ImportError:
            print(f"({name} not installed: skipped; pip install 'salesfunnel[bench]')")
            continue
        names.append(name)
    return names


# -- memory: one fresh process per engine ---------------------------------------------
def _status(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(field)


def child_memory(engine: str, n_events: int) -> None:
    cols = synthetic(n_events)
    gc.collect()
    Path("/proc/self/clear_refs").write_text("5")  # reset the peak (VmHWM) to the current RSS
    before = _status("VmRSS")
    ENGINES[engine](cols)
    print(json.dumps({"peak_bytes": _status("VmHWM") - before}))


def peak_memory(engine: str, n_events: int) -> float | None:
    done = subprocess.run(
        [sys.executable, __file__, "--child", engine, "--sizes", str(n_events)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        print(done.stderr[-2000:], file=sys.stderr)
        return None
    return float(json.loads(done.stdout.strip().splitlines()[-1])["peak_bytes"])


# -- main --------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1e5,1e6,1e7", help="event counts, comma separated")
    parser.add_argument("--repeat", type=int, default=5, help="runs per engine and size (median)")
    parser.add_argument(
        "--no-memory", action="store_true", help="skip the peak-memory subprocesses"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    sizes = [int(float(x)) for x in args.sizes.split(",")]
    if args.child:
        child_memory(args.child, sizes[0])
        return 0
    engines = available()
    print(f"numpy {np.__version__}; engines: {', '.join(engines)}; median of {args.repeat} rounds")
    print(f"load average at start: {Path('/proc/loadavg').read_text().split()[:3]}")
    header = (
        f"{'events':>10} {'deals':>9} {'engine':<24} {'median s':>9} "
        f"{'vs salesfunnel':>15} {'peak MiB':>9}"
    )
    print(header)
    print("-" * len(header))
    ok = True
    for n in sizes:
        cols = synthetic(n)
        n_deals = len(np.unique(cols["deal"]))
        reference = ENGINES["salesfunnel"](cols)
        for name in engines[1:]:
            if ENGINES[name](cols) != reference:
                ok = False
                print(f"MISMATCH: {name} disagrees with salesfunnel at {n} events", file=sys.stderr)
        # Rounds interleave the engines, so a busy shared machine slows them alike.
        times: dict[str, list[float]] = {name: [] for name in engines}
        for _ in range(args.repeat):
            for name in engines:
                gc.collect()
                t0 = time.perf_counter()
                ENGINES[name](cols)
                times[name].append(time.perf_counter() - t0)
        base = statistics.median(times["salesfunnel"])
        for name in engines:
            seconds = statistics.median(times[name])
            mem = None if args.no_memory else peak_memory(name, n)
            mib = "" if mem is None else f"{mem / 2**20:9.0f}"
            print(
                f"{n:>10,} {n_deals:>9,} {name:<24} {seconds:9.3f} "
                f"{seconds / base:14.2f}x {mib:>9}",
                flush=True,
            )
        del cols
    assert ok, "engines disagree"
    print("all engines agree exactly (per-owner stage counts, won, lost, median cycle days)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
