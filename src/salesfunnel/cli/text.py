"""What the command line writes to the terminal: safe text, one-line errors, progress, tables.

Every character the command writes passes :func:`printable` first, so a
control character in the data (an owner named ``ESC[2J``) is shown, never
obeyed by the terminal.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Sequence
from typing import TextIO

from .._format import EM_DASH, fmt_count, fmt_number, fmt_percent
from .._table import Cell, ResultTable, text_table
from ..analysis import Analysis, expected_amount_card, period_text

PROG = "salesfunnel"


class CliError(Exception):
    """A user mistake reported as one line, exit status 2."""


# C0 controls but the newline, DEL and C1 controls (a terminal obeys them), the
# bidi controls (they reorder the text that follows) and lone surrogates (no
# encoding can write them).
_UNSAFE = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)


def printable(text: str) -> str:
    r"""``text`` safe to write to a terminal: each unsafe character as ``\uXXXX``.

    Unsafe are the control characters but the newline (C0, DEL, C1), the bidi
    controls and lone surrogates. The ``\uXXXX`` form is also a JSON escape of
    the same character, so the rule keeps JSON text valid and equal in meaning.

    >>> printable("Eve\x1b[2J\u202e")
    'Eve\\u001b[2J\\u202e'
    """
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def echo(text: str, stream: TextIO | None = None) -> None:
    """Write ``text`` and a newline, made :func:`printable`, to ``stream`` (stdout)."""
    out = sys.stdout if stream is None else stream
    out.write(printable(text) + "\n")


def one_line(text: str) -> str:
    """``text`` with every run of white space (newlines too) as one space."""
    return " ".join(text.split())


class Progress:
    """One self-overwriting status line on stderr; silent unless enabled."""

    def __init__(self, enabled: bool, stream: TextIO | None = None) -> None:
        self.enabled = enabled
        self.stream = stream if stream is not None else sys.stderr
        self._last = 0.0
        self._shown = False

    def show(self, text: str, *, force: bool = True) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self._last < 0.1:
            return
        self._last = now
        # The escape that clears the line is ours; the text (a file name) is made printable.
        self.stream.write(f"\r\x1b[K{PROG}: {printable(text)}")
        self.stream.flush()
        self._shown = True

    def done(self) -> None:
        if self.enabled and self._shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._shown = False


# -- tables and summaries -------------------------------------------------------------
_HEADS = {
    "step_conversion": "of previous",
    "conversion_from_first": "of first",
    "unknown_time": "unknown time",
    "median_days": "median days",
    "mean_days": "mean days",
    "p90_days": "p90 days",
    "open_deals": "open deals",
    "amount_unknown": "amount unknown",
    "expected_won": "expected wins",
    "expected_amount": "expected amount",
    "win_rate": "win rate",
    "median_cycle_days": "median cycle days",
}


def table_text(t: ResultTable) -> str:
    """A result table for people, with the command line's column headings.

    Text cells are made printable before the columns are measured, so an
    escaped control character keeps its row aligned.
    """
    rows: list[Sequence[Cell]] = [
        [printable(v) if isinstance(v, str) else v for v in row] for row in t.rows
    ]
    return text_table(t.columns, rows, headings=_HEADS)


def owner_table(a: Analysis) -> ResultTable:
    """Closed, won, win rate, open, expected wins and median cycle of each owner."""
    rows = []
    for o, cf in a.closed_by_owner.items():
        cyc = cf.durations.cycle.median_days if cf.durations is not None else float("nan")
        fc = a.forecast_by_owner[o]
        rows.append(
            (
                o,
                cf.deals,
                cf.won,
                cf.win_rate,
                a.active_by_owner[o].open_deals,
                fc.expected_won,
                cyc,
            )
        )
    cols = ("owner", "closed", "won", "win_rate", "open", "expected_won", "median_cycle_days")
    return ResultTable("per owner", cols, tuple(rows))


def _expected_amount(a: Analysis) -> str:
    value, note = expected_amount_card(a)
    return value + note[len("expected won amount") :]


def bottleneck_line(a: Analysis) -> str:
    neck = a.bottleneck
    if neck is None:
        return f"bottleneck: {EM_DASH} (no stage conversion is defined)"
    prev = a.closed.funnel.names[neck.index - 1]
    return f"bottleneck: {neck.name} ({fmt_percent(neck.rate)} of the deals at {prev} moved on)"


def weakest_lines(a: Analysis) -> list[str]:
    """One line per owner: the stage where they fall furthest below the rest of the team."""
    c = a.comparison
    if c is None:
        return []
    lines = []
    width = max((len(printable(g)) for g in c.groups), default=0)
    for g in c.groups:
        name = printable(g).ljust(width)
        w = c.weakest(g)
        if w is None:
            why = (
                "no stage below the rest of the team"
                if c.ranked(g)
                else "not enough closed deals to rank the stages"
            )
            lines.append(f"  {name}  {why}")
            continue
        p = EM_DASH if w.p_value is None else f"{w.p_value:.2g}"
        if w.p_adjusted is not None and c.correction != "none":
            rule = "Holm" if c.correction == "holm" else "Benjamini-Hochberg"
            p += f", {rule}-adjusted p={w.p_adjusted:.2g}"
        verdict = "significant" if w.significant else "not significant"
        lines.append(
            f"  {name}  {w.stage}: {fmt_percent(w.rate)} vs rest of team "
            f"{fmt_percent(w.rest_rate)} (p={p}, {verdict} at {c.confidence:.0%})"
        )
    return lines


def dropped_line(dropped: int) -> str:
    """What ``--drop-unknown`` dropped, said once."""
    rows = "row" if dropped == 1 else "rows"
    return (
        f"dropped {fmt_number(dropped)} {rows} whose label is not in the pipeline (--drop-unknown)"
    )


def metrics_text(a: Analysis, *, by_owner: bool, source: str, dropped: int | None) -> str:
    """The ``metrics`` command's tables and summary lines.

    ``dropped`` is the count of rows ``--drop-unknown`` dropped, None without the option.
    """
    cf, af = a.closed, a.active
    out = [
        f"{source}: {fmt_count(a.log.n_deals, 'deal')}, {fmt_count(len(a.log), 'event')}"
        + (f", {len(a.owners)} owners" if a.owners else ""),
        *([] if dropped is None else [dropped_line(dropped)]),
        "",
        f"Closed deals ({period_text(a)})",
        table_text(cf.table),
        cf._summary(),
        bottleneck_line(a),
        "",
        f"Open deals (as of {a.as_of or 'the latest event'})",
        table_text(af.table),
        f"{fmt_count(af.open_deals, 'open deal')}, {fmt_number(af.won)} won, "
        f"{fmt_number(af.lost)} lost, {fmt_number(af.frozen)} frozen",
        "",
    ]
    if cf.durations is not None:
        cy = cf.durations.cycle
        out += [
            "Time in stage, days (closed deals)",
            table_text(cf.durations.stages),
            f"whole cycle: median {fmt_number(round(cy.median_days, 2))} d, "
            f"mean {fmt_number(round(cy.mean_days, 2))} d, "
            f"p90 {fmt_number(round(cy.p90_days, 2))} d ({fmt_count(cy.count, 'deal')})",
            "",
        ]
    fc = a.forecast
    out += [
        f"Forecast (win probability learned from {fmt_number(fc.trained_on)} closed deals)",
        table_text(fc.table),
        f"expected wins: {fmt_number(round(fc.expected_won, 2))}, "
        f"expected amount: {_expected_amount(a)}",
        "",
    ]
    if by_owner:
        out += ["Per owner", table_text(owner_table(a)), ""]
        if a.comparison is not None:
            out += ["Weakest stage per owner:", *weakest_lines(a), ""]
    return "\n".join(out).rstrip()
