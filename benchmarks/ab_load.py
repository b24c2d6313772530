"""Before/after: loading a deal log from two source trees, in CPU time, interleaved.

Two measurements (``--what``), each in one fresh process per tree and round,
trees alternating round by round so that load on a shared machine hits them
alike; CPU (process) time, the steadier figure on a busy machine:

* ``csv``: a bare ``csv.reader`` pass over the file of ``bench_load.py``,
  then ``DealLog.from_csv(engine="python")`` of it (the first load of the
  process, as a user's first call); the ratio of the two is issue 11's
  "pure fallback within 1.5x of csv.reader".
* ``arrow``: DuckDB's ``read_csv`` of the same file (as an Arrow table), then
  ``DealLog.from_csv(engine="arrow")`` of it; CPU time counts every thread,
  so the ratio is of work done, not of the wall-clock target (1.5x DuckDB).
* ``frames``: ``DealLog.from_arrow``, ``from_polars`` and ``from_pandas`` of
  the ``many`` log in memory (``--ids int``: integer ids and label codes;
  ``str``: ``D`` + number ids, stage labels and owner names), each against
  the engine's compute on the built log (``closed_funnel(log, by="owner",
  durations=False)``): issue 11's "at most 0.25x of the compute". Each
  constructor first builds a log of 1,000 rows (imports and first calls),
  then the whole log twice; the second is timed, in CPU time and, as
  ``... wall``, ``... user``, ``... sys`` and ``... faults``, in wall
  time, user and system CPU time and minor page faults.

Run::

    mkdir /tmp/before && git archive <commit> src | tar -x -C /tmp/before
    python benchmarks/ab_load.py /tmp/before/src src --what csv --sizes 1e6 --rounds 5
    python benchmarks/ab_load.py /tmp/before/src src --what arrow --sizes 1e6 --rounds 5
    python benchmarks/ab_load.py /tmp/before/src src --what frames --ids int --sizes 1e6
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

# The child imports salesfunnel from the given tree before the benchmark modules.
CHILD = """
import csv, gc, json, sys, time
sys.path.insert(0, sys.argv[1])
import salesfunnel
sys.path.insert(1, sys.argv[2])
import bench_load as b
from pathlib import Path
assert salesfunnel.__file__.startswith(sys.argv[1]), salesfunnel.__file__
n, what, ids = int(float(sys.argv[3])), sys.argv[4], sys.argv[5]
cpu = time.process_time
import resource
def usage():
    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_utime, u.ru_stime, u.ru_minflt
out = {}
if what == "csv":
    path = b.csv_file(n, Path("/tmp"))
    c = cpu()
    with open(path, newline="", encoding="utf-8") as f:
        for _ in csv.reader(f):
            pass
    out["csv.reader"] = cpu() - c
    gc.collect()
    c = cpu()
    b.DealLog.from_csv(path, b.PIPELINE, owner="owner", engine="python")
    out["from_csv python"] = cpu() - c
elif what == "arrow":
    import duckdb, pyarrow
    path = b.csv_file(n, Path("/tmp"))
    b.DealLog.from_csv(b.csv_file(10_000, Path("/tmp")), b.PIPELINE, owner="owner", engine="arrow")
    c = cpu()
    b.read_duckdb(path)
    out["duckdb.read_csv"] = cpu() - c
    gc.collect()
    c = cpu()
    b.DealLog.from_csv(path, b.PIPELINE, owner="owner", engine="arrow")
    out["from_csv arrow"] = cpu() - c
else:
    import polars as pl
    if ids == "int":
        t = b.synthetic(n, "many", "int").select(["deal", "code", "time", "owner"])
        t = t.rename_columns(["deal", "stage", "time", "owner"])
    else:
        t = b.labelled(n, "str")
    frames = {"from_arrow": (b.DealLog.from_arrow, t),
              "from_polars": (b.DealLog.from_polars, pl.from_arrow(t)),
              "from_pandas": (b.DealLog.from_pandas, t.to_pandas())}
    if ids == "str":  # the event log's constructor codes the same text columns
        def events(frame, *_, **__):
            return b.EventLog.from_arrow(frame, entity="deal", event="stage", time="time")
        frames["EventLog.from_arrow"] = (events, t)
    log = deals = None
    for name, (build, frame) in frames.items():
        build(frame[:1000], b.PIPELINE, owner="owner")  # warm-up: imports, first calls
        for _ in range(2):  # the second: the first big allocations of a process fault pages
            del log
            gc.collect()
            c, w, r = cpu(), time.perf_counter(), usage()
            log = build(frame, b.PIPELINE, owner="owner")
            out[name] = cpu() - c
            out[name + " wall"] = time.perf_counter() - w
            for k, before, after in zip(("user", "sys", "faults"), r, usage()):
                out[f"{name} {k}"] = after - before
            deals = log if isinstance(log, b.DealLog) else deals
    del log
    gc.collect()
    c = cpu()
    b.closed_funnel(deals, by="owner", durations=False)
    out["compute"] = cpu() - c
print(json.dumps(out))
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("trees", nargs=2, help="two src directories (before, after)")
    parser.add_argument("--what", choices=("csv", "arrow", "frames"), default="csv")
    parser.add_argument("--ids", choices=("int", "str"), default="int", help="for frames")
    parser.add_argument("--sizes", default="1e6", help="rows, comma separated")
    parser.add_argument("--rounds", type=int, default=5, help="fresh processes per tree")
    args = parser.parse_args(argv)
    trees = [str(Path(t).resolve()) for t in args.trees]
    base_step = {"csv": "csv.reader", "arrow": "duckdb.read_csv"}.get(args.what, "compute")
    print(f"{args.what}, {args.ids} ids; load average at start: {_load()}")
    print(f"{'rows':>10} {'tree':<32} {'step':<16} {'cpu s':>8} {'vs ' + base_step:>14}")
    for n in (int(float(x)) for x in args.sizes.split(",") if x):
        runs: dict[str, list[dict[str, float]]] = {t: [] for t in trees}
        for _ in range(args.rounds):
            for tree in trees:
                cmd = [sys.executable, "-c", CHILD, tree, str(HERE), str(n), args.what, args.ids]
                done = subprocess.run(cmd, capture_output=True, text=True, check=True)
                runs[tree].append(json.loads(done.stdout.strip().splitlines()[-1]))
        for tree in trees:
            steps = runs[tree][0].keys()
            base = statistics.median(r[base_step] for r in runs[tree])
            for step in steps:
                s = statistics.median(r[step] for r in runs[tree])
                if step.endswith(" faults"):
                    print(f"{n:>10,} {tree[-32:]:<32} {step:<20} {s:8.0f}")
                else:
                    print(f"{n:>10,} {tree[-32:]:<32} {step:<20} {s:8.3f} {s / base:13.2f}x")
    print(f"load average at end: {_load()}")
    return 0


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


if __name__ == "__main__":
    sys.exit(main())
