"""Hand-computed worked examples of the deal-history semantics.

Pipeline A > B > C, outcomes W (won), L (lost), F (frozen). Days are January
2024. The expected numbers below were worked out on paper from the rules in
docs/deal-history.rst, deal by deal:

deal 1: A d1, B d3, A d4 (backward), B d6, C d10, W d15
deal 2: A d1, C d2 (skips B), L d5
deal 3: B d2 (no A), W d4
deal 4: A d1, L d2, B d3 (reopened), W d9
deal 5: A d1, F d3
deal 6: A d5
"""

from __future__ import annotations

import datetime as dt
import json
import math

import numpy as np
import pytest

from salesfunnel import (
    DealLog,
    FunnelDataError,
    Pipeline,
    active_funnel,
    closed_funnel,
    forecast,
    monthly_volume,
    stage_durations,
    stalled_deals,
    time_to_close,
)

P = Pipeline(["A", "B", "C"], won="W", lost="L", frozen="F")
EVENTS = [
    (1, "A", 1),
    (1, "B", 3),
    (1, "A", 4),
    (1, "B", 6),
    (1, "C", 10),
    (1, "W", 15),
    (2, "A", 1),
    (2, "C", 2),
    (2, "L", 5),
    (3, "B", 2),
    (3, "W", 4),
    (4, "A", 1),
    (4, "L", 2),
    (4, "B", 3),
    (4, "W", 9),
    (5, "A", 1),
    (5, "F", 3),
    (6, "A", 5),
]
OWNER = {1: "ann", 2: "bob", 3: "ann", 4: "bob", 5: "ann", 6: "bob"}
AMOUNT = {1: 100.0, 2: 0.0, 3: 30.0, 4: 50.0, 5: 70.0, 6: 20.0}


def day(d: int) -> dt.datetime:
    return dt.datetime(2024, 1, d)


def make_log() -> DealLog:
    last = {deal: i for i, (deal, _, _) in enumerate(EVENTS)}
    records = [
        {
            "deal": deal,
            "stage": stage,
            "time": day(d),
            "owner": OWNER[deal],
            # The amount rides on each deal's last event.
            "amount": AMOUNT[deal] if last[deal] == i else None,
        }
        for i, (deal, stage, d) in enumerate(EVENTS)
    ]
    return DealLog.from_records(records, P, owner="owner", amount="amount")


LOG = make_log()
RECORDS_NO_AMOUNT = [{"deal": deal, "stage": stage, "time": day(d)} for deal, stage, d in EVENTS]


def ids(stage_data: object) -> list[int]:
    return sorted(int(x) for x in np.asarray(stage_data))


def test_cumulative_counts_every_stage_up_to_the_furthest() -> None:
    cf = closed_funnel(LOG)
    assert cf.funnel.names == ("A", "B", "C", "W")
    # Deals 1, 3, 4 won (all stages); deal 2 lost after reaching C.
    assert cf.funnel.counts.tolist() == [4, 4, 4, 3]
    assert ids(cf.funnel["A"].data) == [1, 2, 3, 4]
    assert ids(cf.funnel["W"].data) == [1, 3, 4]
    assert (cf.won, cf.lost, cf.win_rate) == (3, 1, 0.75)


def test_classic_counts_only_stages_entered() -> None:
    cf = closed_funnel(LOG, mode="classic")
    assert cf.funnel.counts.tolist() == [3, 3, 2, 3]
    assert ids(cf.funnel["A"].data) == [1, 2, 4]
    assert ids(cf.funnel["B"].data) == [1, 3, 4]
    assert ids(cf.funnel["C"].data) == [1, 2]


def test_strict_counts_only_in_order_passage() -> None:
    cf = closed_funnel(LOG, mode="strict")
    # 1: A,B,C,W in order; 2: A then C (B skipped); 3: no A; 4: A, B, then W without C.
    assert cf.funnel.counts.tolist() == [3, 2, 1, 1]
    assert ids(cf.funnel["B"].data) == [1, 4]
    assert ids(cf.funnel["W"].data) == [1]
    assert cf.win_rate == 0.75  # the win rate is about outcomes, whatever the mode


