"""Before/after: the deal-history benchmark task from two source trees, interleaved.

Runs ``run_salesfunnel`` of ``bench_deals.py`` (``DealLog.from_arrow`` plus
``closed_funnel(by="owner", durations=False)``) on the same seeded log (any of
its shapes and id kinds: ``--shape``, ``--ids``) with the
package imported from each given ``src`` directory, one fresh process per tree
and round, trees alternating round by round so that load on a shared machine
hits them alike. Prints the median wall and CPU (process) time per tree and
the ratio to the first tree. CPU time is the steadier of the two on a busy
machine: numpy runs on one core, so it counts the work, not the waiting.

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
import gc, json, sys, time
sys.path.insert(0, sys.argv[1])
import salesfunnel
sys.path.insert(1, sys.argv[2])
import bench_deals as b
assert salesfunnel.__file__.startswith(sys.argv[1]), salesfunnel.__file__
cols = b.synthetic(int(float(sys.argv[3])), sys.argv[5], sys.argv[6])
b.run_salesfunnel(cols)  # warm-up
out = []
for _ in range(int(sys.argv[4])):
    gc.collect()
    w, c = time.perf_counter(), time.process_time()
    b.run_salesfunnel(cols)
    out.append((time.perf_counter() - w, time.process_time() - c))
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
    args = parser.parse_args(argv)
    trees = [str(Path(t).resolve()) for t in args.trees]
    print(f"shape {args.shape}, {args.ids} ids")
    print(f"load average at start: {Path('/proc/loadavg').read_text().split()[:3]}")
    print(f"{'events':>10} {'tree':<40} {'wall s':>8} {'cpu s':>8} {'cpu vs first':>13}")
    for n in (int(float(x)) for x in args.sizes.split(",")):
        times: dict[str, list[tuple[float, float]]] = {t: [] for t in trees}
        for _ in range(args.rounds):
            for tree in trees:
                cmd = [sys.executable, "-c", CHILD, tree, str(HERE), str(n), str(args.per_process)]
                cmd += [args.shape, args.ids]
                done = subprocess.run(cmd, capture_output=True, text=True, check=True)
                times[tree] += [tuple(x) for x in json.loads(done.stdout)]
        base = statistics.median(c for _, c in times[trees[0]])
        for tree in trees:
            wall = statistics.median(w for w, _ in times[tree])
            cpu = statistics.median(c for _, c in times[tree])
            print(f"{n:>10,} {tree[-40:]:<40} {wall:8.3f} {cpu:8.3f} {cpu / base:12.2f}x")
    print(f"load average at end: {Path('/proc/loadavg').read_text().split()[:3]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
