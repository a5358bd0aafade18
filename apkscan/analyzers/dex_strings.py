"""Read a DEX file's string table directly, without androguard's DEX().

Format (AOSP "Dalvik Executable format", dalvik/libdex/DexFile.h):
  header (0x70 bytes): magic "dex\\n0NN\\0", ... string_ids_size @0x38, string_ids_off @0x3C,
  type_ids_size @0x40, type_ids_off @0x44 (all uint32 little-endian)
  string_id_item: uint32 offset of a string_data_item
  string_data_item: ULEB128 utf16_size, then MUTF-8 bytes, then a NUL byte
  type_id_item: uint32 index into string_ids (the type descriptor, e.g. "Lvirbox/StubApp;")

MUTF-8 (DexFile.h "Modified UTF-8") differs from UTF-8 in two ways: U+0000 is written C0 80,
and supplementary characters are written as two 3-byte surrogates (CESU-8).

Hostile input is expected: counts and offsets are checked against the buffer, the number of
strings and the bytes scanned are bounded, and problems are reported instead of raised.
"""
from __future__ import annotations

import array
import itertools
import operator
import struct
import sys
from dataclasses import dataclass
from typing import Any

DEX_MAGIC_PREFIX = b"dex\n"
HEADER_SIZE = 0x70
ENDIAN_CONSTANT = 0x12345678

# Bounds (a real app's largest DEX holds ~65k method refs and usually < 200k strings).
DEFAULT_MAX_STRINGS = 1_000_000
DEFAULT_MAX_STRING_BYTES = 1 << 20  # one string_data_item; longer ones are truncated
DEFAULT_SCAN_BUDGET_FACTOR = 4  # total bytes scanned <= factor * len(dex) (defeats overlapping offsets)

_U32 = "I" if array.array("I").itemsize == 4 else "L"  # array type code of a uint32
CACHE_KEY = "dex_strings"  # ScanContext.cache[CACHE_KEY][display path] -> DexStrings


@dataclass(frozen=True)
class DexStrings:
    """The string table of one DEX file, in string_ids order (the order androguard reports)."""

    version: str  # "035", "039"... ; "" when the magic is not a DEX magic
    strings: tuple[str, ...]
    type_descriptors: tuple[str, ...]  # from type_ids, e.g. "Lcom/example/GoldActivity;"
    declared_strings: int  # string_ids_size as written (may exceed len(strings) when bounded)
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return bool(self.version) and not self.problems


def is_dex(data: bytes | memoryview) -> bool:
    """DEX magic: "dex\\n" + three digits + NUL (DexFile.h kDexMagic / kDexMagicVersions)."""
    head = bytes(data[:8])
    return len(head) == 8 and head[:4] == DEX_MAGIC_PREFIX and head[4:7].isdigit() and head[7] == 0


def _read_uleb128(data: bytes, pos: int, end: int) -> tuple[int, int]:
    """ULEB128 as in the DEX format: at most 5 bytes for a uint32. Returns (value, next pos)."""
    result = 0
    shift = 0
    for i in range(5):
        if pos >= end:
            raise ValueError("ULEB128 runs past the end")
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result & 0xFFFFFFFF, pos
        shift += 7
    raise ValueError("ULEB128 longer than 5 bytes")


def decode_mutf8(raw: bytes) -> str:
    """Decode MUTF-8 bytes to str; unpaired surrogates are kept as lone code points (as androguard
    does), undecodable bytes become U+FFFD."""
    try:
        return raw.decode("ascii")
    except UnicodeDecodeError:
        pass
    if b"\xc0\x80" in raw:
        raw = raw.replace(b"\xc0\x80", b"\x00")
    try:
        return raw.decode("utf-8")  # BMP text without surrogates: MUTF-8 == UTF-8
    except UnicodeDecodeError:
        pass
    text = raw.decode("utf-8", errors="surrogatepass") if _is_cesu_clean(raw) else _decode_lenient(raw)
    # join high+low surrogate pairs into one code point; lone halves stay as they are
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


def _is_cesu_clean(raw: bytes) -> bool:
    try:
        raw.decode("utf-8", errors="surrogatepass")
        return True
    except UnicodeDecodeError:
        return False


def _decode_lenient(raw: bytes) -> str:
    # Decode valid runs and replace each invalid byte with U+FFFD.
    out: list[str] = []
    pos = 0
    while pos < len(raw):
        try:
            out.append(raw[pos:].decode("utf-8", errors="surrogatepass"))
            break
        except UnicodeDecodeError as e:
            out.append(raw[pos : pos + e.start].decode("utf-8", errors="surrogatepass"))
            out.append("\ufffd")
            pos += e.start + 1
    return "".join(out)


