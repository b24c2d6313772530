"""Loading benchmark: ``DealLog.from_csv`` and the frame constructors against native readers.

Part 1, CSV files: the same file (generated once under ``--dir``, default
``/tmp``, from the ``many`` shape of ``bench_deals.py``: one to three events
per deal, rows sorted by time, columns ``deal,stage,time,owner`` with integer
ids, stage labels, ISO times and owner names) read by

* ``from_csv arrow``: ``DealLog.from_csv(engine="arrow")`` (pyarrow's parser);
* ``from_csv python``: ``DealLog.from_csv(engine="python")`` (the pure reader,
  the standard ``csv`` module);
* ``polars+from_polars``: ``polars.read_csv`` then ``DealLog.from_polars``;
* ``duckdb.read_csv``: DuckDB's ``read_csv`` materialised as an Arrow table;
* ``polars.read_csv`` and ``pyarrow.read_csv``: the native readers alone;
* ``EventLog arrow`` and ``EventLog python``: ``EventLog.from_csv`` of the
  same file (entity ``deal``, event ``stage``), with either engine;
* ``csv.reader pass``: a bare ``for row in csv.reader(f)`` over the file, the
  floor for any parser written in Python.

Each read runs in a fresh process that reports its wall time, its peak
resident set above the resident set before reading (VmHWM) and the bytes of
the finished columns, so "beyond" is ``(peak - finished) / rows``: the working
memory a reader needs on top of what it returns. Rounds interleave the readers.

Part 2, frames (``--frames``): ``DealLog.from_arrow``, ``from_polars`` and
``from_pandas`` of the same events in memory, each as a ratio of the engine's
compute time on the built log (``closed_funnel(log, by="owner",
durations=False)``), for integer ids with integer label codes and for string
ids with string labels.

Part 3, kernels (``--kernels``): the CPU and wall time of coding each text
column of the string-id frame (ids ``D`` and a number, stage labels, owner
names), warm, by pyarrow's ``dictionary_encode``, polars' cast to
``Categorical``, ``pandas.factorize`` of the object column, and ours
(``framecodes.column_codes`` of the Arrow column and of the pandas column,
which also rank the distinct values in text order; the native kernels number
them by first appearance).

Run::

    PYTHONPATH=src python benchmarks/bench_load.py --sizes 1e6 --repeat 3
    PYTHONPATH=src python benchmarks/bench_load.py --frames 1e7 --sizes '' --repeat 3
    PYTHONPATH=src python benchmarks/bench_load.py --kernels 1e7 --sizes '' --repeat 3
"""

from __future__ import annotations

import argparse
import csv
import gc
import json
import math
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_deals import PIPELINE, synthetic, uptime

from salesfunnel import DealLog, EventLog, closed_funnel

LABELS = pa.array([*PIPELINE.stages, PIPELINE.won, PIPELINE.lost])


def labelled(n_events: int, ids: str = "int") -> pa.Table:
    """The ``many`` log with stage labels and owner names: deal, stage, time, owner."""
    t = synthetic(n_events, "many", ids)
    owner = pc.binary_join_element_wise("M", pc.cast(t.column("owner"), pa.string()), "")
    return pa.table(
        {
            "deal": t.column("deal"),
            "stage": LABELS.take(t.column("code")),
            "time": t.column("time"),
            "owner": owner,
        }
    )


def csv_file(n_events: int, folder: Path) -> Path:
    """The CSV file of ``n_events`` (written once, then reused)."""
    path = folder / f"salesfunnel-bench-{n_events}.csv"
    if not path.exists():
        import pyarrow.csv as pacsv

        t = labelled(n_events)
        t = t.set_column(2, "time", pc.strftime(t.column("time"), format="%Y-%m-%dT%H:%M:%S"))
        options = pacsv.WriteOptions(quoting_style="none")
        pacsv.write_csv(t, str(path) + ".part", write_options=options)
        Path(str(path) + ".part").rename(path)
    return path


# -- readers (each returns (rows, bytes of the finished columns)) -----------------------
def _log_bytes(log: DealLog) -> int:
    arrays = [log.deal, log.code, log.time, log.owner, log._table, log._lo]
    seen: set[int] = set()
    total = 0
    for a in arrays:
        if not isinstance(a, np.ndarray):
            continue  # None, or a TextTable (ids left in Arrow until read)
        base = a if a.base is None else a.base
        if id(base) not in seen and isinstance(base, np.ndarray):
            seen.add(id(base))
            total += base.nbytes
    return total


def read_salesfunnel(path: Path) -> tuple[int, int]:
    log = DealLog.from_csv(path, PIPELINE, owner="owner", engine="arrow")
    return len(log), _log_bytes(log)


def read_salesfunnel_python(path: Path) -> tuple[int, int]:
    log = DealLog.from_csv(path, PIPELINE, owner="owner", engine="python")
    return len(log), _log_bytes(log)


