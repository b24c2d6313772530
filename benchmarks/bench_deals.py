"""Deal-history benchmark: per-owner cohort funnel plus median time to won.

salesfunnel against polars, DuckDB, ClickHouse (chdb) and pandas computing the
same numbers from the same in-memory ``pyarrow.Table`` of a seeded synthetic
log. Every engine's answer is checked to be exactly equal to salesfunnel's
before any time is reported. The task (``--task``) is issue 11's question by
default, ``cohort``: per owner, every deal counted by the furthest stage it
has reached (open ones included, the first win counting), won and lost, and
the median time from a deal's first event to its first win
(``cohort_funnel(log, by="owner", time_to_won=False)``: the curve of time to
won with censoring is not part of the peers' work; the row
``salesfunnel+curves`` is the default call, which adds it); ``closed`` is the earlier task (closed
deals by their outcome, median cycle, ``closed_funnel``). Three shapes of
data (``--shape``):

``classic``
    about 2.2 events per deal, up to four (start, furthest stage, a revisit
    now and then, outcome), rows shuffled: the shape of the first tables.
``many``
    many deals with few events: one to three events per deal (2.19 on
    average, so 1e7 events = 4.57 million deals), rows sorted by time.
``long``
    few deals with many events: 50 to 200 events per deal (125 on average)
    wandering over the six stages (revisits everywhere), rows sorted by time.

Deal ids are sparse integers, or strings with ``--ids str`` (``"D"`` and the
integer). Six open stages plus won and lost, 20 owners.

Run::

    PYTHONPATH=src python benchmarks/bench_deals.py                 # classic, 1e5..1e7
    PYTHONPATH=src python benchmarks/bench_deals.py --shape many --ids str \
        --sizes 1e6,1e7 --repeat 3

Times are medians of ``--repeat`` rounds in this process; the rounds
interleave the engines. Peak memory is measured in a fresh subprocess per
engine and size: the peak resident set (VmHWM, reset after the data is
generated) minus the resident set before the engine starts, so native memory
(DuckDB, polars, chdb) is counted the same way as numpy's.
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
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from salesfunnel import DealLog, Pipeline, closed_funnel, cohort_funnel

N_STAGES = 6
N_OWNERS = 20
WON, LOST = N_STAGES, N_STAGES + 1
PIPELINE = Pipeline([f"S{i}" for i in range(N_STAGES)], won="Won", lost="Lost")
BASE = int(np.datetime64("2024-01-01T00:00:00", "s").astype(np.int64))
SEED = 20261126

Columns = dict[str, np.ndarray]
# One owner's answer: counts per funnel stage (6 open + won), won, lost, median cycle days.
Answer = dict[int, tuple[tuple[int, ...], int, int, float]]


# -- data -------------------------------------------------------------------------------
def _concat(parts: list[tuple[np.ndarray, ...]]) -> Columns:
    return {
        k: np.concatenate([p[i] for p in parts])
        for i, k in enumerate(("deal", "code", "t", "owner"))
    }


def classic(n_events: int, rng: np.random.Generator) -> tuple[Columns, bool]:
    """About 2.2 events per deal, rows shuffled (the first tables' shape).

    Each deal starts at stage 0, may jump to a furthest stage (with an earlier
    stage revisited now and then), and 75 % of deals close (40 % of those won).
    """
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
    up = furthest > 0
    outcome = np.where(won, WON, LOST).astype(np.int8)
    return _concat(
        [
            (ids, np.zeros(n_deals, np.int8), start, owner),
            (ids[up], furthest[up].astype(np.int8), t_reach[up], owner[up]),
            (
                ids[revisit],
                (furthest[revisit] - 1).astype(np.int8),
                t_back[revisit],
                owner[revisit],
            ),
            (ids[closes], outcome[closes], t_close[closes], owner[closes]),
        ]
    ), False


def many(n_events: int, rng: np.random.Generator) -> tuple[Columns, bool]:
    """One to three events per deal (25 %, 31 %, 44 %), rows sorted by time.

    Every deal starts at stage 0. A deal with two events either moves to a
    further stage (half of them) or closes; one with three moves, then closes.
    40 % of the closing deals are won.
    """
    n_deals = max(int(n_events / 2.19), 1)
    k = rng.choice(np.array([1, 2, 3]), n_deals, p=[0.25, 0.31, 0.44])
    owner = rng.integers(0, N_OWNERS, n_deals).astype(np.int16)
    start = BASE + rng.integers(0, 2 * 365 * 86_400, n_deals)
    further = (1 + np.minimum(rng.geometric(0.5, n_deals) - 1, N_STAGES - 2)).astype(np.int8)
    outcome = np.where(rng.random(n_deals) < 0.4, WON, LOST).astype(np.int8)
    moves = (k == 3) | ((k == 2) & (rng.random(n_deals) < 0.5))
    t1 = start + rng.exponential(10 * 86_400, n_deals).astype(np.int64) + 1
    t2 = t1 + rng.exponential(15 * 86_400, n_deals).astype(np.int64) + 1
    ids = rng.permutation(n_deals).astype(np.int64) * 7 + 1_000_000
    second = k >= 2
    code1 = np.where(moves, further, outcome)
    three = k == 3
    return _concat(
        [
            (ids, np.zeros(n_deals, np.int8), start, owner),
            (ids[second], code1[second], t1[second], owner[second]),
            (ids[three], outcome[three], t2[three], owner[three]),
        ]
    ), True


def long(n_events: int, rng: np.random.Generator) -> tuple[Columns, bool]:
    """50 to 200 events per deal, rows sorted by time.

    Every deal starts at stage 0; each later event is a stage drawn at random
    (so stages are revisited many times); 75 % of the deals end with an outcome
    (40 % of those won), the others are still open.
    """
    n_deals = max(n_events // 125, 1)
    k = rng.integers(50, 201, n_deals)
    total = int(k.sum())
    first = np.concatenate([[0], np.cumsum(k)[:-1]])
    deal = np.repeat(np.arange(n_deals), k)
    code = rng.integers(0, N_STAGES, total).astype(np.int8)
    code[first] = 0
    closes = rng.random(n_deals) < 0.75
    outcome = np.where(rng.random(n_deals) < 0.4, WON, LOST).astype(np.int8)
    code[(first + k - 1)[closes]] = outcome[closes]
    steps = np.cumsum(rng.exponential(2 * 86_400, total).astype(np.int64) + 1)
    start = BASE + rng.integers(0, 2 * 365 * 86_400, n_deals)
    t = (start - steps[first])[deal] + steps
    owner = rng.integers(0, N_OWNERS, n_deals).astype(np.int16)[deal]
    ids = (rng.permutation(n_deals).astype(np.int64) * 7 + 1_000_000)[deal]
    return {"deal": ids, "code": code, "t": t, "owner": owner}, True


SHAPES: dict[str, Callable[[int, np.random.Generator], tuple[Columns, bool]]] = {
    "classic": classic,
    "many": many,
    "long": long,
}


def synthetic(n_events: int, shape: str = "classic", ids: str = "int") -> pa.Table:
    """The seeded log as an Arrow table: deal, code (int8), t (int64 s), time, owner (int16).

    ``time`` is ``t`` as ``timestamp[s]`` (what salesfunnel reads); the peers
    use the integer seconds of ``t``. Both share one buffer.
    """
    rng = np.random.default_rng(SEED)
    cols, by_time = SHAPES[shape](n_events, rng)
    order = np.argsort(cols["t"], kind="stable") if by_time else rng.permutation(len(cols["t"]))
    cols = {k: np.ascontiguousarray(v[order]) for k, v in cols.items()}
    deal: pa.Array = pa.array(cols["deal"])
    if ids == "str":
        deal = pc.binary_join_element_wise("D", pc.cast(deal, pa.string()), "")
    t = pa.array(cols["t"])
    time_ = pa.Array.from_buffers(pa.timestamp("s"), len(t), t.buffers())
    return pa.table(
        {"deal": deal, "code": cols["code"], "t": t, "time": time_, "owner": cols["owner"]}
    )


# -- engines ------------------------------------------------------------------------
# Two tasks (``--task``). Both give, per owner: counts per funnel stage (the six open
# stages in the max-stage sense, then won), won, lost and a median in days.
#
# ``cohort`` (the default, issue 11's question): every deal by the furthest stage it has
# reached so far, open ones included, the first win counting (``cohort_funnel``); won =
# deals with a win, lost = the others whose last event is a loss; the median time from a
# deal's first event to its first win, over the won deals.
#
# ``closed`` (the tables before 2026-12-04 evening): closed deals only, by their last
# outcome; the median cycle (first event to outcome) over won and lost deals.


def run_salesfunnel(table: pa.Table, time_to_won: bool = False) -> Answer:
    log = DealLog.from_arrow(table, PIPELINE, stage="code", owner="owner")
    # The peers' work: counts and the median time to the first win. The curve of
    # time to won with censoring is not asked of them (``salesfunnel+curves`` adds it).
    # (The default call passes no option: ``ab_deals.py`` runs it on older trees too.)
    result = cohort_funnel(log, by="owner", **({} if time_to_won else {"time_to_won": False}))
    out: Answer = {}
    for name, cf in result.items():
        counts = tuple(int(c) for c in cf.funnel.counts)
        out[int(name)] = (counts, cf.won, cf.lost, cf.time_to_reach[-1].median_days)
    return out


def run_salesfunnel_closed(table: pa.Table) -> Answer:
    log = DealLog.from_arrow(table, PIPELINE, stage="code", owner="owner")
    # Time in each stage is not asked for: the peers do not compute it.
    result = closed_funnel(log, by="owner", durations=False)
    out: Answer = {}
    for name, cf in result.items():
        counts = tuple(int(c) for c in cf.funnel.counts)
        out[int(name)] = (counts, cf.won, cf.lost, cf.cycle.median_days)
    return out


def _answer(rows: list[tuple[Any, ...]]) -> Answer:
    """(owner, s0..s5, won, lost, median seconds) rows -> Answer."""
    out: Answer = {}
    for row in rows:
        owner, *counts, won, lost, med = row
        funnel = (*(int(c) for c in counts), int(won))
        out[int(owner)] = (funnel, int(won), int(lost), float(med) / 86_400)
    return out


def run_polars(table: pa.Table) -> Answer:
    import polars as pl

    df = pl.from_arrow(table.select(["deal", "code", "t", "owner"]))
    assert isinstance(df, pl.DataFrame)
    # Last event = max of (time, code, owner) packed in one key, as salesfunnel orders them.
    key = (pl.col("t") * 8 + pl.col("code").cast(pl.Int64)) * 32 + pl.col("owner").cast(pl.Int64)
    per_deal = (
        df.lazy()
        .group_by("deal")
        .agg(
            key.max().alias("k"),
            pl.col("t").min().alias("first"),
            # Won (code 6) lies above every open stage: a won deal reaches them all.
            pl.when(pl.col("code") <= WON).then(pl.col("code")).otherwise(-1).max().alias("r"),
            pl.col("t").filter(pl.col("code") == WON).min().alias("win"),
        )
        .with_columns(
            (pl.col("k") // 32 % 8).alias("last"),
            (pl.col("k") % 32).alias("owner"),
        )
        .group_by("owner")
        .agg(
            *[(pl.col("r") >= j).sum().alias(f"s{j}") for j in range(N_STAGES)],
            (pl.col("r") == WON).sum().alias("won"),
            ((pl.col("r") < WON) & (pl.col("last") == LOST)).sum().alias("lost"),
            (pl.col("win") - pl.col("first")).median().alias("median"),
        )
        .sort("owner")
        .collect()
    )
    return _answer(per_deal.rows())


def run_polars_closed(table: pa.Table) -> Answer:
    import polars as pl

    df = pl.from_arrow(table.select(["deal", "code", "t", "owner"]))
    assert isinstance(df, pl.DataFrame)
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


def _sql(median: str, div: Callable[[str, int], str]) -> str:
    """The cohort task; ``median`` is an aggregate of ``ttw`` over the won deals."""
    stages = ", ".join(f"sum(CAST(r >= {j} AS BIGINT))" for j in range(N_STAGES))
    return f"""
        WITH d AS (
            SELECT deal,
                   max((t * 8 + code) * 32 + owner) AS k,
                   min(t) AS first,
                   max(CASE WHEN code <= {WON} THEN code ELSE -1 END) AS r,
                   min(CASE WHEN code = {WON} THEN t END) AS win
            FROM ev GROUP BY deal
        ), c AS (
            SELECT k % 32 AS owner, ({div("k", 32)}) % 8 AS last, r, win - first AS ttw
            FROM d
        )
        SELECT owner, {stages}, sum(CAST(r = {WON} AS BIGINT)),
               sum(CAST(r < {WON} AND last = {LOST} AS BIGINT)), {median}
        FROM c GROUP BY owner ORDER BY owner
        """


def _sql_closed(median: str, div: Callable[[str, int], str]) -> str:
    stages = ", ".join(f"sum(CAST(r >= {j} AS BIGINT))" for j in range(N_STAGES))
    last = f"({div('k', 32)}) % 8"
    return f"""
        WITH d AS (
            SELECT deal,
                   max((t * 8 + code) * 32 + owner) AS k,
                   min(t) AS first,
                   max(CASE WHEN code < {N_STAGES} THEN code ELSE -1 END) AS reach
            FROM ev GROUP BY deal
        ), c AS (
            SELECT k % 32 AS owner, {last} AS last, {div("k", 256)} - first AS cycle,
                   CASE WHEN {last} = {WON} THEN {N_STAGES} ELSE reach END AS r
            FROM d WHERE {last} >= {WON}
        )
        SELECT owner, {stages}, sum(CAST(last = {WON} AS BIGINT)),
               sum(CAST(last = {LOST} AS BIGINT)), {median}
        FROM c GROUP BY owner ORDER BY owner
        """


def _run_duckdb(table: pa.Table, sql: str) -> Answer:
    import duckdb

    con = duckdb.connect()
    con.register("ev", table.select(["deal", "code", "t", "owner"]))
    rows = con.execute(sql).fetchall()
    con.close()
    return _answer(rows)


def _floor_div(x: str, d: int) -> str:
    return f"{x} // {d}"


def run_duckdb(table: pa.Table) -> Answer:
    return _run_duckdb(table, _sql("median(ttw)", _floor_div))  # median skips NULLs


def run_duckdb_closed(table: pa.Table) -> Answer:
    return _run_duckdb(table, _sql_closed("median(cycle)", _floor_div))


def _run_chdb(table: pa.Table, sql: str) -> Answer:
    import chdb

    # chdb's Python() table function finds ``ev`` among the caller's local variables.
    ev = table.select(["deal", "code", "t", "owner"])  # noqa: F841
    result = chdb.query(sql.replace("FROM ev", "FROM Python(ev)"), "ArrowTable")
    return _answer([tuple(r.values()) for r in result.to_pylist()])


def _int_div(x: str, d: int) -> str:
    return f"intDiv({x}, {d})"


def run_chdb(table: pa.Table) -> Answer:
    # quantileExactInclusive(0.5) interpolates as numpy's median does; median() is
    # approximate. Like every ClickHouse aggregate it skips NULLs (the deals not won).
    return _run_chdb(table, _sql("quantileExactInclusive(0.5)(ttw)", _int_div))


def run_chdb_closed(table: pa.Table) -> Answer:
    return _run_chdb(table, _sql_closed("quantileExactInclusive(0.5)(cycle)", _int_div))


def _pandas_frame(table: pa.Table) -> Any:
    df = table.select(["deal", "code", "t", "owner"]).to_pandas()
    df["k"] = (df["t"] * 8 + df["code"].astype("int64")) * 32 + df["owner"].astype("int64")
    return df


def run_pandas(table: pa.Table) -> Answer:
    df = _pandas_frame(table)
    df["r"] = df["code"].where(df["code"] <= WON, -1)
    df["win"] = df["t"].where(df["code"] == WON)  # NaN elsewhere, skipped by min
    d = df.groupby("deal", sort=False).agg(
        k=("k", "max"), first=("t", "min"), r=("r", "max"), win=("win", "min")
    )
    d["last"] = d["k"] // 32 % 8
    d["owner"] = d["k"] % 32
    d["ttw"] = d["win"] - d["first"]  # NaN for the deals not won, skipped by median
    for j in range(N_STAGES):
        d[f"s{j}"] = d["r"] >= j
    d["won"] = d["r"] == WON
    d["lost"] = (d["r"] < WON) & (d["last"] == LOST)
    return _pandas_answer(d, "ttw")


def _pandas_answer(d: Any, median: str) -> Answer:
    g = d.groupby("owner", sort=True)
    sums = g[[*(f"s{j}" for j in range(N_STAGES)), "won", "lost"]].sum()
    med = g[median].median()
    rows = [(o, *sums.loc[o].tolist(), med.loc[o]) for o in sums.index]
    return _answer(rows)


def run_pandas_closed(table: pa.Table) -> Answer:
    df = _pandas_frame(table)
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
    return _pandas_answer(d, "cycle")


TASKS: dict[str, dict[str, Callable[[pa.Table], Answer]]] = {
    "cohort": {
        "salesfunnel": run_salesfunnel,
        "salesfunnel+curves": partial(run_salesfunnel, time_to_won=True),
        "polars": run_polars,
        "duckdb": run_duckdb,
        "chdb": run_chdb,
        "pandas": run_pandas,
    },
    "closed": {
        "salesfunnel": run_salesfunnel_closed,
        "polars": run_polars_closed,
        "duckdb": run_duckdb_closed,
        "chdb": run_chdb_closed,
        "pandas": run_pandas_closed,
    },
}


def available(task: str) -> list[str]:
    names = [name for name in TASKS[task] if name.startswith("salesfunnel")]
    for name in ("polars", "duckdb", "chdb", "pandas"):
        try:
            __import__(name)
        except ImportError:
            print(f"({name} not installed: skipped; pip install 'salesfunnel[bench]' or {name})")
            continue
        names.append(name)
    return names


# -- memory: one fresh process per engine ---------------------------------------------
def _status(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(field)


def child_memory(engine: str, n_events: int, shape: str, ids: str, task: str) -> None:
    table = synthetic(n_events, shape, ids)
    gc.collect()
    Path("/proc/self/clear_refs").write_text("5")  # reset the peak (VmHWM) to the current RSS
    before = _status("VmRSS")
    TASKS[task][engine](table)
    print(json.dumps({"peak_bytes": _status("VmHWM") - before}))


def peak_memory(engine: str, n_events: int, shape: str, ids: str, task: str) -> float | None:
    cmd = [sys.executable, __file__, "--child", engine, "--sizes", str(n_events)]
    cmd += ["--shape", shape, "--ids", ids, "--task", task]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        print(done.stderr[-2000:], file=sys.stderr)
        return None
    return float(json.loads(done.stdout.strip().splitlines()[-1])["peak_bytes"])


def uptime() -> str:
    return "load average " + " ".join(Path("/proc/loadavg").read_text().split()[:3])


# -- main --------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1e5,1e6,1e7", help="event counts, comma separated")
    parser.add_argument("--repeat", type=int, default=5, help="runs per engine and size (median)")
    parser.add_argument("--shape", choices=sorted(SHAPES), default="classic")
    parser.add_argument("--ids", choices=("int", "str"), default="int")
    parser.add_argument(
        "--no-memory", action="store_true", help="skip the peak-memory subprocesses"
    )
    parser.add_argument("--task", choices=sorted(TASKS), default="cohort")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    sizes = [int(float(x)) for x in args.sizes.split(",")]
    if args.child:
        child_memory(args.child, sizes[0], args.shape, args.ids, args.task)
        return 0
    engines = available(args.task)
    run = TASKS[args.task]
    print(
        f"numpy {np.__version__}; task {args.task}, shape {args.shape}, {args.ids} ids; engines: "
        f"{', '.join(engines)}; median of {args.repeat} rounds"
    )
    header = (
        f"{'events':>10} {'deals':>9} {'engine':<18} {'median s':>9} "
        f"{'vs salesfunnel':>15} {'peak MiB':>9}"
    )
    ok = True
    for n in sizes:
        print(f"{uptime()} at the start of {n:,} events")
        print(header)
        print("-" * len(header))
        table = synthetic(n, args.shape, args.ids)
        n_deals = len(pc.unique(table.column("deal")))
        reference = run["salesfunnel"](table)
        for name in engines[1:]:
            if run[name](table) != reference:
                ok = False
                print(f"MISMATCH: {name} disagrees with salesfunnel at {n} events", file=sys.stderr)
        # Rounds interleave the engines, so a busy shared machine slows them alike.
        times: dict[str, list[float]] = {name: [] for name in engines}
        for _ in range(args.repeat):
            for name in engines:
                gc.collect()
                t0 = time.perf_counter()
                run[name](table)
                times[name].append(time.perf_counter() - t0)
        base = statistics.median(times["salesfunnel"])
        rows = []
        for name in engines:
            seconds = statistics.median(times[name])
            mem = None if args.no_memory else peak_memory(name, n, args.shape, args.ids, args.task)
            mib = "" if mem is None else f"{mem / 2**20:9.0f}"
            rows.append(
                f"{len(table):>10,} {n_deals:>9,} {name:<18} {seconds:9.3f} "
                f"{seconds / base:14.2f}x {mib:>9}"
            )
        print("\n".join(rows), flush=True)
        print(f"{uptime()} at the end of {n:,} events", flush=True)
        del table
    assert ok, "engines disagree"
    print("all engines agree exactly (per-owner stage counts, won, lost, median days)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
