"""DEX string table reader: identical to androguard and dexdump on real files, bounded on hostile ones."""
from __future__ import annotations

import re
import struct
import subprocess
import time
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apkscan.analyzers.dex_strings import decode_mutf8, dex_strings_for, is_dex, parse_dex_strings
from apkscan.samples.dex import DexClass, build_dex, mutf8
from conftest import require_tool

UNICODE_STRINGS = ("plain", "Định danh điện tử", "with\x00nul", "emoji 😀 pair", "\ud83d lone high", "lone low \ude00",
                   "中文验证码", "x" * 300, "")


def _quiet_androguard():
    from loguru import logger

    logger.remove()


def corpus_dex_files(signing_corpus) -> dict[str, bytes]:
    """Every distinct classes*.dex inside the corpus APKs (read in place)."""
    found: dict[str, bytes] = {}
    for apk in sorted(signing_corpus.glob("*.apk")):
        try:
            with zipfile.ZipFile(apk) as zf:
                for info in zf.infolist():
                    if re.fullmatch(r"classes\d*\.dex", info.filename):
                        data = zf.read(info)
                        found.setdefault(data[:64].hex() + str(len(data)), data)
        except (zipfile.BadZipFile, OSError, ValueError):
            continue
    return found


def test_corpus_dex_strings_equal_androguard(signing_corpus):
    from androguard.core.dex import DEX

    _quiet_androguard()
    files = corpus_dex_files(signing_corpus)
    assert len(files) >= 10
    for data in files.values():
        ours = parse_dex_strings(data)
        assert ours.problems == ()
        assert list(ours.strings) == DEX(data).get_strings()


def test_unicode_mutf8_strings_equal_androguard():
    from androguard.core.dex import DEX

    _quiet_androguard()
    data = build_dex([DexClass("com.vnid.Main", strings=UNICODE_STRINGS)], extra_strings=("zz",))
    ours = parse_dex_strings(data)
    assert list(ours.strings) == DEX(data).get_strings()
    for s in UNICODE_STRINGS:
        assert s in ours.strings
    assert "Lcom/vnid/Main;" in ours.type_descriptors


def test_const_string_operands_match_dexdump(tmp_path):
    dexdump = require_tool("dexdump")
    strings = ("hello world", "Định danh", "https://sock.example.vip:8081/x", "wss://c2.example/ws")
    path = tmp_path / "classes.dex"
    data = build_dex([DexClass("com.a.B", strings=strings), DexClass("com.a.C", strings=("second",))])
    path.write_bytes(data)
    out = subprocess.run([dexdump, "-d", "-f", str(path)], capture_output=True, text=True, check=True).stdout
    ours = parse_dex_strings(data)
    refs = re.findall(r'const-string(?:/jumbo)? v\d+, "(.*)" // string@([0-9a-f]+)', out)
    assert len(refs) == len(strings) + 1
    for text, index in refs:
        assert ours.strings[int(index, 16)] == text
    declared = int(re.search(r"string_ids_size\s*:\s*(\d+)", out).group(1))
    assert ours.declared_strings == declared == len(ours.strings)
    for desc in re.findall(r"Class descriptor\s*:\s*'([^']+)'", out):
        assert desc in ours.type_descriptors


def test_decode_mutf8_rules():
    assert decode_mutf8(mutf8("a\x00b")) == "a\x00b"
    assert decode_mutf8(b"a\xc0\x80b") == "a\x00b"
    assert decode_mutf8(mutf8("😀")) == "😀"  # surrogate pair written as two 3-byte sequences
    assert decode_mutf8(b"ok\xffend") == "ok\ufffdend"  # invalid byte: replaced, no exception


# --- hostile DEX files ---------------------------------------------------------------------------
def _base() -> bytearray:
    return bytearray(build_dex([DexClass("com.a.B", strings=("one", "two", "three"))]))


def _patch(data: bytearray, offset: int, value: int) -> bytes:
    struct.pack_into("<I", data, offset, value)
    return bytes(data)


def test_huge_string_count_is_bounded():
    t0 = time.perf_counter()
    r = parse_dex_strings(_patch(_base(), 0x38, 0xFFFFFFFF))
    assert time.perf_counter() - t0 < 1
    assert r.declared_strings == 0xFFFFFFFF
    assert len(r.strings) < 1000 and any("bounded" in p for p in r.problems)


def test_string_ids_offset_outside_the_file():
    r = parse_dex_strings(_patch(_base(), 0x3C, 0x7FFFFFF0))
    assert r.strings == () and r.problems


