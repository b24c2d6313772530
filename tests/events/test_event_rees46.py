"""The REES46 sample: view -> cart -> purchase per session within 30 minutes, against pandas."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from salesfunnel import EventLog, event_funnel

SAMPLE = Path("/work/shared/data/rees46-ecommerce-events-sample/2019-Oct-sample.csv")
pytestmark = pytest.mark.skipif(not SAMPLE.exists(), reason="REES46 sample not present")
WINDOW = dt.timedelta(minutes=30)


def _pandas_counts() -> list[int]:
    """Sessions with a view; a view then a cart within W; a view, cart, purchase within W.

    Written from the definition, with pandas joins: a session reaches step k when
    some view v has later events v <= c <= p <= v + W (a same-second cart and
    purchase count in step order).
    """
    pd = pytest.importorskip("pandas")
    df = pd.read_csv(SAMPLE)
    df["t"] = pd.to_datetime(df["event_time"].str.replace(" UTC", ""))
    cols = ["user_session", "t"]
    view = df.loc[df.event_type == "view", cols].rename(columns={"t": "v"})
    cart = df.loc[df.event_type == "cart", cols].rename(columns={"t": "c"})
    buy = df.loc[df.event_type == "purchase", cols].rename(columns={"t": "p"})
    vc = view.merge(cart, on="user_session")
    vc = vc[(vc.c >= vc.v) & (vc.c - vc.v <= WINDOW)]
    vcp = vc.merge(buy, on="user_session")
    vcp = vcp[(vcp.p >= vcp.c) & (vcp.p - vcp.v <= WINDOW)]
    return [view.user_session.nunique(), vc.user_session.nunique(), vcp.user_session.nunique()]


def test_session_funnel_matches_pandas() -> None:
    log = EventLog.from_csv(
        SAMPLE,
        entity="user_session",
        event="event_type",
        time="event_time",
        properties=["price", "brand"],
        date_format="%Y-%m-%d %H:%M:%S UTC",
    )
    f = event_funnel(log, ["view", "cart", "purchase"], window=WINDOW)
    assert list(f.counts) == _pandas_counts()
    assert f.counts[0] == 372  # SOURCE.md: 372 sessions viewed
    # Without the cart step: the 9 purchasing sessions of SOURCE.md, all after a view.
    two = event_funnel(log, ["view", "purchase"], window=WINDOW)
    assert two.counts == (372, 9)
    by = event_funnel(log, ["view", "purchase"], window=WINDOW, breakdown="brand")
    assert sum(g.counts[1] for g in by.by.values()) == 9


def test_the_raw_export_loads_without_a_date_format() -> None:
    # Its times end in " UTC"; read as +00:00 they are the times of the format above.
    plain = EventLog.from_csv(SAMPLE, entity="user_session", event="event_type", time="event_time")
    given = EventLog.from_csv(
        SAMPLE,
        entity="user_session",
        event="event_type",
        time="event_time",
        date_format="%Y-%m-%d %H:%M:%S UTC",
    )
    assert plain.time.tolist() == given.time.tolist()
    assert len(plain) == 1000  # SOURCE.md: a 1,000-event sample
