"""Little-endian, length-prefixed records of the APK Signing Block schemes (v2, v3, v3.1, v4, stamp).

Both directions use this file: the verifiers read with `Reader`, the signer writes with `lp`/`u32`.
Format: https://source.android.com/docs/security/features/apksigning/v2#apk-signature-scheme-v2-block
(every "length-prefixed" field is a uint32 little-endian byte count followed by that many bytes).
"""
from __future__ import annotations

import struct


class FormatError(ValueError):
    """A record is truncated or its length prefix points outside its parent."""


class Reader:
    """Bounds-checked cursor over a bytes-like object. Never copies more than it returns."""

    __slots__ = ("_buf", "_pos", "_end")

    def __init__(self, buf, start: int = 0, end: int | None = None) -> None:
        self._buf = memoryview(buf) if not isinstance(buf, memoryview) else buf
        self._pos = start
        self._end = len(self._buf) if end is None else end

    @property
    def remaining(self) -> int:
        return self._end - self._pos

    def has_remaining(self) -> bool:
        return self._pos < self._end

    def _take(self, n: int) -> memoryview:
        if n < 0 or n > self.remaining:
            raise FormatError(f"need {n} bytes, {self.remaining} left")
        view = self._buf[self._pos:self._pos + n]
        self._pos += n
        return view

    def u32(self) -> int:
        return struct.unpack_from("<I", self._take(4))[0]

    def i32(self) -> int:
        return struct.unpack_from("<i", self._take(4))[0]

    def u64(self) -> int:
        return struct.unpack_from("<Q", self._take(8))[0]

    def raw(self, n: int) -> bytes:
        return bytes(self._take(n))

    def rest(self) -> bytes:
        return bytes(self._take(self.remaining))

    def lp_reader(self) -> Reader:
        """The next length-prefixed field as a sub-reader (apksig getLengthPrefixedSlice)."""
        n = self.u32()
        if n > self.remaining:
            raise FormatError(f"length prefix {n} exceeds the {self.remaining} bytes left")
        sub = Reader(self._buf, self._pos, self._pos + n)
        self._pos += n
        return sub

    def lp_bytes(self) -> bytes:
        """The next length-prefixed field as bytes (apksig readLengthPrefixedByteArray)."""
        n = self.u32()
        if n > self.remaining:
            raise FormatError(f"length prefix {n} exceeds the {self.remaining} bytes left")
        return self.raw(n)


def lp_reader_and_bytes(reader: Reader) -> tuple[Reader, bytes]:
    """The next length-prefixed field both as a sub-reader and as its exact bytes (signed data
    must be verified over exactly the bytes that were parsed)."""
    n = reader.u32()
    if n > reader.remaining:
        raise FormatError(f"length prefix {n} exceeds the {reader.remaining} bytes left")
    data = reader.raw(n)
    return Reader(data), data


def u32(value: int) -> bytes:
    return struct.pack("<I", value & 0xFFFFFFFF)


def u64(value: int) -> bytes:
    return struct.pack("<Q", value)


def lp(data: bytes) -> bytes:
    """Length-prefix one field."""
    return u32(len(data)) + data


def lp_seq(items) -> bytes:
    """A length-prefixed sequence of length-prefixed elements."""
    return lp(b"".join(lp(item) for item in items))


def id_value(ident: int, value: bytes) -> bytes:
    """One (uint32 id, value) record as used by digests, signatures and additional attributes."""
    return lp(u32(ident) + value)
