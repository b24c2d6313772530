"""Breakdowns: ``by=`` a kept column or a list of them, on every deal analysis.

The rule under test (:mod:`salesfunnel.deals.groups`): a deal's group is the
value on its last event in scope, so with a value constant per deal the
result for one value equals the ungrouped analysis of the log filtered to
that value's deals.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import pytest
from hypothesis import given, settings

from salesfunnel import (
    DealLog,
    FunnelDataError,
    Pipeline,
    active_funnel,
    closed_funnel,
    cohort_funnel,
    forecast,
    monthly_volume,
    stage_durations,
    stalled_deals,
    time_to_close,
)

from strategies import BASE_DAY, deal_events_with_columns

P = Pipeline(["Call", "Offer"], won="Won", lost="Lost")
CSV = """deal,stage,time,owner,product,region,amount
A,Call,2024-01-01,Ann,X,EU,10
A,Won,2024-01-05,Ann,X,EU,10
B,Call,2024-01-02,Bob,Y,US,
B,Lost,2024-02-02,Bob,Y,US,
C,Call,2024-01-03,Ann,Y,EU,5
C,Offer,2024-01-04,Ann,Y,,5
D,Call,2024-01-10,Bob,X,US,7
D,Won,2024-02-20,Bob,X,US,7
"""
Records = list[dict[str, Any]]


def csv_log() -> DealLog:
    return DealLog.from_csv(
        io.StringIO(CSV), P, owner="owner", amount="amount", keep=("product", "region")
    )


def day(d: int) -> dt.datetime:
    return BASE_DAY + dt.timedelta(days=d)


def build(records: Records, pipeline: Pipeline) -> DealLog:
    return DealLog.from_records(
        records, pipeline, owner="owner", amount="amount", keep=("product", "region")
    )


def unnamed(result: Any) -> dict[str, Any]:
    """A result's JSON without its name (the group's name is the only difference)."""
    payload: dict[str, Any] = json.loads(result.to_json())
    payload.pop("name", None)
    return payload


# -- worked examples ------------------------------------------------------------------
def test_kept_columns_are_codes_into_sorted_values() -> None:
    log = csv_log()
    codes, values = log.kept["region"]
    assert values == ("(unassigned)", "EU", "US")  # C's blank region on its Offer
    assert [values[c] for c in codes] == ["EU", "EU", "US", "US", "EU", "(unassigned)", "US", "US"]
    assert log.kept["product"][1] == ("X", "Y")
    # Every loader keeps the same columns the same way.
    import csv

    rows = list(csv.DictReader(io.StringIO(CSV)))
    again = DealLog.from_records(
        rows, P, owner="owner", amount="amount", keep=["product", "region"]
    )
    for name in ("product", "region"):
        assert again.kept[name][1] == log.kept[name][1]
        assert again.kept[name][0].tolist() == log.kept[name][0].tolist()
    one = DealLog.from_records(rows, P, keep="product")  # one name, not its letters
    assert list(one.kept) == ["product"]


def test_closed_funnel_by_product_by_hand() -> None:
    # Closed: A (X, won), B (Y, lost), D (X, won); C is open.
    by = closed_funnel(csv_log(), by="product")
    assert list(by) == ["X", "Y"]
    x, y = by["X"], by["Y"]
    assert (x.name, x.won, x.lost, x.funnel.counts.tolist()) == ("X", 2, 0, [2, 2, 2])
    assert (y.name, y.won, y.lost, y.funnel.counts.tolist()) == ("Y", 0, 1, [1, 0, 0])
    assert x.funnel["Won"].amount == 17.0
    assert sorted(x.funnel["Won"].data.tolist()) == ["A", "D"]


def test_region_is_the_value_on_the_last_event_in_scope() -> None:
    # C's last event (Offer) has a blank region: C is "(unassigned)", not EU.
    act = active_funnel(csv_log(), by="region")
    assert list(act) == ["(unassigned)", "EU", "US"]
    assert [act[k].open_deals for k in act] == [1, 0, 0]
    # By 2024-01-04 (inclusive), C's last event is its Offer; by 01-03 its Call (EU).
    assert active_funnel(csv_log(), as_of="2024-01-03", by="region")["EU"].open_deals == 2


def test_a_list_gives_tuple_keys_of_the_combinations_that_occur() -> None:
    by = closed_funnel(csv_log(), by=["owner", "product"])
    assert list(by) == [("Ann", "X"), ("Ann", "Y"), ("Bob", "X"), ("Bob", "Y")]
    assert by[("Bob", "X")].name == "Bob / X"
    assert [by[k].deals for k in by] == [1, 0, 1, 1]
    durations = stage_durations(csv_log(), by=("product", "owner"))
    assert list(durations) == [("X", "Ann"), ("X", "Bob"), ("Y", "Ann"), ("Y", "Bob")]
    assert durations[("X", "Bob")].cycle.median_days == 41.0  # D: 01-10 to 02-20


def test_tables_gain_one_column_per_name() -> None:
    mv = monthly_volume(csv_log(), by=["product", "region"])
    assert mv.table.columns[:3] == ("product", "region", "month")
    rows = [r for r in mv.table.rows if r[3]]
    assert rows == [("X", "EU", "2024-01", 1, 10.0, 0), ("X", "US", "2024-02", 1, 7.0, 0)]
    stalled = stalled_deals(csv_log(), as_of="2024-03-01", max_days=20, by="product")
    assert stalled.table.columns == ("deal", "product", "stage", "last_event", "idle_days")
    assert stalled.table.rows[0][:3] == ("C", "Y", "Offer")
    plain = stalled_deals(csv_log(), as_of="2024-03-01", max_days=20)
    assert plain.table.columns[1] == "owner"
    assert plain.table.rows[0][1] == "Ann"


def test_bad_by_names_the_column_and_the_available_ones() -> None:
    log = csv_log()
    with pytest.raises(FunnelDataError, match=r"no column 'prodcut' \(it has \['owner', "):
        closed_funnel(log, by="prodcut")
    with pytest.raises(FunnelDataError, match="'region' twice"):
        forecast(log, by=["region", "region"])
    with pytest.raises(FunnelDataError, match="non-empty list"):
        time_to_close(log, by=[])
    with pytest.raises(FunnelDataError, match="no column 'team'"):
        monthly_volume(log, by=["product", "team"])
    no_owner = DealLog.from_csv(io.StringIO(CSV), P, keep="product")
    with pytest.raises(FunnelDataError, match="needs a log built with an owner column"):
        cohort_funnel(no_owner, by="owner")


def test_bad_keep_is_refused_at_the_boundary() -> None:
    rows = [{"deal": "A", "stage": "Call", "time": "2024-01-01", "owner": "Ann"}]
    with pytest.raises(FunnelDataError, match="no column 'product' for the kept column"):
        DealLog.from_columns({k: [v] for k, v in rows[0].items()}, P, keep="product")
    with pytest.raises(FunnelDataError, match="keep names 'x' twice"):
        DealLog.from_records(rows, P, keep=("x", "x"))
    with pytest.raises(FunnelDataError, match="keep names 'owner', but by='owner' means"):
        DealLog.from_records(rows, P, owner="owner", keep=("owner",))
    with pytest.raises(FunnelDataError, match=r"keep names 'owner', but .* column 'rep'"):
        DealLog.from_records(rows, P, owner="rep", keep=("region", "owner"))
    with pytest.raises(FunnelDataError, match="keep must be a column name"):
        DealLog.from_records(rows, P, keep=(1,))  # type: ignore[arg-type]
    with pytest.raises(FunnelDataError, match=r"line 1.*no column 'product'|'product'"):
        DealLog.from_csv(io.StringIO("deal,stage,time\nA,Call,2024-01-01\n"), P, keep="product")


# -- properties against plain-Python references ----------------------------------------
def _deals_of(records: Records, product: str) -> Records:
    return [r for r in records if r["product"] == product]


@settings(max_examples=60, deadline=None)
@given(deal_events_with_columns())
def test_by_product_equals_the_filtered_log(data: tuple[Pipeline, Records]) -> None:
    pipeline, records = data
    log = build(records, pipeline)
    start, end, as_of = day(3), day(15), day(12)
    analyses = [
        lambda lg, **kw: closed_funnel(lg, start=start, end=end, **kw),
        lambda lg, **kw: closed_funnel(lg, mode="strict", **kw),
        lambda lg, **kw: cohort_funnel(lg, start=start, end=end, as_of=as_of, **kw),
        lambda lg, **kw: active_funnel(lg, as_of=as_of, **kw),
        lambda lg, **kw: stage_durations(lg, end=end, **kw),
        lambda lg, **kw: time_to_close(lg, as_of=as_of, **kw),
    ]
    for run in analyses:
        grouped = run(log, by="product")
        assert list(grouped) == list(log.kept["product"][1])
        for value, result in grouped.items():
            alone = run(build(_deals_of(records, value), pipeline))
            if hasattr(result, "to_json"):
                assert unnamed(result) == unnamed(alone)
            else:
                assert result == alone
    # Forecast: each group's open deals weighed with the team's probabilities.
    team = forecast(log, as_of=as_of)
    per = forecast(log, as_of=as_of, by="product")
    total = sum(f.expected_won for f in per.values())
    assert total == pytest.approx(team.expected_won, nan_ok=True)


def test_a_tie_of_two_regions_counts_the_same_amount_by_region_as_alone() -> None:
    # Found by hypothesis: d2 has two events at one time and stage, US with 1.0 then
    # EU with 2.5. Alone, its amount is the last row's, 2.5; grouped by region the
    # engine once sorted the tie by region code and counted 1.0 in d2's group.
    pipeline = Pipeline(["S0"], won="Won", lost="Lost")
    t = dt.datetime(2024, 1, 1)
    records = [
        {"deal": "d1", "stage": "S0", "time": t, "owner": "ann", "region": "EU", "amount": None},
        {"deal": "d2", "stage": "S0", "time": t, "owner": "ann", "region": "US", "amount": 1.0},
        {"deal": "d2", "stage": "S0", "time": t, "owner": "ann", "region": "EU", "amount": 2.5},
    ]
    log = build(records, pipeline)
    alone = active_funnel(build(records[1:], pipeline))
    by = active_funnel(log, by="region")
    group = by["EU"]  # d2's last row is in EU, as is d1
    assert list(group.funnel.stages[0].data) == ["d1", "d2"]
    assert group.funnel.amounts.tolist() == alone.funnel.amounts.tolist() == [2.5]


@settings(max_examples=60, deadline=None)
@given(deal_events_with_columns())
def test_by_region_follows_each_deals_last_event(data: tuple[Pipeline, Records]) -> None:
    pipeline, records = data
    log = build(records, pipeline)
    values = log.kept["region"][1]
    order = pipeline.labels.index
    # Plain Python: the region of a deal's last event by (time, label, row) order;
    # the region itself never breaks a tie.
    last: dict[object, tuple[Any, ...]] = {}
    for row, r in enumerate(records):
        region = r["region"] or "(unassigned)"
        key = (r["time"], order(str(r["stage"])), row, values.index(region))
        last[r["deal"]] = max(last.get(r["deal"], key), key)
    by = active_funnel(log, by="region")
    for g, value in enumerate(values):
        deals = sorted(str(d) for d, k in last.items() if k[3] == g)
        alone = active_funnel(build([r for r in records if r["deal"] in deals], pipeline))
        assert unnamed(by[value]) == unnamed(alone)
    # The groups of a list partition the deals: their counts add up to the team's.
    pairs = closed_funnel(log, by=["product", "region"])
    team = closed_funnel(log)
    assert sum(c.deals for c in pairs.values()) == team.deals
    assert sum(c.funnel.counts.sum() for c in pairs.values()) == team.funnel.counts.sum()
    volume = monthly_volume(log, by=["region", "product"])
    assert sum(r[3] for r in volume.table.rows) == sum(
        r[1] for r in monthly_volume(log, by=None).table.rows
    )


def test_wide_and_pandas_loaders_keep_columns_too() -> None:
    pd = pytest.importorskip("pandas")
    wide = [
        {"id": "A", "stage": "Won", "engage": "2024-01-02", "close": "2024-02-01", "product": "X"},
        {"id": "B", "stage": "Call", "engage": "", "close": "", "product": " Y "},
        {"id": "C", "stage": "Lost", "engage": "2024-01-03", "close": "2024-01-09", "product": ""},
    ]
    log = DealLog.from_wide(
        wide, P, deal="id", stage_dates={"Offer": "engage"}, outcome="stage",
        outcome_date="close", keep="product",
    )  # fmt: skip
    codes, values = log.kept["product"]
    assert values == ("(unassigned)", "X", "Y")  # blank cell; spaces stripped
    # Every event of a row carries the row's value: A's Offer and Won, B's Call, C's two.
    assert [values[c] for c in codes] == ["X", "X", "Y", "(unassigned)", "(unassigned)"]
    assert {k: f.deals for k, f in closed_funnel(log, by="product").items()} == {
        "(unassigned)": 1,
        "X": 1,
        "Y": 0,
    }
    frame = pd.read_csv(io.StringIO(CSV))
    from_frame = DealLog.from_pandas(frame, P, owner="owner", keep=["region"])
    assert from_frame.kept["region"][1] == ("(unassigned)", "EU", "US")
