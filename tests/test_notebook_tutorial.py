"""The pandas notebook tutorial (docs/howto-notebook.rst) and its gallery scripts.

Every number the page states in prose is recomputed here from the exports
with pandas alone, and checked against both the library and the page's text
(the doctests on the page check the library's printed tables). The gallery
scripts are run twice: on the exports, and from a copy that cannot see them,
where they must fall back to synthetic data and say so in every title.
"""

from __future__ import annotations

import datetime as dt
import math
import runpy
import shutil
from pathlib import Path
from typing import Any

import pytest

from salesfunnel import (
    DealLog,
    EventLog,
    Pipeline,
    Style,
    closed_funnel,
    compare,
    event_funnel,
    trend,
)

ROOT = Path(__file__).resolve().parents[1]
PAGE = (ROOT / "docs" / "howto-notebook.rst").read_text(encoding="utf-8")
GALLERY = ROOT / "docs" / "gallery"
DATA = ROOT.parent / "shared" / "data"
MAVEN = DATA / "maven-crm-sales-opportunities" / "sales_pipeline.csv"
ADS = DATA / "fb-ad-conversion-funnel" / "KAG_conversion_data.csv"
SHOP = DATA / "rees46-ecommerce-events-sample" / "2019-Oct-sample.csv"
AD_STAGES = ["Impressions", "Clicks", "Total_Conversion", "Approved_Conversion"]

needs_exports = pytest.mark.skipif(
    not (MAVEN.exists() and ADS.exists() and SHOP.exists()),
    reason="the exports in ../shared/data are not here",
)


def _prose(text: str) -> str:
    """The page's text with line breaks folded, as a reader sees it."""
    return " ".join(text.split())


def _pct(rate: float) -> str:
    """A rate as the page's prose writes it: one decimal and a thin space."""
    return f"{rate * 100:.1f} %"


@pytest.fixture(scope="module")
def deals() -> Any:
    pd = pytest.importorskip("pandas")
    if not MAVEN.exists():
        pytest.skip("the Maven export is not here")
    return pd.read_csv(MAVEN, parse_dates=["engage_date", "close_date"])


@pytest.fixture(scope="module")
def log(deals: Any) -> DealLog:
    pipeline = Pipeline(["Prospecting", "Engaging"], won="Won", lost="Lost")
    return DealLog.from_wide(
        deals,
        pipeline,
        deal="opportunity_id",
        stage_dates={"Engaging": "engage_date"},
        outcome="deal_stage",
        outcome_date="close_date",
        owner="sales_agent",
        amount="close_value",
        keep=("product",),
    )


def _closed(deals: Any) -> Any:
    return deals[deals.deal_stage.isin(["Won", "Lost"])]


@needs_exports
def test_export_totals_match_pandas_and_the_text(deals: Any, log: DealLog) -> None:
    closed = _closed(deals)
    won = int((closed.deal_stage == "Won").sum())
    cycle = (closed.close_date - closed.engage_date).dt.days.median()
    assert (len(deals), len(closed), won, cycle) == (8800, 6711, 4238, 45)
    cf = closed_funnel(log)
    assert [int(c) for c in cf.funnel.counts] == [len(closed), len(closed), won]
    text = _prose(PAGE)
    assert f"Of the {len(deals):,} deals, {len(closed):,} are closed" in text
    assert f"{_pct(won / len(closed))} of those were won" in text
    assert f"median deal took {cycle:.0f} days" in text


@needs_exports
def test_product_breakdown_matches_pandas_and_the_text(deals: Any, log: DealLog) -> None:
    closed = _closed(deals)
    by_product = closed.groupby("product").deal_stage
    expected = {p: (int((s == "Won").sum()), len(s)) for p, s in by_product}
    got = {
        p: (int(cf.funnel.counts[-1]), int(cf.funnel.counts[0]))
        for p, cf in closed_funnel(log, by="product").items()
    }
    assert got == expected
    ranked = {p: w / n for p, (w, n) in expected.items() if n >= 30}
    low, high = min(ranked, key=ranked.__getitem__), max(ranked, key=ranked.__getitem__)
    assert (low, high) == ("MG Advanced", "MG Special")
    text = _prose(PAGE)
    assert f"between {_pct(ranked[low])} ({low}) and {_pct(ranked[high])} ({high})" in text
    assert f"GTK 500 closed only {expected['GTK 500'][1]} deals" in text


