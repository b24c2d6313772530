"""Hypothesis strategies shared by the whole test suite (one place, as in attrs)."""

from __future__ import annotations

import datetime as dt

from hypothesis import strategies as st

from salesfunnel import Funnel, Pipeline, Stage

BASE_DAY = dt.datetime(2024, 1, 1)

names = st.text(min_size=1, max_size=20).filter(lambda s: s.strip() != "")
counts = st.floats(min_value=0, max_value=1e12, allow_nan=False, allow_infinity=False)
int_counts = st.integers(min_value=0, max_value=10**9)


@st.composite
def funnels(draw: st.DrawFn, min_stages: int = 1, max_stages: int = 12) -> Funnel:
    """Any valid funnel: unique names, finite non-negative counts, any order."""
    stage_names = draw(st.lists(names, min_size=min_stages, max_size=max_stages, unique=True))
    values = draw(st.lists(counts, min_size=len(stage_names), max_size=len(stage_names)))
    return Funnel(tuple(Stage(n, c) for n, c in zip(stage_names, values, strict=True)))


@st.composite
def monotone_funnels(
    draw: st.DrawFn, min_stages: int = 1, max_stages: int = 12, positive: bool = False
) -> Funnel:
    """Funnels whose integer counts never increase along the stages."""
    n = draw(st.integers(min_value=min_stages, max_value=max_stages))
    low = 1 if positive else 0
    first = draw(st.integers(min_value=low, max_value=10**7))
    values = [first]
    for _ in range(n - 1):
        values.append(draw(st.integers(min_value=low, max_value=values[-1])))
    return Funnel(tuple(Stage(f"stage {i}", v) for i, v in enumerate(values)))


rates = st.floats(min_value=1e-3, max_value=1.0, allow_nan=False)


# -- renderer ------------------------------------------------------------------
# Any label text: control characters, markup, quotes and CDATA ends included.
label_texts = st.one_of(
    names,
    st.sampled_from(
        ["<script>alert(1)</script>", "a\"b'c&d", "]]>", "x\x00y\x07z", "Κλήσεις", "Встреча"]
    ),
)


@st.composite
def labelled_funnels(draw: st.DrawFn, min_stages: int = 1, max_stages: int = 30) -> Funnel:
    """Any valid funnel with any label text (0 < stages <= 30), counts often zero or tiny."""
    stage_names = draw(
        st.lists(label_texts, min_size=min_stages, max_size=max_stages, unique=True).filter(
            lambda xs: all(x.strip() for x in xs)
        )
    )
    value = st.one_of(counts, st.sampled_from([0.0, 1.0, 1e-9]), int_counts.map(float))
    values = draw(st.lists(value, min_size=len(stage_names), max_size=len(stage_names)))
    name = draw(st.none() | label_texts)
    return Funnel(tuple(Stage(n, c) for n, c in zip(stage_names, values, strict=True)), name)


@st.composite
def funnel_sets(draw: st.DrawFn) -> Funnel | list[Funnel] | dict[str, Funnel]:
    """What ``FunnelChart`` accepts: one funnel, or 0..3 funnels in a list or a dict."""
    kind = draw(st.sampled_from(["one", "list", "dict"]))
    if kind == "one":
        return draw(labelled_funnels())
    many = st.lists(labelled_funnels(max_stages=10), min_size=0, max_size=3)
    if kind == "list":
        return draw(many)
    items = draw(many)
    keys = draw(st.lists(label_texts, min_size=len(items), max_size=len(items), unique=True))
    return dict(zip(keys, items, strict=True))


@st.composite
def related_funnel_sets(draw: st.DrawFn) -> dict[str, Funnel]:
    """2..3 funnels whose stage names are prefixes of one list, sometimes with one renamed."""
    names = draw(st.lists(label_texts, min_size=1, max_size=8, unique=True))
    out: dict[str, Funnel] = {}
    for k in range(draw(st.integers(2, 3))):
        n = draw(st.integers(1, len(names)))
        own = list(names[:n])
        if draw(st.booleans()) and draw(st.booleans()):
            fresh = label_texts.filter(lambda t, taken=frozenset(own): t not in taken)
            own[draw(st.integers(0, n - 1))] = draw(fresh)
        values = draw(st.lists(counts, min_size=n, max_size=n))
        out[f"F{k}"] = Funnel.from_counts(list(zip(own, values, strict=True)))
    return out