def test_string_data_offsets_outside_the_file():
    data = _base()
    ids_off = struct.unpack_from("<I", data, 0x3C)[0]
    struct.pack_into("<I", data, ids_off, 0xFFFFFF00)
    r = parse_dex_strings(bytes(data))
    assert r.strings[0] == "" and any("outside" in p for p in r.problems)
    assert "one" in r.strings


def test_overlapping_string_offsets_exhaust_the_budget_not_the_cpu():
    # 200k string ids, each pointing one byte further into one 1 MiB run without a NUL:
    # naive reading would scan ~10^11 bytes.
    run = 1 << 20
    count = 200_000
    header = bytearray(0x70)
    header[:8] = b"dex\n035\x00"
    struct.pack_into("<I", header, 0x28, 0x12345678)
    ids_off = 0x70
    data_off = ids_off + 4 * count
    struct.pack_into("<II", header, 0x38, count, ids_off)
    ids = struct.pack(f"<{count}I", *(data_off + i for i in range(count)))
    blob = bytes(header) + ids + b"\x05" + b"A" * run
    t0 = time.perf_counter()
    r = parse_dex_strings(blob)
    assert time.perf_counter() - t0 < 3
    assert any("budget" in p for p in r.problems)


def test_overlong_uleb128_and_missing_nul():
    data = _base()
    ids_off = struct.unpack_from("<I", data, 0x3C)[0]
    tail = len(data)
    data += b"\xff\xff\xff\xff\xff\xff" + b"B" * 10  # ULEB128 longer than 5 bytes
    struct.pack_into("<I", data, ids_off, tail)
    r = parse_dex_strings(bytes(data))
    assert r.strings[0] == "" and r.problems
    data2 = bytearray(data)
    struct.pack_into("<I", data2, ids_off, len(data2) - 5)  # "BBBBB" runs to the end, no NUL
    r2 = parse_dex_strings(bytes(data2))
    assert r2.strings[0] == "BBBB" or r2.strings[0].startswith("B")
    assert any("NUL" in p for p in r2.problems)


@pytest.mark.parametrize("blob", [b"", b"dex\n", b"dex\n035\x00" + b"\x00" * 10, b"PK\x03\x04" + b"\x00" * 200,
                                  b"dex\nabc\x00" + b"\x00" * 200])
def test_not_a_dex(blob):
    r = parse_dex_strings(blob)
    assert r.version == "" and r.strings == () and r.problems
    assert is_dex(blob) == blob.startswith(b"dex\n035\x00")  # magic only; the header is too short


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 600), st.integers(0, 255)), max_size=40), st.integers(0, 700))
def test_mutated_dex_never_raises(mutations, cut):
    data = _base()
    for pos, value in mutations:
        if pos < len(data):
            data[pos] = value
    data = data[: max(cut, 0x70)] if cut < len(data) else data
    r = parse_dex_strings(bytes(data))
    assert len(r.strings) <= len(data) // 4
    assert all(isinstance(x, str) for x in r.strings)


def test_each_dex_is_parsed_once_per_scan():
    cache: dict = {}
    data = bytes(_base())
    first = dex_strings_for(cache, "classes.dex", data)
    assert dex_strings_for(cache, "classes.dex", b"ignored") is first


def test_reader_is_much_faster_than_androguard():
    """A multi-megabyte DEX: the table read must cost a fraction of androguard's DEX()."""
    from androguard.core.dex import DEX

    _quiet_androguard()
    classes = [DexClass(f"com.example.pkg{i % 50}.Class{i}", strings=tuple(f"string-{i}-{j}-Định" for j in range(12)))
               for i in range(3000)]
    data = build_dex(classes)
    assert len(data) > 1_000_000
    t0 = time.perf_counter()
    ours = parse_dex_strings(data)
    ours_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    theirs = DEX(data).get_strings()
    theirs_s = time.perf_counter() - t0
    assert list(ours.strings) == theirs
    assert ours_s * 5 < theirs_s, (ours_s, theirs_s)


def test_general_loop_agrees_with_the_contiguous_fast_path():
    """Item moved to the end of the file (legal: string_data_items may sit anywhere in data)."""
    data = _base()
    expected = parse_dex_strings(bytes(data)).strings
    ids_off = struct.unpack_from("<I", data, 0x3C)[0]
    index = expected.index("two")
    off = struct.unpack_from("<I", data, ids_off + 4 * index)[0]
    item = bytes(data[off : data.index(b"\0", off) + 1])
    struct.pack_into("<I", data, ids_off + 4 * index, len(data))
    data += item
    moved = parse_dex_strings(bytes(data))
    assert moved.strings == expected and moved.problems == ()
