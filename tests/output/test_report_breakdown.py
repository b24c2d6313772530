"""The report's breakdown and trend sections (``build_report(by=..., period=...)``)."""

from __future__ import annotations

from salesfunnel import DealLog, Pipeline, build_report

P = Pipeline(["Call", "Offer"], won="Won", lost="Lost")
HOSTILE = "<script>alert(1)</script>"


def _log() -> DealLog:
    rows = [
        ("A", "Call", "2024-01-01", "Ann", HOSTILE),
        ("A", "Won", "2024-01-09", "Ann", HOSTILE),
        ("B", "Call", "2024-01-02", "Bob", "Lite"),
        ("B", "Lost", "2024-02-03", "Bob", "Lite"),
        ("C", "Call", "2024-02-04", "Bob", HOSTILE),
        ("C", "Won", "2024-02-10", "Bob", HOSTILE),
    ]
    keys = ("deal", "stage", "time", "owner", "product")
    records = [dict(zip(keys, r, strict=True)) for r in rows]
    return DealLog.from_records(records, P, owner="owner", keep="product")


def test_sections_appear_only_when_asked_and_escape_values() -> None:
    log = _log()
    plain = build_report(log)
    html = build_report(log, by=["owner", "product"], period="M")
    assert 'id="breakdown"' not in plain
    assert 'id="trend"' not in plain
    assert "<script>alert" not in html
    assert '<h2 id="breakdown">By owner, product</h2>' in html
    # One row per combination that occurs: Ann/<script>, Bob/<script>, Bob/Lite.
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert html.count(f"<td>Ann</td><td>{escaped}</td>") == 3  # breakdown + two months
    assert f"<td>Bob</td><td>{escaped}</td><td>2024-02</td><td class=num>1</td>" in html
    assert "<td>Bob</td><td>Lite</td><td>2024-02</td><td class=num>1</td>" in html


def test_by_owner_adds_only_the_trend() -> None:
    html = build_report(_log(), by="owner", period="Q")
    assert 'id="breakdown"' not in html  # the owners have their own section
    assert '<h2 id="trend">Closed deals by quarter</h2>' in html
    assert "<td>Ann</td><td>2024-Q1</td><td class=num>1</td>" in html
