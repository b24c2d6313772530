"""Three managers side by side.

The tutorial's month (:func:`salesfunnel.datasets.three_managers`): one shared
scale, so widths compare across managers; labels give each stage's
conversion from the stage before. Manager 2 makes the most calls and
loses most of them before a meeting.
"""

from salesfunnel import FunnelChart
from salesfunnel.datasets import three_managers

chart = FunnelChart(
    three_managers(),
    width=900,
    height=460,
    percent="previous",
    title="Three managers, one month",
)
