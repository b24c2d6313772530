"""Event-funnel benchmark: ``event_funnel`` against polars, DuckDB and ClickHouse (chdb).

The same ordered 4-step funnel (``view -> cart -> checkout -> purchase``, a
one-day window from step 1, per user) on synthetic logs of two shapes:

* ``many``: many users with few events (about 5 per user);
* ``few``: few users with many events (about 1,000 per user).

Events are view 50 %, cart 20 %, checkout 10 %, purchase 5 %, other 15 %, at
exponential gaps (mean one hour) from a random start in 30 days. Each engine
gets the log already in its own memory (untimed) and is timed computing the
per-step unit counts:

* ``salesfunnel``: ``event_funnel(log, steps, window=1 day)`` (PostHog's
  ordered rules, the vectorised path);
* ``polars``: the greedy chain from every step-1 event, one ``join_asof`` per
  step (the next step event after the chain's last one, kept when within the
  window of its start), distinct users per step;
* ``duckdb``: the same in SQL with ``ASOF JOIN``;
* ``chdb``: ClickHouse ``windowFunnel(86400)`` per user, then users per level.

For steps that no event matches twice the three rules give the same counts
(the latest start is kept at each step, equal times are taken in step order);
the script checks that they do and says so. Rounds interleave the engines;
the table shows medians and the ratio to the fastest baseline in the same
run. No memory figures.

Run::

    PYTHONPATH=src python benchmarks/bench_events.py --sizes 1e6,1e7 --repeat 3
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from salesfunnel import EventLog, event_funnel

STEPS = ["view", "cart", "checkout", "purchase"]
NAMES = ("cart", "checkout", "other", "purchase", "view")  # sorted: the log's codes
SHARES = {"view": 0.5, "cart": 0.2, "checkout": 0.1, "purchase": 0.05, "other": 0.15}
WINDOW_S = 86_400
PER_USER = {"many": 5, "few": 1000}


def synthetic(n: int, shape: str, seed: int = 7) -> dict[str, np.ndarray]:
    """``n`` events: user (int64), code (int8 into NAMES), t (int64 seconds), by user and time."""
    rng = np.random.default_rng(seed)
    users = max(n // PER_USER[shape], 1)
    user = np.sort(rng.integers(0, users, n))
    gaps = rng.exponential(3600.0, n).astype(np.int64)
    first = np.r_[True, user[1:] != user[:-1]]
    start = rng.integers(1_700_000_000, 1_700_000_000 + 30 * 86_400, users)
    # Per user: its start, then cumulative gaps (a segmented cumsum).
    csum = np.cumsum(gaps)
    base = np.maximum.accumulate(np.where(first, np.arange(n), 0))
    t = start[user] + csum - csum[base]
    probs = [SHARES[name] for name in NAMES]
    code = rng.choice(len(NAMES), size=n, p=probs).astype(np.int8)
    return {"user": user.astype(np.int64), "code": code, "t": t.astype(np.int64)}


def step_of(code: np.ndarray) -> np.ndarray:
    """Step number per event (0: not a step)."""
    table = np.zeros(len(NAMES), dtype=np.int8)
    for j, name in enumerate(STEPS):
        table[NAMES.index(name)] = j + 1
    return table[code]


# -- the engines: each gets (prepared data) and returns counts per step -----------------
def ours_prepare(d: dict[str, np.ndarray]) -> EventLog:
    return EventLog(
        entity=d["user"], event=d["code"].astype(np.int16), time=d["t"].astype("datetime64[s]"),
        names=NAMES,
    )  # fmt: skip


def ours_run(log: EventLog) -> list[int]:
    return list(event_funnel(log, STEPS, window=dt.timedelta(seconds=WINDOW_S)).counts)


def polars_prepare(d: dict[str, np.ndarray]) -> Any:
    import polars as pl

    return pl.DataFrame({"u": d["user"], "step": step_of(d["code"]), "t": d["t"]})


def polars_run(df: Any) -> list[int]:
    import polars as pl

    s = df.filter(pl.col("step") > 0).sort(["u", "t", "step"]).with_row_index("pos")
    cur = s.filter(pl.col("step") == 1).select("u", "pos", pl.col("t").alias("start"))
    counts = [cur["u"].n_unique()]
    for j in range(2, len(STEPS) + 1):
        nxt = s.filter(pl.col("step") == j).select("u", pl.col("pos").alias("npos"), "t")
        cur = (
            cur.sort("pos")
            .join_asof(
                nxt,
                left_on="pos",
                right_on="npos",
                by="u",
                strategy="forward",
                allow_exact_matches=False,
                check_sortedness=False,  # sorted by pos, which orders (u, t, step)
            )
            .filter((pl.col("t") - pl.col("start")) <= WINDOW_S)
            .select("u", pl.col("npos").alias("pos"), "start")
        )
        counts.append(cur["u"].n_unique())
    return counts


def duckdb_prepare(d: dict[str, np.ndarray]) -> Any:
    import duckdb
    import pyarrow as pa

    con = duckdb.connect()
    events = pa.table({"u": d["user"], "step": step_of(d["code"]), "t": d["t"]})
    con.register("events", events)
    con.execute(
        "CREATE TABLE s AS SELECT u, t, step, row_number() OVER (ORDER BY u, t, step) AS pos "
        "FROM events WHERE step > 0"
    )
    return con


def duckdb_run(con: Any) -> list[int]:
    parts = ["c1 AS (SELECT u, pos, t AS start FROM s WHERE step = 1)"]
    for j in range(2, len(STEPS) + 1):
        parts.append(
            f"c{j} AS (SELECT c.u, n.pos, c.start FROM c{j - 1} c ASOF JOIN "
            f"(SELECT u, pos, t FROM s WHERE step = {j}) n ON c.u = n.u AND n.pos > c.pos "
            f"WHERE n.t - c.start <= {WINDOW_S})"
        )
    counts = ", ".join(f"(SELECT count(DISTINCT u) FROM c{j})" for j in range(1, len(STEPS) + 1))
    row = con.execute(f"WITH {', '.join(parts)} SELECT {counts}").fetchone()
    return [int(v) for v in row]


def chdb_prepare(d: dict[str, np.ndarray]) -> Any:
    import pyarrow as pa
    from chdb import session

    sess = session.Session()
    tbl = pa.table({"u": d["user"], "step": step_of(d["code"]), "t": d["t"]})  # noqa: F841 - read by name
    sess.query("CREATE TABLE ev ENGINE = Memory AS SELECT * FROM Python(tbl)")
    return sess


def chdb_run(sess: Any) -> list[int]:
    conds = ", ".join(f"step = {j}" for j in range(1, len(STEPS) + 1))
    sql = (
        f"SELECT lvl, count() FROM (SELECT u, windowFunnel({WINDOW_S})(toUInt64(t), {conds}) "
        "AS lvl FROM ev GROUP BY u) GROUP BY lvl FORMAT TSV"
    )
    per_level = dict.fromkeys(range(len(STEPS) + 1), 0)
    for line in str(sess.query(sql, "TSV")).strip().splitlines():
        level, count = line.split("\t")
        per_level[int(level)] = int(count)
    return [sum(c for lvl, c in per_level.items() if lvl >= j) for j in range(1, len(STEPS) + 1)]


ENGINES: dict[str, tuple[Callable[[dict[str, np.ndarray]], Any], Callable[[Any], list[int]]]] = {
    "salesfunnel": (ours_prepare, ours_run),
    "polars": (polars_prepare, polars_run),
    "duckdb": (duckdb_prepare, duckdb_run),
    "chdb": (chdb_prepare, chdb_run),
}


def bench(n: int, shape: str, repeat: int) -> list[tuple[str, float, list[int]]]:
    data = synthetic(n, shape)
    prepared = {name: prep(data) for name, (prep, _) in ENGINES.items()}
    times: dict[str, list[float]] = {name: [] for name in ENGINES}
    counts: dict[str, list[int]] = {}
    for _ in range(repeat):
        for name, (_, run) in ENGINES.items():
            t0 = time.perf_counter()
            counts[name] = run(prepared[name])
            times[name].append(time.perf_counter() - t0)
    return [(name, statistics.median(times[name]), counts[name]) for name in ENGINES]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1e6", help="comma-separated event counts")
    parser.add_argument("--shapes", default="many,few")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with open("/proc/loadavg") as fh:
        print(f"load average at start: {fh.read().split()[0]}")
    header = f"{'events':>10}  {'shape':5}  {'engine':11}  {'median s':>8}  {'vs fastest':>10}"
    print(header)
    print("-" * len(header))
    for size in args.sizes.split(","):
        for shape in args.shapes.split(","):
            rows = bench(int(float(size)), shape, args.repeat)
            fastest = min(s for name, s, _ in rows if name != "salesfunnel")
            for name, seconds, _ in rows:
                ratio = seconds / fastest
                print(
                    f"{int(float(size)):>10,}  {shape:5}  {name:11}  {seconds:8.3f}  {ratio:9.2f}x"
                )
            agree = len({tuple(c) for _, _, c in rows}) == 1
            print(f"  counts {rows[0][2]}: {'all engines agree' if agree else 'DIFFER'}")
            if not agree:
                for name, _, c in rows:
                    print(f"    {name}: {c}")
    with open("/proc/loadavg") as fh:
        print(f"load average at end: {fh.read().split()[0]}")


if __name__ == "__main__":
    main()
