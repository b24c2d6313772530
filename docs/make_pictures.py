"""Regenerate the pictures of docs/rendering.rst (committed under docs/_static/).

Run from the repository root: ``PYTHONPATH=src python docs/make_pictures.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from salesfunnel import Funnel, FunnelChart, Style

OUT = Path(__file__).resolve().parent / "_static"

SIX = Funnel.from_counts(
    {"Calls": 200, "Meetings": 60, "Presentations": 45, "Offers": 30, "Contracts": 14, "Paid": 10},
    name="Worked example",
)
GREEK = Funnel.from_counts({"Κλήσεις": 200, "Συναντήσεις": 80, "Προσφορές": 40, "Πληρωμή": 12})
CYRILLIC = Funnel.from_counts(
    {
        "Первый контакт": 200,
        "Встреча с ЛПР": 90,
        "Презентация": 60,
        "Коммерческое предложение": 35,
        "Ожидание решения": 25,
        "Договор": 18,
        "Оплата": 12,
    }
)
TWELVE = Funnel.from_counts({f"Stage {i + 1}": round(1000 * 0.8**i) for i in range(12)})
ZERO = Funnel.from_counts({"Leads": 120, "Qualified": 40, "Demo": 0, "Offer": 8, "Won": 5})
GROWS = Funnel.from_counts(
    {"Visits": 100, "Sign-ups": 140, "Trials": 60, "Paid": 75, "Renewed": 20}
)
MANAGERS = {
    "Manager 1": Funnel.from_counts({"Calls": 120, "Offers": 40, "Contracts": 20, "Paid": 13}),
    "Manager 2": Funnel.from_counts({"Calls": 200, "Offers": 45, "Contracts": 25, "Paid": 17}),
    "Manager 3": Funnel.from_counts({"Calls": 90, "Offers": 35, "Contracts": 18, "Paid": 11}),
}

CHARTS = {
    "six": FunnelChart(SIX, title="Worked example: 200 calls, 10 paid", width=640, height=480),
    "greek": FunnelChart(GREEK, title="Χοάνη πωλήσεων", width=560, height=360),
    "cyrillic": FunnelChart(CYRILLIC, title="Воронка продаж", width=640, height=480),
    "twelve": FunnelChart(TWELVE, title="Twelve stages", width=560, height=480),
    "zero": FunnelChart(ZERO, title="A stage with zero deals", width=560, height=360),
    "nonmonotonic": FunnelChart(GROWS, title="Later stages larger", width=560, height=360),
    "managers": FunnelChart(MANAGERS, title="Three managers, one scale", width=800, height=420),
    "layers-no-cover": FunnelChart(
        SIX,
        width=320,
        height=240,
        style=Style(show_covers=False, show_outline=False, show_labels=False),
    ),
    "layers-all": FunnelChart(SIX, width=320, height=240, style=Style(show_labels=False)),
    "min-visible": FunnelChart(
        Funnel.from_counts({"Leads": 5000, "Demo": 12, "Won": 3}),
        title="min_visible=0.08: boosted stages dashed",
        width=480,
        height=300,
        min_visible=0.08,
    ),
}


def hit_mask_picture(chart: FunnelChart) -> Image.Image:
    """The hit mask in false colors: one color per region, white background."""
    mask = chart.hit_mask()
    rng = np.random.default_rng(7)
    palette = rng.integers(40, 230, size=(len(chart.regions) + 1, 3), dtype=np.uint8)
    palette[-1] = 255
    return Image.fromarray(palette[mask], "RGB")


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for name, chart in CHARTS.items():
        chart.save(OUT / f"funnel-{name}.png")
    CHARTS["six"].save(OUT / "funnel-six.svg")
    hit_mask_picture(CHARTS["managers"]).save(OUT / "funnel-managers-hitmask.png")


if __name__ == "__main__":
    main()