def _read_contiguous(data: bytes, offsets: tuple[int, ...]) -> list[str] | None:
    """Fast path for the layout compilers write (d8, dx): string_data_items back to back in
    string_ids order, so item i ends where item i+1 begins. Verified, not assumed: offsets strictly
    increasing inside the file, each item's only NUL is its terminator. Then all strings are
    decoded in one call. Returns None when the layout differs (the general loop handles it)."""
    size = len(data)
    if offsets[-1] >= size or any(map(operator.ge, offsets, offsets[1:])):
        return None
    end = data.find(b"\0", offsets[-1] + 1)
    if end < 0:
        return None
    fast = _split_clean(data, offsets, end)
    if fast is not None:
        return fast
    raws: list[bytes] = []
    append = raws.append
    for off, nxt in zip(offsets, offsets[1:] + (end + 1,)):
        b = data[off]
        if b == 0:
            if nxt == off + 2 and data[off + 1] == 0:
                append(b"")  # the empty string: ULEB128 0, then the terminator
                continue
            return None
        if b < 0x80:
            start = off + 1
        else:  # 128 UTF-16 units or more: multi-byte ULEB128
            try:
                _, start = _read_uleb128(data, off, nxt)
            except ValueError:
                return None
        raw = data[start : nxt - 1]
        if data[nxt - 1] != 0 or b"\0" in raw:
            return None
        append(raw)
    blob = b"\0".join(raws)
    if b"\xc0\x80" in blob or b"\xed" in blob:
        return [decode_mutf8(r) for r in raws]  # NUL or surrogates inside: per-string MUTF-8
    try:
        return blob.decode("utf-8").split("\0")
    except UnicodeDecodeError:
        return [decode_mutf8(r) for r in raws]


def _split_clean(data: bytes, offsets: tuple[int, ...], end: int) -> list[str] | None:
    """The contiguous layout once more, with per-string work done by C iterators (~3x faster
    than the loop in _read_contiguous): split the items on their terminators, check that the
    pieces start exactly at ``offsets``, strip each ULEB128, decode everything in one call.
    Only for plain UTF-8 (no MUTF-8 NUL or surrogate, no invalid byte); None leaves the table
    to the loop, which handles every case."""
    lead: list[str] = []
    first = offsets[0]
    if data[first] == 0:  # the empty string sorts first: ULEB128 0, then its terminator
        if data[first + 1 : first + 2] != b"\0":
            return None
        if len(offsets) == 1:
            return [""] if end == first + 1 else None
        if offsets[1] != first + 2:
            return None
        lead, offsets, first = [""], offsets[1:], offsets[1]
    region = data[first:end]
    if b"\xc0\x80" in region or b"\xed" in region:
        return None
    pieces = region.split(b"\0")
    if len(pieces) != len(offsets) or b"" in pieces:
        return None
    # piece i spans offsets[i] .. offsets[i+1] - 1 (its terminator): len + 1 == the gap
    gaps = map(operator.sub, offsets[1:], offsets[:-1])
    if not all(map(operator.eq, map(operator.add, map(len, pieces), itertools.repeat(1)), gaps)):
        return None
    firsts = bytes(map(operator.itemgetter(0), pieces))
    long_ones = [] if firsts.isascii() else [i for i, b in enumerate(firsts) if b >= 0x80]
    if long_ones:  # 128 UTF-16 units or more: a multi-byte ULEB128, stripped below
        pieces = list(pieces)
        heads = {}
        for i in long_ones:
            try:
                _, start = _read_uleb128(pieces[i], 0, len(pieces[i]))
            except ValueError:
                return None
            heads[i] = pieces[i][start:]
            pieces[i] = b"\x01"
    try:
        items = b"\0".join(pieces).decode("utf-8").split("\0")
        out = lead + list(map(operator.itemgetter(slice(1, None)), items))
        for i in long_ones:
            out[len(lead) + i] = heads[i].decode("utf-8")
    except UnicodeDecodeError:
        return None
    return out


