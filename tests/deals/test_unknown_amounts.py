"""Deals without a known amount in the closed and cohort funnels.

A stage's amount sums the known amounts of its deals; the results count the
deals left out of those sums (``amount_unknown``), and a stage none of whose
deals has an amount has an unknown amount (``None``), not 0: the same rule as
the active funnel and the forecast.
"""

from __future__ import annotations

import json

from hypothesis import given, strategies as st

from salesfunnel import DealLog, Pipeline, closed_funnel, cohort_funnel

from strategies import deal_events

PIPE = Pipeline(["Lead", "Qual", "Demo"], won="Won", lost="Lost")


def _log(rows: list[tuple[str, str, str, str, float | None]]) -> DealLog:
    records = [
        {"deal": d, "stage": s, "time": t, "owner": o, "amount": a} for d, s, t, o, a in rows
    ]
    return DealLog.from_records(records, PIPE, owner="owner", amount="amount")


# Hand-counted: d1 (100) Lead -> Won; d2 (no amount) Lead -> Qual -> Lost;
# d3 (no amount) Lead -> Qual -> Demo, still open; d4 (40) Lead -> Lost.
ROWS: list[tuple[str, str, str, str, float | None]] = [
    ("d1", "Lead", "2024-01-01", "Ann", 100.0),
    ("d1", "Won", "2024-01-05", "Ann", 100.0),
    ("d2", "Lead", "2024-01-02", "Bob", None),
    ("d2", "Qual", "2024-01-03", "Bob", None),
    ("d2", "Lost", "2024-01-04", "Bob", None),
    ("d3", "Lead", "2024-01-02", "Bob", None),
    ("d3", "Qual", "2024-01-03", "Bob", None),
    ("d3", "Demo", "2024-01-04", "Bob", None),
    ("d4", "Lead", "2024-01-02", "Ann", 40.0),
    ("d4", "Lost", "2024-01-06", "Ann", 40.0),
]


def test_closed_funnel_counts_the_closed_deals_without_an_amount() -> None:
    cf = closed_funnel(_log(ROWS))
    # Closed: d1, d2, d4. Lead {d1,d2,d4}: 140; Qual {d1,d2}: 100; Demo {d1}: 100; Won {d1}: 100.
    assert [s.count for s in cf.funnel.stages] == [3, 2, 1, 1]
    assert [s.amount for s in cf.funnel.stages] == [140.0, 100.0, 100.0, 100.0]
    assert cf.amount_unknown == 1  # d2
    assert json.loads(cf.to_json())["amount_unknown"] == 1
    assert str(cf).endswith("; 1 deal without an amount")


def test_a_stage_whose_deals_all_lack_an_amount_has_no_amount_not_zero() -> None:
    by_owner = closed_funnel(_log(ROWS), by="owner")
    bob = by_owner["Bob"]  # only d2 closed: no amount anywhere
    assert [s.count for s in bob.funnel.stages] == [1, 1, 0, 0]
    assert [s.amount for s in bob.funnel.stages] == [None, None, 0.0, 0.0]
    assert bob.amount_unknown == 1
    assert by_owner["Ann"].amount_unknown == 0
    assert "without an amount" not in str(by_owner["Ann"])


def test_cohort_funnel_counts_the_deals_without_an_amount() -> None:
    co = cohort_funnel(_log(ROWS))
    # Every deal: Lead {d1..d4}: 140; Qual {d1,d2,d3}: 100; Demo {d1,d3}: 100; Won {d1}: 100.
    assert [s.count for s in co.funnel.stages] == [4, 3, 2, 1]
    assert [s.amount for s in co.funnel.stages] == [140.0, 100.0, 100.0, 100.0]
    assert co.amount_unknown == 2  # d2, d3
    assert json.loads(co.to_json())["amount_unknown"] == 2
    assert str(co).endswith("; 2 deals without an amount")
    bob = cohort_funnel(_log(ROWS), by="owner")["Bob"]
    assert [s.amount for s in bob.funnel.stages] == [None, None, None, 0.0]


def test_without_an_amount_column_nothing_is_unknown() -> None:
    log = DealLog.from_records([{"deal": d, "stage": s, "time": t} for d, s, t, _, _ in ROWS], PIPE)
    assert closed_funnel(log).amount_unknown == 0
    assert cohort_funnel(log).amount_unknown == 0
    assert all(s.amount is None for s in closed_funnel(log).funnel.stages)


@given(deal_events(), st.data())
def test_stage_amounts_sum_the_known_amounts_and_count_the_rest(
    case: tuple[Pipeline, list[dict[str, object]]], data: st.DataObject
) -> None:
    pipeline, records = case
    deals = sorted({str(r["deal"]) for r in records})
    # One amount per deal on every event (or none), so "the deal's amount" does not
    # depend on which of two simultaneous events comes last.
    amount = {d: data.draw(st.none() | st.integers(0, 1000), label=d) for d in deals}
    rows = [{**r, "amount": amount[str(r["deal"])]} for r in records]
    log = DealLog.from_records(rows, pipeline, owner="owner", amount="amount")
    # A deal's last event: latest time, then the later label code (outcomes after the
    # open stages), then the later row.
    last: dict[str, tuple[object, int, int]] = {}
    for i, r in enumerate(records):
        key = (r["time"], pipeline.code(str(r["stage"])), i)
        last[str(r["deal"])] = max(last.get(str(r["deal"]), key), key)  # type: ignore[type-var]
    closed = {d for d, (_, c, _) in last.items() if c in (pipeline.won_code, pipeline.lost_code)}
    for result, in_result in ((closed_funnel(log), closed), (cohort_funnel(log), set(deals))):
        members = [{str(x) for x in s.data} for s in result.funnel.stages]
        for stage, ids in zip(result.funnel.stages, members, strict=True):
            known = [amount[d] for d in ids if amount[d] is not None]
            want = None if ids and not known else float(sum(known))  # type: ignore[arg-type]
            assert stage.amount == want
        assert result.amount_unknown == sum(amount[d] is None for d in in_result)
