"""A stage payload made when first read: :class:`Later`.

The deal funnels give each stage the ids of its deals (:attr:`Stage.data`,
read back on click-through). Made at once, text ids cost a Python string per
deal: about half a second for 4.6 million, more than the rest of a cohort
funnel of 10 million events, paid whether or not anyone reads them. A funnel
built with ``Stage(..., data=Later(make))`` holds ``make`` instead; the first
read of ``stage.data`` calls it and keeps what it gave, so every read sees one
and the same object, as if it had been there from the start. Nothing else
about the stage differs: equality, hashing and ``repr`` leave ``data`` out,
and a copy or pickle reads it (so holds the value).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

__all__ = ["Later", "LaterSlot"]


class Later:
    """A value made by ``make()`` when first asked for, once (whichever thread asks first).

    If ``make`` raises, the error reaches the reader and the next read tries again.
    """

    __slots__ = ("_lock", "_make", "_value")

    def __init__(self, make: Callable[[], Any]) -> None:
        self._make: Callable[[], Any] | None = make
        self._value: Any = None
        self._lock = threading.Lock()

    def value(self) -> Any:
        """The value, made now if it was not yet (``make`` is then let go)."""
        with self._lock:
            if self._make is not None:
                self._value = self._make()
                self._make = None  # what it held (codes, tables) is freed
            return self._value


class LaterSlot:
    """A slot's descriptor that replaces a :class:`Later` held there by its value
    on first read (the class's own slot descriptor, ``slot``, does the storing)."""

    __slots__ = ("_slot",)

    def __init__(self, slot: Any) -> None:
        self._slot = slot

    def __get__(self, owner_object: object, owner: type | None = None) -> Any:
        if owner_object is None:
            return self
        value = self._slot.__get__(owner_object, owner)
        if type(value) is Later:
            value = value.value()
            self._slot.__set__(owner_object, value)
        return value

    def __set__(self, owner_object: object, value: Any) -> None:
        self._slot.__set__(owner_object, value)
