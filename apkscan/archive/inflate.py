"""Bounded raw-deflate (zlib wbits=-15, as libziparchive inflateImpl) over a byte range of the file.

Output is produced in steps of at most OUT_STEP bytes, so a bomb is stopped after a few MiB:
the caller gives a ceiling (bytes allowed) and a ratio limit checked on the bytes actually
consumed, never on the declared sizes.
"""
from __future__ import annotations

import zlib
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


def inflate_range(reader: FileReader, offset: int, compressed_size: int, ceiling: int,
                  max_ratio: float, ratio_min_size: int) -> Inflated:
    d = zlib.decompressobj(-15)
    parts: list[bytes] = []
    produced = 0
    read = 0
    crc = 0
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
            chunk = d.decompress(data, min(ceiling + 1 - produced, OUT_STEP))
        except zlib.error as exc:
            raise InflateCorrupt(f"corrupt deflate data: {exc}") from None
        tail = d.unconsumed_tail
        if chunk:
            crc = zlib.crc32(chunk, crc)
            parts.append(chunk)
            produced += len(chunk)
        consumed = read - len(tail)
        if produced > ceiling:
            raise InflateLimit("size", produced, consumed)
        if produced > ratio_min_size and produced > max_ratio * max(consumed, 1):
            raise InflateLimit("ratio", produced, consumed)
        if d.eof:
            return Inflated(b"".join(parts), crc, read - len(tail) - len(d.unused_data))
        if not data and not chunk:
            raise InflateCorrupt("deflate stream ends before its final block")
