"""Bounded raw-deflate (zlib wbits=-15, as libziparchive inflateImpl) over a byte range of the file.

Output is produced in steps of at most OUT_STEP bytes, so a bomb is stopped after a few MiB:
the caller gives a ceiling (bytes allowed) and a ratio limit checked on the bytes actually
consumed, never on the declared sizes.
"""
from __future__ import annotations

from apkscan.archive import zlib_impl as zlib
from dataclasses import dataclass

from apkscan.archive.fileio import FileReader

IN_CHUNK = 1 << 20
OUT_STEP = 4 << 20


class InflateLimit(Exception):
    def __init__(self, kind: str, produced: int, consumed: int) -> None:
        super().__init__(kind)
        self.kind = kind  # "size" (more than the ceiling) or "ratio"
        self.produced = produced
        self.consumed = consumed


class InflateCorrupt(Exception):
    pass


@dataclass(frozen=True)
class Inflated:
    data: bytes
    crc32: int
    consumed: int  # compressed bytes up to the end of the deflate stream


class InflateStream:
    """The inflated bytes of a range, as an iterator of pieces of at most OUT_STEP bytes, so a
    big entry never has to be held whole. ``crc32`` and ``consumed`` are final once the iteration
    ends; it raises InflateLimit / InflateCorrupt like inflate_range."""

    def __init__(self, reader: FileReader, offset: int, compressed_size: int, ceiling: int,
                 max_ratio: float, ratio_min_size: int) -> None:
        self._args = (reader, offset, compressed_size, ceiling, max_ratio, ratio_min_size)
        self.crc32 = 0
        self.consumed = 0
        self.produced = 0

    def __iter__(self):
        reader, offset, compressed_size, ceiling, max_ratio, ratio_min_size = self._args
        d = zlib.decompressobj(-15)
        read = 0
        tail = b""
        while True:
            if tail:
                data = tail
            elif read < compressed_size:
                data = reader.pread(offset + read, min(IN_CHUNK, compressed_size - read))
                if not data:
                    raise InflateCorrupt("compressed data cut short by end of file")
                read += len(data)
            else:
                data = b""  # input exhausted: drain what zlib still holds
            try:
                chunk = d.decompress(data, min(ceiling + 1 - self.produced, OUT_STEP))
            except zlib.error as exc:
                raise InflateCorrupt(f"corrupt deflate data: {exc}") from None
            tail = d.unconsumed_tail
            consumed = read - len(tail)
            if chunk:
                self.crc32 = zlib.crc32(chunk, self.crc32)
                self.produced += len(chunk)
            if self.produced > ceiling:
                raise InflateLimit("size", self.produced, consumed)
            if self.produced > ratio_min_size and self.produced > max_ratio * max(consumed, 1):
                raise InflateLimit("ratio", self.produced, consumed)
            if chunk:
                yield chunk
            if d.eof:
                self.consumed = read - len(tail) - len(d.unused_data)
                return
            if not data and not chunk:
                raise InflateCorrupt("deflate stream ends before its final block")


def inflate_range(reader: FileReader, offset: int, compressed_size: int, ceiling: int,
                  max_ratio: float, ratio_min_size: int) -> Inflated:
    stream = InflateStream(reader, offset, compressed_size, ceiling, max_ratio, ratio_min_size)
    data = b"".join(stream)
    return Inflated(data, stream.crc32, stream.consumed)
