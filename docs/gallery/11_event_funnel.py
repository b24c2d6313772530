"""Event-log funnel: view, cart, purchase within 30 minutes.

A seeded web-shop event log (sessions doing ``view``, ``cart`` and
``purchase`` events) read by :func:`salesfunnel.event_funnel` with PostHog's
ordered-funnel rules and a 30-minute window, split by device (first touch).
Each stage's ``data`` holds the session ids, so a click decodes to them.
"""

import datetime as dt

import numpy as np

from salesfunnel import EventLog, FunnelChart, event_funnel

rng = np.random.default_rng(3)
rows = []
for s in range(3000):
    device = "mobile" if rng.random() < 0.6 else "desktop"
    t = dt.datetime(2026, 3, 1) + dt.timedelta(seconds=int(rng.integers(0, 7 * 86400)))
    rows.append({"session": f"s{s}", "event": "view", "time": t, "device": device})
    reach = 0.30 if device == "mobile" else 0.45
    if rng.random() < reach:
        t += dt.timedelta(minutes=float(rng.exponential(6)))
        rows.append({"session": f"s{s}", "event": "cart", "time": t, "device": device})
        if rng.random() < (0.35 if device == "mobile" else 0.5):
            t += dt.timedelta(minutes=float(rng.exponential(12)))
            rows.append({"session": f"s{s}", "event": "purchase", "time": t, "device": device})

for row in rows:  # whole seconds, as the library keeps times (no SubsecondTimesWarning)
    row["time"] = row["time"].replace(microsecond=0)

log = EventLog.from_records(
    rows, entity="session", event="event", time="time", properties=["device"]
)
result = event_funnel(
    log, ["view", "cart", "purchase"], window=dt.timedelta(minutes=30), breakdown="device"
)
chart = FunnelChart(
    {device: f.funnel for device, f in result.by.items()},
    width=900,
    height=420,
    percent="both",
    title="Sessions: view → cart → purchase within 30 minutes, by device",
)
