"""Exceptions raised by salesfunnel.

Every error refines a builtin so callers can catch what they already know
(``ValueError`` for bad data) or the library's own root class.

A :class:`FunnelDataError` says where the bad value sits twice: in its
message, for people, and in optional attributes, for programs (a command line,
a web form that highlights the cell). An attribute is ``None`` when the
raising code does not know it. Rows are located by one convention:

``index``
    0-based position of the record in the input as a program sees it: the
    ``i``-th mapping of a records iterable, the ``i``-th element of the column
    arrays, the ``i``-th row of a DataFrame *by position* (not its index
    label), the ``i``-th stage of a funnel, or the ``i``-th data row of a file
    (the header is not counted). Messages write it as ``row i`` (deal logs) or
    ``stage i`` (funnels).
``line``
    1-based line of a text file as an editor or spreadsheet shows it, the
    header being line 1 and blank lines counted; a CSV record whose quoted
    cell spans several lines is at its last line (what :mod:`csv` reports as
    ``line_num``). Set only when the data came from a file (with ``source``
    the file). Messages write it after the file's path, as ``deals.csv, line
    n`` (:meth:`~salesfunnel.DealLog.from_csv`, JSON) or ``counts.csv, row
    n`` (:func:`~salesfunnel.read_counts`, the spreadsheet's word).

An error about a data row of a CSV file carries both: ``index`` for the program
that holds the parsed rows, ``line`` for the person who opens the file.
"""

from __future__ import annotations

import enum
from typing import Final

__all__ = ["NO_VALUE", "FunnelDataError", "SalesFunnelError"]


class _NoValue(enum.Enum):
    # An enum member pickles by name, so the marker survives a round trip.
    NO_VALUE = "NO_VALUE"

    def __repr__(self) -> str:
        return "NO_VALUE"


NO_VALUE: Final = _NoValue.NO_VALUE
"""The :attr:`FunnelDataError.value` of an error that is not about one value
(``None`` cannot say that: a blank cell may arrive as ``None``)."""


class SalesFunnelError(Exception):
    """Root of every exception raised on purpose by salesfunnel."""


class FunnelDataError(SalesFunnelError, ValueError):
    """Input data does not describe a valid funnel, deal log or request.

    The message names the argument or field, what was expected and what
    arrived; the keyword arguments say the same for programs and are kept as
    attributes of the same names (see :mod:`salesfunnel.errors` for the row
    convention). The error pickles with its attributes.

    Parameters
    ----------
    msg
        The whole message for people, location included; ``str(error)``.
    source
        The file the data came from, as given (``os.fspath``).
    index
        0-based position of the record in the input (files: data rows, header
        not counted).
    line
        1-based line in the file ``source``, header = line 1.
    column
        The column, field or argument holding the bad value (``'stage'``,
        ``'count'``, ``'won'``).
    value
        The value that arrived, as it arrived; :data:`NO_VALUE` when the error
        is not about one value (a missing column, an empty file).
    detail
        What is wrong, without the location and without the parenthetical
        note some messages end with in Python's terms (``pass
        drop_unknown=True``, another row's ``row i``), so that a caller can
        restate both its own way; defaults to ``msg``.

    Examples
    --------
    >>> from salesfunnel import DealLog, FunnelDataError, Pipeline
    >>> p = Pipeline(["Call"], won="Won", lost="Lost")
    >>> rows = [{"deal": 1, "stage": "Call", "time": "2024-01-01"},
    ...         {"deal": 1, "stage": "Demo", "time": "2024-01-02"}]
    >>> try:
    ...     DealLog.from_records(rows, p)
    ... except FunnelDataError as e:
    ...     error = e
    >>> error.index, error.column, error.value, error.line
    (1, 'stage', 'Demo', None)
    >>> isinstance(error, ValueError)
    True
    """

    source: str | None
    index: int | None
    line: int | None
    column: str | None
    value: object
    detail: str

    def __init__(
        self,
        msg: str,
        *,
        source: str | None = None,
        index: int | None = None,
        line: int | None = None,
        column: str | None = None,
        value: object = NO_VALUE,
        detail: str | None = None,
    ) -> None:
        # Only the message goes to Exception: args stay (msg,), so pickling
        # rebuilds from args and restores the attributes from __dict__.
        super().__init__(msg)
        self.source = source
        self.index = index
        self.line = line
        self.column = column
        self.value = value
        self.detail = msg if detail is None else detail
