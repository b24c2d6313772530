"""Readers for aggregate funnel counts stored in files (CSV or JSON).

Every error names the file, the row (1-based, as a spreadsheet shows it,
header = row 1) and the column, so a user can fix the file without a
traceback.
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any

from .errors import FunnelDataError
from .model import Funnel, Stage

__all__ = ["read_counts"]


def _number(text: str, where: str, column: str, *, optional: bool) -> float | None:
    cleaned = text.strip().replace("_", "")
    if cleaned == "" and optional:
        return None
    try:
        value = float(cleaned)
    except ValueError:
        msg = f"{where}, column {column!r}: expected a number (got {text!r})"
        raise FunnelDataError(msg) from None
    if not math.isfinite(value) or value < 0:
        msg = f"{where}, column {column!r}: expected a finite number >= 0 (got {text!r})"
        raise FunnelDataError(msg)
    return value


def _from_csv(text: str, source: str, name: str | None) -> Funnel:
    reader = csv.reader(io.StringIO(text))
    rows = [r for r in reader if any(cell.strip() for cell in r)]
    if not rows:
        msg = f"{source}: the file is empty (expected a header 'stage,count[,amount]')"
        raise FunnelDataError(msg)
    header = [h.strip().lower() for h in rows[0]]
    for required in ("stage", "count"):
        if required not in header:
            msg = f"{source}, row 1: missing column {required!r} (header is {rows[0]!r})"
            raise FunnelDataError(msg)
    i_stage, i_count = header.index("stage"), header.index("count")
    i_amount = header.index("amount") if "amount" in header else None
    if len(rows) == 1:
        msg = f"{source}: no stages below the header"
        raise FunnelDataError(msg)
    stages = []
    seen: dict[str, int] = {}
    for line_no, row in enumerate(rows[1:], start=2):
        where = f"{source}, row {line_no}"
        if len(row) < len(header):
            msg = f"{where}: expected {len(header)} columns {header!r} (got {len(row)}: {row!r})"
            raise FunnelDataError(msg)
        stage = row[i_stage].strip()
        if not stage:
            msg = f"{where}, column 'stage': the stage name is empty"
            raise FunnelDataError(msg)
        if stage in seen:
            msg = f"{where}, column 'stage': {stage!r} already appears in row {seen[stage]}"
            raise FunnelDataError(msg)
        seen[stage] = line_no
        count = _number(row[i_count], where, "count", optional=False)
        amount = (
            None if i_amount is None else _number(row[i_amount], where, "amount", optional=True)
        )
        stages.append(Stage(stage, count if count is not None else 0.0, amount))
    return Funnel(tuple(stages), name)


def _from_json(text: str, source: str, name: str | None) -> Funnel:
    try:
        payload: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        msg = f"{source}, line {exc.lineno}: not valid JSON ({exc.msg})"
        raise FunnelDataError(msg) from None
    if isinstance(payload, dict) and "stages" in payload:
        name = payload.get("name", name)
        payload = payload["stages"]
    if isinstance(payload, dict):
        items = [{"stage": k, "count": v} for k, v in payload.items()]
    elif isinstance(payload, list):
        items = payload
    else:
        msg = (
            f"{source}: expected an object {{stage: count}}, a list of "
            f"{{'stage', 'count', 'amount'}} objects or {{'stages': [...]}} "
            f"(got {type(payload).__name__})"
        )
        raise FunnelDataError(msg)
    stages = []
    for i, item in enumerate(items):
        where = f"{source}, stage {i}"
        if not isinstance(item, dict) or "stage" not in item or "count" not in item:
            msg = f"{where}: expected an object with 'stage' and 'count' (got {item!r})"
            raise FunnelDataError(msg)
        try:
            stages.append(Stage(item["stage"], item["count"], item.get("amount")))
        except FunnelDataError as exc:
            raise FunnelDataError(f"{where}: {exc}") from None
    try:
        return Funnel(tuple(stages), name)
    except FunnelDataError as exc:
        raise FunnelDataError(f"{source}: {exc}") from None


def read_counts(path: str | Path, *, name: str | None = None) -> Funnel:
    """Read a funnel from a CSV (``stage,count[,amount]``) or JSON file.

    CSV: a header row naming at least ``stage`` and ``count`` (any order, any
    case; extra columns are ignored), then one row per stage in funnel order.
    JSON: ``{"Calls": 200, ...}``, a list of ``{"stage", "count", "amount"}``
    objects, or ``{"name": ..., "stages": [...]}``. The format follows the
    suffix (``.json`` is JSON, anything else CSV).

    Raises
    ------
    FunnelDataError
        With the file, row and column of the first problem.
    FileNotFoundError
        When the file does not exist.

    Examples
    --------
    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = os.path.join(d, "counts.csv")
    ...     _ = open(p, "w").write("stage,count\\nCalls,200\\nPaid,10\\n")
    ...     read_counts(p).counts
    array([200.,  10.])
    """
    p = Path(path)
    text = p.read_text(encoding="utf-8-sig")  # tolerate Excel's BOM
    source = str(p)
    if p.suffix.lower() == ".json":
        return _from_json(text, source, name)
    return _from_csv(text, source, name)
