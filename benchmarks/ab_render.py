"""Before/after: import + first ``to_png()`` in fresh processes, from two source trees.

Runs three kinds of fresh ``python -c`` process, interleaved round by round so
that load on a shared machine hits them alike: a bare ``import numpy,
PIL.Image`` (the baseline of ``bench_render.py``), and the benchmark's first
PNG (800 x 600 six-stage funnel) with the package imported from each given
``src`` directory. Prints the median wall time of each and its ratio to the
bare process.

Run::

    mkdir /tmp/before && git archive <commit> src | tar -x -C /tmp/before
    python -m compileall -q /tmp/before/src src
    python benchmarks/ab_render.py /tmp/before/src src --rounds 25
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _workload import FIRST_PNG


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("trees", nargs=2, help="two src directories (before, after)")
    parser.add_argument("--rounds", type=int, default=21, help="processes per variant")
    args = parser.parse_args(argv)
    variants = [("bare import numpy, PIL.Image", None, "import numpy, PIL.Image")]
    variants += [(str(Path(t).resolve()), str(Path(t).resolve()), FIRST_PNG) for t in args.trees]
    print(f"load average at start: {Path('/proc/loadavg').read_text().split()[:3]}")
    times: list[list[float]] = [[] for _ in variants]
    for _ in range(args.rounds):
        for k, (_, tree, code) in enumerate(variants):
            env = {"PYTHONPATH": tree} if tree else {}
            t = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True, env=env)
            times[k].append(time.perf_counter() - t)
    bare = statistics.median(times[0])
    print(f"{'process':<44} {'median ms':>10} {'vs bare':>8}")
    for (name, _, _), ts in zip(variants, times, strict=True):
        med = statistics.median(ts)
        print(f"{name[-44:]:<44} {med * 1000:10.1f} {med / bare:8.3f}")
    print(f"load average at end: {Path('/proc/loadavg').read_text().split()[:3]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