def parse_dex_strings(
    data: bytes,
    *,
    max_strings: int = DEFAULT_MAX_STRINGS,
    max_string_bytes: int = DEFAULT_MAX_STRING_BYTES,
    scan_budget: int | None = None,
) -> DexStrings:
    """Return the DEX string table of ``data``; never raises on malformed input."""
    data = bytes(data)
    size = len(data)
    if size < HEADER_SIZE or not is_dex(data):
        return DexStrings("", (), (), 0, ("not a DEX file (bad magic or shorter than the header)",))
    version = data[4:7].decode("ascii")
    problems: list[str] = []
    (endian_tag,) = struct.unpack_from("<I", data, 0x28)
    if endian_tag != ENDIAN_CONSTANT:
        problems.append(f"endian_tag 0x{endian_tag:08x} is not 0x12345678 (read as little-endian anyway)")
    count, ids_off, type_count, type_off = struct.unpack_from("<IIII", data, 0x38)

    fits = max(0, (size - ids_off) // 4) if ids_off <= size else 0
    usable = min(count, fits, max_strings)
    if count and ids_off < HEADER_SIZE:
        problems.append(f"string_ids_off 0x{ids_off:x} points into the header")
    if usable < count:
        problems.append(f"string_ids_size {count} bounded to {usable} (table exceeds the file or the limit)")

    budget = scan_budget if scan_budget is not None else DEFAULT_SCAN_BUDGET_FACTOR * size + 4096
    offsets = struct.unpack_from(f"<{usable}I", data, ids_off) if usable else ()
    fast = _read_contiguous(data, offsets) if offsets else None
    if fast is not None:
        strings = fast
        offsets = ()  # done
    else:
        strings = []
    memo: dict[int, str] = {}
    bad = 0
    for off in offsets:
        text = memo.get(off)
        if text is not None:
            strings.append(text)
            continue
        if off >= size:
            bad += 1
            strings.append("")
            continue
        # ULEB128 utf16_size; the fast path covers every string shorter than 128 UTF-16 units
        b = data[off]
        if b < 0x80:
            start = off + 1
        else:
            try:
                _, start = _read_uleb128(data, off, size)
            except ValueError:
                bad += 1
                strings.append("")
                continue
        limit = min(size, start + max_string_bytes)
        end = data.find(b"\0", start, limit)
        if end < 0:
            end = limit
            problems.append(f"string at 0x{off:x} has no NUL terminator within {limit - start} bytes")
        budget -= end - start + 1
        if budget < 0:
            problems.append(f"scan budget exhausted after {len(strings)} strings (overlapping string data?)")
            break
        text = decode_mutf8(data[start:end])
        memo[off] = text
        strings.append(text)
    if bad:
        problems.append(f"{bad} string_data offsets outside the file or unreadable")

    types: list[str] = []
    type_fits = max(0, (size - type_off) // 4) if type_off <= size else 0
    type_usable = min(type_count, type_fits, 65536)  # type_ids_size is at most 65535 by spec
    if type_usable < type_count:
        problems.append(f"type_ids_size {type_count} bounded to {type_usable}")
    if type_usable:
        n = len(strings)
        for idx in struct.unpack_from(f"<{type_usable}I", data, type_off):
            if idx < n:
                types.append(strings[idx])
    return DexStrings(version, tuple(strings), tuple(types), count, tuple(problems))


def string_data_span(data: bytes | memoryview, max_strings: int = DEFAULT_MAX_STRINGS) -> tuple[int, int] | None:
    """[start, end) of the file holding every string_data_item: from the lowest string_ids offset
    to the NUL ending the item at the highest one. Every string constant and every class, method
    and field name of the DEX lies inside (d8/dx write the items back to back, so the span is
    mostly string data; a scattered layout only makes it wider). None when the header or the
    string_ids table is out of bounds: callers then use the whole file."""
    data = data if isinstance(data, bytes) else bytes(data)
    size = len(data)
    if size < HEADER_SIZE or not is_dex(data):
        return None
    count, ids_off = struct.unpack_from("<II", data, 0x38)
    if count == 0:
        return (HEADER_SIZE, HEADER_SIZE)
    if count > max_strings or ids_off < HEADER_SIZE or ids_off + 4 * count > size:
        return None
    offsets = array.array(_U32, data[ids_off : ids_off + 4 * count])  # 4 bytes an id, not a tuple of ints
    if sys.byteorder != "little":
        offsets.byteswap()
    lo, hi = min(offsets), max(offsets)
    if hi >= size:
        return None
    pos = hi
    while pos < size and pos - hi < 5 and data[pos] & 0x80:  # the ULEB128 utf16_size
        pos += 1
    end = data.find(b"\0", pos + 1)
    return (lo, size if end < 0 else end + 1)


def dex_strings_for(cache: dict[str, Any], path: str, data: bytes) -> DexStrings:
    """Parse once per scan: analyzers sharing a ScanContext.cache reuse the same table."""
    table = cache.setdefault(CACHE_KEY, {})
    found = table.get(path)
    if found is None:
        found = parse_dex_strings(data)
        table[path] = found
    return found
