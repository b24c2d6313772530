"""Labels: the words and numbers of each stage, and where they go.

A stage's label goes inside its slice when the full text fits there
(:func:`_inside_label`); otherwise it waits in the gutter right of the funnel
(:class:`_Pending`) until :func:`_place_outside` stacks all of them: no
overlaps, inside the plot area, each joined to its stage by a leader line. When
they do not fit, every label is shortened the same way (full, then two lines,
then one line), then every other label is hidden, the first always kept. What
was shortened or hidden is recorded as a :class:`~salesfunnel.render.shapes.LabelNote`.
The legend (:func:`_legend`) names stage positions when every funnel agrees on
their names.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Sequence
from itertools import pairwise
from typing import Literal

from .._format import fmt_compact, fmt_number, fmt_percent
from ..funnel.model import Funnel
from .builder import _Builder
from .shapes import HitArea, LabelNote, Layer, Line, Rect, Text
from .style import Color, Style
from .text import ELLIPSIS, advance, ascent, clean, fit, line_height, wrap

__all__ = ["PercentBasis"]

PercentBasis = Literal["both", "first", "previous", "none"]

# The internal records below are plain slotted classes, not dataclasses:
# creating a dataclass costs about half a millisecond at import, and these are
# never compared, hashed, printed or copied.


class _StageText:
    __slots__ = ("compact", "full", "tooltip", "two")

    def __init__(
        self,
        full: tuple[str, ...],  # name / count / percentages
        two: tuple[str, ...],  # "name: count" / percentages
        compact: tuple[str, ...],  # one-line forms, longest first
        tooltip: str,
    ) -> None:
        self.full = full
        self.two = two
        self.compact = compact
        self.tooltip = tooltip


def _stage_texts(
    funnel: Funnel,
    percent: PercentBasis,
    amount_format: Callable[[float], str] | None,
    style: Style,
) -> list[_StageText]:
    first, step = _rates(funnel.counts.tolist())
    number = fmt_compact if style.number_format == "compact" else fmt_number
    amount_text = amount_format or number
    currency = clean(style.currency)
    if len(currency) > 1:
        currency += " "  # a code, not a sign: "EUR 59.1k"

    def rate_text(rate: float) -> str:
        return fmt_percent(rate, style.percent_digits, floor=style.percent_floor)

    out = []
    for i, stage in enumerate(funnel.stages):
        name = clean(stage.name)
        count = number(stage.count)
        if stage.amount is not None:
            count += " \u00b7 " + currency + clean(amount_text(stage.amount))
        of_first = f"{rate_text(first[i])} of first"
        # The first stage has no previous stage: its label leaves that part out
        # (an em dash would read as "undefined", which is for 0 -> 0 steps).
        of_prev = f"{rate_text(step[i])} of previous" if i > 0 else ""
        pct = {
            "both": f"{of_first} \u00b7 {of_prev}" if of_prev else of_first,
            "first": of_first,
            "previous": of_prev,
            "none": "",
        }[percent]
        full = (name, count, pct) if pct else (name, count)
        primary = {"both": of_first, "first": of_first, "previous": of_prev, "none": ""}[percent]
        # One-line forms, longest first: the percentage goes before the name is cut.
        short = f"{name}: {count}"
        compact = (f"{short} ({primary})", short) if primary else (short,)
        if percent == "both" and of_prev:
            compact = (f"{short} ({of_first} \u00b7 {of_prev})", *compact)
        two = (short, pct) if pct else (short,)
        out.append(_StageText(full, two, compact, ", ".join(full)))
    return out


def _rates(counts: list[float]) -> tuple[list[float], list[float]]:
    """:func:`~salesfunnel.funnel.rates.conversion_from_first` and
    :func:`~salesfunnel.funnel.rates.step_conversion` of these counts, as Python floats.

    The same numbers (one IEEE division each, NaN where the denominator is 0 or
    the quotient overflows), without numpy's cost per call on a few stages; a
    test compares them on random counts.
    """

    def ratio(num: float, den: float) -> float:
        if den == 0:
            return math.nan
        q = num / den
        return math.nan if math.isinf(q) else q

    if not counts:
        return [], []
    first = counts[0]
    of_first = [ratio(c, first) for c in counts]
    step = [1.0 if first > 0 else math.nan]
    step += [ratio(b, a) for a, b in pairwise(counts)]
    return of_first, step


def _luminance(c: Color) -> float:
    return (0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]) / 255.0


class _Pending:
    """An outside label waiting for vertical placement."""

    __slots__ = (
        "_forms",
        "anchor",
        "gw",
        "level",
        "name",
        "size",
        "stage",
        "texts",
        "tooltip",
        "want",
    )

    def __init__(
        self,
        stage: int,
        want: float,  # desired vertical centre
        anchor: tuple[float, float],
        texts: _StageText,
        tooltip: str,
        name: str,
    ) -> None:
        self.stage = stage
        self.want = want
        self.anchor = anchor
        self.texts = texts
        self.tooltip = tooltip
        self.name = name
        self.level = 0  # 0 full, 1 two lines, 2 one line, 3 hidden
        self.size = 0.0  # the text size and gutter width its forms are wrapped to
        self.gw = 0.0
        self._forms: list[tuple[list[str], bool] | None] = [None, None, None, ([], True)]

    def form(self, level: int) -> tuple[list[str], bool]:
        """The label's lines at ``level`` and whether they were cut (:func:`_form`).

        Worked out on first use: most labels are shown full, and their shorter
        forms are never needed.
        """
        made = self._forms[level]
        if made is None:
            made = self._forms[level] = _form(self, level)
        return made


def _inside_label(
    b: _Builder,
    region: tuple[Hashable, int, int],
    cx: float,
    room: tuple[float, float],
    max_width: float,
    hue: float,
    lines: tuple[str, ...],
    tip: str,
    style: Style,
) -> bool:
    """Put the full label inside its slice if it fits there; say whether it did.

    ``region`` is (funnel key, funnel index, stage); ``room`` the free band
    (top, bottom) of the slice, centred on ``cx``, at most ``max_width`` wide;
    ``hue`` the slice's, whose face color picks dark or light text.
    """
    size = style.label_size
    lh = line_height(size)
    block_w = max(advance(s, size) for s in lines)
    block_h = len(lines) * lh
    room_top, room_bottom = room
    if block_w > max_width or block_h > room_bottom - room_top:
        return False
    if b.reach is not None:  # a probe: how far each line reaches, as Text.bounds says
        for s in lines:
            w = advance(s, size)
            x0 = cx - w / 2
            b.reach.append((x0, x0 + w))
        return True
    face = style.face_color(hue)
    color = style.text_color if _luminance(face) > 0.55 else style.light_text_color
    ty0 = (room_top + room_bottom) / 2 - block_h / 2
    rect = HitArea(cx - block_w / 2, ty0, cx + block_w / 2, ty0 + block_h)
    rid = b.region(*region, "label", rect.polygon(), tip)
    for li, s in enumerate(lines):
        baseline = ty0 + li * lh + ascent(size)
        w = advance(s, size)
        b.add(Layer.LABEL, rid, Text(cx, baseline, s, size, color, "middle", w))
    b.add(Layer.LABEL, rid, rect)
    return True


_GAP = 2.0  # layout pixels between stacked outside labels
_HIDDEN = 3  # the level of a hidden label


def _form(p: _Pending, level: int) -> tuple[list[str], bool]:
    """A label's lines at a level (0 full, 1 two lines, 2 one line), wrapped to its
    gutter (``p.gw`` wide, text of ``p.size``), and whether cut."""
    size, gw = p.size, p.gw

    def wrapped(raw_lines: tuple[str, ...]) -> tuple[list[str], bool]:
        """Wrap each line to the gutter; a number line that would be cut is dropped."""
        lines: list[str] = []
        cut = False
        for k, raw in enumerate(raw_lines):
            if k == 0:
                part, part_cut = wrap(raw, size, gw)
                lines += part
                cut = cut or part_cut or not part
                continue
            # Numbers: one piece per line at most; a piece cut short ("100.\u2026")
            # says nothing, so it is dropped instead of shown.
            pieces = raw.split(" \u00b7 ")
            part, _ = wrap(raw, size, gw, max_lines=len(pieces))
            kept = [line for line in part if not line.endswith(ELLIPSIS)]
            cut = cut or len(kept) < len(part) or not part
            lines += kept
        return lines, cut

    if level < 2:
        return wrapped(p.texts.full if level == 0 else p.texts.two)
    fitting = [c for c in p.texts.compact if advance(c, size) <= gw]
    line = fitting[0] if fitting else fit(p.texts.compact[-1], size, gw)
    return ([line] if line else []), True


def _choose_levels(items: list[_Pending], lh: float, room: float, too_narrow: bool) -> None:
    """Set each label's level so that the stack fits ``room``.

    Full labels; else every label two lines, else one line; else hide labels
    (keeping every step-th, the first always) until the rest fit.
    """

    def total(ps: list[_Pending]) -> float:
        heights = [len(p.form(p.level)[0]) * lh for p in ps if p.level < _HIDDEN]
        return sum(heights) + _GAP * max(0, len(heights) - 1)

    if too_narrow:
        for p in items:
            p.level = _HIDDEN
    for level in (1, 2):
        if total(items) > room:
            for p in items:
                p.level = max(p.level, level)
    step = 2
    while total(items) > room and any(p.level < _HIDDEN for p in items):
        for idx, p in enumerate(items):
            p.level = 2 if idx % step == 0 and step <= len(items) else _HIDDEN
        step += 1


def _stack(wants: list[tuple[float, float]], lo: float, hi: float) -> list[float]:
    """Tops of blocks (wanted centre, height) stacked without overlap inside [lo, hi].

    A forward pass pushes blocks down, a backward pass pulls them up.
    """
    tops: list[float] = []
    prev_bottom = lo - _GAP
    for want, h in wants:
        tops.append(max(want - h / 2, lo, prev_bottom + _GAP))
        prev_bottom = tops[-1] + h
    next_top = hi + _GAP
    for idx in range(len(wants) - 1, -1, -1):
        tops[idx] = min(tops[idx], next_top - _GAP - wants[idx][1])
        next_top = tops[idx]
    return tops


def _place_outside(
    b: _Builder,
    key: Hashable,
    j: int,
    items: list[_Pending],
    gutter: tuple[float, float],
    span: tuple[float, float],
    style: Style,
) -> None:
    """Stack outside labels in the gutter: no overlaps, inside ``span``, leaders to stages.

    ``gutter`` is (x, width) of the gutter, ``span`` (lo, hi) its top and bottom.
    """
    (gx, gw), (lo, hi) = gutter, span
    size = style.label_size
    lh = line_height(size)
    for p in items:
        p.size, p.gw = size, gw
    _choose_levels(items, lh, hi - lo, gw < advance("M\u2026", size))
    if b.reach is not None:  # a probe: how far each line reaches, as Text.bounds says
        b.reach += [(gx, gx + advance(s, size)) for p in items for s in p.form(p.level)[0]]
        return
    shown: list[tuple[_Pending, list[str]]] = []
    for p in items:
        lines, cut = p.form(p.level)
        if not lines:
            b.notes.append(LabelNote(key, p.stage, p.name, "hidden"))
            continue
        if cut:
            b.notes.append(LabelNote(key, p.stage, p.name, "shortened"))
        shown.append((p, lines))
    tops = _stack([(p.want, len(lines) * lh) for p, lines in shown], lo, hi)
    for (p, lines), ty0 in zip(shown, tops, strict=True):
        h = len(lines) * lh
        widths = [advance(s, size) for s in lines]
        rect = HitArea(gx - 1, ty0, gx + max(widths) + 1, ty0 + h)
        rid = b.region(key, j, p.stage, "label", rect.polygon(), p.tooltip)
        ax, ay = p.anchor
        if gx - 3 > ax:
            b.add(Layer.LABEL, None, Line(ax, ay, gx - 3, ty0 + h / 2, style.leader_color, 1.0))
        for li, (s, w) in enumerate(zip(lines, widths, strict=True)):
            b.add(
                Layer.LABEL,
                rid,
                Text(gx, ty0 + li * lh + ascent(size), s, size, style.text_color, "start", w),
            )
        b.add(Layer.LABEL, rid, rect)


def _legend_names_agree(funnels: Sequence[tuple[Hashable, Funnel]]) -> bool:
    """True when every funnel's stage names are a prefix of the longest funnel's names.

    A legend entry stands for one stage position in every funnel (its color is
    the position's hue), so it can name that position only if every funnel that
    has it calls it the same. Otherwise the chart has no legend: the labels
    name each funnel's stages, and a legend entry would misname some of them.
    """
    longest = max((f for _, f in funnels), key=len)
    names = [s.name for s in longest.stages]
    return all([s.name for s in f.stages] == names[: len(f)] for _, f in funnels)


def _legend(
    b: _Builder,
    funnels: Sequence[tuple[Hashable, Funnel]],
    n_max: int,
    style: Style,
    area: tuple[float, float, float, float],
) -> float:
    """Lay the legend out in rows at the bottom of ``area`` (left, top, right, bottom).

    Returns the new bottom of the plot area.
    """
    left, top, right, bottom = area
    size = style.legend_size
    lh = line_height(size)
    sw = 0.75 * size
    max_rows = max(0, int((bottom - top) * 0.25 // lh))
    # Every funnel uses the same name at each position (_legend_names_agree).
    longest = max((f for _, f in funnels), key=len)
    names = [clean(stage.name) for stage in longest.stages]
    rows: list[list[tuple[int, str, float]]] = [[]]
    x = left
    for s, name in enumerate(names):
        shown = fit(name, size, right - left - sw - 6)
        if shown is None:
            b.notes.append(LabelNote(None, s, name, "hidden", "legend"))
            continue
        w = sw + 4 + advance(shown, size)
        if rows[-1] and x + w > right:
            rows.append([])
            x = left
        rows[-1].append((s, shown, w))
        x += w + 14
        if shown != name:
            b.notes.append(LabelNote(None, s, name, "shortened", "legend"))
    if not rows[0]:
        return bottom
    kept = rows[:max_rows]
    for row in rows[max_rows:]:
        for s, _, _ in row:
            b.notes.append(LabelNote(None, s, names[s], "hidden", "legend"))
    if not kept:
        return bottom
    y_top = bottom - len(kept) * lh
    for r, row in enumerate(kept):
        row_w = sum(w for _, _, w in row) + 14 * (len(row) - 1)
        x = (left + right) / 2 - row_w / 2
        yt = y_top + r * lh
        for s, shown, w in row:
            hue = style.hue(s, n_max)
            box = HitArea(x, yt, x + w, yt + lh)
            rid = b.region(None, None, s, "legend", box.polygon(), names[s])
            sy = yt + (lh - sw) / 2
            b.add(Layer.LEGEND, rid, Rect(x, sy, x + sw, sy + sw, style.face_color(hue)))
            b.add(
                Layer.LEGEND,
                rid,
                Text(
                    x + sw + 4,
                    yt + (lh - size) / 2 + ascent(size),
                    shown,
                    size,
                    style.text_color,
                    "start",
                    w - sw - 4,
                ),
            )
            b.add(Layer.LEGEND, rid, box)
            x += w + 14
    return y_top - 6


def _caption(
    b: _Builder, text: str, style: Style, area: tuple[float, float, float, float]
) -> float:
    """A caption line at the bottom of ``area``, if it fits; return the new bottom."""
    left, top, right, bottom = area
    size = style.legend_size
    shown = fit(text, size, right - left)
    if not shown or bottom - line_height(size) < top + 2 * line_height(size):
        return bottom  # no room: the description still says it
    w = advance(shown, size)
    y = bottom - line_height(size)
    b.add(
        Layer.LEGEND,
        None,
        Text((left + right) / 2, y + ascent(size), shown, size, style.text_color, "middle", w),
    )
    return y - 4


def _title(
    b: _Builder, title: str, style: Style, width: float, area: tuple[float, float, float, float]
) -> float:
    """The chart title at the top, if it fits; return the new top of the plot area."""
    left, top, right, bottom = area
    ts = style.title_size
    shown = fit(title, ts, right - left)
    if shown and top + 2 * line_height(ts) <= bottom:  # leave room for a funnel
        w = advance(shown, ts)
        b.add(
            Layer.TITLE,
            None,
            Text(width / 2, top + ascent(ts), shown, ts, style.text_color, "middle", w),
        )
        top += line_height(ts) + 6
    return top