def test_time_in_stage_sums_visits_and_skips_the_closed_span() -> None:
    d = stage_durations(LOG)
    # A: deal 1 (3-1)+(6-4)=4, deal 2 1, deal 4 1 (its lost-to-reopen span is no stage).
    a = d.stage("A")
    assert (a.count, a.median_days, a.mean_days) == (3, 1.0, 2.0)
    # B: deal 1 (4-3)+(10-6)=5, deal 3 2, deal 4 6.
    b = d.stage("B")
    assert (b.count, b.median_days) == (3, 5.0)
    assert b.mean_days == pytest.approx(13 / 3)
    c = d.stage("C")
    assert (c.count, c.median_days) == (2, 4.0)
    # Cycle: 14, 4, 2, 8 days.
    assert (d.cycle.count, d.cycle.median_days, d.cycle.mean_days) == (4, 6.0, 7.0)
    assert d.cycle.p90_days == pytest.approx(np.quantile([14, 4, 2, 8], 0.9))


def test_period_is_half_open_and_history_stops_at_end() -> None:
    # Before d5: only deal 3 has closed (deal 2's loss is at d5, deal 4 is reopened).
    cf = closed_funnel(LOG, end=day(5))
    assert (cf.deals, cf.won, cf.lost) == (1, 1, 0)
    cf = closed_funnel(LOG, start=day(4), end=day(6))
    assert (cf.won, cf.lost) == (1, 1)
    assert ids(cf.funnel["A"].data) == [2, 3]


def test_snapshot_counts_an_event_at_exactly_as_of() -> None:
    af = active_funnel(LOG, as_of=day(3))
    # d3: deal 1 enters B, deal 4 reopens at B, deal 5 freezes; deal 2 still at C.
    assert af.funnel.counts.tolist() == [0, 3, 1]
    assert ids(af.funnel["B"].data) == [1, 3, 4]
    assert (af.frozen, af.won, af.lost, af.started) == (1, 0, 0, 5)
    af = active_funnel(LOG, as_of=day(2))
    assert af.funnel.counts.tolist() == [2, 1, 1]
    assert (af.lost, af.started) == (1, 5)


def test_active_funnel_amounts_and_owners() -> None:
    af = active_funnel(LOG, as_of=day(10), by="owner")
    assert isinstance(af, dict)
    assert sorted(af) == ["ann", "bob"]
    # ann: deal 1 at C; deal 5 frozen. bob: deal 6 at A (20); deal 4 won at d9.
    # Deal 1's amount is recorded with its win on d15, after as_of: unknown on d10.
    assert af["ann"].funnel.counts.tolist() == [0, 0, 1]
    assert af["ann"].funnel["C"].amount is None
    assert af["ann"].amount_unknown == 1
    assert af["bob"].funnel["A"].amount == 20.0
    assert (af["ann"].frozen, af["bob"].won, af["bob"].lost) == (1, 1, 1)


def test_time_to_close_censors_open_deals_at_as_of() -> None:
    km = time_to_close(LOG, as_of=day(10))
    # Events 2 (deal 3), 4 (deal 2), 8 (deal 4); censored 9 (deal 1), 9 (deal 5), 5 (deal 6).
    assert km.time.tolist() == [0.0, 2.0, 4.0, 8.0]
    assert km.at_risk.tolist() == [6, 6, 5, 3]
    assert km.survival == pytest.approx([1, 5 / 6, 4 / 6, 4 / 6 * 2 / 3])
    assert km.median == 8.0
    won = time_to_close(LOG, as_of=day(10), outcome="won")
    # Aalen-Johansen: 1/6 at 2; the loss at 4 does not raise it; + (4/6)(1/3) at 8.
    assert 1 - won.survival == pytest.approx([0, 1 / 6, 1 / 6, 1 / 6 + 4 / 18])
    assert math.isnan(won.median)


