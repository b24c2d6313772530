"""The vectorised core of the deal-history analytics (private).

One pass sorts the events by (deal, time, label code) and every per-deal fact
is then read off the sorted columns with ``reduceat`` and fancy indexing, with
no Python loop over deals or events. The sort key is one packed int64 when the
fields fit in 63 bits (``np.sort`` of a single integer column is the fastest
sort numpy has), else a ``np.lexsort`` over the columns.

Order of a deal's events: by time; at equal times, by label code (pipeline
order: stages, then won, lost, frozen), so the result never depends on the
order of the input rows.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ..errors import FunnelDataError
from .log import DealLog
from .pipeline import Pipeline

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]

_MIN = np.iinfo(np.int64).min
DAY_S = 86_400


def label_codes(log: DealLog, pipeline: Pipeline | None) -> tuple[Pipeline, npt.NDArray[np.int8]]:
    """The log's label codes re-expressed in ``pipeline`` (default: the log's own)."""
    if pipeline is None or pipeline == log.pipeline:
        return log.pipeline, log.code
    if not isinstance(pipeline, Pipeline):
        msg = f"pipeline must be a Pipeline or None (got {type(pipeline).__name__})"
        raise FunnelDataError(msg)
    old = log.pipeline.labels
    present = np.unique(log.code)
    missing = [old[c] for c in present if old[c] not in pipeline]
    if missing:
        msg = f"the log has labels {missing!r} that the given pipeline lacks"
        raise FunnelDataError(msg)
    lut = np.array([pipeline.code(lab) if lab in pipeline else -1 for lab in old], np.int8)
    return pipeline, lut[log.code]


def _bits(n: int) -> int:
    return max(int(n).bit_length(), 1)


class Events:
    """Kept events sorted by (deal, time, code), with per-deal group bounds.

    The sorted events live in one packed int64 ``key``; a column (``deal``,
    ``code``, ``lo``, ``known``, ``owner``) is unpacked only when asked for and
    then cached, and :meth:`at` unpacks a field at a few positions (say each
    deal's last event) without building the whole column.
    """

    __slots__ = (
        "_at_cache",
        "_cache",
        "_key",
        "_layout",
        "amount",
        "ends",
        "starts",
        "unknown",
        "unknown_by_owner",
    )

    def __init__(
        self,
        key: I64 | None,
        layout: tuple[int, int, int, int, int],
        columns: dict[str, np.ndarray],
        amount: F64 | None,
        starts: I64,
        ends: I64,
        unknown: int,
        unknown_by_owner: I64 | None = None,
    ) -> None:
        self._key = key
        self._layout = layout  # (n_time, n_codes, n_undated, n_owner, time base)
        self._cache = columns
        self._at_cache: dict[str, np.ndarray] = {}
        self.amount = amount
        self.starts = starts  # index of each deal's first event
        self.ends = ends  # index of each deal's last event
        self.unknown = unknown  # deals left out because an undated event straddles the bound
        self.unknown_by_owner = unknown_by_owner  # the same, per owner code

    def _unpack(self, key: I64, name: str, fresh: bool = False) -> np.ndarray:
        # In-place operations on one fresh array: each field costs two or three passes.
        # ``fresh``: ``key`` is the caller's own copy, so a time is unpacked in it.
        n_time, n_codes, n_und, n_owner, base = self._layout
        low = n_und + n_owner
        if name in ("owner", "code") and low + n_codes <= 8:
            # The field lies in the key's low byte: one narrowing cast reads the
            # 8-byte keys once, and the masking runs on 1-byte values.
            byte = key.astype(np.uint8)
            if name == "owner":
                byte &= (1 << n_owner) - 1
                return byte.astype(np.int32)
            byte >>= low
            byte &= (1 << n_codes) - 1  # the time field's lowest bits sit above
            return byte.view(np.int8)  # label codes are int8 to begin with
        if name == "owner":
            return (key & ((1 << n_owner) - 1)).astype(np.int32)
        if name == "known":
            if not n_und:
                return np.ones(len(key), dtype=bool)
            known: B = (key & (1 << n_owner)) == 0
            return known
        if name == "code":
            field = key >> low if low else key.copy()
            field &= (1 << n_codes) - 1
            return field.astype(np.int8)
        if name == "lo":
            field = np.right_shift(key, low + n_codes, out=key if fresh else None)
            field &= (1 << n_time) - 1
            if n_und:
                return np.where(field == 0, _MIN, field + base)
            field += base
            return field
        return key >> (low + n_codes + n_time)  # deal

    def column(self, name: str) -> np.ndarray:
        """One whole sorted column, unpacked once."""
        col = self._cache.get(name)
        if col is None:
            assert self._key is not None
            col = self._cache[name] = self._unpack(self._key, name)
        return col

    def at(self, name: str, index: I64 | B) -> np.ndarray:
        """The field ``name`` at the sorted positions ``index`` (or where a mask is True)."""
        col = self._cache.get(name)
        if col is not None or self._key is None:
            return self.column(name)[index]
        return self._unpack(self._key[index], name, fresh=True)

    def forget(self, *names: str) -> None:
        """Drop cached per-event arrays (``"group"``, unpacked columns) a caller is done
        with, to lower its peak memory; they are rebuilt if asked for again. Columns
        that cannot be rebuilt (no packed key) stay."""
        for name in names:
            self._at_cache.pop(name, None)
            if self._key is not None:
                self._cache.pop(name, None)

    def _edge(self, name: str, which: str) -> np.ndarray:
        slot = f"{which}:{name}"
        col = self._at_cache.get(slot)
        if col is None:
            index = self.starts if which == "first" else self.ends
            if self._key is None or name in self._cache:
                col = self.column(name)[index]
            else:
                keys = self._at_cache.get(which)
                if keys is None:
                    keys = self._at_cache[which] = self._key[index]
                col = self._unpack(keys, name)
            self._at_cache[slot] = col
        return col

    def first(self, name: str) -> np.ndarray:
        """Per deal, the field ``name`` of its first event (cached)."""
        return self._edge(name, "first")

    def last(self, name: str) -> np.ndarray:
        """Per deal, the field ``name`` of its last event (cached)."""
        return self._edge(name, "last")

    @property
    def all_known(self) -> bool:
        """True when every kept event is dated."""
        if self._layout[2] == 0 and "known" not in self._cache:
            return True
        return bool(self.known.all())

    def open_codes(self, n_stages: int) -> npt.NDArray[np.int8]:
        """Per sorted event, its code if an open stage, else -1 (cached).

        When code, undated flag and owner fit in the key's low byte, one cast
        to uint8 and a few in-place passes on bytes replace the unpacking.
        """
        slot = f"open:{n_stages}"
        cached = self._at_cache.get(slot)
        if cached is None:
            cached = self._at_cache[slot] = self._open_codes(n_stages)
        return cached

    def group(self) -> npt.NDArray[np.int32]:
        """Per sorted event, the index of its deal among the kept deals (cached)."""
        cached = self._at_cache.get("group")
        if cached is None:
            # A running count of deal starts: two passes, unlike np.repeat's loop per deal.
            cached = np.zeros(len(self.code) if self._key is None else len(self._key), np.int32)
            cached[self.starts[1:]] = 1
            np.cumsum(cached, out=cached)
            self._at_cache["group"] = cached
        return cached

    def _open_codes(self, n_stages: int) -> npt.NDArray[np.int8]:
        _, n_codes, n_und, n_owner, _ = self._layout
        if self._key is not None and n_codes + n_und + n_owner <= 8:
            # Arithmetic on the key's low byte, in place on 1-byte values: a
            # 256-entry lookup table would first widen every index to 8 bytes.
            byte = self._key.astype(np.uint8)
            byte >>= n_und + n_owner
            byte &= (1 << n_codes) - 1
            byte += 1  # open stage c -> c + 1 (at most n_stages); outcomes above
            byte *= byte <= n_stages  # outcomes -> 0
            byte -= 1  # back to c; 0 wraps to 255, which reads as -1 in int8
            return byte.view(np.int8)
        small = np.full(max(1 << n_codes, n_stages), -1, dtype=np.int8)
        small[:n_stages] = np.arange(n_stages, dtype=np.int8)
        return small[self.code]

    @property
    def deal(self) -> I64:
        """Deal code per sorted event."""
        return self.column("deal")

    @property
    def code(self) -> npt.NDArray[np.int8]:
        """Label code per sorted event."""
        return self.column("code")

    @property
    def lo(self) -> I64:
        """Ordering time in seconds (the exact time for dated events)."""
        return self.column("lo")

    @property
    def known(self) -> B:
        """Whether the event's own time is known."""
        return self.column("known")

    @property
    def owner(self) -> npt.NDArray[np.int32] | None:
        """Owner code per sorted event (``None`` without owners)."""
        if self._layout[3] == 0 and "owner" not in self._cache:
            return None
        return self.column("owner")

    def owner_at(self, index: I64) -> npt.NDArray[np.int32]:
        """Owner codes at sorted positions (the log must have owners)."""
        return self.at("owner", index)


def sorted_events(
    log: DealLog,
    codes: npt.NDArray[np.int8],
    *,
    upto: int | None = None,
    inclusive: bool = True,
    amount: bool = False,
    _ties_by_row: bool = False,
) -> Events:
    """Events at or before ``upto`` (or strictly before, ``inclusive=False``).

    Events of one deal at one time and stage (ties) keep their row order, with
    or without owners: the owner (or any breakdown code) is carried in the key
    but never decides the order, so a breakdown counts the same event as the
    analysis without it.

    (Long: over 80 lines on purpose. The selection, the packing of the key and its
    sort run in place on a few arrays that are freed as soon as possible, which
    keeps the peak memory near one int64 column at 1e7 events; helpers would
    hold their arguments alive.)

    An undated event is kept when its ordering bounds put it surely on the
    kept side of ``upto`` and dropped when surely on the other; a deal with an
    event that may fall on either side is left out and counted in
    ``unknown``.
    """
    deal, (lo, hi), offset = log.deal, log.order_bounds, log.deal_offset
    code: npt.NDArray[np.integer] = codes
    owner, amt = log.owner, (log.amount if amount else None)
    has_undated = log.has_undated
    undated = np.isnat(log.time) if has_undated else None
    unknown = 0
    unknown_by_owner = None if owner is None else np.zeros(len(log.owners), dtype=np.int64)
    if upto is not None:
        keep = hi <= upto if inclusive else hi < upto
        if has_undated:
            maybe = ~keep & ((lo <= upto) if inclusive else (lo < upto))
            if maybe.any():
                bad = np.zeros(log.deal_bound, dtype=bool)
                bad[deal[maybe] - offset] = True
                unknown = int(np.count_nonzero(bad))
                left_out = bad[deal - offset]
                if owner is not None:
                    # Each left-out deal counts once, for the owner on one of its events.
                    rows = np.flatnonzero(left_out)
                    _, first = np.unique(deal[rows], return_index=True)
                    unknown_by_owner = np.bincount(owner[rows[first]], minlength=len(log.owners))
                keep &= ~left_out
        if not keep.all():
            deal, lo, code = deal[keep], lo[keep], code[keep]
            undated = None if undated is None else undated[keep]
            owner = None if owner is None else owner[keep]
            amt = None if amt is None else amt[keep]
    n = len(deal)
    n_owner = 0 if owner is None else _bits(len(log.owners))
    # Ties of different owners found after a first sort: sort without the owner,
    # stably, then put the owner back into the key (see the end of the branch).
    late_owner, owner = (owner, None) if _ties_by_row else (None, owner)
    if n == 0:
        empty = np.zeros(0, np.int64)
        cols: dict[str, np.ndarray] = {
            "deal": empty,
            "code": np.zeros(0, np.int8),
            "lo": empty,
            "known": np.zeros(0, bool),
        }
        if owner is not None:
            cols["owner"] = np.zeros(0, np.int32)
        amt0 = None if amt is None else np.zeros(0, np.float64)
        layout0 = (1, 1, 0, n_owner, 0)
        return Events(None, layout0, cols, amt0, empty, empty, unknown, unknown_by_owner)
    rel: I64 | None = None
    if undated is not None:
        placed = lo != _MIN
        base = int(lo[placed].min()) - 1 if placed.any() else 0
        rel = np.where(placed, lo - base, 0)
        n_time = _bits(int(rel.max()))
    else:
        # Times enter the key as lo - base, added in place (no temporary column).
        base = int(lo.min()) - 1
        n_time = _bits(int(lo.max()) - base)
    n_codes = _bits(int(code.max()))
    n_und = 0 if undated is None else 1
    layout = (n_time, n_codes, n_und, n_owner, base)
    if _bits(log.deal_bound) + n_time + n_codes + n_und + n_owner <= 63:
        # Pack (deal, time, code, undated, owner) into one int64 and sort that: one
        # integer column sorts far faster than a lexsort, and every field unpacks back.
        # The fields are shifted in place on a single array to keep memory flat.
        if offset:
            key = np.subtract(deal, offset)
            key <<= n_time
        else:
            key = np.left_shift(deal, n_time)
        if rel is None:
            key += lo
            key -= base
        else:
            key |= rel
            del rel
        n_low = n_codes + n_und + (0 if owner is None else n_owner)
        if n_low <= 15:
            # Assemble the low fields in a 2-byte array: two passes over the
            # 8-byte key instead of six.
            low = code.astype(np.int16)
            if undated is not None:
                low <<= 1
                low |= undated
            if owner is not None:
                low <<= n_owner
                low |= owner.astype(np.int16, copy=False)
            key <<= n_low
            key |= low
            del low
        else:  # pragma: no cover - needs more than 2**10 owners
            key <<= n_codes
            key |= code
            if undated is not None:
                key <<= 1
                key |= undated
            if owner is not None:
                key <<= n_owner
                key |= owner
        s_amt = None
        if late_owner is not None:
            perm = np.argsort(key, kind="stable")
            key = key[perm]
            key <<= n_owner
            key |= late_owner[perm]
            s_amt = None if amt is None else amt[perm]
            del perm
        elif amt is not None:
            perm = np.argsort(key, kind="stable")
            key = key[perm]
            s_amt = amt[perm]
        elif not _is_sorted(key):  # rows grouped by deal and time need no sort
            key.sort()
        if owner is not None and _owner_decides_a_tie(key, n_owner):
            del key, s_amt
            return sorted_events(
                log, codes, upto=upto, inclusive=inclusive, amount=amount, _ties_by_row=True
            )
        sorted_key: I64 | None = key
        s_deal = key >> (n_time + n_codes + n_und + n_owner)
        cols = {}  # every column unpacks from the key on demand
    else:  # pragma: no cover - needs a time span of centuries in seconds
        und = np.zeros(n, bool) if undated is None else undated
        perm = np.lexsort((und, code, lo, deal))
        sorted_key = None
        s_deal = deal[perm].astype(np.int64) - offset
        cols = {
            "deal": s_deal,
            "code": code[perm].astype(np.int8),
            "lo": lo[perm],
            "known": ~und[perm],
        }
        if owner is not None:
            cols["owner"] = owner[perm].astype(np.int32)
        s_amt = None if amt is None else amt[perm]
    flag = np.empty(n, dtype=bool)
    flag[0] = True
    np.not_equal(s_deal[1:], s_deal[:-1], out=flag[1:])
    starts = np.flatnonzero(flag)
    del flag
    ends = np.empty_like(starts)
    np.subtract(starts[1:], 1, out=ends[:-1])  # no temporary column
    ends[-1] = n - 1
    return Events(sorted_key, layout, cols, s_amt, starts, ends, unknown, unknown_by_owner)


def _owner_decides_a_tie(key: I64, n_owner: int, chunk: int = 1 << 20) -> bool:
    """Whether two neighbouring sorted keys differ in the owner field only.

    Such a pair is a tie (one deal, time, stage) that the sort put in owner
    order rather than row order. Runs in chunks to keep the temporary small.
    """
    below = np.uint64((1 << n_owner) - 1)
    for i in range(0, len(key) - 1, chunk):
        b = key[i + 1 : i + 1 + chunk]
        x = np.bitwise_xor(key[i : i + len(b)], b).view(np.uint64)
        x -= np.uint64(1)  # 0 (equal keys) wraps to the top and is not counted
        if bool((x < below).any()):
            return True
    return False


def _is_sorted(key: I64) -> bool:
    """Whether ``key`` is non-decreasing: one pass, where sorting sorted keys costs a full sort."""
    return bool(np.greater_equal(key[1:], key[:-1]).all())


def deals_with_event_from(log: DealLog, t: int) -> B:
    """Per deal code, whether the deal has an event surely at or after ``t``."""
    lo, _ = log.order_bounds
    out = np.zeros(log.deal_bound, dtype=bool)
    out[log.deal[lo >= t] - log.deal_offset] = True
    return out


def furthest_open(ev: Events, n_stages: int) -> npt.NDArray[np.int8]:
    """Per deal, the highest open-stage code among its events (-1 if none)."""
    return np.maximum.reduceat(ev.open_codes(n_stages), ev.starts)


def entered_bits(ev: Events) -> I64:
    """Per deal, a bit mask of the label codes it has events for."""
    bits = np.left_shift(np.int64(1), ev.code.astype(np.int64))  # int8 would overflow
    return np.bitwise_or.reduceat(bits, ev.starts)


def strict_depth(ev: Events, n_stages: int) -> I64:
    """Per deal, the largest j such that codes 0, 1, ..., j occur in order.

    Code ``n_stages`` (won) is the last step of the chain. -1 when the deal's
    first stage never occurs.
    """
    n = len(ev.code)
    n_deals = len(ev.starts)
    group = group_of_events(ev)
    idx = np.arange(n, dtype=np.int64)
    big = np.int64(n)
    pos = np.full(n_deals, -1, dtype=np.int64)
    depth = np.full(n_deals, -1, dtype=np.int64)
    alive = np.ones(n_deals, dtype=bool)
    for j in range(n_stages + 1):
        cand = np.where((ev.code == j) & (idx > pos[group]), idx, big)
        first = np.minimum.reduceat(cand, ev.starts)
        found = alive & (first < big)
        depth[found] = j
        pos = np.where(found, first, pos)
        alive = found
    return depth


def reach_so_far(ev: Events, won_code: int) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.int8]]:
    """Per event, its deal's reach + 1 up to it (``now``) and up to the event before.

    Reach + 1 is 0 before any open stage, ``c + 1`` after open stage ``c``,
    ``won_code + 1`` once won (lost and frozen reach nothing). ``before`` is
    0 at a deal's first event. A running maximum of (deal, reach + 1) over
    all the events, which never decreases as the deals come in order: a few
    passes over narrow columns, where a ``reduceat`` per stage paid a call
    per deal.
    """
    code = ev.code
    shift = int(won_code + 1).bit_length()
    group = ev.group()
    wide = np.int32 if (len(ev.starts) << shift) < 2**31 else np.int64
    run = np.left_shift(group, shift, dtype=wide)
    reach1 = code + np.int8(1)  # 1 + code for the open stages and won
    reach1[code > won_code] = 0  # lost and frozen reach nothing
    run |= reach1
    del reach1
    np.maximum.accumulate(run, out=run)
    run &= (1 << shift) - 1
    now = run.astype(np.int8)
    del run
    before = np.empty_like(now)
    before[1:] = now[:-1]
    before[ev.starts] = 0
    return now, before