def _event_bytes(log: EventLog) -> int:
    arrays = [log.entity, log.event, log.time, log._table]
    return sum(a.nbytes for a in arrays if isinstance(a, np.ndarray))


def read_events_arrow(path: Path) -> tuple[int, int]:
    log = EventLog.from_csv(path, entity="deal", event="stage", time="time", engine="arrow")
    return len(log.entity), _event_bytes(log)


def read_events_python(path: Path) -> tuple[int, int]:
    log = EventLog.from_csv(path, entity="deal", event="stage", time="time", engine="python")
    return len(log.entity), _event_bytes(log)


def read_polars_log(path: Path) -> tuple[int, int]:
    import polars as pl

    df = pl.read_csv(path, try_parse_dates=True)
    log = DealLog.from_polars(df, PIPELINE, owner="owner")
    del df
    return len(log), _log_bytes(log)


def read_duckdb(path: Path) -> tuple[int, int]:
    import duckdb

    con = duckdb.connect()
    table = con.sql(f"SELECT * FROM read_csv('{path}')").fetch_arrow_table()
    con.close()
    return table.num_rows, table.nbytes


def read_polars(path: Path) -> tuple[int, int]:
    import polars as pl

    df = pl.read_csv(path, try_parse_dates=True)
    return df.height, int(df.estimated_size())


def read_pyarrow(path: Path) -> tuple[int, int]:
    import pyarrow.csv as pacsv

    table = pacsv.read_csv(path)
    return table.num_rows, table.nbytes


def read_bare(path: Path) -> tuple[int, int]:
    n = -1
    with open(path, newline="", encoding="utf-8") as f:
        for _ in csv.reader(f):
            n += 1
    return n, 0


READERS: dict[str, Callable[[Path], tuple[int, int]]] = {
    "from_csv arrow": read_salesfunnel,
    "from_csv python": read_salesfunnel_python,
    "EventLog arrow": read_events_arrow,
    "EventLog python": read_events_python,
    "polars+from_polars": read_polars_log,
    "duckdb.read_csv": read_duckdb,
    "polars.read_csv": read_polars,
    "pyarrow.read_csv": read_pyarrow,
    "csv.reader pass": read_bare,
}


def _status(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(field)


def child(reader: str, path: Path) -> None:
    __import__({"duckdb.read_csv": "duckdb"}.get(reader, "polars"))  # imports are not timed
    gc.collect()
    Path("/proc/self/clear_refs").write_text("5")  # reset the peak (VmHWM) to the current RSS
    before = _status("VmRSS")
    t0 = time.perf_counter()
    rows, finished = READERS[reader](path)
    seconds = time.perf_counter() - t0
    peak = _status("VmHWM") - before
    print(json.dumps({"seconds": seconds, "peak": peak, "rows": rows, "finished": finished}))


def run_child(reader: str, path: Path) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", reader, "--file", str(path)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def csv_table(n: int, folder: Path, repeat: int, skip: set[str]) -> None:
    path = csv_file(n, folder)
    print(f"{uptime()} at the start of {n:,} rows ({path.stat().st_size / 1e6:.0f} MB)")
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in READERS if name not in skip}
    for _ in range(repeat):
        for name in runs:
            runs[name].append(run_child(name, path))
    base, bare = (  # a baseline left out (--skip) gives nan ratios
        statistics.median(r["seconds"] for r in runs[b]) if b in runs else math.nan
        for b in ("duckdb.read_csv", "csv.reader pass")
    )
    print(
        f"{'rows':>10} {'reader':<22} {'median s':>9} {'vs duckdb':>10} {'vs csv.reader':>14} "
        f"{'peak MiB':>9} {'B/row beyond':>13}"
    )
    for name, rs in runs.items():
        s = statistics.median(r["seconds"] for r in rs)
        peak = statistics.median(r["peak"] for r in rs)
        rows, finished = rs[0]["rows"], rs[0]["finished"]
        beyond = f"{(peak - finished) / rows:13.0f}" if finished else f"{'-':>13}"
        print(
            f"{rows:>10,} {name:<22} {s:9.3f} {s / base:9.2f}x {s / bare:13.2f}x "
            f"{peak / 2**20:9.0f} {beyond}"
        )
    print(f"{uptime()} at the end of {n:,} rows", flush=True)


