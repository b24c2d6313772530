"""The fast path's byte check (quotes, NULs, UTF-8) against a plain reading of the bytes."""

from __future__ import annotations

import mmap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st

from salesfunnel.deals import arrowcsv, bytescan

_PIECES = [b"a", b"7", b",", b"\n", b"\r\n", b'"', b"\0", "é".encode(), b"\xc3", b"\xa9", b"\xff"]


def _refused(data: bytes, start: int) -> bool:
    """Plainly: a quote in the body, a NUL anywhere, or a body that is not UTF-8."""
    body = data[start:]
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return b'"' in body or b"\0" in data


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    header=st.sampled_from([b"u,e\n", b"u,\0e\n", b"u,e\r\n"]),
    body=st.lists(st.sampled_from(_PIECES), min_size=1, max_size=40).map(b"".join),
    block=st.integers(1, 9),
    scan=st.integers(1, 20),
)
@example(header=b"u,e\n", body=b"\xc3a", block=1, scan=2)  # a high byte, then ASCII
@example(header=b"u,e\n", body=b"aaaa\0", block=2, scan=9)  # a NUL in a later block
def test_the_byte_check_refuses_what_a_plain_reading_finds(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    header: bytes,
    body: bytes,
    block: int,
    scan: int,
) -> None:
    """Blocks and chunks of any size, a quote, NUL or broken character anywhere:
    :class:`Unfit` exactly when the bytes hold one."""
    monkeypatch.setattr(bytescan, "_BLOCK", block)
    monkeypatch.setattr(arrowcsv, "_SCAN", scan)
    path = tmp_path / "bytes.csv"
    data = header + body
    path.write_bytes(data)
    with path.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        try:
            arrowcsv._check_bytes(mm, len(header), lines=False)
        except arrowcsv.Unfit:
            refused = True
        else:
            refused = False
    assert refused == _refused(data, len(header))
