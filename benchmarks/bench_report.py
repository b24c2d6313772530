"""HTML report benchmark: file size, time to first paint and first click in Chromium.

For each size, a seeded synthetic CRM log (``synthetic_crm``, eight owners) is
turned into the report by ``build_report`` and written to a temporary file;
headless Chromium (Debian's, driven by Playwright, as the browser tests) opens
it ``--repeat`` times in a fresh page. Reported per size: the file size, the
build time in Python, and the medians of

``first paint``
    the ``first-contentful-paint`` entry of the page's performance timeline
    (from navigation start, so it includes reading and parsing the file);
``load``
    the ``load`` event (every inline image decoded, the script run);
``first click``
    a click on the first stage of the team's closed-deal funnel until its first
    page of deals is in the panel (the deals data is parsed on this click).

Run::

    PYTHONPATH=src python benchmarks/bench_report.py                  # 1e4, 1e5, 5e5
    PYTHONPATH=src python benchmarks/bench_report.py --sizes 1e4 --repeat 3
    PYTHONPATH=src python benchmarks/bench_report.py --also old.html  # time other files too

The machine may be shared: the load average is printed beside the figures.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from salesfunnel import DealLog, Pipeline, build_report
from salesfunnel.datasets import CRM_STAGES, synthetic_crm

CHROMIUM = os.environ.get("SALESFUNNEL_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
CLICK = """() => {
  const el = document.querySelector('[data-chart="team-closed"] [data-stage="0"][tabindex="0"]');
  const t = performance.now();
  el.dispatchEvent(new MouseEvent('click', {bubbles: true}));
  const rows = document.querySelectorAll('#sf-deals-body tr').length;
  return [performance.now() - t, rows];
}"""
TIMES = """() => new Promise(done => {
  // The paint entry may come after the load event: wait for it (buffered entries included).
  const nav = performance.getEntriesByType('navigation')[0];
  new PerformanceObserver(list => {
    const fcp = list.getEntries().find(e => e.name === 'first-contentful-paint');
    if (fcp) { done([fcp.startTime, nav.loadEventStart]); }
  }).observe({type: 'paint', buffered: true});
  requestAnimationFrame(() => requestAnimationFrame(() => {}));
})"""


def build(n: int, owners: int, out: Path) -> float:
    """Write the report of ``n`` synthetic deals to ``out``; return the build time in s."""
    p = Pipeline(CRM_STAGES, won="Won", lost="Lost", frozen="Frozen")
    log = DealLog.from_columns(
        synthetic_crm(n, owners=owners),
        p,
        deal="deal_id",
        time="timestamp",
        owner="owner",
        amount="amount",
    )
    t = time.perf_counter()
    html = build_report(log)
    took = time.perf_counter() - t
    out.write_text(html, encoding="utf-8")
    return took


def browse(browser: Any, path: Path, repeat: int) -> tuple[float, float, float | None]:
    """Medians of (first paint, load, first click) in ms over ``repeat`` fresh pages."""
    paints, loads, clicks = [], [], []
    for _ in range(repeat):
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(path.as_uri(), wait_until="load", timeout=600_000)
        paint, load = page.evaluate(TIMES)
        paints.append(paint)
        loads.append(load)
        if page.locator('[data-chart="team-closed"]').count():
            ms, rows = page.evaluate(CLICK)
            assert rows > 0, "the click listed no deal"
            clicks.append(ms)
        page.close()
    click = statistics.median(clicks) if clicks else None
    return statistics.median(paints), statistics.median(loads), click


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1e4,1e5,5e5", help="deal counts, comma-separated")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--owners", type=int, default=8)
    ap.add_argument("--also", nargs="*", default=[], help="other HTML files to time")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    sizes = [int(float(s)) for s in args.sizes.split(",") if s]
    print(f"load average before: {Path('/proc/loadavg').read_text().split()[:3]}")
    head = f"{'file':>22} {'MB':>8} {'build s':>8} {'paint ms':>9} {'load ms':>9} {'click ms':>9}"
    print(head)
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        files: list[tuple[str, Path, float | None]] = []
        for n in sizes:
            out = Path(tmp) / f"report-{n}.html"
            files.append((f"{n:,} deals", out, build(n, args.owners, out)))
        files += [(Path(f).name, Path(f), None) for f in args.also]
        for name, path, took in files:
            paint, load, click = browse(browser, path, args.repeat)
            mb = path.stat().st_size / 1e6
            built = "" if took is None else f"{took:.1f}"
            shown = "" if click is None else f"{click:.0f}"
            print(f"{name:>22} {mb:8.1f} {built:>8} {paint:9.0f} {load:9.0f} {shown:>9}")
        browser.close()
    print(f"load average after: {Path('/proc/loadavg').read_text().split()[:3]}")


if __name__ == "__main__":
    main()
