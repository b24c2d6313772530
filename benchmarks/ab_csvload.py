"""Before/after: ``EventLog.from_csv`` (or ``DealLog.from_csv``) from two source trees, interleaved.

Reads the same CSV file (``--csv``; write one with ``bench_events.py --write``)
with the package imported from each given ``src`` directory, one fresh
process per tree and round, trees alternating round by round so that load on
a shared machine hits them alike. Each process loads once untimed (imports,
and the allocator's first touch of fresh pages), then ``--per-process``
timed loads. Prints the median wall time, user and system CPU time (the
process's, all threads; system time is mostly the kernel faulting in fresh
pages) per tree and the ratio of user + system to the first tree's, then the
same for the first load of each process (what a script that loads one file
pays; not in the medians above), with the median count of minor page faults
(fresh pages, whatever each costs on a busy machine); ``--deals`` times
``DealLog.from_csv`` of a file of ``bench_load.py``'s shape instead, and
``--properties ''`` an event log without its ``device`` column.

Run::

    mkdir /tmp/before && git archive <commit> src | tar -x -C /tmp/before
    PYTHONPATH=src python benchmarks/bench_events.py --sizes 0 --csv 1e7 --write /tmp/events.csv
    python benchmarks/ab_csvload.py /tmp/before/src src --csv /tmp/events.csv --rounds 3
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

CHILD = """
import gc, json, resource, sys, time
sys.path.insert(0, sys.argv[1])
import salesfunnel
from salesfunnel import DealLog, EventLog, Pipeline
assert salesfunnel.__file__.startswith(sys.argv[1]), salesfunnel.__file__
path, deals, props = sys.argv[2], sys.argv[4] == "1", sys.argv[5].split(",") if sys.argv[5] else []
pipeline = Pipeline([f"S{i}" for i in range(6)], won="Won", lost="Lost")  # bench_deals'
def load():
    if deals:
        return DealLog.from_csv(path, pipeline, owner="owner", engine="arrow")
    return EventLog.from_csv(path, entity="user", properties=props, engine="arrow")
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime, r.ru_stime, r.ru_minflt
out = []
for _ in range(1 + int(sys.argv[3])):  # the first load: imports, fresh pages
    gc.collect()
    (u, s, f), w = cpu(), time.perf_counter()
    log = load()
    (u1, s1, f1), w1 = cpu(), time.perf_counter()
    out.append((w1 - w, u1 - u, s1 - s, f1 - f))
    del log
print(json.dumps(out))
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("trees", nargs=2, help="two src directories (before, after)")
    parser.add_argument("--csv", required=True, help="the file to load")
    parser.add_argument("--rounds", type=int, default=3, help="fresh processes per tree")
    parser.add_argument("--per-process", type=int, default=3, help="timed loads per process")
    parser.add_argument("--deals", action="store_true", help="DealLog.from_csv instead")
    parser.add_argument(
        "--properties", default="device", help="the event log's property columns ('' for none)"
    )
    args = parser.parse_args(argv)
    trees = [str(Path(t).resolve()) for t in args.trees]
    print(f"load average at start: {Path('/proc/loadavg').read_text().split()[:3]}")
    times: dict[str, list[list[float]]] = {t: [] for t in trees}
    firsts: dict[str, list[list[float]]] = {t: [] for t in trees}
    for _ in range(args.rounds):
        for tree in trees:
            cmd = [sys.executable, "-c", CHILD, tree, args.csv, str(args.per_process)]
            cmd += ["1" if args.deals else "0", args.properties]
            done = subprocess.run(cmd, capture_output=True, text=True, check=True)
            first, *rest = json.loads(done.stdout)
            firsts[tree].append(first)
            times[tree] += rest
    for title, runs in (("timed loads", times), ("first load of each process", firsts)):
        print(title)
        head = f"  {'tree':<40} {'wall s':>8} {'user s':>8} {'sys s':>8} {'cpu vs first':>13}"
        print(head + f" {'faults':>8}")
        base = statistics.median(u + s for _, u, s, _ in runs[trees[0]])
        for tree in trees:
            wall, user, system, faults = (
                statistics.median(x[i] for x in runs[tree]) for i in range(4)
            )
            cpu = statistics.median(u + s for _, u, s, _ in runs[tree])
            print(
                f"  {tree[-40:]:<40} {wall:8.3f} {user:8.3f} {system:8.3f} {cpu / base:12.2f}x"
                f" {faults:8.0f}"
            )
    print(f"load average at end: {Path('/proc/loadavg').read_text().split()[:3]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