def test_forecast_historical_and_weighted() -> None:
    fc = forecast(LOG, as_of=day(10))
    # Closed at d10: deal 2 lost (reached C), 3 and 4 won: P(won | reached s) = 2/3 for all.
    assert fc.table.column("probability") == pytest.approx([2 / 3] * 3)
    assert fc.table.column("open_deals") == [1, 0, 1]  # deal 6 at A, deal 1 at C
    assert fc.expected_won == pytest.approx(4 / 3)
    # Deal 1's amount is not known on d10 (see above): only deal 6's 20 is weighted,
    # and the result says one open deal was left out of the sum.
    assert fc.expected_amount == pytest.approx(20 * 2 / 3)
    assert fc.table.column("amount_unknown") == [0, 0, 1]
    assert fc.amount_unknown == 1
    # C's only open deal has no amount: unknown, not 0. B has no open deal: 0.
    assert fc.table.column("amount") == [20.0, 0.0, None]
    assert fc.table.column("expected_amount") == pytest.approx([20 * 2 / 3, 0.0, None])
    assert str(fc).endswith("expected amount: 13.33 (1 open deal without an amount)")
    assert json.loads(fc.to_json())["amount_unknown"] == 1
    fw = forecast(
        LOG, as_of=day(10), method="weighted", probabilities={"A": 0.1, "B": 0.5, "C": 0.9}
    )
    assert fw.expected_won == pytest.approx(1.0)
    assert fw.expected_amount == pytest.approx(20 * 0.1)
    json.loads(fw.to_json())


def test_forecast_amount_is_undefined_when_no_open_deal_has_one() -> None:
    fc = forecast(LOG, as_of=day(4))
    # On d4: deal 1 open at A (A d4), deal 4 at B (reopened d3), deal 2 at C; their
    # amounts ride on later events, so none is known. Deal 3 won d4 (the only closed
    # deal, reached everything): P = 1 at every stage. Deal 5 is frozen, 6 not started.
    assert fc.table.column("open_deals") == [1, 1, 1]
    assert fc.table.column("probability") == [1.0, 1.0, 1.0]
    assert fc.expected_won == 3.0
    assert math.isnan(fc.expected_amount)
    assert fc.amount_unknown == 3
    assert fc.table.column("amount") == [None, None, None]
    assert fc.table.column("expected_amount") == [None, None, None]
    payload = json.loads(fc.to_json())
    assert payload["expected_amount"] is None
    assert [s["amount"] for s in payload["stages"]] == [None, None, None]
    assert str(fc).endswith("expected amount: \u2014 (3 open deals without an amount)")
    assert "expected_amount=nan" in repr(fc)
    by = forecast(LOG, as_of=day(4), by="owner")
    # ann: deal 1 open, amount unknown. bob: deals 2 and 4 open, amounts unknown.
    assert {o: (f.amount_unknown, math.isnan(f.expected_amount)) for o, f in by.items()} == {
        "ann": (1, True),
        "bob": (2, True),
    }


def test_forecast_amount_edge_cases() -> None:
    p = Pipeline(["Call", "Offer"], won="Won", lost="Lost")
    keys = ("deal", "stage", "time", "amount")

    def log_of(rows: list[tuple[object, ...]]) -> DealLog:
        return DealLog.from_records(
            [dict(zip(keys, r, strict=True)) for r in rows], p, amount="amount"
        )

    # No open deal at all: nothing is expected, and nothing is unknown.
    closed = log_of([("A", "Call", "2024-01-01", 10), ("A", "Won", "2024-01-02", 10)])
    fc = forecast(closed, as_of="2024-01-31")
    assert (fc.expected_won, fc.expected_amount, fc.amount_unknown) == (0.0, 0.0, 0)
    # No amount column: the amount is undefined, and no amount cell was missing.
    fc = forecast(DealLog.from_records(RECORDS_NO_AMOUNT, P), as_of=day(10))
    assert math.isnan(fc.expected_amount)
    assert fc.amount_unknown == 0
    assert fc.table.column("amount") == [None, None, None]
    assert json.loads(fc.to_json())["expected_amount"] is None
    # A lost after Call: P(Call) = 0/1, Offer never reached: no probability. B's 50 at
    # Call is known, C at Offer has none; the Offer stage still makes both totals NaN.
    fc = forecast(
        log_of(
            [
                ("A", "Call", "2024-01-01", None),
                ("A", "Lost", "2024-01-02", None),
                ("B", "Call", "2024-01-03", 50),
                ("C", "Offer", "2024-01-03", None),
            ]
        ),
        as_of="2024-01-31",
    )
    assert fc.table.column("probability")[0] == 0.0
    assert math.isnan(fc.table.column("probability")[1])  # type: ignore[arg-type]
    assert math.isnan(fc.expected_won)
    assert math.isnan(fc.expected_amount)
    assert fc.amount_unknown == 1