chart_sizes = st.tuples(st.integers(160, 640), st.integers(120, 480))


# -- deal logs (deal-history analytics) ---------------------------------------------
@st.composite
def pipelines(draw: st.DrawFn, max_stages: int = 9) -> Pipeline:
    """A pipeline of 1..max_stages open stages, with or without a frozen label."""
    n = draw(st.integers(min_value=1, max_value=max_stages))
    frozen = "Frozen" if draw(st.booleans()) else None
    return Pipeline([f"S{i}" for i in range(n)], won="Won", lost="Lost", frozen=frozen)


@st.composite
def deal_events(
    draw: st.DrawFn, max_deals: int = 12, max_events: int = 6, max_day: int = 20
) -> tuple[Pipeline, list[dict[str, object]]]:
    """A pipeline and event records: any labels in any order, ties in time, owners.

    Days are small integers so that equal timestamps (the tie rule) are common.
    """
    pipeline = draw(pipelines())
    labels = pipeline.labels
    n_deals = draw(st.integers(min_value=1, max_value=max_deals))
    records: list[dict[str, object]] = []
    for d in range(n_deals):
        owner = draw(st.sampled_from(["ann", "bob", "cy"]))
        n_ev = draw(st.integers(min_value=1, max_value=max_events))
        for _ in range(n_ev):
            day = draw(st.integers(min_value=0, max_value=max_day))
            records.append(
                {
                    "deal": f"d{d}",
                    "stage": draw(st.sampled_from(labels)),
                    "time": BASE_DAY + dt.timedelta(days=day),
                    "owner": owner,
                }
            )
    return pipeline, records


EVENT_NAMES = ("A", "B", "C", "D")


@st.composite
def event_logs(
    draw: st.DrawFn, max_units: int = 6, max_events: int = 9, max_second: int = 12
) -> list[tuple[str, str, int, dict[str, str]]]:
    """Event tuples ``(unit, name, second, props)``: few names and seconds, so that
    repeats, equal timestamps and window edges are common. Every name occurs."""
    out: list[tuple[str, str, int, dict[str, str]]] = []
    for u in range(draw(st.integers(min_value=1, max_value=max_units))):
        for _ in range(draw(st.integers(min_value=1, max_value=max_events))):
            name = draw(st.sampled_from(EVENT_NAMES))
            second = draw(st.integers(min_value=0, max_value=max_second))
            device = draw(st.sampled_from(["", "ios", "web"]))
            out.append((f"u{u}", name, second, {"device": device}))
    out += [("zz", name, 10_000, {"device": ""}) for name in EVENT_NAMES]
    return out


@st.composite
def funnel_steps(draw: st.DrawFn, overlap: bool = True) -> list[tuple[str, ...]]:
    """2 to 4 steps, each one name or (with ``overlap``) a tuple of names."""
    k = draw(st.integers(min_value=2, max_value=4))
    if not overlap:
        return [(n,) for n in draw(st.permutations(EVENT_NAMES))[:k]]
    names = st.lists(st.sampled_from(EVENT_NAMES), min_size=1, max_size=2, unique=True)
    return [tuple(draw(names)) for _ in range(k)]


@st.composite
def deal_events_with_columns(
    draw: st.DrawFn,
) -> tuple[Pipeline, list[dict[str, object]]]:
    """:func:`deal_events` plus a ``product`` per deal and a ``region`` per event.

    The product is the same on every event of a deal; the region may change
    from one event to the next (blank included), as an owner may.
    """
    pipeline, records = draw(deal_events())
    products = {}
    for r in records:
        products.setdefault(r["deal"], draw(st.sampled_from(["p1", "p2", "p10"])))
        r["product"] = products[r["deal"]]
        r["region"] = draw(st.sampled_from(["EU", "US", ""]))
        r["amount"] = draw(st.sampled_from([None, 1.0, 2.5, 10.0]))
    return pipeline, records
