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
from typing import TYPE_CHECKING, Any, overload

import numpy as np

from ..errors import FunnelDataError

if TYPE_CHECKING:
    import numpy.typing as npt

__all__ = ["Funnel", "Stage"]


_EXACT_INT = 2**53


def _shown(value: int) -> str:
    """An integer for an error message: a 401-digit count is not printed in full."""
    digits = str(value)
    return digits if len(digits) <= 24 else f"{digits[:12]}... ({len(digits)} digits)"


def _check_real(
    value: object, what: str, field: str, *, allow_none: bool = False, exact: bool = False
) -> float | None:
    """Return ``value`` as a finite float >= 0, or raise naming ``what`` (the ``field``).

    ``exact``: an integer must also be one a float holds exactly (at most 2**53).
    """
    if value is None and allow_none:
        return None
    # bool is an int subclass, but True as a count is always a caller's mistake.
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        msg = f"{what} must be a finite number >= 0 (got {value!r} of type {type(value).__name__})"
        raise FunnelDataError(msg, column=field, value=value)
    if isinstance(value, numbers.Integral) and int(value) > _EXACT_INT and exact:
        # Counts are stored as float: above 2**53 neighbouring integers share one
        # float, so conversions computed from them would be silently rounded.
        msg = (
            f"{what} is above 2**53 = {_EXACT_INT:,}, the largest integer a float "
            f"holds exactly (got {_shown(int(value))})"
        )
        raise FunnelDataError(msg, column=field, value=value)
    try:
        number = float(value)
    except OverflowError:
        msg = f"{what} is too large for a float (got {_shown(int(value))})"  # type: ignore[call-overload]
        raise FunnelDataError(msg, column=field, value=value) from None
    if not math.isfinite(number) or number < 0:
        msg = f"{what} must be a finite number >= 0 (got {value!r})"
        raise FunnelDataError(msg, column=field, value=value)
    return number


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
        stage.

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
            order), or a sequence of ``(name, count)`` pairs or
            ``(name, count, amount)`` triples.
        name
            Optional funnel name.
        amounts
            Optional mapping of stage name to amount; every key must be a stage.

        Examples
        --------
        >>> Funnel.from_counts([("Calls", 200), ("Paid", 10)], name="Ann").name
        'Ann'
        """
        if isinstance(counts, Mapping):
            items: list[object] = list(counts.items())
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

    def _repr_html_(self) -> str:
        # Notebooks show the stages as a table; repr() stays the dataclass's
        # (a Funnel is a value whose repr rebuilds it).
        from .._table import ResultTable

        rows = tuple((s.name, s.count, s.amount) for s in self.stages)
        return ResultTable(self.name or "funnel", ("stage", "count", "amount"), rows)._repr_html_()