def test_monthly_volume_and_stalled_deals() -> None:
    mv = monthly_volume(LOG, by="owner")
    assert mv.to_records() == [
        {
            "owner": "ann",
            "month": "2024-01",
            "won_deals": 2,
            "won_amount": 130.0,
            "amount_unknown": 0,
        },
        {
            "owner": "bob",
            "month": "2024-01",
            "won_deals": 1,
            "won_amount": 50.0,
            "amount_unknown": 0,
        },
    ]
    st = stalled_deals(LOG, as_of=day(12), max_days={"A": 5, "C": 1})
    # deal 6 idle 7 days at A; deal 1 idle 2 days at C; deal 5 is frozen, not open.
    assert st.deal_ids == [6, 1]
    assert st.table.column("idle_days") == [7.0, 2.0]


def test_results_serialise_without_nan() -> None:
    cf = closed_funnel(LOG, by="owner")
    assert isinstance(cf, dict)
    for result in cf.values():
        payload = json.loads(result.to_json())
        assert payload["mode"] == "cumulative"
        assert "<table" in result._repr_html_()
        assert "win rate" in str(result)
    empty = closed_funnel(LOG, end=day(1))
    assert math.isnan(empty.win_rate)
    assert json.loads(empty.to_json())["win_rate"] is None
    assert repr(empty).startswith("ClosedFunnel(name=None, mode='cumulative', deals=0")


def test_lost_after_moving_back_counts_up_to_the_furthest_stage() -> None:
    rows = [(7, "A", 1), (7, "C", 2), (7, "B", 3), (7, "L", 4)]
    log = DealLog.from_records([{"deal": d, "stage": s, "time": day(t)} for d, s, t in rows], P)
    assert closed_funnel(log).funnel.counts.tolist() == [1, 1, 1, 0]
    assert closed_funnel(log, mode="classic").funnel.counts.tolist() == [1, 1, 1, 0]
    # Strict: A, then C skips B; the later B completes A, B but C came before it.
    assert closed_funnel(log, mode="strict").funnel.counts.tolist() == [1, 1, 0, 0]


def test_bad_arguments_are_named() -> None:
    with pytest.raises(FunnelDataError, match="mode must be"):
        closed_funnel(LOG, mode="funnel")  # type: ignore[call-overload]
    with pytest.raises(FunnelDataError, match=r"by must be None, 'owner', a kept column .* 'team'"):
        active_funnel(LOG, by="team")
    with pytest.raises(FunnelDataError, match="end must not be before start"):
        closed_funnel(LOG, start=day(5), end=day(2))
    with pytest.raises(FunnelDataError, match="as_of: unparsable"):
        active_funnel(LOG, as_of="yesterday")
    with pytest.raises(FunnelDataError, match="lack the stage 'C'"):
        forecast(LOG, method="weighted", probabilities={"A": 0.1, "B": 0.2})
    with pytest.raises(FunnelDataError, match=r"probability of 'A' must be in \[0, 1\]"):
        forecast(LOG, method="weighted", probabilities={"A": 1.5, "B": 0.2, "C": 0.3})
    with pytest.raises(FunnelDataError, match="needs probabilities"):
        forecast(LOG, method="weighted")
    with pytest.raises(FunnelDataError, match="max_days names 'W'"):
        stalled_deals(LOG, max_days={"W": 3})
    with pytest.raises(FunnelDataError, match="outcome must be"):
        time_to_close(LOG, outcome="closed")  # type: ignore[call-overload]
    no_owner = DealLog.from_records([{"deal": 1, "stage": "A", "time": day(1)}], P)
    with pytest.raises(FunnelDataError, match="needs a log built with an owner column"):
        closed_funnel(no_owner, by="owner")
    other = Pipeline(["A", "B"], won="W", lost="L")
    with pytest.raises(FunnelDataError, match="lacks"):
        closed_funnel(LOG, other)  # LOG uses C and F


