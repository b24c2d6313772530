"""What a CSV read gave, as plain data: compare two engines' logs or errors with ``==``."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np

from salesfunnel import DealLog, FunnelDataError
from salesfunnel.deals.textcodes import TextTable


def plain(values: np.ndarray) -> tuple[str, list[Any]]:
    """An array's dtype and values, NaN written out so that equal arrays compare equal."""
    listed = values.tolist()
    if values.dtype.kind == "f":
        listed = [repr(v) for v in listed]
    return values.dtype.str, listed


def outcome(read: Any) -> Any:
    """The log ``read()`` builds (every field) or the error it raises (message and attributes)."""
    try:
        log = read()
    except FunnelDataError as exc:
        attrs = ("source", "index", "line", "column", "value", "detail")
        return ("error", str(exc), {a: repr(getattr(exc, a, None)) for a in attrs})
    fields = {}
    for f in dataclasses.fields(log):
        if f.name == "_cache":
            continue  # what was read, not what was built
        value = getattr(log, f.name)
        if f.name == "_table" and isinstance(log, DealLog) and value is not None:
            value = log.deal_ids  # kept in Arrow, as numbers or as text: the same ids
        if f.name == "_table" and isinstance(value, TextTable):
            value = value.to_numpy()  # an event log's ids kept in Arrow: the same ids
        if isinstance(value, np.ndarray):
            value = plain(value)
        elif isinstance(value, Mapping):  # properties: coded columns built as read
            value = {k: plain(v) for k, v in value.items()}
        fields[f.name] = value
    return ("log", fields)
