"""Renderer benchmarks: medians and ratios against baselines measured in the same run.

Run from the repository root::

    PYTHONPATH=src python benchmarks/bench_render.py

Targets (issue 3), for an 800 x 600 six-stage funnel with labels:

* ``to_png()`` within 0.8x of Pillow PNG-encoding the finished image alone
  (issue 11: our own PNG writer, ``salesfunnel.render.png``), with a file no
  larger than Pillow's;
* ``to_image()`` no slower than a naive Pillow renderer of the same geometry
  (one ``line()`` per pixel column plus ``ellipse()`` calls, same labels and
  font, no anti-aliasing);
* ``to_svg()`` at least 2.5x faster than pygal's Funnel SVG of the same data;
* import + first ``to_png()`` in a fresh process within 1.3x of a bare
  ``import numpy, PIL.Image`` process;
* ``hit_test_many`` at least 1e6 points per second;
* the layout of the chart at most 0.3x its ``to_image()``, and of a
  100-stage funnel at most 1.3x Pillow's PNG encode of its image (issue 11).

Also measured: analytic coverage (what the renderer uses) against 4 x 4
supersampling of the same side shapes with Pillow, time and difference.
No timing is asserted anywhere in the test suite; this script only reports.
"""

from __future__ import annotations

import io
import math
import os
import resource
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from salesfunnel import Funnel, FunnelChart
from salesfunnel.chart import HiddenLabelsWarning
from salesfunnel.render import coverage as cov
from salesfunnel.render.layout import layout
from salesfunnel.render.paint import Painter, paint
from salesfunnel.render.pillow_fast import clear_glyph_cache, pixels
from salesfunnel.render.png import encode
from salesfunnel.render.shapes import Ellipse, Gradient, Line, Rect, Side, Text
from salesfunnel.render.text import clear_text_cache, font

from _workload import COUNTS, FIRST_PNG

FUNNEL = Funnel.from_counts(COUNTS, name="Worked example")
SRC = str(Path(__file__).resolve().parents[1] / "src")


def paired_ms(
    ours: Callable[[], object], base: Callable[[], object], repeat: int = 31
) -> tuple[float, float]:
    """Medians of ``ours`` and ``base`` run alternately, so that load from other
    processes on the (shared) machine hits both alike and the ratio stays honest."""
    ours()
    base()
    a: list[float] = []
    b: list[float] = []
    for _ in range(repeat):
        for fn, out in ((ours, a), (base, b)):
            t = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t)
    return statistics.median(a) * 1000, statistics.median(b) * 1000


def median_ms(fn: Callable[[], object], repeat: int = 25, warmup: int = 2) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


class NaivePillowPainter(Painter):
    """The source's way with plain Pillow calls, reading the same geometry.

    ``ellipse()`` for ellipses, one ``line()`` per pixel column for the shaded
    sides and covers, ``line()`` for strokes, ``text()`` with the same bundled font. No
    anti-aliasing of shapes.
    """

    def __init__(self, chart: FunnelChart) -> None:
        self.image = Image.new("RGB", chart.size, chart.style.background)
        self.draw = ImageDraw.Draw(self.image)

    def ellipse(self, shape: Ellipse, region: int | None) -> None:
        box = (shape.cx - shape.rx, shape.cy - shape.ry, shape.cx + shape.rx, shape.cy + shape.ry)
        if shape.rx <= 0 or shape.ry <= 0:
            return
        if isinstance(shape.fill, Gradient):
            # a cover: one line per pixel column from the centre line to the front arc
            for x in range(math.floor(shape.cx - shape.rx), math.ceil(shape.cx + shape.rx)):
                q = min(1.0, abs(x + 0.5 - shape.cx) / shape.rx)
                c = shape.fill.colors_at([x + 0.5])[0]
                bottom = shape.cy + shape.ry * math.sqrt(1 - q * q)
                self.draw.line((x, shape.cy, x, bottom), fill=(int(c[0]), int(c[1]), int(c[2])))
        elif shape.fill is not None:
            self.draw.ellipse(box, fill=shape.fill)
        if shape.stroke is not None:
            w = max(1, round(shape.stroke_width))
            if shape.front:
                self.draw.arc(box, 0, 180, fill=shape.stroke, width=w)
            else:
                self.draw.ellipse(box, outline=shape.stroke, width=w)

    def side(self, shape: Side, region: int | None) -> None:
        """One ``line()`` per pixel column, in that column's ramp color."""
        xs = np.arange(math.floor(shape.cx - shape.r0), math.ceil(shape.cx + shape.r0)) + 0.5
        top, bottom = shape.spans(xs)
        for x, t, b, c in zip(xs, top, bottom, shape.fill.colors_at(xs), strict=True):
            if b > t:
                self.draw.line((x, t, x, b), fill=(int(c[0]), int(c[1]), int(c[2])))

    def line(self, shape: Line, region: int | None) -> None:
        self.draw.line(
            (shape.x0, shape.y0, shape.x1, shape.y1),
            fill=shape.color,
            width=max(1, round(shape.stroke_width)),
        )

    def rect(self, shape: Rect, region: int | None) -> None:
        self.draw.rectangle((shape.x0, shape.y0, shape.x1, shape.y1), fill=shape.fill)

    def text(self, shape: Text, region: int | None) -> None:
        anchor = "ms" if shape.anchor == "middle" else "ls"
        self.draw.text(
            (shape.x, shape.y), shape.text, fill=shape.color, font=font(shape.size), anchor=anchor
        )


