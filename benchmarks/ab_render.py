"""Before/after in fresh processes from two source trees: import + first PNG, and the layout.

Runs three kinds of fresh ``python -c`` process, interleaved round by round so
that load on a shared machine hits them alike: a bare ``import numpy,
PIL.Image`` (the baseline of ``bench_render.py``), and the benchmark's first
PNG (800 x 600 six-stage funnel) with the package imported from each given
``src`` directory. Prints the median wall time and the median CPU time (user +
system of the child, which load from other processes inflates less) of each,
and their ratios to the bare process.

With ``--layout`` it also times, in fresh processes alternating between the
trees, the layout of the benchmark chart against its ``to_image()`` (the
ratio ``bench_render.py`` reports, target at most 0.3): each process takes
the median of 200 pairs.

With ``--phases`` it splits the first PNG of fresh processes (trees
alternating) into its steps, each timed with ``perf_counter_ns`` and
``getrusage``: importing numpy and ``PIL.Image`` (the bare process's work),
importing salesfunnel, the chart (its layout), ``to_image()`` and writing the
PNG (what ``to_png()`` does after ``to_image()``), with the CPU time (user +
system) and the minor page faults of each step, medians per tree.

Run::

    mkdir /tmp/before && git archive <commit> src | tar -x -C /tmp/before
    python -m compileall -q /tmp/before/src src
    python benchmarks/ab_render.py /tmp/before/src src --rounds 25 --layout 5 --phases 15
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _workload import COUNTS, FIRST_PNG

# One process: median layout and to_image() times of the benchmark chart, in pairs.
LAYOUT = f"""
import statistics, time
from salesfunnel import Funnel, FunnelChart
from salesfunnel.render.layout import layout
f = Funnel.from_counts({COUNTS!r}, name="Worked example")
chart = FunnelChart(f, width=800, height=600, title="Worked example")
def lay():
    return layout([(f.name, f)], 800.0, 600.0, title="Worked example")
a, b = [], []
for _ in range(220):
    for fn, out in ((lay, a), (chart.to_image, b)):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
a, b = a[20:], b[20:]
print(statistics.median(a) * 1e3, statistics.median(b) * 1e3)
"""


# One process: the first PNG step by step; per step wall ms, CPU ms, minor faults.
PHASES = f"""
import resource, time
marks = []
def mark(name):
    r = resource.getrusage(resource.RUSAGE_SELF)
    marks.append((name, time.perf_counter_ns(), r.ru_utime + r.ru_stime, r.ru_minflt))
mark("start")
import numpy, PIL.Image
mark("import numpy, PIL.Image")
from salesfunnel import Funnel, FunnelChart
mark("import salesfunnel")
chart = FunnelChart(Funnel.from_counts({COUNTS!r}), title='x')
mark("FunnelChart(...) (layout)")
image = chart.to_image()
mark("to_image()")
from salesfunnel.render import pillow_fast
if hasattr(pillow_fast, "png_bytes"):  # to_png() after to_image(), in either tree
    pillow_fast.png_bytes(image)
else:
    from salesfunnel.render.png import encode
    encode(pillow_fast.pixels(image))
mark("PNG bytes")
for (_, t0, c0, f0), (name, t1, c1, f1) in zip(marks, marks[1:]):
    print(f"{{name}}\t{{(t1 - t0) / 1e6}}\t{{(c1 - c0) * 1e3}}\t{{f1 - f0}}")
"""


def _run(code: str, tree: str | None) -> tuple[float, float, str]:
    """Wall and CPU seconds of one fresh process, and what it printed."""
    env = {"PYTHONPATH": tree} if tree else {}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, env=env, capture_output=True, text=True
    )
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, out.stdout


def _load() -> list[str]:
    return Path("/proc/loadavg").read_text().split()[:3]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("trees", nargs=2, help="two src directories (before, after)")
    parser.add_argument("--rounds", type=int, default=21, help="processes per variant")
    parser.add_argument("--layout", type=int, default=0, help="layout processes per tree")
    parser.add_argument("--phases", type=int, default=0, help="step-by-step processes per tree")
    args = parser.parse_args(argv)
    variants = [("bare import numpy, PIL.Image", None, "import numpy, PIL.Image")]
    variants += [(str(Path(t).resolve()), str(Path(t).resolve()), FIRST_PNG) for t in args.trees]
    print(f"load average at start: {_load()}")
    walls: list[list[float]] = [[] for _ in variants]
    cpus: list[list[float]] = [[] for _ in variants]
    for _ in range(args.rounds):
        for k, (_, tree, code) in enumerate(variants):
            wall, cpu, _ = _run(code, tree)
            walls[k].append(wall)
            cpus[k].append(cpu)
    if args.rounds:
        bare_wall, bare_cpu = statistics.median(walls[0]), statistics.median(cpus[0])
        print(f"{'process':<44} {'wall ms':>8} {'vs bare':>8} {'CPU ms':>8} {'vs bare':>8}")
        for (name, _, _), ws, cs in zip(variants, walls, cpus, strict=True):
            w, c = statistics.median(ws), statistics.median(cs)
            ratios = f"{w / bare_wall:8.3f} {c * 1e3:8.1f} {c / bare_cpu:8.3f}"
            print(f"{name[-44:]:<44} {w * 1e3:8.1f} {ratios}")
    if args.layout:
        ratios: list[list[float]] = [[] for _ in args.trees]
        for _ in range(args.layout):
            for k, tree in enumerate(args.trees):
                _, _, out = _run(LAYOUT, str(Path(tree).resolve()))
                lay_ms, image_ms = (float(v) for v in out.split())
                ratios[k].append(lay_ms / image_ms)
        print("layout() / to_image(), benchmark chart, one ratio per process:")
        for tree, rs in zip(args.trees, ratios, strict=True):
            shown = " ".join(f"{r:.3f}" for r in rs)
            print(f"  {tree[-40:]:<40} median {statistics.median(rs):.3f}  ({shown})")
    if args.phases:
        _phases(args.trees, args.phases)
    print(f"load average at end: {_load()}")
    return 0


def _phases(trees: list[str], count: int) -> None:
    """Medians of each step of a first PNG (wall ms, CPU ms, minor faults), per tree."""
    steps: list[dict[str, list[list[float]]]] = [{} for _ in trees]
    for _ in range(count):
        for k, tree in enumerate(trees):
            _, _, out = _run(PHASES, str(Path(tree).resolve()))
            for line in out.splitlines():
                name, *values = line.split("\t")
                steps[k].setdefault(name, []).append([float(v) for v in values])
    print(f"first PNG step by step, medians of {count} fresh processes per tree:")
    print(f"  {'step':<28}" + "".join(f"{t[-22:]:>34}" for t in trees))
    print(f"  {'':<28}" + f"{'wall ms':>14}{'CPU ms':>10}{'faults':>10}" * len(trees))
    for name in steps[0]:
        row = ""
        for by_step in steps:
            columns = zip(*by_step[name], strict=True)
            row += "".join(
                f"{statistics.median(c):>{w}.2f}"
                for c, w in zip(columns, (14, 10, 10), strict=True)
            )
        print(f"  {name:<28}{row}")


if __name__ == "__main__":
    sys.exit(main())
