"""The aggregate funnel model: ordered stages with counts and optional amounts.

A :class:`Funnel` is data, never layout: it knows nothing of geometry or
pixels. Input order is always kept. A later stage larger than an earlier one is
allowed (real exports do this: a stage can be reached without passing the one
before it) and is flagged by :attr:`Funnel.non_monotonic`, never reordered or
clipped.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, overload

import numpy as np

from .._numbers import real_number
from ..errors import FunnelDataError
from .later import LaterSlot

if TYPE_CHECKING:
    import numpy.typing as npt
    import pandas
    import polars

    from .._table import ResultTable

__all__ = ["Funnel", "Stage", "SupportsFunnel", "as_funnel", "as_funnels"]


_EXACT_INT = 2**53


def _shown(value: int) -> str:
    """An integer for an error message: a 401-digit count is not printed in full."""
    digits = str(value)
    return digits if len(digits) <= 24 else f"{digits[:12]}... ({len(digits)} digits)"


def _check_real(
    value: object, what: str, field: str, *, allow_none: bool = False, exact: bool = False
) -> float | None:
    """Return ``value`` as a finite float >= 0, or raise naming ``what`` (the ``field``).

    A number is what :func:`~salesfunnel._numbers.real_number` says (``Decimal``
    included, ``bool`` not). ``exact``: an integer (or an integral ``Decimal``)
    must also be one a float holds exactly (at most 2**53).
    """
    if value is None and allow_none:
        return None
    number = real_number(value)
    if number is None:
        msg = f"{what} must be a finite number >= 0 (got {value!r} of type {type(value).__name__})"
        raise FunnelDataError(msg, column=field, value=value)
    whole = _whole(value)
    if exact and whole is not None and whole > _EXACT_INT:
        # Counts are stored as float: above 2**53 neighbouring integers share one
        # float, so conversions computed from them would be silently rounded.
        msg = (
            f"{what} is above 2**53 = {_EXACT_INT:,}, the largest integer a float "
            f"holds exactly (got {_shown(whole)})"
        )
        raise FunnelDataError(msg, column=field, value=value)
    if isinstance(value, numbers.Rational) and math.isinf(number):  # beyond 1e308
        msg = f"{what} is too large for a float (got {_shown(int(value))})"  # type: ignore[call-overload]
        raise FunnelDataError(msg, column=field, value=value)
    if not math.isfinite(number) or number < 0:
        msg = f"{what} must be a finite number >= 0 (got {value!r})"
        raise FunnelDataError(msg, column=field, value=value)
    return number + 0.0  # -0.0 becomes 0.0: a count of "-0" would print as -0.0 %


def _whole(value: object) -> int | None:
    """The integer a number stands for exactly (an int, an integral Decimal), else None."""
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return None  # a float or a Fraction: not held to the 2**53 rule
    import decimal  # here, not at the top: a first chart need not load it

    if isinstance(value, decimal.Decimal) and value.is_finite():
        return int(value) if value == value.to_integral_value() else None
    return None


@dataclass(frozen=True, slots=True)
class Stage:
    """One stage of a funnel.

    Parameters
    ----------
    name
        Non-empty label shown to people.
    count
        How many entities reached the stage; finite and >= 0.
    amount
        Optional money (or other) amount of the stage; finite and >= 0.
    data
        Any user payload. It is never inspected and comes back unchanged on
        click-through (``FunnelChart.hit_test``), e.g. the deal ids behind the
        stage. The deal funnels give it as a
        :class:`~salesfunnel.funnel.later.Later`: made on the first read of
        ``data``, which then holds the value.

    Examples
    --------
    >>> Stage("Calls", 200)
    Stage(name='Calls', count=200.0, amount=None)
    """

    name: str
    count: float
    amount: float | None = None
    data: Any = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            msg = f"stage name must be a non-empty string (got {self.name!r})"
            raise FunnelDataError(msg, column="name", value=self.name)
        count = _check_real(self.count, f"count of stage {self.name!r}", "count", exact=True)
        amount = _check_real(
            self.amount, f"amount of stage {self.name!r}", "amount", allow_none=True
        )
        # Normalise to float once, at the boundary (frozen: go through object.__setattr__).
        object.__setattr__(self, "count", count)
        object.__setattr__(self, "amount", amount)


# ``data`` may be given as a :class:`~.later.Later`, made on first read (the deal
# funnels' ids): the slot keeps its own storage behind a descriptor that reads it.
Stage.data = LaterSlot(Stage.__dict__["data"])  # type: ignore[misc]  # the slot, read through it

StageLike = Stage | tuple[str, float] | tuple[str, float, float | None]


def _to_stage(item: object, position: int) -> Stage:
    if isinstance(item, Stage):
        return item
    if isinstance(item, (tuple, list)) and len(item) in (2, 3):
        name = item[0]
        if not isinstance(name, str):
            msg = f"stage {position}: name must be a string (got {name!r})"
            raise FunnelDataError(msg, index=position, column="name", value=name)
        amount = item[2] if len(item) == 3 else None
        try:
            return Stage(name, item[1], amount)
        except FunnelDataError as exc:
            # Same message (it names the stage); the position joins the attributes.
            raise FunnelDataError(
                str(exc), index=position, column=exc.column, value=exc.value
            ) from None
    msg = (
        f"stage {position}: expected a Stage, a (name, count) pair or a "
        f"(name, count, amount) triple (got {item!r})"
    )
    raise FunnelDataError(msg, index=position, value=item)


def _is_series(value: object) -> bool:
    """A pandas or polars Series (duck-typed: neither library is imported here)."""
    return hasattr(value, "dtype") and hasattr(value, "to_list") and not hasattr(value, "columns")


def _series_items(series: Any) -> list[object]:
    if not hasattr(series, "index"):  # polars: values only, no labels
        msg = (
            "a polars Series has no index to name the stages; use "
            "Funnel.from_frame(df, stage='stage', count='count') on a frame with both columns"
        )
        raise FunnelDataError(msg, column="counts")
    items: list[object] = []
    for position, (label, value) in enumerate(series.items()):
        if not isinstance(label, str):
            msg = (
                f"stage {position}: a Series needs the stage names as its index "
                f"(got index value {label!r}); e.g. df.groupby('stage', sort=False).size()"
            )
            raise FunnelDataError(msg, index=position, column="name", value=label)
        items.append((label, value))
    return items


@dataclass(frozen=True, slots=True)
class Funnel:
    """An ordered, non-empty sequence of uniquely named stages.

    Parameters
    ----------
    stages
        The stages in funnel order (kept exactly as given).
    name
        Optional name, e.g. the manager the funnel belongs to.

    Raises
    ------
    FunnelDataError
        No stages, duplicate or empty names, or counts that are NaN, infinite,
        negative or not numbers.

    Examples
    --------
    >>> f = Funnel.from_counts({"Calls": 200, "Meetings": 40, "Paid": 10})
    >>> len(f), f.names, f["Paid"].count
    (3, ('Calls', 'Meetings', 'Paid'), 10.0)
    >>> f.counts
    array([200.,  40.,  10.])
    """

    stages: tuple[Stage, ...]
    name: str | None = None
    _counts: npt.NDArray[np.float64] = field(init=False, repr=False, compare=False)
    _index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        raw = self.stages
        if isinstance(raw, (str, bytes)) or not isinstance(raw, Iterable):
            msg = f"stages must be a sequence of Stage objects (got {type(raw).__name__})"
            raise FunnelDataError(msg, column="stages", value=raw)
        stages = tuple(_to_stage(s, i) for i, s in enumerate(raw))
        if not stages:
            msg = "a funnel needs at least one stage (got none)"
            raise FunnelDataError(msg, column="stages", value=raw)
        index: dict[str, int] = {}
        for i, stage in enumerate(stages):
            if stage.name in index:
                msg = (
                    f"stage names must be unique (got {stage.name!r} at positions "
                    f"{index[stage.name]} and {i})"
                )
                raise FunnelDataError(msg, index=i, column="name", value=stage.name)
            index[stage.name] = i
        if self.name is not None and not isinstance(self.name, str):
            msg = f"funnel name must be a string or None (got {self.name!r})"
            raise FunnelDataError(msg, column="name", value=self.name)
        counts = np.array([s.count for s in stages], dtype=np.float64)
        counts.flags.writeable = False
        object.__setattr__(self, "stages", stages)
        object.__setattr__(self, "_counts", counts)
        object.__setattr__(self, "_index", index)

    @classmethod
    def from_counts(
        cls,
        counts: Mapping[str, float] | Sequence[tuple[str, float]] | Sequence[StageLike],
        name: str | None = None,
        *,
        amounts: Mapping[str, float] | None = None,
    ) -> Funnel:
        """Build a funnel from ``{"Calls": 200, ...}`` or ``[("Calls", 200), ...]``.

        Parameters
        ----------
        counts
            A mapping of stage name to count (insertion order is the funnel
            order), a pandas Series whose index holds the stage names (as
            ``df.groupby("stage", sort=False).size()`` gives), or a sequence of
            ``(name, count)`` pairs or ``(name, count, amount)`` triples. A
            polars Series has no index to name the stages: use
            :meth:`from_frame`.
        name
            Optional funnel name.
        amounts
            Optional mapping of stage name to amount; every key must be a stage.

        Examples
        --------
        >>> Funnel.from_counts([("Calls", 200), ("Paid", 10)], name="Ann").name
        'Ann'
        """
        if _is_series(counts):
            items: list[object] = _series_items(counts)
        elif isinstance(counts, Mapping):
            items = list(counts.items())
        elif isinstance(counts, (str, bytes)) or not isinstance(counts, Iterable):
            msg = f"counts must be a mapping or a sequence of pairs (got {type(counts).__name__})"
            raise FunnelDataError(msg, column="counts", value=counts)
        else:
            items = list(counts)
        stages = [_to_stage(item, i) for i, item in enumerate(items)]
        if amounts is not None:
            known = {s.name for s in stages}
            unknown = [k for k in amounts if k not in known]
            if unknown:
                msg = f"amounts names stages that are not in the funnel: {unknown!r}"
                raise FunnelDataError(msg, column="amounts", value=unknown[0])
            stages = [Stage(s.name, s.count, amounts.get(s.name, s.amount), s.data) for s in stages]
        return cls(tuple(stages), name)

    @classmethod
    def from_frame(
        cls,
        frame: Any,
        *,
        stage: str | None = None,
        count: str | Sequence[str],
        amount: str | Sequence[str] | None = None,
        by: str | Sequence[str] | None = None,
        name: str | None = None,
    ) -> Funnel | dict[str, Funnel]:
        """Funnels from a pandas or polars DataFrame, long or wide.

        Parameters
        ----------
        frame
            A pandas or polars DataFrame.
        stage
            Long form: the column of stage names (one row per stage).
        count
            Long form: the column of counts. Wide form: the count columns in
            funnel order, one per stage, named as the stages.
        amount
            Optional amounts: one column (long) or one per count column (wide).
        by
            Column(s) naming each row's group: a dict of funnels comes back,
            keyed (and named) by the group's text (several columns joined
            with `` / ``). Without ``by``, one :class:`Funnel`. Long form:
            every group has the stages of the whole frame, in the order they
            first appear in it, and a group with no row for a stage counts 0
            there (as a SQL ``GROUP BY`` leaves out the stages nobody reached).
        name
            Name of the one funnel when ``by`` is not given.

        Returns
        -------
        Funnel or dict[str, Funnel]

        Raises
        ------
        FunnelDataError
            A missing column (the frame's columns are listed), a bad count
            (row and column named), a stage twice in one group, or a wide
            frame of several rows without ``by``.

        Examples
        --------
        (Skipped as doctests, pandas being optional; the tests in
        ``tests/funnel/test_frames.py`` run them.)

        >>> import pandas as pd  # doctest: +SKIP
        >>> long = pd.DataFrame({"owner": ["Ann", "Ann", "Bob", "Bob"],
        ...                      "stage": ["Calls", "Paid"] * 2,
        ...                      "n": [200, 10, 100, 8]})  # doctest: +SKIP
        >>> {k: f.counts.tolist() for k, f in Funnel.from_frame(
        ...     long, stage="stage", count="n", by="owner").items()}  # doctest: +SKIP
        {'Ann': [200.0, 10.0], 'Bob': [100.0, 8.0]}
        >>> wide = pd.DataFrame({"owner": ["Ann", "Bob"],
        ...                      "Calls": [200, 100], "Paid": [10, 8]})  # doctest: +SKIP
        >>> Funnel.from_frame(wide, count=["Calls", "Paid"], by="owner")["Bob"].counts
        ... # doctest: +SKIP
        array([100.,   8.])
        """
        from .frames import from_frame  # pandas/polars input: not needed to draw

        return from_frame(frame, stage, count, amount, by, name)

    # -- sequence protocol -------------------------------------------------
    def __len__(self) -> int:
        return len(self.stages)

    def __iter__(self) -> Iterator[Stage]:
        return iter(self.stages)

    @overload
    def __getitem__(self, key: int | str) -> Stage: ...
    @overload
    def __getitem__(self, key: slice) -> tuple[Stage, ...]: ...
    def __getitem__(self, key: int | str | slice) -> Stage | tuple[Stage, ...]:
        if isinstance(key, str):
            try:
                return self.stages[self._index[key]]
            except KeyError:
                msg = f"no stage named {key!r}; stages are {list(self.names)!r}"
                raise KeyError(msg) from None
        return self.stages[key]

    def __contains__(self, name: object) -> bool:
        return name in self._index

    def index(self, name: str) -> int:
        """Position of the stage called ``name`` (``KeyError`` if absent)."""
        try:
            return self._index[name]
        except KeyError:
            msg = f"no stage named {name!r}; stages are {list(self.names)!r}"
            raise KeyError(msg) from None

    # -- columns -------------------------------------------------------------
    @property
    def names(self) -> tuple[str, ...]:
        """Stage names in funnel order."""
        return tuple(s.name for s in self.stages)

    @property
    def counts(self) -> npt.NDArray[np.float64]:
        """Stage counts as a read-only float64 array."""
        return self._counts

    @property
    def amounts(self) -> npt.NDArray[np.float64]:
        """Stage amounts as float64; NaN where a stage has no amount."""
        return np.array(
            [math.nan if s.amount is None else s.amount for s in self.stages], dtype=np.float64
        )

    @property
    def has_amounts(self) -> bool:
        """True when at least one stage carries an amount."""
        return any(s.amount is not None for s in self.stages)

    @property
    def non_monotonic(self) -> npt.NDArray[np.bool_]:
        """Per stage: True where the count exceeds the previous stage's count."""
        flags = np.zeros(len(self), dtype=bool)
        flags[1:] = self._counts[1:] > self._counts[:-1]
        return flags

    @property
    def is_monotonic(self) -> bool:
        """True when no stage is larger than the one before it."""
        return not bool(self.non_monotonic.any())

    @property
    def funnel(self) -> Funnel:
        """The funnel itself: a :class:`Funnel` is the simplest :class:`SupportsFunnel`."""
        return self

    @property
    def table(self) -> ResultTable:
        """The stages as a :class:`~salesfunnel.ResultTable`: stage, count, amount."""
        from .._table import ResultTable  # not needed to draw: imported on first use

        rows = tuple((s.name, s.count, s.amount) for s in self.stages)
        return ResultTable(self.name or "funnel", ("stage", "count", "amount"), rows)

    def to_pandas(self) -> pandas.DataFrame:
        """The stages as a DataFrame: stage, count, amount (needs pandas)."""
        return self.table.to_pandas()

    def to_polars(self) -> polars.DataFrame:
        """The stages as a polars DataFrame: stage, count, amount (needs polars)."""
        return self.table.to_polars()

    def _repr_html_(self) -> str:
        # Notebooks show the stages as a table; repr() stays the dataclass's
        # (a Funnel is a value whose repr rebuilds it).
        return self.table._repr_html_()


class SupportsFunnel(Protocol):
    """Anything that has a funnel: a :class:`Funnel` or a result holding one.

    ``FunnelChart``, ``compare``, ``metrics_table``, ``leads_needed`` and
    ``feasible_plan`` accept it (or a mapping of it) wherever they take a
    funnel: :class:`Funnel` itself, ``ClosedFunnel``, ``ActiveFunnel``,
    ``CohortFunnel`` and ``EventFunnel`` all have a ``funnel`` attribute.
    """

    @property
    def funnel(self) -> Funnel: ...


_RESULTS = "ClosedFunnel, ActiveFunnel, CohortFunnel or EventFunnel"


def as_funnel(value: object, what: str = "funnel") -> Funnel:
    """The :class:`Funnel` of ``value`` (a funnel, or a result with a ``.funnel``).

    Raises
    ------
    FunnelDataError
        ``value`` has no funnel; the message names ``what``, the type that
        arrived and what to pass instead.

    Examples
    --------
    >>> f = Funnel.from_counts({"Calls": 2, "Paid": 1})
    >>> as_funnel(f) is f
    True
    >>> try:
    ...     as_funnel({"A": f}, "data")
    ... except FunnelDataError as e:
    ...     print(str(e).split("; ")[1])
    a dict of them goes where a mapping of funnels is taken (FunnelChart, compare, feasible_plan)
    """
    # One attribute, not a chain of isinstance checks: any result with a funnel fits.
    funnel = getattr(value, "funnel", None)
    if isinstance(funnel, Funnel):
        return funnel
    hint = ""
    if isinstance(value, Mapping):
        hint = (
            "; a dict of them goes where a mapping of funnels is taken "
            "(FunnelChart, compare, feasible_plan)"
        )
    elif isinstance(value, (Mapping, Sequence)) and not isinstance(value, (str, bytes)):
        hint = "; for counts build one first with Funnel.from_counts(...)"
    msg = (
        f"{what} must be a Funnel or a result with a .funnel ({_RESULTS}), "
        f"got {type(value).__name__}{hint}"
    )
    raise FunnelDataError(msg, value=value)


def as_funnels(value: object, what: str = "funnels") -> dict[Any, Funnel]:
    """Key -> :class:`Funnel` for a mapping of funnels or of results with a ``.funnel``.

    Insertion order is kept. Raises :class:`FunnelDataError` naming the
    offending key, or saying a single funnel arrived where a mapping is taken.

    Examples
    --------
    >>> f = Funnel.from_counts({"Calls": 2, "Paid": 1})
    >>> list(as_funnels({"Ann": f, "Bob": f}))
    ['Ann', 'Bob']
    """
    if not isinstance(value, Mapping):
        if isinstance(getattr(value, "funnel", None), Funnel):
            msg = (
                f"{what} must be a mapping of group name to funnel, got one "
                f"{type(value).__name__}; pass a dict such as closed_funnel(log, by='owner')"
            )
        else:
            msg = (
                f"{what} must be a mapping of group name to Funnel or to a result with a "
                f".funnel ({_RESULTS}), got {type(value).__name__}"
            )
        raise FunnelDataError(msg, value=value)
    return {key: as_funnel(item, f"{what}[{key!r}]") for key, item in value.items()}