def last_amount(ev: Events) -> F64:
    """Per deal, the amount of its last event with a known amount (NaN if none)."""
    assert ev.amount is not None
    idx = np.where(np.isnan(ev.amount), -1, np.arange(len(ev.amount)))
    last = np.maximum.reduceat(idx, ev.starts)
    out = np.full(len(ev.starts), np.nan)
    ok = last >= 0
    out[ok] = ev.amount[last[ok]]
    return out


def group_of_events(ev: Events) -> npt.NDArray[np.int32]:
    """Per sorted event, the index of its deal's group."""
    return ev.group()


def stage_times(ev: Events, chosen: B, n_stages: int) -> list[tuple[I64, I64, B]]:
    """Per open stage: the summed visit time (s) of each chosen deal that visited it.

    A visit to a stage lasts from its event to the deal's next event, so the
    span after a won, lost or frozen event counts in no stage. Returns, per
    stage, (deal groups, totals, known) over the chosen deals that visited it,
    where ``known`` is False when any visit had an undated end.
    """
    open_code = ev.open_codes(n_stages)
    all_groups = ev.group()
    cand = chosen[all_groups]
    cand &= open_code >= 0
    cand[ev.ends] = False  # a deal's last event has no next event
    v = np.flatnonzero(cand)
    del cand
    group = all_groups[v]
    nxt = v + 1
    dur = ev.at("lo", nxt)
    dur -= ev.at("lo", v)
    if ev.all_known:
        ok = np.ones(v.size, dtype=bool)
    else:
        ok = ev.at("known", v) & ev.at("known", nxt)
        dur[~ok] = 0
    del nxt
    stage = open_code[v].astype(np.int16)
    del open_code
    # A stable radix sort by stage keeps each stage's visits in deal order.
    order = np.argsort(stage, kind="stable")
    bounds = np.zeros(n_stages + 1, dtype=np.int64)
    np.cumsum(np.bincount(stage, minlength=n_stages), out=bounds[1:])
    group, dur, ok = group[order], dur[order], ok[order]
    out: list[tuple[I64, I64, B]] = []
    for j in range(n_stages):
        a, b = int(bounds[j]), int(bounds[j + 1])
        if a == b:
            out.append((np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, bool)))
            continue
        g = group[a:b]
        first = np.flatnonzero(np.concatenate(([True], g[1:] != g[:-1])))
        groups = g[first].astype(np.int64)
        out.append(
            (groups, np.add.reduceat(dur[a:b], first), np.logical_and.reduceat(ok[a:b], first))
        )
    return out
