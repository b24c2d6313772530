"""Results compose: anything with a funnel is drawn, compared, tabulated and planned."""

from __future__ import annotations

import math

import pytest
from hypothesis import given

from salesfunnel import (
    ClosedFunnel,
    DealLog,
    Funnel,
    FunnelChart,
    FunnelDataError,
    Pipeline,
    active_funnel,
    closed_funnel,
    compare,
    feasible_plan,
    leads_needed,
    metrics_table,
)
from salesfunnel.datasets import CRM_STAGES, synthetic_crm

from strategies import related_funnel_sets


@pytest.fixture(scope="module")
def log() -> DealLog:
    p = Pipeline(CRM_STAGES, won="Won", lost="Lost", frozen="Frozen")
    return DealLog.from_columns(
        synthetic_crm(300, owners=3, seed=5), p, deal="deal_id", time="timestamp",
        owner="owner", amount="amount",
    )  # fmt: skip


def test_a_funnel_is_its_own_funnel() -> None:
    f = Funnel.from_counts({"Calls": 2, "Paid": 1})
    assert f.funnel is f


def test_results_are_accepted_where_funnels_are(log: DealLog) -> None:
    closed = closed_funnel(log)
    by_owner = closed_funnel(log, by="owner")
    funnels = {k: v.funnel for k, v in by_owner.items()}
    # The same numbers as passing the funnels themselves.
    assert compare(by_owner).to_json() == compare(funnels).to_json()
    assert metrics_table(closed).to_json() == metrics_table(closed.funnel).to_json()
    assert leads_needed(5, closed) == leads_needed(5, closed.funnel)
    assert feasible_plan(by_owner, 100) == feasible_plan(funnels, 100)
    chart = FunnelChart(closed, width=200, height=150)
    assert chart.to_svg() == FunnelChart(closed.funnel, width=200, height=150).to_svg()
    many = FunnelChart(by_owner, width=300, height=150)
    assert many.to_svg() == FunnelChart(funnels, width=300, height=150).to_svg()
    listed = FunnelChart(list(by_owner.values()), width=300, height=150)
    assert [k for k, _ in listed.funnels] == [0, 1, 2]
    assert FunnelChart(active_funnel(log), width=200, height=150).funnels[0][1].names == (
        active_funnel(log).funnel.names
    )


def test_mistakes_name_what_arrived_and_what_to_pass(log: DealLog) -> None:
    closed = closed_funnel(log)
    with pytest.raises(FunnelDataError, match=r"got one ClosedFunnel; pass a dict such as "):
        compare(closed)  # type: ignore[arg-type]
    with pytest.raises(FunnelDataError, match=r"metrics_table's funnel must be a Funnel or a "
                       r"result with a \.funnel .*got dict; a dict of them goes where"):  # fmt: skip
        metrics_table(closed_funnel(log, by="owner"))  # type: ignore[arg-type]
    with pytest.raises(FunnelDataError, match=r"compare's funnels\['a'\] must be .* got int"):
        compare({"a": 1, "b": closed})  # type: ignore[dict-item]
    with pytest.raises(FunnelDataError, match=r"data\[1\] must be a Funnel .*got str"):
        FunnelChart([closed, "x"])  # type: ignore[list-item]
    with pytest.raises(FunnelDataError, match=r"got a ClosedFunnel as target"):
        leads_needed(closed, 0.5)  # type: ignore[arg-type]
    with pytest.raises(FunnelDataError, match=r"data must be a Funnel, a result with a \.funnel"):
        FunnelChart(42)  # type: ignore[arg-type]


def test_frames_of_results(log: DealLog) -> None:
    import salesfunnel as sf

    pytest.importorskip("pandas")
    pytest.importorskip("polars")

    by_owner = closed_funnel(log, by="owner")
    frame = sf.to_pandas(by_owner)
    assert list(frame.columns[:2]) == ["group", "stage"]
    assert list(frame["group"].unique()) == list(by_owner)
    for owner, result in by_owner.items():
        part = frame[frame["group"] == owner].drop(columns="group").reset_index(drop=True)
        assert part.equals(result.to_pandas())
    polars_frame = sf.to_polars(by_owner)
    assert polars_frame.columns == list(frame.columns)
    assert polars_frame.height == len(frame)
    assert polars_frame["deals"].to_list() == frame["deals"].tolist()


def test_to_polars_makes_undefined_numbers_null() -> None:
    pytest.importorskip("pandas")
    pytest.importorskip("polars")
    f = Funnel.from_counts({"Calls": 0, "Paid": 0}, amounts={"Calls": 5.0})
    frame = f.to_polars()
    assert frame["amount"].to_list() == [5.0, None]
    assert frame["count"].dtype.is_float()
    pandas_frame = f.to_pandas()
    assert math.isnan(pandas_frame["amount"][1])


def test_every_funnel_result_and_comparison_has_both_frames(log: DealLog) -> None:
    import salesfunnel as sf

    pytest.importorskip("pandas")
    pytest.importorskip("polars")

    results = [
        closed_funnel(log),
        active_funnel(log),
        compare(closed_funnel(log, by="owner")),
        Funnel.from_counts({"A": 3, "B": 1}),
        metrics_table(Funnel.from_counts({"A": 3, "B": 1})),
    ]
    for r in results:
        table = r.table  # type: ignore[attr-defined]
        assert sf.to_pandas(r).shape == (len(table.rows), len(table.columns))
        assert r.to_polars().shape == (len(table.rows), len(table.columns))  # type: ignore[attr-defined]


def test_frame_helpers_refuse_mixed_or_foreign_input(log: DealLog) -> None:
    import salesfunnel as sf

    pytest.importorskip("pandas")

    closed = closed_funnel(log)
    with pytest.raises(FunnelDataError, match=r"results\['b'\] has columns .* one frame needs"):
        sf.to_pandas({"a": closed, "b": Funnel.from_counts({"A": 1})})
    with pytest.raises(FunnelDataError, match=r"results must be a salesfunnel result .* got int"):
        sf.to_polars(3)
    with pytest.raises(FunnelDataError, match="empty mapping"):
        sf.to_pandas({})
    c = compare(closed_funnel(log, by="owner"))
    with pytest.raises(FunnelDataError, match=r"already have a column 'group'"):
        sf.to_pandas({"q1": c})
    assert list(sf.to_pandas({"q1": c}, group="quarter").columns[:2]) == ["quarter", "group"]


def test_closed_funnel_type_is_public() -> None:
    assert ClosedFunnel.__name__ == "ClosedFunnel"


@given(related_funnel_sets())
def test_one_frame_of_a_dict_holds_every_funnel_in_order(funnels: dict[str, Funnel]) -> None:
    import salesfunnel as sf

    pytest.importorskip("pandas")
    frame = sf.to_pandas(funnels)
    assert len(frame) == sum(len(f) for f in funnels.values())
    assert frame["group"].tolist() == [k for k, f in funnels.items() for _ in f.stages]
    assert frame["stage"].tolist() == [s.name for f in funnels.values() for s in f.stages]
    assert frame["count"].tolist() == [s.count for f in funnels.values() for s in f.stages]
