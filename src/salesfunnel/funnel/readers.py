"""Readers for aggregate funnel counts stored in files (CSV or JSON).

Every error names the file, the row (1-based, as a spreadsheet shows it,
header = row 1) and the column, so a user can fix the file without a
traceback.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from .._csvio import CsvFile, read_header
from ..errors import NO_VALUE, FunnelDataError
from .model import Funnel, Stage

__all__ = ["read_counts"]


def _error(
    detail: str,
    source: str,
    *,
    line: int | None = None,
    index: int | None = None,
    column: str | None = None,
    value: object = NO_VALUE,
    where: str | None = None,
    column_in_detail: bool = False,
) -> FunnelDataError:
    """``<source>[, <where>][, column 'c']: <detail>`` with the location as attributes.

    ``column_in_detail``: the detail already names the column (a missing
    column, a Stage's own message), so the prefix does not repeat it.
    """
    prefix = source if where is None else f"{source}, {where}"
    if column is not None and not column_in_detail:
        prefix += f", column {column!r}"
    return FunnelDataError(
        f"{prefix}: {detail}",
        source=source,
        line=line,
        index=index,
        column=column,
        value=value,
        detail=detail,
    )


def _number(
    text: str, source: str, line: int, index: int, column: str, *, optional: bool
) -> float | None:
    cleaned = text.strip().replace("_", "")
    if cleaned == "" and optional:
        return None
    try:
        value = float(cleaned)
    except ValueError:
        detail = f"expected a number (got {text!r})"
    else:
        if not (math.isfinite(value) and value >= 0):
            detail = f"expected a finite number >= 0 (got {text!r})"
        elif column == "count" and cleaned.isdigit() and int(cleaned) > 2**53:
            # float() rounds 9007199254740993 to ...992 without a word: refuse, as Stage
            # refuses such an int (a JSON count).
            detail = f"a count above 2**53 that a float cannot hold exactly (got {text!r})"
        else:
            return value
    where = f"row {line}"
    raise _error(detail, source, line=line, index=index, column=column, value=text, where=where)


def _from_csv(file: CsvFile, name: str | None) -> Funnel:
    source = file.source
    # Rows are numbered as a spreadsheet shows them: csv counts blank lines too.
    rows = [(line, r) for line, r in file.records() if any(cell.strip() for cell in r)]
    header_line, header_row = 1, list(file.header)
    header = [h.strip().lower() for h in header_row]
    for required in ("stage", "count"):
        if required not in header:
            msg = f"missing column {required!r} (header is {header_row!r})"
            raise _error(
                msg,
                source,
                line=header_line,
                column=required,
                where=f"row {header_line}",
                column_in_detail=True,
            )
    i_stage, i_count = header.index("stage"), header.index("count")
    i_amount = header.index("amount") if "amount" in header else None
    if not rows:
        raise _error("no stages below the header", source)
    stages = []
    seen: dict[str, int] = {}
    for index, (line, row) in enumerate(rows):
        where = f"row {line}"
        if len(row) < len(header):
            msg = f"expected {len(header)} columns {header!r} (got {len(row)}: {row!r})"
            raise _error(msg, source, line=line, index=index, value=row, where=where)
        stage = row[i_stage].strip()
        problem = None
        if not stage:
            problem = "the stage name is empty"
        elif stage in seen:
            problem = f"{stage!r} already appears in row {seen[stage]}"
        if problem is not None:
            raise _error(
                problem,
                source,
                line=line,
                index=index,
                column="stage",
                value=row[i_stage],
                where=where,
            )
        seen[stage] = line
        count = _number(row[i_count], source, line, index, "count", optional=False)
        amount = (
            None
            if i_amount is None
            else _number(row[i_amount], source, line, index, "amount", optional=True)
        )
        stages.append(Stage(stage, count if count is not None else 0.0, amount))
    return Funnel(tuple(stages), name)


class _DuplicateKeyError(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``json.loads`` keeps the last of two equal keys; a counts file must not."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKeyError(key)
        out[key] = value
    return out


def _from_json(text: str, source: str, name: str | None) -> Funnel:
    try:
        payload: Any = json.loads(text, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as exc:
        msg = f"not valid JSON ({exc.msg})"
        raise _error(msg, source, line=exc.lineno, where=f"line {exc.lineno}") from None
    except _DuplicateKeyError as exc:
        msg = f"the key {exc.key!r} appears twice in one object (a stage would be lost)"
        raise _error(msg, source, column=exc.key, value=exc.key, column_in_detail=True) from None
    if isinstance(payload, dict) and "stages" in payload:
        name = payload.get("name", name)
        payload = payload["stages"]
    if isinstance(payload, dict):
        items = [{"stage": k, "count": v} for k, v in payload.items()]
    elif isinstance(payload, list):
        items = payload
    else:
        msg = (
            f"expected an object {{stage: count}}, a list of "
            f"{{'stage', 'count', 'amount'}} objects or {{'stages': [...]}} "
            f"(got {type(payload).__name__})"
        )
        raise _error(msg, source, value=payload)
    stages = []
    for i, item in enumerate(items):
        where = f"stage {i}"
        if not isinstance(item, dict) or "stage" not in item or "count" not in item:
            msg = f"expected an object with 'stage' and 'count' (got {item!r})"
            raise _error(msg, source, index=i, value=item, where=where)
        try:
            stages.append(Stage(item["stage"], item["count"], item.get("amount")))
        except FunnelDataError as exc:
            # Stage names the field and the value; the reader adds the file and the position.
            raise _error(
                str(exc),
                source,
                index=i,
                column=exc.column,
                value=exc.value,
                where=where,
                column_in_detail=True,
            ) from None
    try:
        return Funnel(tuple(stages), name)
    except FunnelDataError as exc:
        raise _error(
            str(exc),
            source,
            index=exc.index,
            column=exc.column,
            value=exc.value,
            column_in_detail=True,
        ) from None


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
    source = str(p)
    if p.suffix.lower() == ".json":
        return _from_json(p.read_text(encoding="utf-8-sig"), source, name)  # Excel's BOM
    with p.open("rb") as fh:
        return _from_csv(read_header(fh, source), name)
