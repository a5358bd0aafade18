"""Deterministic launcher-icon PNGs.

PNG from the W3C PNG specification: signature, IHDR (8-bit RGBA), one zlib IDAT of filter-0
scanlines, IEND; each chunk carries a CRC-32 over its type and data. The picture is a coloured
disc with a symmetric 5x5 "identicon" drawn from a seed, so distinct apps get distinct icons,
and a fake that copies the genuine recipe's (seed, colour) gets the very same pixels.
``perturb`` flips a few pixels: a near-copy whose file hash differs but which looks the same.
"""
from __future__ import annotations

import hashlib
import struct
import zlib

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def encode_png(width: int, height: int, rgba_rows: list[bytes]) -> bytes:
    raw = b"".join(b"\x00" + row for row in rgba_rows)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8-bit RGBA, no interlace
    return PNG_SIGNATURE + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(raw, 9)) + _chunk(b"IEND", b"")


def parse_colour(colour: str) -> tuple[int, int, int]:
    c = colour.lstrip("#")
    if len(c) != 6:
        raise ValueError(f"colour must be #rrggbb, got {colour!r}")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


def icon_png(seed: str, colour: str | None = None, size: int = 144, perturb: int = 0) -> bytes:
    digest = hashlib.sha256(seed.encode("utf-8")).digest()
    bg = parse_colour(colour) if colour else (digest[0], digest[1], digest[2])
    # white or near-black glyph, whichever contrasts with the background
    fg = (250, 250, 250) if sum(bg) < 450 else (20, 20, 20)
    cells = [[(digest[4 + r * 3 + min(c, 4 - c)] & 1) for c in range(5)] for r in range(5)]
    radius = size / 2 - 1
    cx = cy = (size - 1) / 2
    cell = size * 0.6 / 5
    x0 = y0 = size * 0.2
    rows = []
    for y in range(size):
        row = bytearray()
        for x in range(size):
            dx, dy = x - cx, y - cy
            if dx * dx + dy * dy > radius * radius:
                row += b"\x00\x00\x00\x00"
                continue
            gx, gy = int((x - x0) // cell), int((y - y0) // cell)
            on = 0 <= gx < 5 and 0 <= gy < 5 and cells[gy][gx]
            row += bytes(fg if on else bg) + b"\xff"
        rows.append(row)
    for i in range(perturb):
        x, y = (digest[(8 + i) % 32] * 7 + i * 13) % size, size // 2 + (i % 5) - 2
        px = rows[y][4 * x:4 * x + 4]
        rows[y][4 * x:4 * x + 3] = bytes(min(255, v + 3) for v in px[:3])
    return encode_png(size, size, [bytes(r) for r in rows])


def noise_png(seed: str, width: int, height: int) -> bytes:
    """An incompressible RGBA picture (photo-like bulk for realistic resource sizes)."""
    import random

    rng = random.Random(hashlib.sha256(seed.encode("utf-8")).digest())
    return encode_png(width, height, [rng.randbytes(4 * width) for _ in range(height)])
