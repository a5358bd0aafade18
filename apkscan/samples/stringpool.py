"""ResStringPool writer, shared by binary XML and resources.arsc.

Layout from AOSP ``frameworks/base/libs/androidfw/include/androidfw/ResourceTypes.h``
(``struct ResStringPool_header``) and ``ResourceTypes.cpp`` (how lengths are decoded):
header {chunk type 0x0001, headerSize 28, size; stringCount, styleCount, flags, stringsStart,
stylesStart}, then one u32 offset per string (relative to stringsStart), then the string data,
padded to 4 bytes. UTF-8 strings carry two lengths (UTF-16 units, then UTF-8 bytes), each 1 byte,
or 2 bytes with the high bit set when >= 0x80; UTF-16 strings carry a u16 length, or two u16
with the high bit set when >= 0x8000. Both end with a NUL.
"""
from __future__ import annotations

import struct

RES_STRING_POOL_TYPE = 0x0001
UTF8_FLAG = 0x100
SORTED_FLAG = 0x1
HEADER_SIZE = 28


def _len8(n: int) -> bytes:
    if n >= 0x8000:
        raise ValueError("string too long for a UTF-8 string pool")
    return bytes([n]) if n < 0x80 else bytes([0x80 | (n >> 8), n & 0xFF])


def _len16(n: int) -> bytes:
    if n >= 0x80000000:
        raise ValueError("string too long for a UTF-16 string pool")
    return struct.pack("<H", n) if n < 0x8000 else struct.pack("<HH", 0x8000 | (n >> 16), n & 0xFFFF)


def _encode(s: str, utf8: bool) -> bytes:
    u16 = s.encode("utf-16-le", "surrogatepass")
    units = len(u16) // 2
    if utf8:
        b = s.encode("utf-8", "surrogatepass")
        return _len8(units) + _len8(len(b)) + b + b"\x00"
    return _len16(units) + u16 + b"\x00\x00"


def encode_string_pool(strings: list[str], utf8: bool = True, sorted_flag: bool = False) -> bytes:
    """Return a complete ResStringPool chunk for ``strings`` (in that order; no styles)."""
    offsets = []
    data = bytearray()
    for s in strings:
        offsets.append(len(data))
        data += _encode(s, utf8)
    while len(data) % 4:
        data += b"\x00"
    strings_start = HEADER_SIZE + 4 * len(strings)
    size = strings_start + len(data)
    flags = (UTF8_FLAG if utf8 else 0) | (SORTED_FLAG if sorted_flag else 0)
    header = struct.pack("<HHIIIIII", RES_STRING_POOL_TYPE, HEADER_SIZE, size, len(strings), 0, flags,
                         strings_start if strings else 0, 0)
    return header + struct.pack(f"<{len(offsets)}I", *offsets) + bytes(data)


class StringPoolBuilder:
    """Collects strings in first-use order and hands out their indexes."""

    def __init__(self) -> None:
        self.strings: list[str] = []
        self._index: dict[str, int] = {}

    def add(self, s: str) -> int:
        idx = self._index.get(s)
        if idx is None:
            idx = self._index[s] = len(self.strings)
            self.strings.append(s)
        return idx

    def __len__(self) -> int:
        return len(self.strings)
