"""The deal engine's fast paths give exactly what the general paths give.

Each fast path is taken only when a cheap check allows it (keys already in
order, few large groups, times already sorted); these tests run both paths on
the same random data, with ties, and compare every number.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, strategies as st

from salesfunnel import DealLog, Pipeline, closed_funnel, cohort_funnel
from salesfunnel.deals import durations, engine as eng, survival

from strategies import deal_events

Records = list[dict[str, object]]


def _grouped(pipeline: Pipeline, records: Records) -> Records:
    """Rows in the engine's own order: by deal, time, label code, owner."""
    return sorted(
        records,
        key=lambda r: (str(r["deal"]), r["time"], pipeline.code(str(r["stage"])), str(r["owner"])),
    )


@given(deal_events(max_deals=30), st.randoms(use_true_random=False))
def test_rows_already_in_order_skip_the_sort_and_change_nothing(
    case: tuple[Pipeline, Records], rnd: random.Random
) -> None:
    pipeline, records = case
    grouped = _grouped(pipeline, records)
    shuffled = list(records)
    rnd.shuffle(shuffled)
    seen: list[bool] = []
    real = eng._is_sorted

    def spy(key: np.ndarray) -> bool:
        seen.append(real(key))
        return seen[-1]

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(eng, "_is_sorted", spy)
        a = DealLog.from_records(grouped, pipeline, owner="owner")
        b = DealLog.from_records(shuffled, pipeline, owner="owner")
        ea, eb = eng.sorted_events(a, a.code), eng.sorted_events(b, b.code)
        assert seen[0]  # the fast path was taken for the grouped rows
        for name in ("deal", "code", "lo", "known", "owner"):
            assert ea.column(name).tolist() == eb.column(name).tolist()
        assert ea.starts.tolist() == eb.starts.tolist()
        assert closed_funnel(a).to_json() == closed_funnel(b).to_json()
        ca, cb = cohort_funnel(a, by="owner"), cohort_funnel(b, by="owner")
    assert {k: v.to_json() for k, v in ca.items()} == {k: v.to_json() for k, v in cb.items()}


def test_a_worked_example_of_the_order_check() -> None:
    assert eng._is_sorted(np.array([1, 1, 2, 5], np.int64))
    assert not eng._is_sorted(np.array([1, 2, 1], np.int64))
    assert eng._is_sorted(np.zeros(0, np.int64))
    assert eng._is_sorted(np.ones(1, np.int64))


@given(
    st.integers(min_value=1, max_value=5),
    st.integers(min_value=0, max_value=1500),
    st.sampled_from([3, 50, 10**6]),
    st.integers(min_value=0, max_value=2**32 - 1),
)
def test_group_statistics_by_partition_equal_those_by_sorting(
    n_groups: int, extra: int, spread: int, seed: int
) -> None:
    """Few large groups take the partition path; many groups the sorting path.

    At least 128 values per group (about 115 known), so the partition path
    (64 per group) is taken; small spreads make ties common."""
    rng = np.random.default_rng(seed)
    n = 128 * n_groups + extra
    group = rng.integers(0, n_groups, n)
    seconds = rng.integers(-3, spread, n)
    known = rng.random(n) < 0.9
    order = np.argsort(group, kind="stable")
    for k in (None, known):
        fast = durations.group_stats(group, seconds, k, n_groups)
        # 10**4 groups are too many for the partition path: the same data, sorted.
        slow = durations.group_stats(group, seconds, k, 10**4)[:n_groups]
        assert [s.to_record() for s in fast] == [s.to_record() for s in slow]
        # Values handed over already in runs, one per group, in any order within a run.
        kept = order if k is None else order[k[order]]
        bounds = np.zeros(n_groups + 1, dtype=np.int64)
        np.cumsum(np.bincount(group[kept], minlength=n_groups), out=bounds[1:])
        unknown = (
            np.zeros(n_groups, np.int64)
            if k is None
            else np.bincount(group[~k], minlength=n_groups)
        )
        pre = durations.run_stats(seconds[kept], bounds, unknown)
        assert [s.to_record() for s in pre] == [s.to_record() for s in slow]


def test_group_statistics_worked_example_on_the_partition_path() -> None:
    # 64 values in one group: 0..63 days reversed. Median 31.5, mean 31.5, p90 56.7.
    seconds = np.arange(63, -1, -1, dtype=np.int64) * 86_400
    (stats,) = durations.group_stats(np.zeros(64, np.int64), seconds, None, 1)
    assert (stats.count, stats.median_days, stats.mean_days) == (64, 31.5, 31.5)
    assert stats.p90_days == pytest.approx(56.7)


