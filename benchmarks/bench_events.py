"""Event-funnel benchmark: ``event_funnel`` against polars, DuckDB and ClickHouse (chdb).

The same ordered 4-step funnel (``view -> cart -> checkout -> purchase``, a
one-day window from step 1, per user) on synthetic logs of two shapes:

* ``many``: many users with few events (about 5 per user);
* ``few``: few users with many events (about 1,000 per user).

Events are view 50 %, cart 20 %, checkout 10 %, purchase 5 %, other 15 %, at
exponential gaps (mean one hour) from a random start in 30 days, each with a
``device`` (desktop 50 %, mobile 40 %, tablet 10 %, drawn per event). The log
is generated sorted by user and time. Each engine gets the log already in its
own memory (untimed) and is timed computing the per-step unit counts:

* ``salesfunnel``: ``event_funnel(log, steps, window=1 day)`` (PostHog's
  ordered rules, the vectorised path);
* ``polars``: the greedy chain from every step-1 event, one ``join_asof`` per
  step (the next step event after the chain's last one, kept when within the
  window of its start), distinct users per step;
* ``duckdb``: the same in SQL with ``ASOF JOIN`` (the rows' order by user,
  time and step is numbered when the table is made, untimed);
* ``chdb``: ClickHouse ``windowFunnel(86400)`` per user, then users per level.

``--variant exclusion`` asks the plain funnel with the exclusion ``("other",
2, 4)`` (no ``other`` event between cart and purchase: every user of the
``few`` shape, about half of the ``many`` shape's, hold one), against the
general path (``engine.state_machine``, the loop per unit that took every
such unit until session 11) on the same events: the peers have no
exclusions. The counts and the number of users removed are cross-checked.

``--variant breakdown`` asks the same funnel per device, each user counted
under the device of its first step event (``breakdown='device'``,
``attribution='first_touch'``; ties of time and step by row): polars and
DuckDB add the per-user level and first device (``first`` / ``arg_min`` by
position) and count per device and level, chdb adds ``argMinIf``.

For steps that no event matches twice the three rules give the same counts
(the latest start is kept at each step, equal times are taken in step order);
the script checks that they do and says so. Rounds interleave the engines; the
table shows medians and the ratio to the fastest baseline in the same run, of
wall time and of CPU time (the process's, all threads: polars, DuckDB and chdb
use every core, numpy one, so on a loaded machine the wall-time ratio also
measures how many threads each engine can get scheduled). ``--memory`` adds
each engine's peak memory, measured in a fresh process per engine (VmHWM,
reset once the data is generated, minus the resident set then; the engine's
preparation and one run), so native memory counts as numpy's does. ``--csv N``
times ``EventLog.from_csv`` of an ``N``-row file (user, event, ISO time,
device) against ``polars.read_csv`` of it; with ``--write PATH`` it writes
that file to ``PATH`` and stops (for ``ab_csvload.py``); with ``--file PATH``
it times that file (written so before) instead of writing a fresh one.

Run::

    PYTHONPATH=src python benchmarks/bench_events.py --sizes 1e6,1e7 --repeat 3
    PYTHONPATH=src python benchmarks/bench_events.py --sizes 1e7 --variant breakdown --memory
    PYTHONPATH=src python benchmarks/bench_events.py --sizes 0 --csv 1e7
    PYTHONPATH=src python benchmarks/bench_events.py --sizes 0 --csv 1e6 --write /tmp/events.csv
    PYTHONPATH=src python benchmarks/bench_events.py --sizes 3e7 --engines salesfunnel,chdb
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import statistics
import subprocess
import sys
import tempfile
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
DEVICES = ("desktop", "mobile", "tablet")
WINDOW_S = 86_400
PER_USER = {"many": 5, "few": 1000}
EXCLUSION = ("other", 2, 4)  # --variant exclusion: no "other" between cart and purchase
Counts = dict[str, list[int]]  # per breakdown value ("" for none), the counts per step


def synthetic(n: int, shape: str, seed: int = 7) -> dict[str, np.ndarray]:
    """``n`` events by user and time: user (int64), code (int8 into NAMES), t (int64 s), dev."""
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
    dev = rng.choice(len(DEVICES), size=n, p=[0.5, 0.4, 0.1]).astype(np.int8)
    return {"user": user.astype(np.int64), "code": code, "t": t.astype(np.int64), "dev": dev}


def step_of(code: np.ndarray) -> np.ndarray:
    """Step number per event (0: not a step)."""
    table = np.zeros(len(NAMES), dtype=np.int8)
    for j, name in enumerate(STEPS):
        table[NAMES.index(name)] = j + 1
    return table[code]


def _per_level(rows: list[tuple[Any, int, int]]) -> Counts:
    """(value, level, users) rows as per-value counts per step (users at that step or beyond)."""
    out: Counts = {}
    for value, level, n in rows:
        counts = out.setdefault("" if value is None else str(value), [0] * len(STEPS))
        for j in range(min(int(level), len(STEPS))):
            counts[j] += int(n)
    return out


# -- the engines: each gets (prepared data, breakdown?) and returns counts per value -----
def ours_prepare(d: dict[str, np.ndarray]) -> EventLog:
    devices = np.array(DEVICES)[d["dev"]]
    return EventLog(
        entity=d["user"], event=d["code"].astype(np.int16), time=d["t"].astype("datetime64[s]"),
        names=NAMES, properties={"device": devices},
    )  # fmt: skip


def ours_run(log: EventLog, breakdown: bool | str) -> Counts:
    window = dt.timedelta(seconds=WINDOW_S)
    if breakdown == "exclusion":
        f = event_funnel(log, STEPS, window=window, exclusions=[EXCLUSION])
        return {"": list(f.counts), "excluded": [f.excluded]}
    if breakdown in (False, "plain"):
        return {"": list(event_funnel(log, STEPS, window=window).counts)}
    f = event_funnel(log, STEPS, window=window, breakdown="device")
    return {g: list(sub.counts) for g, sub in f.by.items() if any(sub.counts)}


def polars_prepare(d: dict[str, np.ndarray]) -> Any:
    import polars as pl

    dev = pl.Series(np.array(DEVICES)[d["dev"]])
    return pl.DataFrame({"u": d["user"], "step": step_of(d["code"]), "t": d["t"], "dev": dev})


def polars_run(df: Any, breakdown: bool) -> Counts:
    import polars as pl

    s = df.filter(pl.col("step") > 0).sort(["u", "t", "step"], maintain_order=True)
    s = s.with_row_index("pos")
    cur = s.filter(pl.col("step") == 1).select("u", "pos", pl.col("t").alias("start"))
    chains = [cur]
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
        chains.append(cur)
    if not breakdown:
        return {"": [c["u"].n_unique() for c in chains]}
    levels = (
        pl.concat(
            [c.select("u").unique().with_columns(lvl=pl.lit(j + 1)) for j, c in enumerate(chains)]
        )
        .group_by("u")
        .agg(pl.col("lvl").max())
    )
    first = s.group_by("u").agg(pl.col("dev").first())  # s is by (u, t, step, row)
    per = levels.join(first, on="u").group_by("dev", "lvl").len()
    return _per_level(per.rows())


def _chain_sql() -> str:
    parts = ["c1 AS (SELECT u, pos, t AS start FROM s WHERE step = 1)"]
    for j in range(2, len(STEPS) + 1):
        parts.append(
            f"c{j} AS (SELECT c.u, n.pos, c.start FROM c{j - 1} c ASOF JOIN "
            f"(SELECT u, pos, t FROM s WHERE step = {j}) n ON c.u = n.u AND n.pos > c.pos "
            f"WHERE n.t - c.start <= {WINDOW_S})"
        )
    return ", ".join(parts)


def duckdb_prepare(d: dict[str, np.ndarray]) -> Any:
    import duckdb
    import pyarrow as pa

    con = duckdb.connect()
    events = pa.table(
        {"u": d["user"], "step": step_of(d["code"]), "t": d["t"],
         "dev": pa.array(np.array(DEVICES)[d["dev"]]), "i": np.arange(len(d["t"]))}
    )  # fmt: skip
    con.register("events", events)
    con.execute(
        "CREATE TABLE s AS SELECT u, t, step, dev, row_number() OVER (ORDER BY u, t, step, i) "
        "AS pos FROM events WHERE step > 0"
    )
    con.unregister("events")
    return con


def duckdb_run(con: Any, breakdown: bool) -> Counts:
    k = len(STEPS)
    if not breakdown:
        counts = ", ".join(f"(SELECT count(DISTINCT u) FROM c{j})" for j in range(1, k + 1))
        row = con.execute(f"WITH {_chain_sql()} SELECT {counts}").fetchone()
        return {"": [int(v) for v in row]}
    levels = " UNION ALL ".join(f"SELECT DISTINCT u, {j} AS l FROM c{j}" for j in range(1, k + 1))
    sql = (
        f"WITH {_chain_sql()}, lv AS (SELECT u, max(l) AS lvl FROM ({levels}) GROUP BY u), "
        "fd AS (SELECT u, arg_min(dev, pos) AS dev FROM s GROUP BY u) "
        "SELECT fd.dev, lv.lvl, count(*) FROM lv JOIN fd USING (u) GROUP BY ALL"
    )
    return _per_level(con.execute(sql).fetchall())


def chdb_prepare(d: dict[str, np.ndarray]) -> Any:
    import pyarrow as pa
    from chdb import session

    sess = session.Session()
    tbl = pa.table(  # noqa: F841 - read by name
        {"u": d["user"], "step": step_of(d["code"]), "t": d["t"],
         "dev": pa.array(np.array(DEVICES)[d["dev"]]), "i": np.arange(len(d["t"]))}
    )  # fmt: skip
    sess.query("CREATE TABLE ev ENGINE = Memory AS SELECT * FROM Python(tbl)")
    return sess


def chdb_run(sess: Any, breakdown: bool) -> Counts:
    conds = ", ".join(f"step = {j}" for j in range(1, len(STEPS) + 1))
    funnel = f"windowFunnel({WINDOW_S})(toUInt64(t), {conds})"
    if breakdown:
        sql = (
            f"SELECT dev, lvl, count() FROM (SELECT u, {funnel} AS lvl, "
            "argMinIf(dev, (t, step, i), step > 0) AS dev FROM ev GROUP BY u) "
            "WHERE lvl > 0 GROUP BY dev, lvl FORMAT TSV"
        )
    else:
        sql = (
            f"SELECT '', lvl, count() FROM (SELECT u, {funnel} AS lvl FROM ev GROUP BY u) "
            "WHERE lvl > 0 GROUP BY lvl FORMAT TSV"
        )
    lines = [x for x in str(sess.query(sql, "TSV")).split("\n") if x.strip()]
    rows = [(v, int(lvl), int(n)) for v, lvl, n in (line.split("\t") for line in lines)]
    return _per_level(rows)


Engine = tuple[Callable[[dict[str, np.ndarray]], Any], Callable[[Any, bool], Counts]]
ENGINES: dict[str, Engine] = {
    "salesfunnel": (ours_prepare, ours_run),
    "polars": (polars_prepare, polars_run),
    "duckdb": (duckdb_prepare, duckdb_run),
    "chdb": (chdb_prepare, chdb_run),
}


def loop_prepare(d: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, list[tuple[int, ...]]]:
    """--variant exclusion: the step and exclusion events in PostHog's encoding, by user
    and time (the log is generated in that order)."""
    step = step_of(d["code"])
    keep = (step > 0) | (d["code"] == NAMES.index(EXCLUSION[0]))
    watch = tuple(-s for s in range(EXCLUSION[1] + 1, EXCLUSION[2] + 1))
    return d["user"][keep], d["t"][keep], [(s,) if s else watch for s in step[keep].tolist()]


def loop_run(prep: tuple[np.ndarray, np.ndarray, list[tuple[int, ...]]], _: object) -> Counts:
    """The general path (``engine.state_machine``, a loop per unit) on every unit."""
    from salesfunnel.events import engine

    u = engine.state_machine(*prep, len(STEPS), float(WINDOW_S), False)
    counts = [int((u.reached >= j + 1).sum()) for j in range(len(STEPS))]
    return {"": counts, "excluded": [int((u.reached == -1).sum())]}


def bench(n: int, shape: str, repeat: int, variant: str) -> list[tuple[str, float, float, Counts]]:
    """Per engine: median wall seconds, median CPU seconds (all its threads), counts."""
    data = synthetic(n, shape)
    engines = dict(ENGINES)
    if variant == "exclusion":  # the peers have no exclusions: the loop instead
        engines = {"salesfunnel": ENGINES["salesfunnel"], "loop": (loop_prepare, loop_run)}
    prepared = {name: prep(data) for name, (prep, _) in engines.items()}
    del data
    times: dict[str, list[float]] = {name: [] for name in engines}
    cpu: dict[str, list[float]] = {name: [] for name in engines}
    counts: dict[str, Counts] = {}
    for _ in range(repeat):
        for name, (_, run) in engines.items():
            t0, c0 = time.perf_counter(), time.process_time()
            counts[name] = run(
                prepared[name], variant if variant == "exclusion" else variant == "breakdown"
            )
            times[name].append(time.perf_counter() - t0)
            cpu[name].append(time.process_time() - c0)
    return [
        (name, statistics.median(times[name]), statistics.median(cpu[name]), counts[name])
        for name in engines
    ]


# -- memory: one fresh process per engine ---------------------------------------------
def _status(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(field)


def child_memory(engine: str, n: int, shape: str, breakdown: bool) -> None:
    data = synthetic(n, shape)
    gc.collect()
    Path("/proc/self/clear_refs").write_text("5")  # reset the peak (VmHWM) to the current RSS
    before = _status("VmRSS")
    prep, run = ENGINES[engine]
    run(prep(data), breakdown)
    print(json.dumps({"peak_bytes": _status("VmHWM") - before}))


def peak_memory(engine: str, n: int, shape: str, breakdown: bool) -> float | None:
    cmd = [sys.executable, __file__, "--child", engine, "--sizes", str(n), "--shapes", shape]
    cmd += ["--variant", "breakdown" if breakdown else "plain"]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        print(done.stderr[-2000:], file=sys.stderr)
        return None
    return float(json.loads(done.stdout.strip().splitlines()[-1])["peak_bytes"])


# -- loading a CSV file ------------------------------------------------------------------
def write_csv(n: int, path: Path) -> None:
    """The ``many``-shape log of ``n`` events as CSV: user, event, ISO time, device."""
    import polars as pl

    d = synthetic(n, "many")
    stamp = d["t"].astype("datetime64[s]").astype("datetime64[ms]")  # polars: no [s]
    pl.DataFrame({
        "user": d["user"], "event": np.array(NAMES)[d["code"]], "time": stamp,
        "device": np.array(DEVICES)[d["dev"]],
    }).write_csv(path, datetime_format="%Y-%m-%dT%H:%M:%S")  # fmt: skip


def csv_bench(n: int, repeat: int, file: str = "") -> None:
    import polars as pl

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(file or Path(tmp) / "events.csv")
        if not file:
            write_csv(n, path)
        size = path.stat().st_size / 2**20
        readers: dict[str, Callable[[], object]] = {
            "EventLog.from_csv": lambda: EventLog.from_csv(
                path, entity="user", properties=["device"]
            ),
            "polars.read_csv": lambda: pl.read_csv(path),
            "polars.read_csv(dates)": lambda: pl.read_csv(path, try_parse_dates=True),
        }
        times: dict[str, list[float]] = {name: [] for name in readers}
        cpus: dict[str, list[float]] = {name: [] for name in readers}
        for _ in range(repeat):
            for name, read in readers.items():
                gc.collect()
                t0, c0 = time.perf_counter(), time.process_time()
                out = read()
                times[name].append(time.perf_counter() - t0)
                cpus[name].append(time.process_time() - c0)  # all threads
                del out
        base = statistics.median(times["polars.read_csv"])
        cpu_base = statistics.median(cpus["polars.read_csv"])
        print(f"\nCSV of {n:,} rows ({size:.0f} MiB), medians of {repeat} (wall, then CPU):")
        for name, ts in times.items():
            med, cpu = statistics.median(ts), statistics.median(cpus[name])
            print(
                f"  {name:24}  {med:8.3f} s  {med / base:6.2f}x  "
                f"{cpu:8.3f} s  {cpu / cpu_base:6.2f}x polars.read_csv"
            )


def _load() -> str:
    with open("/proc/loadavg") as fh:
        return fh.read().split()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1e6", help="comma-separated event counts")
    parser.add_argument("--shapes", default="many,few")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--variant", default="plain", help="plain, breakdown, both or exclusion")
    parser.add_argument("--memory", action="store_true", help="peak memory per engine")
    parser.add_argument("--csv", default="", help="rows of a CSV file to load (e.g. 1e7)")
    parser.add_argument("--write", default="", help="with --csv N: write the file here, stop")
    parser.add_argument("--file", default="", help="with --csv: time this file, written so")
    parser.add_argument("--engines", default=",".join(ENGINES), help="a subset, to save memory")
    parser.add_argument("--child", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    for name in [e for e in ENGINES if e not in args.engines.split(",")]:
        del ENGINES[name]
    variants = ["plain", "breakdown"] if args.variant == "both" else [args.variant]
    if args.child:
        child_memory(args.child, int(float(args.sizes)), args.shapes, variants[0] == "breakdown")
        return
    if args.write:
        write_csv(int(float(args.csv or "1e6")), Path(args.write))
        return
    print(f"load average at start: {_load()}")
    header = f"{'events':>10}  {'shape':5}  {'variant':9}  {'engine':11}  {'median s':>8}  "
    header += f"{'vs fastest':>10}  {'cpu s':>7}  {'cpu vs least':>12}  {'peak MiB':>8}"
    print(header)
    print("-" * len(header))
    for size in [s for s in args.sizes.split(",") if float(s) > 0]:
        n = int(float(size))
        for shape in args.shapes.split(","):
            for variant in variants:
                rows = bench(n, shape, args.repeat, variant)
                fastest = min(s for name, s, _, _ in rows if name != "salesfunnel")
                least = min(c for name, _, c, _ in rows if name != "salesfunnel")
                for name, seconds, cpu, _ in rows:
                    memory = args.memory and peak_memory(name, n, shape, variant == "breakdown")
                    peak = memory if isinstance(memory, float) else None
                    mib = "" if peak is None else f"{peak / 2**20:.0f}"
                    print(
                        f"{n:>10,}  {shape:5}  {variant:9}  {name:11}  {seconds:8.3f}  "
                        f"{seconds / fastest:9.2f}x  {cpu:7.3f}  {cpu / least:11.2f}x  {mib:>8}"
                    )
                agree = all(c == rows[0][3] for _, _, _, c in rows)
                print(f"  counts {rows[0][3]}: {'all engines agree' if agree else 'DIFFER'}")
                if not agree:
                    for name, _, _, c in rows:
                        print(f"    {name}: {c}")
                print(f"  load average: {_load()}")
    if args.csv:
        csv_bench(int(float(args.csv)), args.repeat, args.file)
    print(f"load average at end: {_load()}")


if __name__ == "__main__":
    main()
