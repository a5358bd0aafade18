"""The fast paths of the content analyzers give exactly what the straightforward code gives."""
from __future__ import annotations

import math
import os
import re
from urllib.parse import urlsplit

from hypothesis import given, settings
from hypothesis import strategies as st

from apkscan.analyzers import indicators as ind
from apkscan.analyzers.payloads import byte_histogram, shannon_entropy

# The patterns as first written (before the equivalent, faster forms).
OLD_HOST_RE = re.compile(r"(?<![A-Za-z0-9\-.])(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+"
                         r"[A-Za-z][A-Za-z0-9\-]{1,23}(?![A-Za-z0-9\-])")
TELL = re.compile(rb"[A-Za-z0-9_\-][.:][A-Za-z0-9_\-]")

BINARY = st.binary(max_size=200) | st.lists(
    st.sampled_from([b"a", b"Z", b"9", b".", b":", b"/", b"-", b"_", b" ", b"\x00", b"\x01", b"\xff", b"://",
                     b"http://a.b", b"1.2.3.4", b"x.yz"]), max_size=60).map(b"".join)
TEXTISH = st.lists(st.sampled_from(list("ab9Z.-_:/@[]%?# \n") + ["com", ".vn", "https://", "wss://"]),
                   max_size=40).map("".join)


def old_extract_from_bytes(data: bytes, seen: ind.Collected) -> None:
    """extract_from_bytes before candidate_runs: every printable run, one per line."""
    runs = ind.PRINTABLE_RUN_B.findall(data)
    if runs:
        old_extract_from_strings(b"\n".join(runs).decode("ascii").split("\n"), seen)


def old_extract_from_strings(strings: list[str], seen: ind.Collected) -> None:
    """extract_from_strings before the per-pattern filters (same patterns, every dotted string)."""
    dotted = "\n".join(x for x in strings if "." in x)
    for m in ind.URL_RE.finditer(dotted):
        seen.add(seen.urls, m.group(0), "p")
        try:
            host = urlsplit(m.group(0)).hostname
        except ValueError:
            host = None
        if host:
            seen.add(seen.url_hosts, host, "p")
    for m in OLD_HOST_RE.finditer(dotted):
        seen.add(seen.hosts, m.group(0).lower(), "p")
    for m in ind.IP_RE.finditer(dotted):
        seen.add(seen.ips, m.group(0), "p")
    for m in ind.IP_ALONE_RE.finditer(dotted):
        if m.group(2) or not ind._looks_like_version(m.group(1)):
            seen.add(seen.ip_literals, m.group(1), "p")
    for m in ind.TG_RE.finditer("\n".join(x for x in strings if ":" in x)):
        seen.add(seen.tokens, m.group(0), "p")


def tables(c: ind.Collected) -> dict:
    return {k: list(getattr(c, k).items()) for k in ("urls", "hosts", "url_hosts", "ips", "ip_literals", "tokens")}


@settings(max_examples=400, deadline=None)
@given(BINARY)
def test_candidate_runs_are_the_runs_holding_a_tell(data):
    expected = [r for r in ind.PRINTABLE_RUN_B.findall(data) if b"://" in r or TELL.search(r)]
    got = ind.candidate_runs(data)
    assert [r for r in got if b"://" in r or TELL.search(r)] == expected
    assert set(got) <= set(ind.PRINTABLE_RUN_B.findall(data))  # extras only have a harmless ".//"


@settings(max_examples=300, deadline=None)
@given(st.lists(BINARY, max_size=8))
def test_binary_extraction_is_unchanged(parts):
    data = b"\x00".join(parts) + b"\x00https://a.example.org:8443/x 45.76.234.141\x00" + b"123456789:" + b"A" * 35
    new, old = ind.Collected(), ind.Collected()
    ind.extract_from_bytes(data, "p", new)
    old_extract_from_bytes(data, old)
    assert tables(new) == tables(old)


@settings(max_examples=300, deadline=None)
@given(st.lists(TEXTISH, max_size=12))
def test_string_extraction_is_unchanged(strings):
    strings = strings + ["see https://user@h.example.com:80/p", "10.0.0.1:8080", "1.2.3.4",
                         "987654321:" + "b" * 35, "ws://[::1]:9/x"]
    new, old = ind.Collected(), ind.Collected()
    ind.extract_from_strings(strings, "p", new)
    old_extract_from_strings(strings, old)
    assert tables(new) == tables(old)


@settings(max_examples=500, deadline=None)
@given(TEXTISH)
def test_host_regex_is_equivalent(text):
    assert ind.HOST_RE.findall(text) == OLD_HOST_RE.findall(text)


@settings(max_examples=500, deadline=None)
@given(st.sampled_from(["http://", "HTTPS://", "wss://", "ftp://"]), st.text(alphabet="aZ9.-:@[]%/?#_~!$&'()*+,;=",
                                                                          max_size=20))
def test_host_of_is_urlsplit_hostname(scheme, rest):
    for url in ind.URL_RE.findall(scheme + rest + " "):
        try:
            expected = urlsplit(url).hostname
        except ValueError:
            expected = None
        assert ind._host_of(url) == expected


def test_byte_histogram_counts_every_value():
    data = os.urandom(300_000) + bytes(range(256)) * 3
    assert byte_histogram(data) == [data.count(bytes([b])) for b in range(256)]
    assert byte_histogram(b"") == [0] * 256 and shannon_entropy(b"") == 0.0
    ref = -sum((c / len(data)) * math.log2(c / len(data)) for c in byte_histogram(data) if c)
    assert shannon_entropy(data) == ref


def test_binary_scan_is_fast():
    import time

    blob = os.urandom(16 << 20) + b"\0https://sock.vnsame.vip:8081/x\0"
    seen = ind.Collected()
    t0 = time.process_time()
    ind.extract_from_bytes(blob, "lib/arm64-v8a/libbig.so", seen)
    assert time.process_time() - t0 < 0.5  # ~0.05 s here; every printable run took ~0.15 s
    assert "sock.vnsame.vip" in seen.url_hosts


def test_dex_string_table_fast_split_equals_the_item_loop(monkeypatch):
    from apkscan.analyzers import dex_strings
    from apkscan.samples.dex import DexClass, build_dex

    tables = [
        ("", "a", "com/x", "L" * 200 + "tail", "Định danh", "x" * 20000),  # empty, long (2- and 3-byte ULEB128)
        ("plain", "ascii", "only"),
        ("\U0001F600 emoji", "nul\x00inside", "ok"),  # MUTF-8 specials: the loop decodes these
    ]
    for strings in tables:
        data = build_dex([DexClass("com.e.Main", strings=strings)])
        fast = dex_strings.parse_dex_strings(data)
        monkeypatch.setattr(dex_strings, "_split_clean", lambda *a: None)
        slow = dex_strings.parse_dex_strings(data)
        monkeypatch.undo()
        assert fast == slow and set(strings) <= set(fast.strings)
