"""Before/after: the deal-history benchmark task from two source trees, interleaved.

Runs ``run_salesfunnel`` of ``bench_deals.py`` (``DealLog.from_arrow`` plus
``cohort_funnel(by="owner", time_to_won=False)``, or the default call with
``--engine salesfunnel+curves``; ``--task closed``: ``closed_funnel(by="owner",
durations=False)``) on the same seeded log (any of
its shapes and id kinds: ``--shape``, ``--ids``) with the
package imported from each given ``src`` directory, one fresh process per tree
and round, trees alternating round by round so that load on a shared machine
hits them alike. Prints the median wall and CPU (process) time per tree and
the ratio to the first tree, and the CPU split into user and system time
(``resource.getrusage``), and the minor page faults per call: system time is
mostly the page faults of touching freshly allocated memory. CPU time is the
steadier of the two on a busy machine: it counts the work, not the waiting.

Run::

    mkdir /tmp/before && git archive <commit> src | tar -x -C /tmp/before
    python benchmarks/ab_deals.py /tmp/before/src src --sizes 1e6,1e7 --rounds 5 --shape many
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

# The child imports salesfunnel from the given tree *before* bench_deals, whose own
# sys.path entry then no longer matters (the module is already loaded).
CHILD = """
import gc, json, resource, sys, time
sys.path.insert(0, sys.argv[1])
import salesfunnel
sys.path.insert(1, sys.argv[2])
import bench_deals as b
assert salesfunnel.__file__.startswith(sys.argv[1]), salesfunnel.__file__
cols = b.synthetic(int(float(sys.argv[3])), sys.argv[5], sys.argv[6])
run = b.TASKS[sys.argv[7]][sys.argv[8]]
run(cols)  # warm-up
out = []
for _ in range(int(sys.argv[4])):
    gc.collect()
    r = resource.getrusage(resource.RUSAGE_SELF)
    w = time.perf_counter()
    run(cols)
    wall = time.perf_counter() - w
    s = resource.getrusage(resource.RUSAGE_SELF)
    out.append((wall, s.ru_utime - r.ru_utime, s.ru_stime - r.ru_stime, s.ru_minflt - r.ru_minflt))
print(json.dumps(out))
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("trees", nargs=2, help="two src directories (before, after)")
    parser.add_argument("--sizes", default="1e6,1e7", help="event counts, comma separated")
    parser.add_argument("--rounds", type=int, default=5, help="fresh processes per tree")
    parser.add_argument("--per-process", type=int, default=3, help="timed runs per process")
    parser.add_argument("--shape", choices=("classic", "many", "long"), default="classic")
    parser.add_argument("--ids", choices=("int", "str"), default="int")
    parser.add_argument("--task", choices=("cohort", "closed"), default="cohort")
    parser.add_argument(
        "--engine",
        default="salesfunnel",
        help="salesfunnel, or salesfunnel+curves (cohort: the default call, with the curves)",
    )
    args = parser.parse_args(argv)
    trees = [str(Path(t).resolve()) for t in args.trees]
    print(f"task {args.task}, shape {args.shape}, {args.ids} ids")
    print(f"load average at start: {Path('/proc/loadavg').read_text().split()[:3]}")
    print(
        f"{'events':>10} {'tree':<40} {'wall s':>8} {'cpu s':>8} {'user s':>8} {'sys s':>8} "
        f"{'faults':>8} {'cpu vs first':>13}"
    )
    for n in (int(float(x)) for x in args.sizes.split(",")):
        times: dict[str, list[tuple[float, float, float, int]]] = {t: [] for t in trees}
        for _ in range(args.rounds):
            for tree in trees:
                cmd = [sys.executable, "-c", CHILD, tree, str(HERE), str(n), str(args.per_process)]
                cmd += [args.shape, args.ids, args.task, args.engine]
                done = subprocess.run(cmd, capture_output=True, text=True, check=True)
                times[tree] += [(w, u, s, f) for w, u, s, f in json.loads(done.stdout)]
        base = statistics.median(u + s for _, u, s, _ in times[trees[0]])
        for tree in trees:
            wall = statistics.median(w for w, _, _, _ in times[tree])
            cpu = statistics.median(u + s for _, u, s, _ in times[tree])
            user = statistics.median(u for _, u, _, _ in times[tree])
            sys_ = statistics.median(s for _, _, s, _ in times[tree])
            faults = statistics.median(f for _, _, _, f in times[tree])
            print(
                f"{n:>10,} {tree[-40:]:<40} {wall:8.3f} {cpu:8.3f} {user:8.3f} {sys_:8.3f} "
                f"{faults:8.0f} {cpu / base:12.2f}x"
            )
    print(f"load average at end: {Path('/proc/loadavg').read_text().split()[:3]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
