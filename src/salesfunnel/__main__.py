"""Command line entry point: ``salesfunnel`` and ``python -m salesfunnel``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import Funnel, FunnelChart, bottleneck, metrics_table, overall_conversion
from ._format import fmt_percent


def _demo(args: argparse.Namespace) -> int:
    # The seed's worked example: 200 prospects called, 10 signed and paid.
    funnel = Funnel.from_counts(
        {"Calls": 200, "Meetings": 60, "Offers": 30, "Contracts": 14, "Paid": 10},
        name="Worked example",
    )
    print(metrics_table(funnel))
    neck = bottleneck(funnel)
    print()
    print(f"overall conversion: {fmt_percent(overall_conversion(funnel))}")
    if neck is not None:
        print(f"bottleneck: {neck.name} ({fmt_percent(neck.rate)} of previous)")
    for path in (args.png, args.svg):
        if path:
            FunnelChart(funnel, title=funnel.name).save(path)
            print(f"wrote {path}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``salesfunnel`` command line."""
    parser = argparse.ArgumentParser(prog="salesfunnel", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run the main job on built-in example data")
    demo.add_argument("--png", metavar="PATH", help="also draw the funnel to a PNG file")
    demo.add_argument("--svg", metavar="PATH", help="also draw the funnel to an SVG file")
    demo.set_defaults(func=_demo)
    args = parser.parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
