"""The pipeline of a deal log: ordered open stages plus outcome labels.

Every label of a :class:`Pipeline` has an integer *code*, its position in
:attr:`Pipeline.labels`: the open stages first (in funnel order), then the won
label, the lost label and, when given, the frozen (on hold) label. A
:class:`~salesfunnel.DealLog` stores one such code per event.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from .._format import near_name
from ..errors import FunnelDataError

__all__ = ["Pipeline"]


MAX_LABELS = 127
"""Most labels (open stages and outcomes) a :class:`Pipeline` holds; label codes are int8."""


def _check_label(value: object, what: str, field: str, index: int | None = None) -> str:
    if not isinstance(value, str) or not value.strip():
        msg = f"{what} must be a non-empty string (got {value!r})"
        raise FunnelDataError(msg, index=index, column=field, value=value)
    return value


@dataclass(frozen=True, slots=True, init=False)
class Pipeline:
    """Ordered open stages plus the won, lost and optional frozen outcome labels.

    Parameters
    ----------
    stages
        The open stages in funnel order, e.g. ``("Call", "Meeting", "Offer")``.
    won, lost
        Labels of the two outcomes. The closed-deal funnel ends with ``won``.
    frozen
        Optional label of an on-hold state: a frozen deal is neither open nor
        closed (it is left out of the active funnel and of the closed funnel)
        until a later event reopens it.

    Raises
    ------
    FunnelDataError
        No stages, empty labels, or a label used twice.

    Examples
    --------
    >>> p = Pipeline(["Call", "Meeting", "Offer"], won="Won", lost="Lost")
    >>> p.labels
    ('Call', 'Meeting', 'Offer', 'Won', 'Lost')
    >>> p.code("Won"), p.won_code, p.lost_code, p.frozen_code is None
    (3, 3, 4, True)
    """

    stages: tuple[str, ...]
    won: str = "Won"
    lost: str = "Lost"
    frozen: str | None = None
    _codes: dict[str, int] = field(init=False, repr=False, compare=False)

    def __init__(
        self,
        stages: Sequence[str],
        won: str = "Won",
        lost: str = "Lost",
        frozen: str | None = None,
    ) -> None:
        # Written out so that ``stages`` is typed as any sequence (a list, as the
        # docs write it, passes mypy --strict) while the attribute stays a tuple.
        object.__setattr__(self, "stages", stages)
        object.__setattr__(self, "won", won)
        object.__setattr__(self, "lost", lost)
        object.__setattr__(self, "frozen", frozen)
        self.__post_init__()

    def __post_init__(self) -> None:
        raw: object = self.stages
        if isinstance(raw, (str, bytes)) or not isinstance(raw, Iterable):
            msg = f"stages must be a sequence of labels (got {type(raw).__name__})"
            raise FunnelDataError(msg, column="stages", value=raw)
        stages = tuple(_check_label(s, f"stage {i}", "stages", i) for i, s in enumerate(raw))
        if not stages:
            msg = "a pipeline needs at least one open stage (got none)"
            raise FunnelDataError(msg, column="stages", value=raw)
        _check_label(self.won, "won", "won")
        _check_label(self.lost, "lost", "lost")
        if self.frozen is not None:
            _check_label(self.frozen, "frozen", "frozen")
        labels = (*stages, self.won, self.lost) + ((self.frozen,) if self.frozen else ())
        if len(labels) > MAX_LABELS:
            # Label codes are int8 throughout the deal engine: more would wrap silently.
            msg = (
                f"a pipeline holds at most {MAX_LABELS} labels, outcomes included "
                f"(got {len(labels)})"
            )
            raise FunnelDataError(msg, column="stages", value=len(labels))
        codes: dict[str, int] = {}
        for i, label in enumerate(labels):
            if label in codes:
                msg = f"pipeline labels must be unique (got {label!r} twice)"
                raise FunnelDataError(msg, value=label)
            codes[label] = i
        object.__setattr__(self, "stages", stages)
        object.__setattr__(self, "_codes", codes)

    @property
    def labels(self) -> tuple[str, ...]:
        """Every label in code order: stages, won, lost, then frozen if any."""
        return tuple(self._codes)

    @property
    def n_stages(self) -> int:
        """Number of open stages."""
        return len(self.stages)

    @property
    def won_code(self) -> int:
        """Code of the won outcome (equal to the number of open stages)."""
        return len(self.stages)

    @property
    def lost_code(self) -> int:
        """Code of the lost outcome."""
        return len(self.stages) + 1

    @property
    def frozen_code(self) -> int | None:
        """Code of the frozen label, or ``None`` when the pipeline has none."""
        return len(self.stages) + 2 if self.frozen is not None else None

    @property
    def funnel_names(self) -> tuple[str, ...]:
        """Stage names of the closed-deal funnel: the open stages, then won."""
        return (*self.stages, self.won)

    def code(self, label: str) -> int:
        """Code of ``label``; ``KeyError`` naming the known labels if absent."""
        try:
            return self._codes[label]
        except KeyError:
            raise KeyError(self.unknown(label)) from None

    def unknown(self, label: object) -> str:
        """Why ``label`` is refused: the known labels, and the one it may have meant.

        A label that differs from a known one only in case (``WON``) or in Unicode
        normalization (``Négociation`` written with a combining accent, as files
        from macOS often are: it looks the same) is named, not taken: labels are
        matched exactly, and which one the data meant is for its owner to say.
        """
        msg = f"unknown label {label!r}; the pipeline's labels are {list(self._codes)!r}"
        return msg + near_name(label, self._codes, "the column")

    def __contains__(self, label: object) -> bool:
        return label in self._codes