def naive_pillow(chart: FunnelChart) -> Image.Image:
    painter = NaivePillowPainter(chart)
    paint(chart.geometry, painter)
    return painter.image


def pygal_svg() -> bytes | None:
    try:
        import pygal
    except ImportError:
        return None
    chart = pygal.Funnel(width=800, height=600, title="Worked example")
    for name, value in COUNTS.items():
        chart.add(name, [value])
    out: bytes = chart.render()
    return out


def fresh_process_ms(codes: list[str], repeat: int = 15) -> list[tuple[float, float]]:
    """Median wall and CPU time (user + system) of fresh ``python -c code`` processes,
    interleaved so that load from other processes on the machine hits every variant alike."""
    walls: list[list[float]] = [[] for _ in codes]
    cpus: list[list[float]] = [[] for _ in codes]
    for _ in range(repeat):
        for k, code in enumerate(codes):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True, env={"PYTHONPATH": SRC})
            walls[k].append(time.perf_counter() - t)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpus[k].append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return [
        (statistics.median(w) * 1000, statistics.median(c) * 1000)
        for w, c in zip(walls, cpus, strict=True)
    ]


def supersampled_side(side: Side, size: tuple[int, int], factor: int = 4) -> np.ndarray:
    x0, y0, x1, y1 = side.bounds
    ix0, iy0 = int(x0), int(y0)
    w, h = int(x1) + 2 - ix0, int(y1) + 2 - iy0
    big = Image.new("L", (w * factor, h * factor))
    pts = [((x - ix0) * factor, (y - iy0) * factor) for x, y in side.polygon(64)]
    ImageDraw.Draw(big).polygon(pts, fill=255)
    return np.asarray(big.reduce(factor), dtype=np.float64) / 255


