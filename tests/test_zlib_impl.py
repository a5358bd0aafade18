"""The zlib apkscan inflates with (zlib-ng when installed, apkscan/archive/zlib_impl.py) must behave
like the stdlib zlib on every stream, hostile ones included: same bytes out, the same streams
refused, the same stream end and leftover input. Checked on mutated and truncated raw-deflate
streams and on every deflated entry of the malformed corpus."""
from __future__ import annotations

import hashlib
import os
import struct
import zipfile
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apkscan.archive import zlib_impl

TEXTS = [os.urandom(3000), b"abc" * 5000, bytes(range(256)) * 40, b""]


def _inflate(lib, stream: bytes, max_length: int, cap: int = 64 << 20):
    """Drive a decompressobj the way archive/inflate.py does (bounded steps, unconsumed tail), up
    to ``cap`` bytes out (a bomb is compared on its first ``cap`` bytes); the output is kept as
    its length and SHA-256."""
    d = lib.decompressobj(-15)
    out, produced, data = hashlib.sha256(), 0, stream
    try:
        while produced <= cap:
            chunk = d.decompress(data, max_length)
            out.update(chunk)
            produced += len(chunk)
            data = d.unconsumed_tail
            if d.eof or (not data and not chunk):
                break
    except lib.error:
        return ("refused", produced, out.hexdigest())
    return ("ok", produced, out.hexdigest(), d.eof, d.unused_data)


def _raw_deflate(data: bytes, level: int) -> bytes:
    c = zlib.compressobj(level, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def test_zlib_ng_is_the_implementation_when_installed():
    pytest.importorskip("zlib_ng", reason="zlib-ng not installed: apkscan falls back to the stdlib zlib")
    assert zlib_impl.NAME.startswith("zlib-ng ")


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.sampled_from(range(len(TEXTS))), level=st.integers(0, 9),
       flips=st.lists(st.tuples(st.integers(0, 1 << 16), st.integers(0, 7)), max_size=4),
       cut=st.one_of(st.none(), st.integers(0, 1 << 16)), max_length=st.sampled_from([0, 1, 700, 4096]))
def test_same_result_as_stdlib_zlib(text, level, flips, cut, max_length):
    stream = bytearray(_raw_deflate(TEXTS[text], level))
    for pos, bit in flips:
        if stream:
            stream[pos % len(stream)] ^= 1 << bit
    if cut is not None:
        stream = stream[: cut % (len(stream) + 1)]
    stream = bytes(stream)
    assert _inflate(zlib_impl, stream, max_length) == _inflate(zlib, stream, max_length)
    assert zlib_impl.crc32(stream, 12345) == zlib.crc32(stream, 12345)


def test_same_result_on_malformed_corpus_entries(malformed_corpus):
    checked = 0
    for path in sorted(malformed_corpus.rglob("*")):
        if not path.is_file() or path.stat().st_size > 64 << 20:
            continue
        try:
            with zipfile.ZipFile(path) as z:
                infos = [i for i in z.infolist() if i.compress_type == zipfile.ZIP_DEFLATED]
        except Exception:  # not a ZIP the stdlib can list: nothing to compare
            continue
        blob = path.read_bytes()
        for info in infos:
            off = info.header_offset
            if blob[off:off + 4] != b"PK\x03\x04":
                continue
            name_len, extra_len = struct.unpack_from("<HH", blob, off + 26)
            start = off + 30 + name_len + extra_len
            stream = blob[start:start + min(info.compress_size, 8 << 20)]
            assert _inflate(zlib_impl, stream, 4 << 20) == _inflate(zlib, stream, 4 << 20), (path.name, info.filename)
            checked += 1
    assert checked > 0, "no deflated entry found in the malformed corpus"