@given(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 2)), max_size=80))
def test_incidence_from_sorted_times_equals_that_from_shuffled(
    rows: list[tuple[int, int]],
) -> None:
    rows = sorted(rows)
    t = np.array([r[0] for r in rows], np.float64) / 4
    kind = np.array([r[1] for r in rows], np.int64)
    order = np.random.default_rng(len(rows)).permutation(len(rows))
    a = survival.cumulative_incidence(t, kind)
    b = survival.cumulative_incidence(t[order], kind[order])
    assert a.to_records() == b.to_records()
    assert a.median == b.median or (np.isnan(a.median) and np.isnan(b.median))


_NONE = np.iinfo(np.int64).max


def _first_reach_by_reduceat(ev: eng.Events, pipeline: Pipeline) -> list[np.ndarray]:
    """The general form: per stage, the least position of an event of that stage or beyond."""
    pos = np.arange(len(ev.code), dtype=np.int64)
    reach = np.where(ev.code <= pipeline.won_code, ev.code, -1)
    return [
        np.minimum.reduceat(np.where(reach >= j, pos, _NONE), ev.starts)
        for j in range(pipeline.n_stages)
    ]


@given(deal_events(max_deals=30, max_events=8))
def test_first_reach_by_running_maximum_equals_the_reduceat_form(
    case: tuple[Pipeline, Records],
) -> None:
    from salesfunnel.deals import cohort

    pipeline, records = case
    log = DealLog.from_records(records, pipeline, owner="owner")
    ev = eng.sorted_events(log, log.code)
    got = cohort._first_reach_cumulative(ev, pipeline)
    want = _first_reach_by_reduceat(ev, pipeline)
    assert [g.tolist() for g in got] == [w.tolist() for w in want]
    pos = np.arange(len(ev.code), dtype=np.int64)
    won = np.minimum.reduceat(np.where(ev.code == pipeline.won_code, pos, _NONE), ev.starts)
    assert cohort._first_of(ev, ev.code == pipeline.won_code).tolist() == won.tolist()


def test_first_reach_worked_example() -> None:
    """Deal a: S0, S2, Lost, Won, S1; deal b: Lost only. Positions in sorted order."""
    from salesfunnel.deals import cohort

    p = Pipeline(["S0", "S1", "S2"], won="Won", lost="Lost")
    rows = [("a", "S0", 1), ("a", "S2", 2), ("a", "Lost", 3), ("a", "Won", 4), ("a", "S1", 5)]
    rows.append(("b", "Lost", 1))
    log = DealLog.from_records(
        [{"deal": d, "stage": s, "time": f"2024-01-0{t}"} for d, s, t in rows], p
    )
    ev = eng.sorted_events(log, log.code)
    got = [f.tolist() for f in cohort._first_reach_cumulative(ev, p)]
    # a reaches S0 at 0, S1 and S2 at 1 (the jump to S2); b reaches nothing.
    assert got == [[0, _NONE], [1, _NONE], [1, _NONE]]
    assert cohort._first_of(ev, ev.code == p.won_code).tolist() == [3, _NONE]


@given(deal_events(max_deals=30), st.booleans(), st.booleans())
def test_a_cohort_of_every_deal_read_as_a_slice_counts_as_positions_do(
    case: tuple[Pipeline, Records], period: bool, by_owner: bool
) -> None:
    """With no period (or one holding every deal) the cohort deals are a slice, not
    positions: every per-deal array is read as a view; the result is the same."""
    from salesfunnel.deals import cohort

    pipeline, records = case
    log = DealLog.from_records(records, pipeline, owner="owner")
    options: dict[str, object] = {"by": "owner" if by_owner else None}
    if period:
        options.update(start="1900-01-01", end="2200-01-01")
    fast = cohort_funnel(log, **options)  # type: ignore[call-overload]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(cohort, "_WHOLE_AS_SLICE", False)
        general = cohort_funnel(log, **options)  # type: ignore[call-overload]
    if not by_owner:
        fast, general = {"": fast}, {"": general}
    assert {k: v.to_json() for k, v in fast.items()} == {k: v.to_json() for k, v in general.items()}
    for k, v in fast.items():
        for stage_fast, stage_general in zip(
            v.funnel.stages, general[k].funnel.stages, strict=True
        ):
            assert np.array_equal(stage_fast.data, stage_general.data)


@given(deal_events(max_deals=30), st.booleans())
def test_the_latest_time_of_a_fully_dated_log_is_read_without_a_mask(
    case: tuple[Pipeline, Records], wide: bool
) -> None:
    """``shared.latest_time`` skips the NaT mask when every event is dated: the same
    number as the masked path, for long logs and for wide ones with or without gaps."""
    from salesfunnel.deals import shared

    pipeline, records = case
    log = DealLog.from_records(records, pipeline, owner="owner")
    if wide:  # each deal's first stage dated; every other deal won, at no known time
        rows = [
            {
                "id": str(d),
                "first": str(log.time[log.deal == d].min())[:10],
                "status": pipeline.won if i % 2 else pipeline.stages[0],
            }
            for i, d in enumerate(np.unique(log.deal))
        ]
        stage = pipeline.stages[0]
        log = DealLog.from_wide(
            rows, pipeline, deal="id", stage_dates={stage: "first"}, outcome="status"
        )
    dated = log.time[~np.isnat(log.time)]
    expected = int(dated.max().astype(np.int64)) if dated.size else None
    assert shared.latest_time(log) == expected


