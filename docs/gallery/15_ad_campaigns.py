"""A wide-range ad funnel per campaign, drawn with log widths.

The Facebook ad export of :doc:`howto-notebook` (``KAG_conversion_data.csv``,
one row per ad) summed per campaign: millions of impressions down to a few
hundred approved sales. With ``width_mapping="log"`` every stage keeps a
readable width and the labels say the mapping is not linear; rates under
0.01 % read ``<0.01%``, never ``0.0%``. Where the export is not next to the
repository (``../shared/data``), synthetic campaigns of the same shape stand
in, and the title says so.
"""

import csv
import random
from pathlib import Path

from salesfunnel import Funnel, FunnelChart

EXPORT = Path(__file__).resolve().parents[3] / "shared/data/fb-ad-conversion-funnel"
STAGES = {
    "Impressions": "Impressions",
    "Clicks": "Clicks",
    "Enquiries": "Total_Conversion",
    "Sales": "Approved_Conversion",
}


def synthetic_ads(seed: int = 15) -> list[dict[str, str]]:
    """Rows shaped like KAG_conversion_data.csv: three campaigns of ads."""
    rng = random.Random(seed)
    rows = []
    for campaign, ads in (("916", 54), ("936", 464), ("1178", 625)):
        for _ in range(ads):
            shown = rng.randrange(1_000, 400_000)
            clicks = shown * rng.randrange(5, 40) // 100_000
            enquiries = rng.randrange(0, 4)
            rows.append(
                {
                    "xyz_campaign_id": campaign,
                    "Impressions": str(shown),
                    "Clicks": str(clicks),
                    "Total_Conversion": str(enquiries),
                    "Approved_Conversion": str(rng.randrange(0, enquiries + 1)),
                }
            )
    return rows


if (EXPORT / "KAG_conversion_data.csv").exists():
    with open(EXPORT / "KAG_conversion_data.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    source = "Facebook ad export"
else:
    rows = synthetic_ads()
    source = "synthetic stand-in for the Facebook ad export"

totals: dict[str, dict[str, int]] = {}
for row in rows:
    campaign = totals.setdefault(f"Campaign {row['xyz_campaign_id']}", dict.fromkeys(STAGES, 0))
    for stage, column in STAGES.items():
        campaign[stage] += int(row[column])
campaigns = {
    name: Funnel.from_counts(counts, name=name)
    for name, counts in sorted(totals.items(), key=lambda item: int(item[0].split()[1]))
}

chart = FunnelChart(
    campaigns,
    width=1100,
    height=480,
    width_mapping="log",
    percent="previous",
    title=f"Ad funnel per campaign, log widths ({source})",
)