@needs_exports
def test_monthly_win_rates_match_pandas_and_the_text(deals: Any, log: DealLog) -> None:
    closed = _closed(deals)
    months = closed.groupby(closed.close_date.dt.strftime("%Y-%m")).deal_stage
    expected = {m: (len(s), int((s == "Won").sum())) for m, s in months}
    table = trend(log, period="M", start="2017-03-01", end="2018-01-01").to_records()
    assert {r["period"]: (r["deals"], r["won"]) for r in table} == expected
    rates = {m: won / n for m, (n, won) in expected.items()}
    quarter_ends = [rates[m] for m in ("2017-03", "2017-06", "2017-09", "2017-12")]
    quarter_starts = [rates[m] for m in ("2017-04", "2017-07", "2017-10")]
    assert all(0.78 <= r <= 0.83 for r in quarter_ends)  # "about 80 %"
    assert all(r < 0.5 for r in quarter_starts)  # "under 50 %"
    assert "won about 80 % of the time, those closed in the first month under 50 %" in _prose(PAGE)


def _p_value(x1: int, n1: int, x2: int, n2: int) -> float:
    """Two-sided pooled two-proportion z-test, written out independently."""
    pooled = (x1 + x2) / (n1 + n2)
    z = (x1 / n1 - x2 / n2) / math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    return math.erfc(abs(z) / math.sqrt(2))


@needs_exports
def test_agent_comparison_matches_an_independent_test_and_the_text(
    deals: Any, log: DealLog
) -> None:
    closed = _closed(deals)
    won = closed.deal_stage == "Won"
    total_won, total = int(won.sum()), len(closed)
    p_values = {}
    for agent, is_won in won.groupby(closed.sales_agent):
        x, n = int(is_won.sum()), len(is_won)
        p_values[agent] = _p_value(x, n, total_won - x, total - n)
    assert len(p_values) * 0.05 == 1.5  # thirty tests: "about one and a half times"
    raw = {a for a, p in p_values.items() if p < 0.05}
    assert raw == {"Donn Cantrell", "Lajuana Vencill", "Maureen Marcano"}
    # Holm: the smallest p-value times the number of tests must reach 0.05 for any rejection.
    assert min(p_values.values()) * len(p_values) > 0.05

    agents = closed_funnel(log, by="owner")
    steps = {a: compare(agents, correction="none").step(a, "Won") for a in agents}
    assert {a: round(s.p_value, 12) for a, s in steps.items()} == {
        a: round(p, 12) for a, p in p_values.items()
    }
    holm = compare(agents).to_pandas()
    assert not holm.significant.any()

    text = _prose(PAGE)
    rate = won.groupby(closed.sales_agent).mean()
    for agent in ("Donn Cantrell", "Lajuana Vencill", "Maureen Marcano"):
        assert f"{agent} {_pct(rate[agent])}" in text
    rest = (total_won - won[closed.sales_agent == "Maureen Marcano"].sum()) / (
        total - (closed.sales_agent == "Maureen Marcano").sum()
    )
    assert f"against {_pct(rest)} for the others" in text
    most = closed.sales_agent.value_counts().idxmax()
    assert f"({most} closed the most deals)" in text


@needs_exports
def test_ad_funnel_numbers_match_pandas_and_the_text() -> None:
    pd = pytest.importorskip("pandas")
    ads = pd.read_csv(ADS)
    totals = ads[AD_STAGES].sum()
    assert len(ads) == 1143
    assert list(totals) == [213_434_828, 38_165, 3_264, 1_079]
    assert 5 < math.log10(totals.iloc[0] / totals.iloc[-1]) < 6
    text = _prose(PAGE)
    assert "spans more than five orders of magnitude" in text
    assert f"({len(ads):,} ads)" in text
    assert f"{totals.iloc[0] // 1_000_000} million impressions end in {totals.iloc[-1]:,}" in text
    assert Style().percent_floor == 0.0001
    assert "(0.01 %) read ``<0.01%``" in text
    assert f"The click rate is {totals.iloc[1] / totals.iloc[0]:.3%}".replace("%", " %") in text


