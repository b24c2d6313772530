"""Self-contained HTML pages: one file, no network, no external scripts or fonts.

Click-through works on any element that carries ``data-funnel`` and
``data-stage`` inside a ``[data-chart]`` block: SVG shapes, and ``<area>``
elements of an image map. The deals behind every (chart, funnel, stage) are
embedded as compact JSON (each deal once, in columns; see :func:`compact_deals`),
parsed on the first click; a click, Enter or Space lists them in the deals
panel, a page of 100 rows at a time.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .._format import escape_html, json_text

__all__ = ["compact_deals", "escape", "expand_deals", "json_script", "page", "table"]


escape = escape_html
"""Escape user text for HTML content and quoted attributes (see ``_format.escape_html``)."""


def _dumps(payload: Any) -> str:
    return json.dumps(
        payload, ensure_ascii=False, allow_nan=False, sort_keys=True, separators=(",", ":")
    )


def json_script(element_id: str, payload: Any) -> str:
    """A ``<script type="application/json">`` block that no data can break out of."""
    text = json_text(_dumps(payload))
    # "</script" or "<!--" inside a string would end or confuse the element.
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return f'<script type="application/json" id="{escape(element_id)}">{text}</script>'


def table(
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    caption: str | None = None,
    numeric: Sequence[bool] | None = None,
) -> str:
    """A plain HTML table; every cell is escaped."""
    num = list(numeric) if numeric is not None else [False] * len(headers)
    head = "".join(
        f'<th scope="col"{" class=num" if n else ""}>{escape(h)}</th>'
        for h, n in zip(headers, num, strict=True)
    )
    body = "".join(
        "<tr>"
        + "".join(
            f"<td{' class=num' if n else ''}>{escape(c)}</td>"
            for c, n in zip(row, num, strict=True)
        )
        + "</tr>"
        for row in rows
    )
    cap = f"<caption>{escape(caption)}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


_CSS = """
:root{--fg:#1d2330;--muted:#5b6475;--line:#d9dde5;--accent:#1f6feb;--bg:#fff;--panel:#f6f8fa}
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;
color:var(--fg);background:var(--bg)}
main{max-width:1200px;margin:0 auto;padding:24px}
h1{font-size:26px;margin:0 0 4px}h2{font-size:20px;margin:32px 0 8px;border-bottom:1px solid
var(--line);padding-bottom:4px}h3{font-size:16px;margin:16px 0 6px}
.lede{color:var(--muted);margin:0 0 16px}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(380px,1fr));gap:16px}
figure{margin:0;background:var(--panel);border:1px solid var(--line);border-radius:8px;padding:8px}
figure svg,figure img{display:block;width:100%;height:auto}
figcaption{font-size:13px;color:var(--muted);padding:4px 2px 0}
table{border-collapse:collapse;margin:8px 0 16px;font-size:14px}
caption{text-align:left;font-weight:600;padding:4px 0}
th,td{border-bottom:1px solid var(--line);padding:4px 10px;text-align:left}
th.num,td.num{text-align:right;font-variant-numeric:tabular-nums}
[data-stage]{cursor:pointer}
[data-stage]:focus-visible{outline:3px solid var(--accent);outline-offset:1px}
[data-stage]:focus:not(:focus-visible){outline:none}
#sf-deals{position:sticky;bottom:0;background:var(--bg);border-top:2px solid var(--accent);
max-height:45vh;overflow:auto;padding:8px 24px;display:none}
#sf-deals.open{display:block}
#sf-deals-close{float:right}
#sf-deals th{cursor:pointer}
#sf-deals-pager{margin:0 0 4px}
#sf-deals th[aria-sort=ascending]::after{content:' \\25B2'}
#sf-deals th[aria-sort=descending]::after{content:' \\25BC'}
.sf-selected{filter:brightness(1.12) drop-shadow(0 0 3px #1f6feb)}
.note{color:var(--muted);font-size:13px}
.bar{display:inline-block;height:10px;background:var(--accent);border-radius:2px}
"""

_JS = """
(function(){
  // Titles and counts are read at load (small); the deals and the rows behind each
  // stage only on the first click, so a report of many deals paints at once.
  var index = JSON.parse(document.getElementById('sf-index').textContent);
  var data = null, table = null;
  var PAGE = 100;
  var panel = document.getElementById('sf-deals');
  var body = document.getElementById('sf-deals-body');
  var title = document.getElementById('sf-deals-title');
  var pager = document.getElementById('sf-deals-pager');
  var prev = document.getElementById('sf-deals-prev');
  var next = document.getElementById('sf-deals-next');
  var where = document.getElementById('sf-deals-where');
  function esc(s){ return String(s).replace(/[&<>"']/g, function(c){
    return {'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'}[c]; }); }
  function num(n){ return n.toLocaleString('en-US'); }
  // A column is a plain list, or {values, codes} when its values repeat (dictionary-coded).
  // Or {split: [heads, tails]}: text cut at its first space, each part a column.
  function column(c){
    if(!c || Array.isArray(c)){ return c || []; }
    if(c.split){
      var tails = column(c.split[1]);
      return column(c.split[0]).map(function(h, i){
        return tails[i] == null ? h : h + ' ' + tails[i];
      });
    }
    return c.codes.map(function(k){ return k == null ? null : c.values[k]; });
  }
  function load(){
    if(data){ return; }
    data = JSON.parse(document.getElementById('sf-data').textContent);
    var d = data.deals;
    table = {id: d.id, owner: column(d.owner), amount: column(d.amount), first: column(d.first),
             last: column(d.last), status: column(d.status)};
  }
  // Rows of a stage are positions in the deals table, each stored as the difference
  // from the one before (small numbers for lists in table order).
  function rowsOf(key){
    var out = [], at = 0;
    (data.rows[key] || []).forEach(function(step){ at += step; out.push(at); });
    return out;
  }
  // Rows of the open panel: [id, owner, amount, first, last, status]; sortable by any column.
  var current = [], sortCol = -1, sortDir = 1, start = 0;
  var heads = panel.querySelectorAll('thead th');
  function rowHtml(r){
    return '<tr data-deal="' + esc(r[0]) + '"><td>' + esc(r[0]) + '</td><td>' + esc(r[1]) +
      '</td><td class="num">' + esc(r[2] == null ? '\u2014' : r[2]) + '</td><td>' + esc(r[3]) +
      '</td><td>' + esc(r[4]) + '</td><td>' + esc(r[5]) + '</td></tr>';
  }
  // Only one page of rows is in the document at a time.
  function render(){
    var shown = current.slice(start, start + PAGE);
    body.innerHTML = shown.map(rowHtml).join('');
    pager.hidden = current.length <= PAGE;
    where.textContent = current.length ? num(start + 1) + '\u2013' + num(start + shown.length) +
      ' of ' + num(current.length) : '';
    prev.disabled = start === 0;
    next.disabled = start + PAGE >= current.length;
  }
  function turn(by){
    var to = start + by * PAGE;
    if(to < 0 || to >= current.length){ return; }
    start = to;
    render();
    panel.scrollTop = 0;  // the new page from its first row (the pager sits above it)
  }
  prev.addEventListener('click', function(){ turn(-1); });
  next.addEventListener('click', function(){ turn(1); });
  function cmp(a, b){
    var x = a[sortCol], y = b[sortCol];
    if(x == null && y == null){ return 0; }
    if(x == null){ return 1; }  // unknown amounts last, whatever the direction
    if(y == null){ return -1; }
    if(typeof x === 'number' && typeof y === 'number'){ return sortDir * (x - y); }
    return sortDir * String(x).localeCompare(String(y), undefined, {numeric: true});
  }
  function sortBy(i){
    sortDir = (sortCol === i) ? -sortDir : 1;
    sortCol = i;
    current.sort(cmp);
    heads.forEach(function(th, j){
      th.setAttribute('aria-sort', j !== i ? 'none' : (sortDir > 0 ? 'ascending' : 'descending'));
    });
    start = 0;
    render();
  }
  heads.forEach(function(th, i){
    th.tabIndex = 0;
    th.setAttribute('aria-sort', 'none');
    th.addEventListener('click', function(){ sortBy(i); });
    th.addEventListener('keydown', function(ev){
      if(ev.key === 'Enter' || ev.key === ' '){ ev.preventDefault(); sortBy(i); }
    });
  });
  function show(chart, funnel, stage){
    var key = chart + '|' + funnel + '|' + stage;
    var entry = index.stages[key];
    if(!entry){ return; }
    load();
    title.textContent = entry.title + ': ' + num(entry.n) + ' @NOUN@' + (entry.n === 1 ? '' : 's');
    current = rowsOf(key).map(function(k){
      var amount = table.amount[k];
      return [table.id[k], table.owner[k] || '', amount == null ? null : amount,
              table.first[k] || '', table.last[k] || '', table.status[k] || ''];
    });
    sortCol = -1;
    start = 0;
    heads.forEach(function(th){ th.setAttribute('aria-sort', 'none'); });
    render();
    // Mark the chosen stage in its chart (image-map areas cannot be styled).
    document.querySelectorAll('.sf-selected').forEach(function(el){
      el.classList.remove('sf-selected');
    });
    document.querySelectorAll('[data-chart] [data-stage]').forEach(function(el){
      var t = target(el);
      if(t && t.join('|') === key && el.tagName.toLowerCase() !== 'area'){
        el.classList.add('sf-selected');
      }
    });
    panel.classList.add('open');
    panel.setAttribute('data-key', key);
  }
  function target(el){
    var hit = el.closest ? el.closest('[data-stage]') : null;
    if(!hit){ return null; }
    var chart = hit.closest('[data-chart]');
    if(!chart){ return null; }
    return [chart.getAttribute('data-chart'), hit.getAttribute('data-funnel') || '',
            hit.getAttribute('data-stage')];
  }
  // One keyboard stop per (chart, funnel, stage): the largest side shape that carries it
  // (else the largest shape), so the focus ring is drawn around the visible stage, not a
  // tiny hit helper or a label. Image-map areas are focusable links already.
  var best = {}, order = [];
  document.querySelectorAll('[data-chart] [data-stage]').forEach(function(el){
    if(el.tagName.toLowerCase() === 'area'){ return; }
    var t = target(el);
    var key = t.join('|');
    var box = el.getBoundingClientRect();
    var size = box.width * box.height + (el.getAttribute('data-part') === 'side' ? 1e9 : 0);
    if(!(key in best)){ order.push(key); }
    if(!(key in best) || size > best[key].size){ best[key] = {el: el, size: size}; }
  });
  order.forEach(function(key){
    var el = best[key].el;
    var entry = index.stages[key];
    el.setAttribute('tabindex', '0');
    el.setAttribute('role', 'button');
    if(entry){
      el.setAttribute('aria-label', entry.title + ': list ' + num(entry.n) + ' @NOUN@' +
        (entry.n === 1 ? '' : 's'));
    }
  });
  // Stages without deals data keep their link's own behaviour (e.g. a jump to a table row).
  function known(t){ return t && index.stages[t.join('|')]; }
  document.addEventListener('click', function(ev){
    var t = target(ev.target);
    if(known(t)){ ev.preventDefault(); show(t[0], t[1], t[2]); }
  });
  document.addEventListener('keydown', function(ev){
    if(ev.key !== 'Enter' && ev.key !== ' '){ return; }
    var t = target(ev.target);
    if(known(t)){ ev.preventDefault(); show(t[0], t[1], t[2]); }
  });
  document.getElementById('sf-deals-close').addEventListener('click', function(){
    panel.classList.remove('open');
    document.querySelectorAll('.sf-selected').forEach(function(el){
      el.classList.remove('sf-selected');
    });
  });
})();
"""

_FIELDS = ("owner", "amount", "first", "last", "status")
_HEADERS = ("deal", "owner", "amount", "first event", "last event", "status")


def _coded(values: Sequence[Any]) -> Any:
    """A column as a plain list, or dictionary-coded when that is shorter (repeated values)."""
    codes: dict[Any, int] = {}
    coded = [None if v is None else codes.setdefault(v, len(codes)) for v in values]
    if 2 * len(codes) >= len(values):
        return list(values)
    return {"codes": coded, "values": list(codes)}


def _column(values: Sequence[Any]) -> Any:
    """:func:`_coded`, or, when shorter, text split at its first space into two coded columns.

    Timestamps (``2026-05-21 09:34:42``) seldom repeat whole, but their days and
    their times of day do.
    """
    plain = _coded(values)
    if not any(isinstance(v, str) and " " in v for v in values):
        return plain
    if not all(v is None or isinstance(v, str) for v in values):
        return plain
    cut = [None if v is None else v.split(" ", 1) for v in values]
    heads = [None if c is None else c[0] for c in cut]
    tails = [None if c is None or len(c) == 1 else c[1] for c in cut]
    split = {"split": [_coded(heads), _coded(tails)]}
    return split if len(_dumps(split)) < len(_dumps(plain)) else plain


def _decoded(col: Any) -> list[Any]:
    if isinstance(col, list):
        return col
    if "split" in col:
        heads, tails = (_decoded(c) for c in col["split"])
        return [h if t is None else f"{h} {t}" for h, t in zip(heads, tails, strict=True)]
    return [None if k is None else col["values"][k] for k in col["codes"]]


def compact_deals(
    stage_deals: Mapping[str, Any], deals: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The page's two embedded blocks: ``(index, data)``.

    ``index`` is ``{"stages": {key: {"title", "n"}}}``, read when the page
    loads. ``data`` holds the deals once each, as columns
    (``{"deals": {"id": [...], "owner": column, ...}, "rows": {key: [...]}}``):
    a deal's position in the table follows the first stage that lists it, a
    column whose values repeat is dictionary-coded (``{"codes", "values"}``),
    text whose parts repeat (days and times) may be cut at its first space into
    two such columns (``{"split": [heads, tails]}``, a missing tail for text
    without a space), and each stage's rows are table positions stored as
    differences from the previous one (the first from 0). Every id is written once, however many
    stages list it. :func:`expand_deals` is the inverse.

    >>> index, data = compact_deals(
    ...     {"c|0|0": {"title": "Calls", "ids": ["a", "b", "c"]},
    ...      "c|0|1": {"title": "Paid", "ids": ["b", "c"]}},
    ...     {"a": {"owner": "Ann"}, "b": {"owner": "Ann"}, "c": {"owner": "Ann"}})
    >>> index["stages"]["c|0|1"], data["rows"]
    ({'title': 'Paid', 'n': 2}, {'c|0|0': [0, 1, 1], 'c|0|1': [1, 1]})
    >>> data["deals"]["owner"]
    {'codes': [0, 0, 0], 'values': ['Ann']}
    """
    position: dict[str, int] = {}
    for entry in stage_deals.values():
        for i in entry["ids"]:
            position.setdefault(i, len(position))
    for i in deals:
        position.setdefault(i, len(position))
    ids = list(position)
    rows: dict[str, list[int]] = {}
    stages: dict[str, dict[str, Any]] = {}
    for key, entry in stage_deals.items():
        at = [position[i] for i in entry["ids"]]
        rows[key] = [b - a for a, b in zip([0, *at][:-1], at, strict=True)]
        stages[key] = {"title": entry["title"], "n": len(at)}
    columns: dict[str, Any] = {"id": ids}
    for field in _FIELDS:
        columns[field] = _column([deals.get(i, {}).get(field) for i in ids])
    return {"stages": stages}, {"deals": columns, "rows": rows}


def expand_deals(
    index: Mapping[str, Any], data: Mapping[str, Any]
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """``(stage_deals, deals)`` back from :func:`compact_deals`'s blocks, as the page reads them.

    Deals that no record described come back without a record, as they went in.

    >>> blocks = compact_deals({"c|0|0": {"title": "Calls", "ids": ["b", "a"]}},
    ...                        {"a": {"owner": "Ann", "amount": 5}})
    >>> expand_deals(*blocks)[0]
    {'c|0|0': {'title': 'Calls', 'ids': ['b', 'a']}}
    """
    d = data["deals"]
    ids: list[str] = d["id"]
    cols = {f: _decoded(d[f]) for f in _FIELDS}
    stage_deals: dict[str, dict[str, Any]] = {}
    for key, entry in index["stages"].items():
        at, out = 0, []
        for step in data["rows"][key]:
            at += step
            out.append(ids[at])
        stage_deals[key] = {"title": entry["title"], "ids": out}
    deals = {
        i: {f: cols[f][k] for f in _FIELDS}
        for k, i in enumerate(ids)
        if any(cols[f][k] is not None for f in _FIELDS)
    }
    return stage_deals, deals


def page(
    title: str,
    body: str,
    stage_deals: Mapping[str, Any],
    deals: Mapping[str, Any],
    *,
    css: str = "",
    noun: str = "deal",
    headers: Sequence[str] = _HEADERS,
) -> str:
    """A complete HTML document.

    Parameters
    ----------
    title
        Page title (escaped here).
    body
        Trusted HTML built by this package (already escaped).
    stage_deals
        ``"chart|funnel|stage" -> {"title": str, "ids": [deal ids]}``.
    deals
        ``deal id -> {"owner", "amount", "first", "last", "status"}``.
    css
        Extra style rules appended after the page's own (trusted text).
    noun
        What the list holds, in its title (``"3 deals"``; trusted text).
    headers
        The list's column headers, the first is the id's; the page shows six
        columns (id, then ``owner``, ``amount``, ``first``, ``last`` and
        ``status`` of ``deals``): hide the ones beyond ``headers`` with ``css``.
    """
    index, compact = compact_deals(stage_deals, deals)
    data = json_script("sf-index", index) + json_script("sf-data", compact)
    right = ' class="num"'
    head = "".join(
        f'<th scope="col"{right if h == "amount" else ""}>{escape(h)}</th>' for h in headers
    )
    panel = (
        '<section id="sf-deals" aria-live="polite" '
        f'aria-label="{escape(noun.capitalize())}s behind the selected stage">'
        '<button type="button" id="sf-deals-close">Close</button>'
        '<h3 id="sf-deals-title"></h3>'
        '<p id="sf-deals-pager" hidden><button type="button" id="sf-deals-prev">Previous</button> '
        '<span id="sf-deals-where"></span> '
        '<button type="button" id="sf-deals-next">Next</button></p>'
        f"<table><thead><tr>{head}</tr></thead>"
        '<tbody id="sf-deals-body"></tbody></table></section>'
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_CSS}{css}</style></head>"
        f"<body><main>{body}</main>{panel}{data}<script>{_JS.replace('@NOUN@', noun)}</script>"
        "</body></html>\n"
    )