def test_every_result_exports_records_json_html_and_pandas() -> None:
    from salesfunnel import receivables_aging

    results = [
        closed_funnel(LOG),
        active_funnel(LOG, as_of=day(3)),
        stage_durations(LOG),
        time_to_close(LOG, as_of=day(10)),
        forecast(LOG, as_of=day(10)),
        monthly_volume(LOG, by="owner"),
        stalled_deals(LOG, as_of=day(12), max_days=1),
        receivables_aging([{"customer": "x", "amount": 5, "due": day(1)}], day(12)),
    ]
    try:
        import pandas  # noqa: F401 - only to know whether to_pandas() can run
    except ImportError:  # pragma: no cover - pandas is optional
        has_pandas = False
    else:
        has_pandas = True
    for result in results:
        records = result.to_records()
        assert records
        assert isinstance(records[0], dict)
        payload = json.loads(result.to_json())
        assert "nan" not in result.to_json().lower()
        assert isinstance(payload, dict)
        assert "<table" in result._repr_html_()
        assert repr(result).startswith(type(result).__name__ + "(")
        if has_pandas:
            assert len(result.to_pandas()) >= 1


def test_long_pipelines_count_every_stage_in_every_mode() -> None:
    # Ten stages: label codes reach 12, beyond a byte's worth of bits.
    long = Pipeline([f"S{i}" for i in range(10)], won="W", lost="L", frozen="F")
    stages = [f"S{i}" for i in range(10)]
    rows = [{"deal": 1, "stage": s, "time": day(i + 1)} for i, s in enumerate(stages)]
    rows.append({"deal": 1, "stage": "W", "time": day(20)})
    rows += [{"deal": 2, "stage": "S9", "time": day(1)}, {"deal": 2, "stage": "L", "time": day(2)}]
    log = DealLog.from_records(rows, long)
    assert closed_funnel(log).funnel.counts.tolist() == [2] * 10 + [1]
    assert closed_funnel(log, mode="classic").funnel.counts.tolist() == [1] * 9 + [2, 1]
    assert closed_funnel(log, mode="strict").funnel.counts.tolist() == [1] * 11


def test_many_owners_take_the_unpacking_path_with_the_same_answers() -> None:
    # 40 owners need 6 key bits: with the label code they no longer fit in one
    # byte, so the engine unpacks codes instead of using its byte lookup table.
    records = [
        {"deal": deal, "stage": stage, "time": day(d), "owner": f"o{deal % 40:02d}"}
        for deal, stage, d in EVENTS
    ] + [{"deal": 100 + i, "stage": "A", "time": day(1), "owner": f"o{i:02d}"} for i in range(40)]
    many = DealLog.from_records(records, P, owner="owner")
    plain = DealLog.from_records([{k: r[k] for k in ("deal", "stage", "time")} for r in records], P)
    for mode in ("cumulative", "classic", "strict"):
        a = closed_funnel(many, mode=mode)  # type: ignore[call-overload]
        b = closed_funnel(plain, mode=mode)  # type: ignore[call-overload]
        assert a.to_json() == b.to_json()
    assert stage_durations(many).to_json() == stage_durations(plain).to_json()
    assert len(closed_funnel(many, by="owner")) == 40


# -- calling convention: options keyword-only, old positional forms deprecated --------
LEGACY_CALLS = [
    (closed_funnel, (None, day(2), day(20), "owner", "classic"), "start, end, by, mode"),
    (stage_durations, (None, day(2), day(20)), "start, end"),
    (active_funnel, (None, day(6), "owner"), "as_of, by"),
    (forecast, (None, day(6), "historical", None, "owner"), "as_of, method, probabilities, by"),
    (time_to_close, (None, day(8), "won"), "as_of, outcome"),
    (monthly_volume, (None, "owner", day(2), day(20)), "by, start, end"),
    (stalled_deals, (None, day(20), 3.0), "as_of, max_days"),
]
LEGACY_NAMES = {
    closed_funnel: ("start", "end", "by", "mode"),
    stage_durations: ("start", "end", "by"),
    active_funnel: ("as_of", "by"),
    forecast: ("as_of", "method", "probabilities", "by"),
    time_to_close: ("as_of", "outcome", "by"),
    monthly_volume: ("by", "start", "end"),
    stalled_deals: ("as_of", "max_days"),
}