def main() -> None:
    chart = FunnelChart(FUNNEL, width=800, height=600, title="Worked example")
    image = chart.to_image()
    rows: list[tuple[str, float, str, float, str]] = []

    def row(name: str, ours: float, base_name: str, base: float, target: str) -> None:
        rows.append((name, ours, base_name, base, target))

    load = os.getloadavg()[0]
    png, pillow_png = paired_ms(chart.to_png, lambda: image.save(io.BytesIO(), format="PNG"))
    row("to_png()", png, "Pillow PNG encode alone", pillow_png, "<= 0.8")
    writer, pillow_png = paired_ms(
        lambda: encode(pixels(image)), lambda: image.save(io.BytesIO(), format="PNG")
    )
    row("PNG writer alone", writer, "Pillow PNG encode alone", pillow_png, "(info) ~0.5")

    def cold_png() -> bytes:
        clear_glyph_cache()  # glyph masks are cached across renders: time without them
        return chart.to_png()

    png_cold, encode_cold = paired_ms(cold_png, lambda: image.save(io.BytesIO(), format="PNG"))
    row("to_png(), no glyph cache", png_cold, "Pillow PNG encode alone", encode_cold, "(info)")
    ours_img, naive = paired_ms(chart.to_image, lambda: naive_pillow(chart))
    row("to_image()", ours_img, "naive Pillow line()/column", naive, "<= 1.0")
    if pygal_svg() is not None:
        ours_svg, pygal = paired_ms(chart.to_svg, pygal_svg, repeat=15)
        row("to_svg()", ours_svg, "pygal Funnel render()", pygal, "<= 0.4")
    else:
        print("pygal not installed: pip install pygal (the 'bench' extra)")

    # Layout (issue 11): at most 0.3 of to_image(), and linear in the stages.
    def lay(funnel: Funnel) -> object:
        return layout([(funnel.name, funnel)], 800.0, 600.0, title="Worked example")

    lay_ms, image_ms = paired_ms(lambda: lay(FUNNEL), chart.to_image)
    row("layout(), 6 stages", lay_ms, "to_image()", image_ms, "<= 0.3")

    def cold_layout() -> object:
        clear_text_cache()  # text widths are cached across layouts: time without them
        return lay(FUNNEL)

    cold_ms, image_ms = paired_ms(cold_layout, chart.to_image)
    row("layout(), no text cache", cold_ms, "to_image()", image_ms, "(info)")
    many = Funnel.from_counts({f"Stage {i}": 1000 - 5 * i for i in range(100)})
    with warnings.catch_warnings():  # 100 labels cannot all show on 600 pixels: known
        warnings.simplefilter("ignore", HiddenLabelsWarning)
        many_image = FunnelChart(many, width=800, height=600, title="Worked example").to_image()
    lay100, enc100 = paired_ms(
        lambda: lay(many), lambda: many_image.save(io.BytesIO(), format="PNG"), repeat=15
    )
    row("layout(), 100 stages", lay100, "Pillow PNG encode, 100 st.", enc100, "<= 1.3")
    lay100, ours100 = paired_ms(lambda: lay(many), lambda: encode(pixels(many_image)), repeat=15)
    row("layout(), 100 stages", lay100, "our PNG writer, 100 st.", ours100, "(info)")
    ours, bare = fresh_process_ms(
        [
            FIRST_PNG,
            "import numpy, PIL.Image",
        ]
    )
    row("import + first to_png()", ours[0], "import numpy, PIL.Image", bare[0], "<= 1.3")
    row("  the same, CPU time", ours[1], "import numpy, PIL.Image", bare[1], "(info)")

    rng = np.random.default_rng(0)
    xs, ys = rng.uniform(0, 800, 1_000_000), rng.uniform(0, 600, 1_000_000)
    chart.hit_mask()
    hit = median_ms(lambda: chart.hit_test_many(xs, ys), repeat=9)

    print(f"{'measure':<26}{'ours ms':>10}  {'baseline':<28}{'base ms':>9}{'ratio':>8}  target")
    for name, ours_ms, base_name, base_ms, target in rows:
        ratio = ours_ms / base_ms
        print(f"{name:<26}{ours_ms:>10.2f}  {base_name:<28}{base_ms:>9.2f}{ratio:>8.2f}  {target}")
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    ours_size, pillow_size = len(chart.to_png()), len(buf.getvalue())
    name = "PNG file size, bytes"
    print(f"{name:<26}{ours_size:>10}  {'Pillow Image.save':<28}{pillow_size:>9}", end="")
    print(f"{ours_size / pillow_size:>8.2f}  <= 1.0")
    rate = 1e6 / (hit / 1000)
    name = "hit_test_many(1e6 points)"
    print(f"{name:<26}{hit:>10.2f}  {'points per second':<28}{rate:>9.3g}{'':>8}  >= 1e6")

    # Anti-aliasing: analytic coverage vs 4 x 4 supersampling of the same sides,
    # the coverage of all six in one batch, as the renderer computes it.
    sides = [s.primitive for s in chart.geometry.shapes if isinstance(s.primitive, Side)]
    size = chart.size

    def analytic_sides() -> list[tuple[tuple[int, int, int, int], np.ndarray]]:
        batch = cov.Batch(1.0, size)
        ids = [batch.add_side(s) for s in sides]
        batch.run()
        return [batch.mask(k) for k in ids if k is not None]

    analytic = median_ms(analytic_sides)
    supersampled = median_ms(lambda: [supersampled_side(s, size) for s in sides])
    diffs = []
    for s, (box, levels) in zip(sides, analytic_sides(), strict=True):
        ref = supersampled_side(s, size)
        x0, y0 = int(s.bounds[0]), int(s.bounds[1])
        h, w = levels.shape
        ox, oy = box[0] - x0, box[1] - y0
        diffs.append(np.abs(levels / 255 - ref[oy : oy + h, ox : ox + w]).mean())
    print()
    print(f"anti-aliasing of {len(sides)} sides: analytic {analytic:.2f} ms,", end=" ")
    print(f"4x4 supersampled {supersampled:.2f} ms,")
    print(f"  mean coverage difference {np.mean(diffs) * 255:.2f} levels of 255")
    print(f"load average (1 min): {load:.2f} at the start, {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()


def save_naive(path: str) -> None:
    """Write the naive baseline's picture (to compare it with ours by eye)."""
    naive_pillow(FunnelChart(FUNNEL, width=800, height=600, title="Worked example")).save(path)