@needs_exports
def test_event_funnel_matches_pandas_and_the_text() -> None:
    pd = pytest.importorskip("pandas")
    events = pd.read_csv(SHOP)
    events["t"] = pd.to_datetime(events.event_time.str.removesuffix(" UTC"))
    first = events.pivot_table(
        index="user_session", columns="event_type", values="t", aggfunc="min"
    )
    # Ordered steps, independently: the first view, a cart at or after it, a purchase at or
    # after that cart. The sample spans 17 minutes, so the one-hour window never binds.
    span = events.t.max() - events.t.min()
    assert span < pd.Timedelta(hours=1)
    viewed = first.view.notna()
    carts = events[events.event_type == "cart"].merge(
        first.view.rename("view_t"), left_on="user_session", right_index=True
    )
    cart_t = carts[carts.t >= carts.view_t].groupby("user_session").t.min()
    buys = events[events.event_type == "purchase"].merge(
        cart_t.rename("cart_t"), left_on="user_session", right_index=True
    )
    through_cart = buys[buys.t >= buys.cart_t].user_session.nunique()
    bought = events[events.event_type == "purchase"].user_session.nunique()
    assert (int(viewed.sum()), len(cart_t), through_cart, bought) == (372, 3, 2, 9)

    shop = EventLog.from_pandas(
        events.drop(columns="event_time").rename(columns={"t": "event_time"}),
        entity="user_session",
        event="event_type",
        time="event_time",
    )
    hour = dt.timedelta(hours=1)
    assert event_funnel(shop, ["view", "cart", "purchase"], window=hour).counts == (372, 3, 2)
    assert event_funnel(shop, ["view", "purchase"], window=hour).counts == (372, 9)
    no_cart = bought - len(
        set(events[events.event_type == "cart"].user_session)
        & set(events[events.event_type == "purchase"].user_session)
    )
    text = _prose(PAGE)
    assert f"{len(events):,} events" in text
    assert f"(about {span.seconds // 60} minutes)" in text
    assert (
        f"Of {int(viewed.sum())} sessions, {bought} bought something, but only {through_cart}"
        in text
    )
    assert f"{no_cart} of the {bought} buying sessions have no cart event" in text


def _run(script: Path) -> dict[str, Any]:
    return runpy.run_path(str(script), run_name="__gallery__")


@needs_exports
def test_gallery_scripts_draw_the_exports(deals: Any) -> None:
    crm = _run(GALLERY / "14_crm_export.py")
    assert crm["source"] == "Maven CRM export"
    closed = _closed(deals)
    counts = {p: len(s) for p, s in closed.groupby("product")}
    assert {p: int(cf.funnel.counts[0]) for p, cf in crm["by_product"].items()} == counts
    assert len(crm["by_agent"]) == 30
    assert len(crm["by_month"]) == 10
    assert all(not chart.label_notes for chart in crm["charts"][:2])

    ads = pytest.importorskip("pandas").read_csv(ADS)
    per_campaign = ads.groupby("xyz_campaign_id")[AD_STAGES].sum()
    ad = _run(GALLERY / "15_ad_campaigns.py")
    assert ad["source"] == "Facebook ad export"
    assert {name: [int(c) for c in f.counts] for name, f in ad["campaigns"].items()} == {
        f"Campaign {cid}": [int(v) for v in row] for cid, row in per_campaign.iterrows()
    }
    assert "Widths show log" in ad["chart"].alt_text()


@pytest.mark.parametrize("name", ["14_crm_export.py", "15_ad_campaigns.py"])
def test_gallery_scripts_fall_back_to_synthetic_data_and_say_so(tmp_path: Path, name: str) -> None:
    namespace = _run(_copy_of(name, tmp_path))
    assert namespace["source"].startswith("synthetic stand-in")
    charts = namespace.get("charts", [namespace.get("chart")])
    for chart in charts:
        assert "synthetic stand-in" in chart.alt_text()
        assert chart.to_png() == chart.to_png()  # drawn, and deterministically


def test_fallback_shapes_match_the_exports(tmp_path: Path) -> None:
    crm = _run(_copy_of("14_crm_export.py", tmp_path))
    assert len(crm["by_agent"]) == 30
    assert set(crm["by_product"]) == set(crm["PRODUCTS"])
    ad = _run(_copy_of("15_ad_campaigns.py", tmp_path))
    assert list(ad["campaigns"]) == ["Campaign 916", "Campaign 936", "Campaign 1178"]
    for funnel in ad["campaigns"].values():
        counts = [int(c) for c in funnel.counts]
        assert counts == sorted(counts, reverse=True)
        assert counts[0] > 1000 * counts[-1]


def _copy_of(name: str, tmp_path: Path) -> Path:
    """A copy of a gallery script whose ``parents[3]`` (tmp_path) has no shared/data."""
    folder = tmp_path / "repo" / "docs" / "gallery"
    folder.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy(GALLERY / name, folder / name))


def test_page_skips_cleanly_without_the_exports(tmp_path: Path) -> None:
    # From tmp_path, "../shared/data" does not exist: the page must skip, not fail.
    import subprocess
    import sys

    page = ROOT / "docs" / "howto-notebook.rst"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-rs",
            "-c",
            str(ROOT / "pyproject.toml"),
            "--rootdir",
            str(tmp_path),
            str(page),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout
    assert "1 skipped" in result.stdout
    assert "the exports in ../shared/data are not here" in result.stdout or (
        "pandas" in result.stdout
    )