@pytest.mark.parametrize(
    ("func", "args", "named"), LEGACY_CALLS, ids=lambda x: getattr(x, "__name__", "")
)
def test_positional_options_warn_and_equal_the_keyword_call(
    func: object, args: tuple[object, ...], named: str
) -> None:
    assert callable(func)
    keywords = dict(zip(LEGACY_NAMES[func], args[1:], strict=False))  # type: ignore[index]
    with pytest.warns(DeprecationWarning, match=f"passing {named} by position") as caught:
        old = func(LOG, *args)
    assert caught[0].filename == __file__  # the warning points at the caller
    new = func(LOG, args[0], **keywords)
    assert repr(old) == repr(new)
    assert json.dumps(_records(old), default=str) == json.dumps(_records(new), default=str)


def _records(result: object) -> object:
    if isinstance(result, dict):
        return {k: _records(v) for k, v in result.items()}
    return result.to_json() if hasattr(result, "to_json") else repr(result)


def test_keyword_calls_do_not_warn_and_bad_positional_calls_are_type_errors() -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        closed_funnel(LOG, None, start=day(2), by="owner")
        monthly_volume(LOG, by=None)
    with pytest.raises(TypeError, match="at most 4 positional"):
        active_funnel(LOG, None, day(6), "owner", "extra")  # type: ignore[misc]
    with pytest.raises(TypeError, match="multiple values for argument 'as_of'"):
        active_funnel(LOG, None, day(6), as_of=day(7))  # type: ignore[misc]


def test_one_default_for_by_and_a_dict_exactly_for_by_owner() -> None:
    for func in (closed_funnel, stage_durations, active_funnel, forecast, time_to_close):
        assert not isinstance(func(LOG), dict)  # type: ignore[operator]
        per_owner = func(LOG, by="owner")  # type: ignore[operator]
        assert isinstance(per_owner, dict)
        assert list(per_owner) == ["ann", "bob"]
    assert monthly_volume(LOG, by=None).table.columns[0] == "month"
    assert monthly_volume(LOG, by="owner").table.columns[0] == "owner"
    with pytest.warns(DeprecationWarning, match="default by='owner' becomes by=None"):
        assert monthly_volume(LOG).table.columns[0] == "owner"  # one more release
    no_owner = DealLog.from_records(RECORDS_NO_AMOUNT, P)
    assert monthly_volume(no_owner).table.columns[0] == "month"  # was an error before


def test_the_engine_interface_of_deal_log() -> None:
    import pickle

    secs = LOG.time.astype(np.int64)
    lo, hi = LOG.order_bounds
    assert lo.tolist() == secs.tolist()
    assert hi.tolist() == secs.tolist()
    assert not LOG.has_undated
    assert LOG.ids_of(LOG.deal - LOG.deal_offset).tolist() == [e[0] for e in EVENTS]
    wide = DealLog.from_wide(
        [{"id": "A", "status": "B", "a": "2024-01-02", "b": ""}],
        P,
        deal="id",
        stage_dates={"A": "a", "B": "b"},
        outcome="status",
    )
    assert wide.has_undated
    assert pickle.loads(pickle.dumps(wide)).has_undated  # a field, not array identity
    assert not pickle.loads(pickle.dumps(LOG)).has_undated