def _random_log(seed: int, n_deals: int, n_owners: int, wide: bool) -> DealLog:
    """A seeded log big enough for the partition path of the statistics (at least 64
    values per owner): 3 open stages, won, lost, frozen; days 0 to 14, so ties are
    common. ``wide``: a one-row-per-deal export with blank dates (undated events)."""
    import datetime as dt

    from strategies import BASE_DAY

    rng = np.random.default_rng(seed)
    p = Pipeline(["S0", "S1", "S2"], won="W", lost="L", frozen="F")

    def day() -> str:
        return str((BASE_DAY + dt.timedelta(days=int(rng.integers(0, 15)))).date())

    if wide:
        rows = []
        for d in range(n_deals):
            status = p.labels[int(rng.integers(len(p.labels)))]
            top = p.code(status) if status in p.stages else 2  # no dates past an open stage
            days = np.sort(rng.integers(0, 15, 4))  # dates in pipeline order
            row = {
                f"t{j}": str(BASE_DAY.date() + dt.timedelta(days=int(days[j])))
                if j <= top and rng.random() < 0.8
                else ""
                for j in range(3)
            }
            closed = status not in p.stages and rng.random() < 0.7
            row["closed"] = str(BASE_DAY.date() + dt.timedelta(days=int(days[3]))) if closed else ""
            row |= {"id": f"d{d}", "status": status, "owner": f"o{rng.integers(n_owners)}"}
            rows.append(row)
        dates = {s: f"t{j}" for j, s in enumerate(p.stages)}
        return DealLog.from_wide(
            rows, p, deal="id", stage_dates=dates, outcome="status", outcome_date="closed",
            owner="owner",
        )  # fmt: skip
    records = [
        {
            "deal": f"d{d}",
            "stage": p.labels[int(rng.integers(len(p.labels)))],
            "time": day(),
            "owner": f"o{rng.integers(n_owners)}",  # may change from event to event
        }
        for d in range(n_deals)
        for _ in range(int(rng.integers(1, 6)))
    ]
    return DealLog.from_records(records, p, owner="owner")


@given(
    st.integers(min_value=0, max_value=2**32 - 1),
    st.integers(min_value=1, max_value=400),
    st.integers(min_value=1, max_value=3),
    st.booleans(),
    st.booleans(),
    st.sampled_from([None, (0, 15, 20), (3, 9, 11), (5, 5, None), (2, None, 6)]),
)
def test_cumulative_reach_at_once_counts_as_the_per_stage_path_does(
    seed: int,
    n_deals: int,
    n_owners: int,
    wide: bool,
    by_owner: bool,
    window: tuple[int, int | None, int | None] | None,
) -> None:
    """Cumulative mode takes the events where a deal's reach grows once, in owner
    order; the per-stage path regroups each stage. Same counts, ids, times, curves,
    on logs large enough for the partition path, with periods, snapshots and
    undated events (wide logs)."""
    import datetime as dt

    from salesfunnel.deals import cohort

    from strategies import BASE_DAY

    log = _random_log(seed, n_deals, n_owners, wide)
    options: dict[str, object] = {"by": "owner" if by_owner else None}
    if window is not None:
        s, e, t = (None if d is None else BASE_DAY + dt.timedelta(days=d) for d in window)
        options.update(start=s, end=e, as_of=t)
    fast = cohort_funnel(log, **options)  # type: ignore[call-overload]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(cohort, "_CUMULATIVE_AT_ONCE", False)
        general = cohort_funnel(log, **options)  # type: ignore[call-overload]
    if not by_owner:
        fast, general = {"": fast}, {"": general}
    assert {k: v.to_json() for k, v in fast.items()} == {k: v.to_json() for k, v in general.items()}
    for k, v in fast.items():
        assert v.time_to_reach == general[k].time_to_reach  # NaN-free compare via records
        for stage_fast, stage_general in zip(
            v.funnel.stages, general[k].funnel.stages, strict=True
        ):
            assert np.array_equal(stage_fast.data, stage_general.data)


@given(deal_events(max_deals=30))
def test_forgotten_per_event_arrays_are_rebuilt_the_same(case: tuple[Pipeline, Records]) -> None:
    """``Events.forget`` drops cached arrays to lower the peak; asked again, they are
    rebuilt from the key, equal to the first ones."""
    pipeline, records = case
    log = DealLog.from_records(records, pipeline, owner="owner")
    ev = eng.sorted_events(log, log.code)
    group, code = ev.group().copy(), ev.code.copy()
    ev.forget("group", "code")
    assert "group" not in ev._at_cache
    assert "code" not in ev._cache
    assert ev.group().tolist() == group.tolist()
    assert ev.code.tolist() == code.tolist()