# -- part 2: frame constructors against the engine's compute time ------------------------
def frames_table(n: int, repeat: int) -> None:
    import pandas as pd
    import polars as pl

    for ids in ("int", "str"):
        if ids == "int":
            t = synthetic(n, "many", "int").select(["deal", "code", "time", "owner"])
            t = t.rename_columns(["deal", "stage", "time", "owner"])
        else:
            t = labelled(n, "str")
        frames: dict[str, tuple[Callable[..., DealLog], Any]] = {
            "from_arrow": (DealLog.from_arrow, t),
            "from_polars": (DealLog.from_polars, pl.from_arrow(t)),
            "from_pandas": (DealLog.from_pandas, t.to_pandas()),
        }
        assert isinstance(frames["from_pandas"][1], pd.DataFrame)
        if ids == "str":  # the event log's constructor codes the same text columns

            def events(frame: pa.Table, *_: Any, **__: Any) -> Any:
                return EventLog.from_arrow(frame, entity="deal", event="stage", time="time")

            def with_ids(frame: pa.Table, *args: Any, **kwargs: Any) -> Any:
                built = DealLog.from_arrow(frame, *args, **kwargs)
                return built.deal_ids  # every id as a Python string: what laziness defers

            frames["EventLog.from_arrow"] = (events, t)
            frames["from_arrow+deal_ids"] = (with_ids, t)
        print(f"{uptime()} at the start of {n:,} events, {ids} ids")
        times: dict[str, list[float]] = {name: [] for name in [*frames, "compute"]}
        log = None
        for _ in range(repeat):
            for name, (build, frame) in frames.items():
                gc.collect()
                t0 = time.perf_counter()
                built = build(frame, PIPELINE, owner="owner")
                times[name].append(time.perf_counter() - t0)
                log = built if isinstance(built, DealLog) else log
            assert log is not None
            gc.collect()
            t0 = time.perf_counter()
            closed_funnel(log, by="owner", durations=False)
            times["compute"].append(time.perf_counter() - t0)
        base = statistics.median(times["compute"])
        label = "label codes" if ids == "int" else "string labels"
        print(f"{'events':>10} {'ids':<4} {'step':<20} {'median s':>9} {'vs compute':>11}")
        for name, ts in times.items():
            s = statistics.median(ts)
            print(f"{len(t):>10,} {ids:<4} {name:<20} {s:9.3f} {s / base:10.2f}x")
        print(f"({label}; compute = closed_funnel on the built log) {uptime()}", flush=True)
        del frames, t, log


# -- part 3: coding the text columns, ours against the native kernels ---------------------
def kernels_table(n: int, repeat: int) -> None:
    """CPU and wall time of coding each text column of the string-id frame (warm, medians)."""
    import pandas as pd
    import polars as pl

    from salesfunnel.deals.framecodes import column_codes

    t = labelled(n, "str")
    frame, df = pl.from_arrow(t), t.to_pandas()
    kernels: dict[str, Callable[[str], Any]] = {
        "pyarrow dictionary_encode": lambda c: pc.dictionary_encode(t.column(c)),
        "polars cast Categorical": lambda c: frame.get_column(c).cast(pl.Categorical),
        "pandas.factorize (object)": lambda c: pd.factorize(df[c]),
        "ours (arrow column)": lambda c: column_codes(
            t.column(c), blanks=c == "owner", ids=c == "deal"
        ),
        "ours (pandas column)": lambda c: column_codes(
            df[c], blanks=c == "owner", ids=c == "deal", objects=True
        ),
    }
    print(f"{uptime()} at the start of coding {n:,} rows of text")
    print(f"{'column':<7} {'distinct':>9} {'kernel':<27} {'cpu s':>7} {'wall s':>7}")
    for c in ("deal", "stage", "owner"):
        distinct = len(pc.unique(t.column(c)))
        for name, code in kernels.items():
            code(c)  # warm: imports, first calls, pages
            cpu, wall = [], []
            for _ in range(repeat):
                gc.collect()
                c0, w0 = time.process_time(), time.perf_counter()
                code(c)
                cpu.append(time.process_time() - c0)
                wall.append(time.perf_counter() - w0)
            print(
                f"{c:<7} {distinct:>9,} {name:<27} {statistics.median(cpu):7.3f} "
                f"{statistics.median(wall):7.3f}",
                flush=True,
            )
    print(f"{uptime()} at the end", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1e6,1e7", help="CSV rows, comma separated")
    parser.add_argument("--skip", default="", help="readers to leave out, comma separated")
    parser.add_argument("--frames", default="", help="events for the frame constructors")
    parser.add_argument("--kernels", default="", help="events for the text-coding kernels")
    parser.add_argument("--repeat", type=int, default=3, help="runs per reader (median)")
    parser.add_argument("--dir", default="/tmp", help="where the CSV files are written")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, Path(args.file))
        return 0
    for n in (int(float(x)) for x in args.sizes.split(",") if x):
        csv_table(n, Path(args.dir), args.repeat, set(args.skip.split(",")))
    for n in (int(float(x)) for x in args.frames.split(",") if x):
        frames_table(n, args.repeat)
    for n in (int(float(x)) for x in args.kernels.split(",") if x):
        kernels_table(n, args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