def test_deal_states_at_a_date_worked_example() -> None:
    from salesfunnel.deals.status import NOT_STARTED, UNKNOWN, deal_states

    st = deal_states(LOG, None, day(4))
    # At the end of day 4: 1 back at A, 2 at C, 3 won, 4 at B (reopened), 5 frozen, 6 not yet.
    assert st.ids.tolist() == [1, 2, 3, 4, 5, 6]
    assert st.label.tolist() == [0, 2, P.won_code, 1, P.frozen_code, NOT_STARTED]
    assert [LOG.owners[o] for o in st.owner] == ["ann", "bob", "ann", "bob", "ann", "bob"]
    # Amounts ride on the last events: only 3's (day 4) and 5's (day 3) are known by
    # day 4; the others fall back to their last known amount.
    assert st.amount.tolist() == [100.0, 0.0, 30.0, 50.0, 70.0, 20.0]
    assert st.first.tolist() == [
        int(np.datetime64(day(d), "s").astype(np.int64)) for d in (1, 1, 2, 1, 1, 5)
    ]
    wide = DealLog.from_wide(
        [{"id": "A", "status": "B", "a": "2024-01-02", "b": ""}],
        P,
        deal="id",
        stage_dates={"A": "a", "B": "b"},
        outcome="status",
    )
    # B's date is unknown: at day 3 the deal is at A or at B, so its status is unknown.
    assert deal_states(wide, None, day(3)).label.tolist() == [UNKNOWN]
    assert deal_states(wide, None, day(1)).label.tolist() == [NOT_STARTED]
    assert deal_states(wide, None, None).label.tolist() == [1]


def test_a_deal_counts_in_the_period_of_its_final_closing_only() -> None:
    # Deal 4: A d1, L d2, B d3 (reopened), W d9. Lost on day 2, but that is not
    # its final closing: the period holding day 2 does not count it.
    early = closed_funnel(LOG, end=day(3))
    assert (early.won, early.lost) == (0, 0)  # 2 is lost on day 5, 3 won on day 4
    assert closed_funnel(LOG, start=day(1), end=day(5)).won == 1  # only 3; 4 is not lost
    months = [closed_funnel(LOG, start=day(a), end=day(b)) for a, b in ((1, 8), (8, 16))]
    assert [sorted(ids(m.funnel["A"].data)) for m in months] == [[2, 3], [1, 4]]
    year = closed_funnel(LOG, start=day(1), end=day(16))
    assert sum(m.deals for m in months) == year.deals == 4
    # Monthly volume likewise: 4's win on day 9 is its final one; 1 wins on day 15.
    won = [sum(monthly_volume(LOG, by=None, start=day(a), end=day(b)).table.column("won_deals"))
           for a, b in ((1, 8), (8, 16))]  # fmt: skip
    assert won == [1, 2]


def _big_log(n_won: int, n_open: int, amount: float) -> DealLog:
    p = Pipeline(["Call"], won="Won", lost="Lost")
    recs = [
        {
            "deal": i,
            "stage": "Won" if i < n_won else "Call",
            "time": day(1 + i % 20),
            "amount": amount,
        }
        for i in range(n_won + n_open)
    ]
    return DealLog.from_records(recs, p, amount="amount")


def test_amount_totals_near_the_float_limit_are_exact_or_inf_without_warnings() -> None:
    # pytest turns a RuntimeWarning (an overflow in a numpy sum) into an error here.
    fits, beyond = _big_log(10, 10, 1e307), _big_log(20, 20, 1e307)
    assert closed_funnel(fits).funnel["Won"].amount == pytest.approx(1e308, rel=1e-12)
    assert active_funnel(fits).funnel["Call"].amount == pytest.approx(1e308, rel=1e-12)
    # 2e308 is beyond the float range: a funnel stage amount must be finite, so unknown.
    assert closed_funnel(beyond).funnel["Won"].amount is None
    assert active_funnel(beyond).funnel["Call"].amount is None
    assert closed_funnel(beyond).funnel["Won"].count == 20  # the data is not refused
    vol = monthly_volume(beyond, by=None).table
    assert vol.column("won_amount") == [math.inf]
    assert json.loads(monthly_volume(beyond, by=None).to_json())["rows"][0]["won_amount"] is None
    # The stage total (2e308) overflows, but the expected amount (half of it) fits.
    fc = forecast(beyond, as_of=day(28), method="weighted", probabilities={"Call": 0.5})
    assert fc.table.column("amount") == [math.inf]
    assert fc.expected_amount == pytest.approx(1e308, rel=1e-12)
    assert fc.table.column("expected_amount") == [pytest.approx(1e308, rel=1e-12)]
