"""What the report and the CLI compute from a deal log (no HTML).

:func:`analyze` computes every figure the report shows (closed-deal and
active-deal funnels for the team and per owner, the per-owner comparison,
durations, forecast, monthly volume, stalled deals) once, as an
:class:`Analysis`; :mod:`salesfunnel.output.report` lays it out as HTML and
the CLI prints it as text. The texts both show (the period, the expected
amount, times for people) are written here once.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._calendar import wall_text
from ._format import EM_DASH, fmt_number, fmt_value
from ._time import one_time as _one_time, zone_argument
from .deals.active import ActiveFunnel, Forecast, active_funnel, forecast
from .deals.closed import ClosedFunnel, closed_funnel
from .deals.log import DealLog
from .deals.pipeline import Pipeline
from .deals.shared import Instant, Mode, check_log, parse_instant
from .deals.stalled import StalledDeals, stalled_deals
from .deals.status import NOT_STARTED, deal_states
from .deals.volume import MonthlyVolume, monthly_volume
from .errors import FunnelDataError
from .funnel.compare import Comparison, Correction, GroupStep, compare
from .funnel.metrics import Bottleneck, bottleneck

__all__ = [
    "Analysis",
    "Instant",
    "analyze",
    "expected_amount_card",
    "period_text",
    "when_text",
]


def _iso_text(value: Instant) -> str | None:
    """An instant as ISO text without a midnight time part (``None`` stays ``None``)."""
    if value is None:
        return None
    try:
        t = _one_time(value)
    except ValueError as exc:
        msg = f"unparsable timestamp {value!r} ({exc})"
        raise FunnelDataError(msg) from None
    return None if t is None else when_text(str(t))


def when_text(text: str | None) -> str:
    """ISO time text for people: ``2026-06-30`` or ``2026-06-30 14:05:00``."""
    if text is None:
        return EM_DASH
    return text[:-9] if text.endswith("T00:00:00") else text.replace("T", " ")


@dataclass(frozen=True, slots=True)
class Analysis:
    """Every figure of the report, computed once from a deal log.

    Attributes
    ----------
    log, pipeline
        The deal log and the pipeline it was analysed with.
    start, end, as_of
        The closed-deal period (``start <= close < end``) and the snapshot
        time, as given (ISO text, ``None`` = open-ended / after every event).
    closed, closed_by_owner
        Closed-deal funnel of the period, for the team and per owner.
    active, active_by_owner
        Open deals at ``as_of``, for the team and per owner.
    comparison
        Per-owner comparison of the closed funnels (``None`` with fewer than
        two owners).
    forecast, forecast_by_owner
        Expected wins from the open deals.
    monthly
        Won deals and amount per month (per owner when the log has owners).
    stalled
        Open deals idle longer than ``stalled_days``.
    bottleneck
        The team's stage with the lowest step conversion (``None`` if undefined).
    stalled_days
        The idle threshold of ``stalled``, in days (tables state it).
    tz
        The zone whose calendar the analysis used (``None``: UTC's); ``start``,
        ``end`` and ``as_of`` then carry its offset.
    """

    log: DealLog
    pipeline: Pipeline
    start: str | None
    end: str | None
    as_of: str | None
    closed: ClosedFunnel
    closed_by_owner: dict[str, ClosedFunnel]
    active: ActiveFunnel
    active_by_owner: dict[str, ActiveFunnel]
    comparison: Comparison | None
    forecast: Forecast
    forecast_by_owner: dict[str, Forecast]
    monthly: MonthlyVolume
    stalled: StalledDeals
    bottleneck: Bottleneck | None
    stalled_days: float = 30.0
    tz: str | None = None

    @property
    def owners(self) -> tuple[str, ...]:
        """The owners analysed, sorted (empty without an owner column)."""
        return tuple(self.closed_by_owner)

    def weakest(self) -> dict[str, GroupStep | None]:
        """Owner -> the step where the owner falls furthest below the rest of the team.

        ``None`` for an owner with no ranked step below the rest (see
        :meth:`Comparison.weakest <salesfunnel.Comparison.weakest>`).
        """
        if self.comparison is None:
            return {}
        return {g: self.comparison.weakest(g) for g in self.comparison.groups}

    @property
    def dropped(self) -> int:
        """Rows the log dropped while loading (unknown labels with ``drop_unknown=True``)."""
        return self.log.dropped

    def deal_records(self) -> dict[str, dict[str, Any]]:
        """Deal id (as text) -> owner, amount, first and last event, status at ``as_of``."""
        return _deal_records(self)

    def to_dict(self) -> dict[str, Any]:
        """Every figure as JSON-ready data (``None`` for undefined numbers)."""

        def load(text: str) -> Any:
            return json.loads(text)

        neck = self.bottleneck
        payload: dict[str, Any] = {
            "pipeline": {
                "stages": list(self.pipeline.stages),
                "won": self.pipeline.won,
                "lost": self.pipeline.lost,
                "frozen": self.pipeline.frozen,
            },
            "period": {"start": self.start, "end": self.end, "as_of": self.as_of}
            | ({} if self.tz is None else {"tz": self.tz}),
            "deals": self.log.n_deals,
            "events": len(self.log),
            "dropped_rows": self.dropped,
            "owners": list(self.owners),
            "bottleneck": None
            if neck is None
            else {"stage": neck.name, "index": neck.index, "step_conversion": neck.rate},
            "closed": load(self.closed.to_json()),
            "active": load(self.active.to_json()),
            "forecast": load(self.forecast.to_json()),
            "monthly_volume": load(self.monthly.to_json()),
            "stalled_deals": load(self.stalled.to_json()),
        }
        if self.owners:
            payload["by_owner"] = {
                o: {
                    "closed": load(self.closed_by_owner[o].to_json()),
                    "active": load(self.active_by_owner[o].to_json()),
                    "forecast": load(self.forecast_by_owner[o].to_json()),
                }
                for o in self.owners
            }
        if self.comparison is not None:
            payload["comparison"] = load(self.comparison.to_json())
            payload["weakest_stage"] = {
                g: None if s is None else s.to_record() for g, s in self.weakest().items()
            }
        return payload

    def to_json(self, *, indent: int | None = 2) -> str:
        """:meth:`to_dict` as strict JSON text."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, allow_nan=False)


# Over 80 lines only with its docstring (every option documented); the code is 45.
def analyze(
    log: DealLog,
    pipeline: Pipeline | None = None,
    *,
    start: Instant = None,
    end: Instant = None,
    as_of: Instant = None,
    mode: Mode = "cumulative",
    confidence: float = 0.95,
    min_n: int = 30,
    stalled_days: float = 30.0,
    correction: Correction = "holm",
    progress: Callable[[str], None] | None = None,
    tz: object = None,
) -> Analysis:
    """Compute every figure of the report.

    Parameters
    ----------
    log
        The deal events.
    pipeline
        Stages and outcomes to analyse with (default: the log's own).
    start, end
        Closed-deal period, ``start <= close time < end`` (either may be ``None``).
    as_of
        Snapshot time of the active funnel and the forecast (default: after
        every event).
    mode
        Counting mode of the closed-deal funnel (see :func:`~salesfunnel.closed_funnel`).
    confidence, min_n, correction
        Passed to :func:`~salesfunnel.compare` for the per-owner comparison
        (``correction``: Holm by default, ``"bh"`` or ``"none"``).
    stalled_days
        Open deals idle for longer than this are listed as stalled.
    progress
        Called with a short description before each step (for progress display).
    tz
        The zone of the calendar (an IANA name such as ``"Europe/Berlin"``, or
        a ``tzinfo``): a naive ``start``, ``end`` or ``as_of`` is read in it
        (kept as ISO text with the zone's offset), and the monthly volume
        counts the zone's months (see :func:`~salesfunnel.trend`). Default:
        UTC's.

    Raises
    ------
    FunnelDataError
        Bad period bounds or parameters.

    Examples
    --------
    >>> from salesfunnel.datasets import synthetic_crm, CRM_STAGES
    >>> p = Pipeline(CRM_STAGES, won="Won", lost="Lost", frozen="Frozen")
    >>> log = DealLog.from_columns(synthetic_crm(300), p, deal="deal_id",
    ...                            time="timestamp", owner="owner", amount="amount")
    >>> a = analyze(log, end="2026-07-01")
    >>> a.owners
    ('Alice', 'Boris', 'Chen', 'Dana')
    >>> a.closed.funnel.names[-1], a.bottleneck is not None
    ('Won', True)
    """
    say = progress or (lambda _text: None)
    check_log("analyze", log, pipeline)
    pipe = pipeline or log.pipeline
    zone = zone_argument(tz)
    if zone is not None:  # instants with the zone's offset: every analysis reads them so
        bounds = {"start": start, "end": end, "as_of": as_of}
        start, end, as_of = (_zone_text(v, k, zone) for k, v in bounds.items())
    say("closed-deal funnels")
    closed = closed_funnel(log, pipe, start=start, end=end, mode=mode)
    has_owner = log.owner is not None
    closed_by: dict[str, ClosedFunnel] = (
        closed_funnel(log, pipe, start=start, end=end, by="owner", mode=mode) if has_owner else {}
    )
    say("active-deal funnels")
    active = active_funnel(log, pipe, as_of=as_of)
    active_by: dict[str, ActiveFunnel] = (
        active_funnel(log, pipe, as_of=as_of, by="owner") if has_owner else {}
    )
    comparison = None
    if len(closed_by) >= 2:
        say("comparison")
        comparison = compare(closed_by, confidence=confidence, min_n=min_n, correction=correction)
    say("forecast")
    fc = forecast(log, pipe, as_of=as_of)
    fc_by: dict[str, Forecast] = forecast(log, pipe, as_of=as_of, by="owner") if has_owner else {}
    say("monthly volume")
    owner = "owner" if has_owner else None
    monthly = monthly_volume(log, pipe, by=owner, start=start, end=end, tz=zone)
    say("stalled deals")
    stalled = stalled_deals(log, pipe, as_of=as_of, max_days=stalled_days)
    # Texts after the analyses, whose errors name a bad bound first (zoned ones are texts).
    texts = [v if isinstance(v, str) and zone else _iso_text(v) for v in (start, end, as_of)]
    return Analysis(
        log=log,
        pipeline=pipe,
        start=texts[0],
        end=texts[1],
        as_of=texts[2],
        closed=closed,
        closed_by_owner=closed_by,
        active=active,
        active_by_owner=active_by,
        comparison=comparison,
        forecast=fc,
        forecast_by_owner=fc_by,
        monthly=monthly,
        stalled=stalled,
        bottleneck=bottleneck(closed.funnel),
        stalled_days=float(stalled_days),
        tz=None if zone is None else str(zone),
    )


def _zone_text(value: Instant, name: str, zone: dt.tzinfo) -> str | None:
    """A bound (a naive one read in ``zone``) as ISO text with the zone's offset."""
    seconds = parse_instant(value, name, zone)
    return None if seconds is None else wall_text(seconds, zone)


# -- deals behind the stages ------------------------------------------------------------
def _deal_records(a: Analysis) -> dict[str, dict[str, Any]]:
    """Deal id (as text) -> owner, amount, first and last event, status at ``as_of``.

    The status is the deal engine's (:func:`salesfunnel.deals.status.deal_states`);
    this only turns it into text.
    """
    st = deal_states(a.log, a.pipeline, a.as_of)
    labels, n_stages, owners = st.pipeline.labels, st.pipeline.n_stages, a.log.owners

    def day(seconds: int) -> str:
        return when_text(str(np.datetime64(seconds, "s")))

    out: dict[str, dict[str, Any]] = {}
    for d, ident in enumerate(st.ids.tolist()):
        c, o, amount = int(st.label[d]), int(st.owner[d]), float(st.amount[d])
        status = labels[c] if c >= n_stages else f"open: {labels[c]}"
        if c < 0:
            status = "not started" if c == NOT_STARTED else "time unknown"
        out[str(ident)] = {
            "owner": owners[o] if o >= 0 else "",
            "amount": None if math.isnan(amount) else fmt_number(amount),
            "first": day(int(st.first[d])) if st.dated[d] else EM_DASH,
            "last": day(int(st.last[d])) if st.dated[d] else EM_DASH,
            "status": status,
        }
    return out


def period_text(a: Analysis) -> str:
    zone = "" if a.tz is None else f", {a.tz} time"
    start, end = _shown(a.start, a.tz), _shown(a.end, a.tz)
    if start and end:
        return f"closed from {start} up to {end}{zone}"
    if start:
        return f"closed from {start} on{zone}"
    if end:
        return f"closed before {end}{zone}"
    return "closed at any time"


def _shown(text: str | None, tz: str | None) -> str | None:
    """A bound for people: with a zone, its wall-clock time (the zone is named after)."""
    if text is None or tz is None:
        return text
    return when_text(dt.datetime.fromisoformat(text).replace(tzinfo=None).isoformat())


def expected_amount_card(a: Analysis) -> tuple[str, str]:
    fc = a.forecast
    if a.log.amount is None:
        return EM_DASH, "expected won amount (the log has no amounts)"
    unknown = fc.amount_unknown
    if unknown and unknown == a.active.open_deals:
        return EM_DASH, "expected won amount (open deals have no amount)"
    plural = "" if unknown == 1 else "s"
    note = f" ({fmt_number(unknown)} open deal{plural} without an amount)" if unknown else ""
    return fmt_value(fc.expected_amount), "expected won amount" + note
