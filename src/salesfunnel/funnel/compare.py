"""Side-by-side comparison of funnels with the same stages (e.g. one per manager).

For every step (stage ``i`` reached from stage ``i - 1``) and every group, the
step conversion ``x / n`` is a binomial proportion: ``n`` entities were at the
previous stage and ``x`` of them reached this one. The module reports:

* the **Wilson score interval** for each proportion (Wilson 1927; Newcombe 1998,
  "Two-sided confidence intervals for the single proportion", method 3)::

      centre = (p + z^2 / 2n) / (1 + z^2 / n)
      half   = z / (1 + z^2 / n) * sqrt(p (1 - p) / n + z^2 / 4n^2)

* the **team rate** (all groups pooled) and a **two-proportion z-test** of each
  group against the *rest of the team* (all other groups pooled), with the
  pooled standard error::

      p_pool = (x1 + x2) / (n1 + n2)
      z      = (x1/n1 - x2/n2) / sqrt(p_pool (1 - p_pool) (1/n1 + 1/n2))
      p      = erfc(|z| / sqrt 2)            (two-sided)

* which step is each group's **weakest** and **strongest** relative to the rest
  of the team: the ranked step furthest below it (lowest negative
  ``rate - rest_rate``) and the one furthest above it (highest positive). A
  group with no ranked step below the rest has no weakest step, one with none
  above it no strongest step: a step level with the rest is not a finding.

* **multiple comparisons**: with many groups and steps, some tests come out
  below ``1 - confidence`` by chance alone (30 reps at 95 % give 1.5 false
  alarms per step on average). ``correction`` adjusts the p-values of one
  family of tests, and *significant* reads the adjusted p-value. The step
  tests (every ranked step of every group) are one family; the whole-funnel
  tests (one per group) another. For the ``m`` p-values of a family sorted
  ascending, ``p(1) <= ... <= p(m)``:

  - ``"holm"`` (default; Holm 1979, "A simple sequentially rejective multiple
    test procedure", Scand. J. Statist. 6, 65-70) controls the family-wise
    error rate::

        adj(i) = max over j <= i of min(1, (m - j + 1) p(j))

  - ``"bh"`` (Benjamini & Hochberg 1995, "Controlling the false discovery
    rate", J. R. Statist. Soc. B 57, 289-300) controls the false discovery
    rate, less strict than Holm::

        adj(i) = min over j >= i of min(1, m p(j) / j)

  - ``"none"``: ``adj = p``, each test on its own.

  Both the raw ``p_value`` and ``p_adjusted`` are reported. Ties get equal
  adjusted values under both rules.

Small samples: a step whose denominator is below ``min_n`` (30 by default) for
the group or for the rest of the team is *not ranked*: it keeps its rate and
interval but gets no p-value and never counts as significant. A step where
``x > n`` (a stage larger than the one before it) is not a proportion: its rate
is reported, its interval and p-value are ``None``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from .._format import escape_html, fmt_percent, json_number
from .._table import ResultTable
from ..errors import FunnelDataError
from .model import Funnel, SupportsFunnel, as_funnels  # noqa: F401 - Funnel: the examples use it
from .proportions import (
    Correction,
    adjust_p_values,
    confidence_z,
    normal_cdf,
    two_proportion_test,
    wilson_interval,
)

if TYPE_CHECKING:
    import pandas
    import polars

__all__ = [
    "Comparison",
    "Correction",
    "GroupStep",
    "adjust_p_values",
    "compare",
    "normal_cdf",
    "two_proportion_test",
    "wilson_interval",
]


_CORRECTION_NAMES = {"holm": "Holm", "bh": "Benjamini-Hochberg", "none": "no"}


@dataclass(frozen=True, slots=True)
class GroupStep:
    """One group's conversion at one step, set against the rest of the team.

    ``stage_index`` is the stage reached (>= 1); the step is from
    ``stage_index - 1``. ``rate`` is NaN when ``trials`` is 0. ``p_value`` is
    the raw two-sided p-value, ``p_adjusted`` the same after the comparison's
    ``correction``; ``significant`` means ``p_adjusted < 1 - confidence``.
    """

    group: str
    stage_index: int
    stage: str
    successes: float
    trials: float
    rate: float
    ci_low: float | None
    ci_high: float | None
    team_rate: float
    rest_rate: float
    difference: float
    p_value: float | None
    ranked: bool
    significant: bool
    p_adjusted: float | None = None

    def to_record(self) -> dict[str, Any]:
        """A JSON-ready dict (``None`` for undefined numbers)."""
        return {
            "group": self.group,
            "stage_index": self.stage_index,
            "stage": self.stage,
            "successes": self.successes,
            "trials": self.trials,
            "rate": json_number(self.rate),
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "team_rate": json_number(self.team_rate),
            "rest_rate": json_number(self.rest_rate),
            "difference": json_number(self.difference),
            "p_value": self.p_value,
            "p_adjusted": self.p_adjusted,
            "ranked": self.ranked,
            "significant": self.significant,
        }


@dataclass(frozen=True, slots=True)
class Comparison:
    """Result of :func:`compare`.

    ``steps`` holds one :class:`GroupStep` per (stage >= 1, group), ordered by
    stage then by group in input order; ``overall`` one per group for the
    whole funnel (first stage to last, ``stage_index`` = last index).
    ``correction`` is how the p-values were adjusted for multiple comparisons.
    """

    stages: tuple[str, ...]
    groups: tuple[str, ...]
    steps: tuple[GroupStep, ...]
    overall: tuple[GroupStep, ...]
    confidence: float
    min_n: int
    correction: Correction = "holm"

    @property
    def table(self) -> ResultTable:
        """Every (step, group) row, then the overall rows, as a :class:`~salesfunnel.ResultTable`.

        The same columns as :meth:`to_records`; ``overall`` is True on the
        whole-funnel rows.
        """
        records = [{**s.to_record(), "overall": False} for s in self.steps]
        records += [{**s.to_record(), "overall": True} for s in self.overall]
        columns = (*GroupStep.__dataclass_fields__, "overall")
        rows = tuple(tuple(r[c] for c in columns) for r in records)
        return ResultTable("comparison", columns, rows)

    def to_pandas(self) -> pandas.DataFrame:
        """:attr:`table` as a pandas DataFrame (needs pandas)."""
        return self.table.to_pandas()

    def to_polars(self) -> polars.DataFrame:
        """:attr:`table` as a polars DataFrame (needs polars)."""
        return self.table.to_polars()

    def step(self, group: str, stage: str | int) -> GroupStep:
        """The entry of ``group`` at ``stage`` (a name or an index >= 1)."""
        index = stage if isinstance(stage, int) else self.stages.index(stage)
        for s in self.steps:
            if s.group == group and s.stage_index == index:
                return s
        msg = f"no step for group {group!r} at stage {stage!r}"
        raise KeyError(msg)

    def of(self, group: str) -> tuple[GroupStep, ...]:
        """All steps of one group, in stage order."""
        return tuple(s for s in self.steps if s.group == group)

    def ranked(self, group: str) -> bool:
        """Whether any step of ``group`` has enough data to be ranked (see ``min_n``)."""
        return any(s.ranked for s in self.of(group))

    def _unranked(self, group: str) -> str:
        """Why no step of ``group`` is ranked: small samples, or stages that grow."""
        steps = self.of(group)
        if any(s.successes > s.trials for s in steps):
            return "no step to rank (a stage larger than the one before is not a rate)"
        if any(s.rest_rate > 1 for s in steps):
            return "no step to rank (the rest of the team has a stage larger than the one before)"
        return "not enough data"

    def weakest(self, group: str) -> GroupStep | None:
        """The ranked step where ``group`` falls furthest below the rest of the team.

        Only a step with ``difference < 0`` qualifies, so the step returned
        always has a p-value. ``None`` when no ranked step is below the rest
        (for example when everyone converts at 100 %) or when no step has
        enough data to be ranked (:meth:`ranked` tells the two apart). Ties go
        to the earliest stage.

        Examples
        --------
        >>> a = Funnel.from_counts({"Calls": 100, "Meetings": 50, "Paid": 50})
        >>> b = Funnel.from_counts({"Calls": 100, "Meetings": 80, "Paid": 80})
        >>> c = compare({"A": a, "B": b})
        >>> c.weakest("A").stage, c.weakest("B"), c.strongest("A")  # Paid: 100 % for both
        ('Meetings', None, None)
        """
        below = [s for s in self.of(group) if s.ranked and s.difference < 0]
        return min(below, key=lambda s: s.difference) if below else None

    def strongest(self, group: str) -> GroupStep | None:
        """The ranked step where ``group`` is furthest above the rest of the team.

        The mirror of :meth:`weakest`: only a step with ``difference > 0``
        qualifies; ``None`` when no ranked step is above the rest.
        """
        above = [s for s in self.of(group) if s.ranked and s.difference > 0]
        return max(above, key=lambda s: s.difference) if above else None

    def overall_of(self, group: str) -> GroupStep:
        """The whole-funnel entry (first stage to last) of ``group``."""
        return next(s for s in self.overall if s.group == group)

    def to_records(self) -> list[dict[str, Any]]:
        """One JSON-ready dict per (step, group), then the overall rows."""
        return [s.to_record() for s in (*self.steps, *self.overall)]

    def to_json(self, *, indent: int | None = None) -> str:
        """Strict JSON (no NaN) of stages, groups and every row."""
        payload = {
            "stages": list(self.stages),
            "groups": list(self.groups),
            "confidence": self.confidence,
            "min_n": self.min_n,
            "correction": self.correction,
            "steps": [s.to_record() for s in self.steps],
            "overall": [s.to_record() for s in self.overall],
        }
        return json.dumps(payload, indent=indent, ensure_ascii=False, allow_nan=False)

    def summary(self) -> str:
        """One line per group: overall conversion, weakest and strongest step."""
        lines = []
        for g in self.groups:
            o = self.overall_of(g)
            parts = [f"{g}: overall {fmt_percent(o.rate)} (team {fmt_percent(o.team_rate)})"]
            steps = (
                ("weakest", "below", self.weakest(g)),
                ("strongest", "above", self.strongest(g)),
            )
            for label, side, s in steps:
                if s is None:
                    why = f"none {side} the rest" if self.ranked(g) else self._unranked(g)
                    parts.append(f"{label}: {why}")
                    continue
                p = "" if s.p_value is None else f"p={s.p_value:.2g}, "
                if s.p_adjusted is not None and self.correction != "none":
                    p += f"{_CORRECTION_NAMES[self.correction]}-adjusted p={s.p_adjusted:.2g}, "
                verdict = "significant" if s.significant else "not significant"
                parts.append(
                    f"{label}: {s.stage} {fmt_percent(s.rate)} vs rest "
                    f"{fmt_percent(s.rest_rate)} ({p}{verdict})"
                )
            lines.append("; ".join(parts))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        return (
            f"Comparison(groups={list(self.groups)!r}, stages={len(self.stages)}, "
            f"confidence={self.confidence}, min_n={self.min_n})"
        )

    def _repr_html_(self) -> str:
        head = "<tr><th>stage</th>" + "".join(f"<th>{escape_html(g)}</th>" for g in self.groups)
        head += "<th>team</th></tr>"
        body = []
        for i in range(1, len(self.stages)):
            cells = []
            team = math.nan
            for g in self.groups:
                s = self.step(g, i)
                team = s.team_rate
                mark = " *" if s.significant else ""
                cells.append(f"<td>{fmt_percent(s.rate)}{mark}</td>")
            body.append(
                f"<tr><td>{escape_html(self.stages[i])}</td>{''.join(cells)}"
                f"<td>{fmt_percent(team)}</td></tr>"
            )
        adjusted = (
            "" if self.correction == "none" else f", {_CORRECTION_NAMES[self.correction]}-adjusted"
        )
        note = (
            f"<caption>step conversion; * differs from the rest of the team at "
            f"{self.confidence:.0%} confidence{adjusted}</caption>"
        )
        return f'<table class="salesfunnel-compare">{note}{head}{"".join(body)}</table>'


def _entry(
    group: str,
    index: int,
    stage: str,
    x: float,
    n: float,
    team_x: float,
    team_n: float,
    confidence: float,
    min_n: int,
    alpha: float,
) -> GroupStep:
    rest_x, rest_n = team_x - x, team_n - n
    rate = x / n if n > 0 else math.nan
    rest_rate = rest_x / rest_n if rest_n > 0 else math.nan
    team_rate = team_x / team_n if team_n > 0 else math.nan
    ci = wilson_interval(x, n, confidence)
    proportion = ci is not None and rest_n > 0 and rest_x <= rest_n
    ranked = proportion and n >= min_n and rest_n >= min_n
    p_value = two_proportion_test(x, n, rest_x, rest_n) if ranked else None
    return GroupStep(
        group=group,
        stage_index=index,
        stage=stage,
        successes=x,
        trials=n,
        rate=rate,
        ci_low=None if ci is None else ci[0],
        ci_high=None if ci is None else ci[1],
        team_rate=team_rate,
        rest_rate=rest_rate,
        difference=rate - rest_rate,
        p_value=p_value,
        ranked=ranked,
        significant=p_value is not None and p_value < alpha,
    )


def compare(
    funnels: Mapping[str, SupportsFunnel],
    *,
    confidence: float = 0.95,
    min_n: int = 30,
    correction: Correction = "holm",
) -> Comparison:
    """Compare funnels with identical stage names, step by step, with confidence.

    Parameters
    ----------
    funnels
        Group name -> funnel, e.g. one funnel per manager. At least two groups;
        every funnel must have the same stage names in the same order.
    confidence
        Level of the Wilson intervals; a difference is *significant* when its
        two-sided p-value is below ``1 - confidence``.
    min_n
        Smallest denominator (for the group and for the rest of the team) at
        which a step is ranked and tested.
    correction
        Adjustment for multiple comparisons: ``"holm"`` (default),
        ``"bh"`` (Benjamini-Hochberg) or ``"none"``. The step tests are one
        family, the whole-funnel tests another (see the module notes).

    Returns
    -------
    Comparison

    Raises
    ------
    FunnelDataError
        Fewer than two groups, mismatched stage names, or bad parameters.

    Examples
    --------
    >>> a = Funnel.from_counts({"Calls": 400, "Meetings": 80, "Paid": 40})
    >>> b = Funnel.from_counts({"Calls": 400, "Meetings": 160, "Paid": 60})
    >>> c = compare({"A": a, "B": b})
    >>> c.weakest("A").stage, c.weakest("A").significant
    ('Meetings', True)
    >>> round(c.step("A", "Meetings").team_rate, 2)
    0.3
    """
    funnels = as_funnels(funnels, "compare's funnels")
    if len(funnels) < 2:
        msg = f"compare needs at least two funnels (got {len(funnels)})"
        raise FunnelDataError(msg)
    if isinstance(min_n, bool) or not isinstance(min_n, int) or min_n < 1:
        msg = f"min_n must be an integer >= 1 (got {min_n!r})"
        raise FunnelDataError(msg)
    alpha = 1.0 - confidence
    confidence_z(confidence)  # validates confidence
    adjust_p_values([], correction)  # validates correction
    groups = tuple(funnels)
    for g, f in funnels.items():
        fractional = [s.name for s in f.stages if not float(s.count).is_integer()]
        if fractional:
            # The tests and intervals below count successes out of trials.
            msg = (
                f"compare needs whole-number counts; stage {fractional[0]!r} of {g!r} has "
                f"{f[fractional[0]].count!r}"
            )
            raise FunnelDataError(msg, column="count", value=f[fractional[0]].count)
    names = funnels[groups[0]].names
    for g in groups[1:]:
        if funnels[g].names != names:
            msg = (
                f"all funnels must have the same stages in the same order; "
                f"{groups[0]!r} has {list(names)!r} but {g!r} has {list(funnels[g].names)!r}"
            )
            raise FunnelDataError(msg)

    steps: list[GroupStep] = []
    for i in range(1, len(names)):
        team_x = sum(float(funnels[g].counts[i]) for g in groups)
        team_n = sum(float(funnels[g].counts[i - 1]) for g in groups)
        for g in groups:
            c = funnels[g].counts
            steps.append(
                _entry(g, i, names[i], float(c[i]), float(c[i - 1]), team_x, team_n,
                       confidence, min_n, alpha)
            )  # fmt: skip
    last = len(names) - 1
    team_x = sum(float(funnels[g].counts[last]) for g in groups)
    team_n = sum(float(funnels[g].counts[0]) for g in groups)
    overall = tuple(
        _entry(g, last, names[last], float(funnels[g].counts[last]), float(funnels[g].counts[0]),
               team_x, team_n, confidence, min_n, alpha)
        for g in groups
    )  # fmt: skip
    return Comparison(
        names,
        groups,
        _adjusted(steps, correction, alpha),
        _adjusted(overall, correction, alpha),
        confidence,
        min_n,
        correction,
    )


def _adjusted(
    family: Sequence[GroupStep], correction: Correction, alpha: float
) -> tuple[GroupStep, ...]:
    """The family with ``p_adjusted`` set and ``significant`` read from it."""
    tested = [k for k, s in enumerate(family) if s.p_value is not None]
    adjusted = adjust_p_values([family[k].p_value or 0.0 for k in tested], correction)
    out = list(family)
    for k, p in zip(tested, adjusted, strict=True):
        out[k] = replace(family[k], p_adjusted=p, significant=p < alpha)
    return tuple(out)
