"""Small built-in datasets for examples, docs and tests.

Every dataset here is synthetic: numbers made up to reproduce a story, not
anyone's real sales.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import numpy.typing as npt

from .errors import FunnelDataError
from .funnel.model import Funnel

__all__ = [
    "CRM_OUTCOMES",
    "CRM_STAGES",
    "THREE_MANAGERS_STAGES",
    "synthetic_crm",
    "three_managers",
]

THREE_MANAGERS_STAGES = ("Calls", "Meetings", "Repeat contacts", "Offers", "Contracts", "Paid")

# One month of a wholesale company: three managers with the same duties.
_THREE_MANAGERS = {
    "Manager 1": (1200, 300, 180, 120, 75, 47),
    "Manager 2": (2000, 240, 170, 126, 75, 51),
    "Manager 3": (1100, 286, 166, 108, 70, 42),
}


def three_managers() -> dict[str, Funnel]:
    """The seed's three-manager month, one funnel per manager.

    The numbers are synthetic and built to reproduce the story of the source
    article: manager 2 makes the most calls but has the lowest overall
    conversion (the cold call is his weak step); he converts meetings and
    repeat contacts well; his payment-stage conversion is the highest, 68 %
    (51 of 75 contracts paid), while the company's payment stage sits between
    60 % and 68 %.

    Returns
    -------
    dict[str, Funnel]
        Manager name -> funnel over ``THREE_MANAGERS_STAGES``.

    Examples
    --------
    >>> funnels = three_managers()
    >>> sorted(funnels)
    ['Manager 1', 'Manager 2', 'Manager 3']
    >>> funnels["Manager 2"]["Calls"].count
    2000.0
    """
    return {
        name: Funnel.from_counts(list(zip(THREE_MANAGERS_STAGES, counts, strict=True)), name=name)
        for name, counts in _THREE_MANAGERS.items()
    }


CRM_STAGES = ("Lead", "Qualified", "Meeting", "Proposal", "Negotiation")
"""Open stages of the synthetic CRM pipeline, in order."""

CRM_OUTCOMES = {"won": "Won", "lost": "Lost", "frozen": "Frozen"}
"""Outcome labels of the synthetic CRM pipeline."""

_OWNER_NAMES = ("Alice", "Boris", "Chen", "Dana", "Emil", "Fatima", "Goran", "Hana")


def synthetic_crm(
    n_deals: int = 1200,
    *,
    owners: int = 4,
    start: str = "2026-01-01",
    end: str = "2026-06-30",
    seed: int = 7,
) -> dict[str, npt.NDArray[np.generic]]:
    """A seeded synthetic CRM history: one row per stage event.

    Deals open uniformly over ``[start, end]`` at ``Lead`` and walk through
    :data:`CRM_STAGES`. At every stage a deal moves on with a probability that
    depends on its owner (each owner has one noticeably weaker step), or ends
    lost (mostly) or frozen. Time in each stage is drawn from a log-normal
    distribution. A few deals skip a stage or step back one stage, as real
    CRM histories do. Events after ``end`` are cut: those deals stay open.

    Parameters
    ----------
    n_deals
        Number of deals (>= 1).
    owners
        Number of salespeople (1 to 8).
    start, end
        ISO dates bounding the history.
    seed
        Seed of the random generator: the same arguments give the same rows.

    Returns
    -------
    dict
        Columns ``deal_id`` (str), ``stage`` (str: a stage or an outcome
        label), ``timestamp`` (``datetime64[s]``), ``owner`` (str) and
        ``amount`` (float, the deal's value, repeated on every event), sorted
        by deal then time.

    Examples
    --------
    >>> cols = synthetic_crm(50, seed=1)
    >>> sorted(cols)
    ['amount', 'deal_id', 'owner', 'stage', 'timestamp']
    >>> bool((synthetic_crm(50, seed=1)["timestamp"] == cols["timestamp"]).all())
    True
    """
    t0, t1 = _check(n_deals, owners, start, end)
    rng = np.random.default_rng(seed)
    names = _OWNER_NAMES[:owners]
    advance = _advance_probabilities(owners)
    span_s = float((t1 - t0) / np.timedelta64(1, "s"))

    ids: list[str] = []
    stages: list[str] = []
    times: list[np.datetime64] = []
    owner_col: list[str] = []
    amounts: list[float] = []
    width = len(str(n_deals))
    for d in range(n_deals):
        deal_id = f"D{d + 1:0{width}d}"
        k = int(rng.integers(owners))
        amount = float(np.round(rng.lognormal(mean=8.0, sigma=0.7), 2))
        t = t0 + np.timedelta64(int(rng.uniform(0, span_s)), "s")
        for label, when in _walk(rng, advance[k], t, t1):
            ids.append(deal_id)
            stages.append(label)
            times.append(when)
            owner_col.append(names[k])
            amounts.append(amount)
    return {
        "deal_id": np.array(ids),
        "stage": np.array(stages),
        "timestamp": np.array(times, dtype="datetime64[s]"),
        "owner": np.array(owner_col),
        "amount": np.array(amounts, dtype=np.float64),
    }


def _check(n_deals: int, owners: int, start: str, end: str) -> tuple[np.datetime64, np.datetime64]:
    """Validate :func:`synthetic_crm`'s arguments; the history's first and last second."""
    if isinstance(n_deals, bool) or not isinstance(n_deals, int) or n_deals < 1:
        msg = f"n_deals must be an integer >= 1 (got {n_deals!r})"
        raise FunnelDataError(msg)
    if isinstance(owners, bool) or not isinstance(owners, int) or not 1 <= owners <= 8:
        msg = f"owners must be an integer from 1 to 8 (got {owners!r})"
        raise FunnelDataError(msg)
    try:
        t0 = np.datetime64(dt.date.fromisoformat(start), "s")
        t1 = np.datetime64(dt.date.fromisoformat(end), "s") + np.timedelta64(86399, "s")
    except (TypeError, ValueError) as exc:
        msg = f"start and end must be ISO dates like '2026-01-31' (got {start!r}, {end!r})"
        raise FunnelDataError(msg) from exc
    if t1 <= t0:
        msg = f"end must be after start (got start={start!r}, end={end!r})"
        raise FunnelDataError(msg)
    return t0, t1


_N_STEPS = len(CRM_STAGES)  # the last step is Negotiation -> Won
_MEDIAN_DAYS = np.array([3.0, 6.0, 8.0, 10.0, 12.0])  # time in each stage


def _advance_probabilities(owners: int) -> npt.NDArray[np.float64]:
    """Per owner and stage, the chance of moving on: every owner has one weak step."""
    base = np.array([0.72, 0.66, 0.72, 0.62, 0.66])
    advance = np.tile(base, (owners, 1))
    for k in range(owners):
        advance[k, k % _N_STEPS] *= 0.6
        advance[k] *= 1.0 + 0.08 * (k % 3 - 1)
    clipped: npt.NDArray[np.float64] = np.clip(advance, 0.05, 0.95)
    return clipped


def _walk(
    rng: np.random.Generator,
    advance: npt.NDArray[np.float64],
    t: np.datetime64,
    t1: np.datetime64,
) -> list[tuple[str, np.datetime64]]:
    """One deal's events from its first stage at ``t`` until an outcome or the end ``t1``."""
    events: list[tuple[str, np.datetime64]] = [(CRM_STAGES[0], t)]
    s = 0
    while True:
        t = t + np.timedelta64(int(rng.lognormal(np.log(_MEDIAN_DAYS[s]), 0.6) * 86400), "s")
        if t > t1:
            return events  # still open at the end of the history
        u = rng.random()
        if u < advance[s]:
            if s == _N_STEPS - 1:
                events.append((CRM_OUTCOMES["won"], t))
                return events
            jump = 2 if (s < _N_STEPS - 2 and rng.random() < 0.04) else 1  # skipped stage
            s += jump
            events.append((CRM_STAGES[s], t))
        elif s > 1 and rng.random() < 0.05:
            s -= 1  # the customer asked to go back one step
            events.append((CRM_STAGES[s], t))
        elif rng.random() < 0.12:
            events.append((CRM_OUTCOMES["frozen"], t))
            return events
        else:
            events.append((CRM_OUTCOMES["lost"], t))
            return events
