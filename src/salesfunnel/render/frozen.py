"""Frozen records without the import cost of ``@dataclass(frozen=True)``.

The renderer's records (:class:`~salesfunnel.Style` and the shapes of a
geometry) are frozen dataclasses to their users: ``dataclasses.fields``,
``dataclasses.replace``, ``is_dataclass``, equality, hashing, ``repr``,
pickling and ``FrozenInstanceError`` on assignment behave as those of
``@dataclass(frozen=True, slots=True)``. Letting ``@dataclass`` write their
methods costs about 0.7 ms a class when the package is imported (it compiles
source text for ``__init__``, ``__repr__``, ``__eq__``, ``__hash__``,
``__setattr__`` and ``__delattr__``), some 9 ms of a fresh process that draws
one chart. So each record is ``@dataclass(init=False, repr=False, eq=False,
slots=True)`` (its fields and slots, nothing compiled), writes its
``__init__`` by hand, and takes the other methods from :class:`Frozen`.
``tests/render/test_render_records.py`` compares every record with the class
``@dataclass(frozen=True, slots=True)`` makes of the same fields.
"""

from __future__ import annotations

from dataclasses import FrozenInstanceError, fields
from typing import Any

__all__ = ["Frozen"]


class Frozen:
    """The methods ``@dataclass(frozen=True)`` writes, read from the record's fields.

    Every field of a record is an ``__init__`` field, so ``__match_args__`` (which
    ``@dataclass`` sets) names them all, in order.
    """

    __slots__ = ()
    __match_args__: tuple[str, ...]

    def _values(self) -> tuple[Any, ...]:
        return tuple([getattr(self, name) for name in self.__match_args__])

    def __eq__(self, other: object) -> bool:
        if other.__class__ is self.__class__:
            return self._values() == other._values()
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        shown = (f"{f.name}={getattr(self, f.name)!r}" for f in fields(self) if f.repr)  # type: ignore[arg-type]
        return f"{self.__class__.__qualname__}({', '.join(shown)})"

    def __setattr__(self, name: str, value: object) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def __getstate__(self) -> list[Any]:
        return list(self._values())

    def __setstate__(self, state: list[Any]) -> None:
        for name, value in zip(self.__match_args__, state, strict=True):
            object.__setattr__(self, name, value)
