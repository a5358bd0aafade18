"""ResStringPool as Android reads it: header checks of ``ResStringPool::setTo``, lazy string reads.

Android (ResourceTypes.cpp) refuses a pool whose offset table does not fit the chunk
("entry of N items extends past data size"), whose strings start past the end, whose styles
overlap the strings, or whose last string is not NUL-terminated. It does not check individual
strings until they are read: ``stringAt``/``string8At`` then return NULL for a bad one. This
class does the same, so a string count of 2^31 costs nothing: offsets are read on demand and
never copied into a list.
"""
from __future__ import annotations

import struct

from apkscan.manifest.restypes import (
    STRING_POOL_HEADER_SIZE,
    UTF8_FLAG,
    chunk_problem,
    u16,
    u32,
)

_U32 = struct.Struct("<I")


class StringPoolError(ValueError):
    """Android's ResStringPool::setTo would fail (BAD_TYPE)."""


class StringPool:
    """One string pool; ``get`` decodes on demand.

    Decoding is bounded: strings are cached by their offset (a table of a million entries all
    pointing at one long string costs one decode), and the characters decoded in total are
    capped at a multiple of the pool's size, after which ``get`` returns None (recorded in ``bad``).
    """

    __slots__ = (
        "_budget",
        "_cache",
        "_entries",
        "_pool_chars",
        "_strings",
        "bad",
        "count",
        "data",
        "offset",
        "size",
        "style_count",
        "utf8",
    )

    def __init__(self, data: bytes, offset: int, avail: int) -> None:
        """Parse the pool header at ``offset``; ``avail`` is how many bytes the caller allows."""
        self.data = data
        self.offset = offset
        if avail < STRING_POOL_HEADER_SIZE:
            raise StringPoolError(f"string pool at 0x{offset:x}: {avail} bytes is too small for a pool header")
        problem = chunk_problem(data, offset, STRING_POOL_HEADER_SIZE, offset + avail)
        if problem:
            raise StringPoolError(f"string pool: {problem}")
        header_size = u16(data, offset + 2)
        size = u32(data, offset + 4)
        count = u32(data, offset + 8)
        style_count = u32(data, offset + 12)
        flags = u32(data, offset + 16)
        strings_start = u32(data, offset + 20)
        styles_start = u32(data, offset + 24)
        self.size = size
        self.count = count
        self.style_count = style_count
        self.utf8 = bool(flags & UTF8_FLAG)
        self._entries = offset + header_size
        self._cache: dict[int, str | None] = {}  # string offset -> decoded string
        self.bad: dict[int, str] = {}  # index -> why Android returns NULL for it
        self._budget = 4 * size + (1 << 20)  # characters we agree to decode, in total
        char_size = 1 if self.utf8 else 2
        if count:
            if header_size + count * 4 > avail:
                raise StringPoolError(
                    f"string pool declares {count} strings: its offset table ({header_size + count * 4} bytes)"
                    f" extends past the chunk ({avail} bytes)")
            if strings_start >= size - 2:
                raise StringPoolError(f"string pool strings start at {strings_start}, after its size {size}")
            if style_count == 0:
                pool_chars = (size - strings_start) // char_size
            else:
                if styles_start >= size - 2:
                    raise StringPoolError(f"string pool styles start at {styles_start}, past its size {size}")
                if styles_start <= strings_start:
                    raise StringPoolError(
                        f"string pool styles start at {styles_start}, before the strings at {strings_start}")
                pool_chars = (styles_start - strings_start) // char_size
            if pool_chars == 0:
                raise StringPoolError(f"string pool declares {count} strings but has no string data")
            last = offset + strings_start + (pool_chars - 1) * char_size
            if last + char_size > len(data):
                raise StringPoolError("string pool data is truncated")
            if (data[last] if self.utf8 else u16(data, last)) != 0:
                raise StringPoolError("string pool: last string is not 0-terminated")
        else:
            pool_chars = 0
        if style_count:
            if header_size + count * 4 > avail:  # Android checks where the style table starts only
                raise StringPoolError(f"string pool: {style_count} style entries extend past the chunk")
            if styles_start >= size:
                raise StringPoolError(f"string pool style data starts at {styles_start}, after its size {size}")
            style_words = (size - styles_start) // 4
            end_span = offset + styles_start + (style_words - 3) * 4
            if style_words < 3 or data[end_span:end_span + 12] != b"\xff" * 12:
                raise StringPoolError("string pool: last style is not 0xFFFFFFFF-terminated")
        self._strings = offset + strings_start
        self._pool_chars = pool_chars

    def __len__(self) -> int:
        return self.count

    def get(self, idx: int) -> str | None:
        """The string Android returns for ``idx``, or None where Android returns NULL."""
        if idx < 0 or idx >= self.count:
            return None
        entry = self._entries + idx * 4
        if entry + 4 > len(self.data):
            return self._fail(idx, "offset entry lies outside the data")
        offset = _U32.unpack_from(self.data, entry)[0]
        try:
            return self._cache[offset]
        except KeyError:
            pass
        if self._budget <= 0:
            return self._fail(idx, "string decoding budget exhausted (hostile string table)")
        value = self._decode(idx, offset)
        if value is not None:
            self._budget -= len(value) + 1
        self._cache[offset] = value
        return value

    def _fail(self, idx: int, why: str) -> None:
        if len(self.bad) < 64:
            self.bad[idx] = why

    def _decode(self, idx: int, offset: int) -> str | None:
        data = self.data
        char_size = 1 if self.utf8 else 2
        off = offset // char_size
        pool = self._pool_chars
        if off >= pool - 1:
            return self._fail(idx, f"string #{idx} starts at {off}, past the pool end {pool}")
        base = self._strings
        if not self.utf8:
            pos = base + off * 2
            length = u16(data, pos)
            pos += 2
            if length & 0x8000:
                length = ((length & 0x7FFF) << 16) | u16(data, pos)
                pos += 2
            start = (pos - base) // 2
            if start + length >= pool:
                return self._fail(idx, f"string #{idx} extends past the pool end")
            if u16(data, pos + length * 2) != 0:
                return self._fail(idx, f"string #{idx} is not NUL-terminated")
            return data[pos:pos + length * 2].decode("utf-16-le", "replace")
        # UTF-8: two lengths (UTF-16 units, then bytes), each 1 or 2 bytes (ResourceTypes.cpp decodeLength)
        pos = base + off
        end_of_data = min(len(data), base + pool)
        for _ in range(2):
            if pos >= end_of_data:
                return self._fail(idx, f"string #{idx} length lies past the pool end")
            length = data[pos]
            pos += 1
            if length & 0x80:
                if pos >= end_of_data:
                    return self._fail(idx, f"string #{idx} length lies past the pool end")
                length = ((length & 0x7F) << 8) | data[pos]
                pos += 1
        start = pos - base
        if start + length >= pool:
            return self._fail(idx, f"string #{idx} extends past the pool end")
        # stringDecodeAt: aapt truncated lengths above 0x7FFF, so look for the NUL at the encoded
        # length, then at each length whose low 15 bits match.
        end = length
        step = 0
        while start + end < pool:
            self._budget -= 1
            if data[pos + end] == 0:
                raw = data[pos:pos + end]
                try:
                    return raw.decode("utf-8")
                except UnicodeDecodeError:
                    return raw.decode("utf-8", "replace")
            step += 1
            end = (step << 15) | length
        return self._fail(idx, f"string #{idx} is not NUL-terminated")

