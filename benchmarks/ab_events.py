"""Before/after: the event-funnel benchmark call from two source trees, interleaved.

Runs ``ours_run`` of ``bench_events.py`` (``event_funnel`` on the synthetic
log; ``--variant`` plain, breakdown or exclusion) with the package imported
from each given ``src`` directory, one fresh process per tree and round, the
trees alternating round by round so that load on a shared machine hits them
alike. Each process builds the log (untimed), then times one call (the first:
a fresh process's memory, as a user's first call gets it; ``--per-process``
adds later calls; ``--peers chdb`` runs those engines of ``bench_events.py``
once before each timed call, as the benchmark does in its process). Prints
the median wall time and the median user and system CPU time of the call
(``resource.getrusage``) per tree, and the ratio of CPU time (user + system)
to the first tree. System time is mostly page faults on
freshly allocated arrays, which is why it is shown apart.

Run::

    mkdir /tmp/before && git archive <commit> src | tar -x -C /tmp/before
    python benchmarks/ab_events.py /tmp/before/src src --sizes 1e6 --rounds 5 --shape few
    python benchmarks/ab_events.py /tmp/before/src src --per-process 5 --peers chdb
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

# The child imports salesfunnel from the given tree before bench_events (whose own
# sys.path entry then no longer matters: the module is already loaded).
CHILD = """
import gc, json, resource, sys, time
sys.path.insert(0, sys.argv[1])
import salesfunnel
sys.path.insert(1, sys.argv[2])
import bench_events as b
assert salesfunnel.__file__.startswith(sys.argv[1]), salesfunnel.__file__
data = b.synthetic(int(float(sys.argv[3])), sys.argv[5])
log = b.ours_prepare(data)
peers = [(b.ENGINES[p][0](data), b.ENGINES[p][1]) for p in sys.argv[7].split(",") if p]
out = []
for _ in range(int(sys.argv[4])):
    for prepared, run in peers:
        run(prepared, False)
    gc.collect()
    r0, w = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    counts = b.ours_run(log, sys.argv[6])
    r1, w = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter() - w
    out.append((w, r1.ru_utime - r0.ru_utime, r1.ru_stime - r0.ru_stime, counts))
print(json.dumps(out))
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("trees", nargs=2, help="two src directories (before, after)")
    parser.add_argument("--sizes", default="1e6", help="event counts, comma separated")
    parser.add_argument("--rounds", type=int, default=5, help="fresh processes per tree")
    parser.add_argument("--per-process", type=int, default=1, help="timed calls per process")
    parser.add_argument("--shape", choices=("many", "few"), default="few")
    parser.add_argument("--variant", choices=("plain", "breakdown", "exclusion"), default="plain")
    parser.add_argument("--peers", default="", help="engines run before each call, e.g. chdb")
    args = parser.parse_args(argv)
    trees = [str(Path(t).resolve()) for t in args.trees]
    with open("/proc/loadavg") as fh:
        print(f"shape {args.shape}, variant {args.variant}, peers {args.peers or '-'}, "
              f"load {fh.read().split()[0]}")  # fmt: skip
    for size in args.sizes.split(","):
        runs: dict[str, list[tuple[float, float, float]]] = {t: [] for t in trees}
        counts: dict[str, object] = {}
        for _ in range(args.rounds):
            for tree in trees:
                cmd = [sys.executable, "-c", CHILD, tree, str(HERE), size,
                       str(args.per_process), args.shape, args.variant, args.peers]  # fmt: skip
                done = subprocess.run(cmd, capture_output=True, text=True, check=True)
                for wall, user, system, c in json.loads(done.stdout.strip().splitlines()[-1]):
                    runs[tree].append((wall, user, system))
                    counts[tree] = c
        same = all(c == counts[trees[0]] for c in counts.values())
        base = statistics.median(u + s for _, u, s in runs[trees[0]])
        with open("/proc/loadavg") as fh:
            load = fh.read().split()[0]
        print(f"{int(float(size)):,} events ({len(runs[trees[0]])} calls per tree, load {load}, "
              f"counts {'equal' if same else 'DIFFER'}):")  # fmt: skip
        for tree in trees:
            wall = statistics.median(w for w, _, _ in runs[tree])
            user = statistics.median(u for _, u, _ in runs[tree])
            system = statistics.median(s for _, _, s in runs[tree])
            cpu = statistics.median(u + s for _, u, s in runs[tree])
            print(f"  {tree}: wall {wall:.3f} s, user {user:.3f} s, sys {system:.3f} s, "
                  f"cpu {cpu:.3f} s ({cpu / base:.2f}x)")  # fmt: skip
        if not same:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
