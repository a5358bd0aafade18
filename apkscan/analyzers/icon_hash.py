"""Perceptual hashes of launcher icons (PNG, WebP, JPEG), to recognise a fake that copies the
genuine app's icon.

Two 64-bit hashes of the icon composited on white and reduced to grey, plus its colours:
* pHash: the 8x8 lowest frequencies of a 32x32 DCT-II (DC excluded), each bit = above median;
* dHash: 9x8 thumbnail, each bit = pixel brighter than its right neighbour;
* colour: the mean RGB of each quarter of the icon (grey hashes alone cannot tell a red icon
  from a blue one with the same shape).
All three survive re-scaling and re-compression; together they rarely match unrelated pictures.
Hostile icons are bounded: only the header is read before the pixel count is checked.
"""
from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass, field
from functools import lru_cache

MAX_ICON_BYTES = 4 << 20
MAX_PIXELS = 4096 * 4096
ACCEPTED_FORMATS = ("PNG", "WEBP", "JPEG")
# Matching thresholds (bits out of 64), [derived]: the same icon re-rendered at another density
# stays within a few bits; unrelated icons differ by ~32.
PHASH_MATCH = 8
DHASH_MATCH = 12
COLOUR_MATCH = 40  # largest per-channel difference of the quarter means (0..255)
_TEXT = re.compile(r"p([0-9a-f]{16})d([0-9a-f]{16})c([0-9a-f]{24})")
FLAT_RANGE = 12  # grey levels: below this spread the icon is a flat colour


@dataclass(frozen=True)
class IconHash:
    phash: int
    dhash: int
    colour: bytes = b""  # 12 bytes: mean R, G, B of the four quarters
    width: int = field(default=0, compare=False)
    height: int = field(default=0, compare=False)

    def to_text(self) -> str:
        return f"p{self.phash:016x}d{self.dhash:016x}c{self.colour.hex()}"

    @classmethod
    def from_text(cls, text: str) -> "IconHash | None":
        m = _TEXT.fullmatch((text or "").strip().lower())
        if m is None:
            return None
        return cls(int(m.group(1), 16), int(m.group(2), 16), bytes.fromhex(m.group(3)))

    @property
    def informative(self) -> bool:
        """A flat or nearly flat icon hashes to (almost) all zeros or ones and would 'match'
        every other flat icon: such a reference is not used."""
        ones = bin(self.dhash).count("1")
        return 4 <= ones <= 60 and self.phash not in (0, (1 << 64) - 1)


def _pillow():
    try:
        from PIL import Image  # Pillow: the only PNG/WebP decoder we rely on
    except ImportError:  # pragma: no cover - Pillow is a dependency
        return None
    return Image


def hash_icon(data: bytes) -> IconHash | None:
    """-> IconHash, or None when the bytes are not a decodable icon within the limits."""
    Image = _pillow()
    if Image is None or not data or len(data) > MAX_ICON_BYTES:
        return None
    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.format not in ACCEPTED_FORMATS:
                return None
            width, height = img.size
            if width <= 0 or height <= 0 or width * height > MAX_PIXELS:
                return None
            img.draft("RGB", (64, 64))  # JPEG: decode at a reduced scale
            rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        flat = Image.alpha_composite(background, rgba).convert("RGB")
        grey = flat.convert("L")
        colour = flat.resize((2, 2), Image.Resampling.BOX).tobytes()
        small = list(grey.resize((32, 32), Image.Resampling.LANCZOS).tobytes())
        thumb = list(grey.resize((9, 8), Image.Resampling.LANCZOS).tobytes())
    except Exception:  # any decoder error on hostile bytes means "no usable icon"
        return None
    if max(small) - min(small) < FLAT_RANGE:
        return None  # a flat picture has no shape to recognise
    return IconHash(_phash(small), _dhash(thumb), colour, width, height)


@lru_cache(maxsize=1)
def _dct_table() -> tuple[tuple[float, ...], ...]:
    n = 32
    return tuple(tuple(math.cos(math.pi * (2 * x + 1) * u / (2 * n)) for x in range(n)) for u in range(8))


def _phash(pixels: list[int]) -> int:
    table = _dct_table()
    rows = [pixels[r * 32:(r + 1) * 32] for r in range(32)]
    # Separable DCT-II, only the 8 lowest frequencies in each direction are needed.
    row_coef = [[sum(c * p for c, p in zip(table[u], row)) for u in range(8)] for row in rows]
    coef = [[sum(table[v][y] * row_coef[y][u] for y in range(32)) for u in range(8)] for v in range(8)]
    flat = [coef[v][u] for v in range(8) for u in range(8)]
    ac = flat[1:]
    median = sorted(ac)[len(ac) // 2]
    bits = 0
    for value in flat:
        bits = (bits << 1) | (1 if value > median else 0)
    return bits


def _dhash(pixels: list[int]) -> int:
    bits = 0
    for row in range(8):
        line = pixels[row * 9:(row + 1) * 9]
        for col in range(8):
            bits = (bits << 1) | (1 if line[col] > line[col + 1] else 0)
    return bits


def distance(a: IconHash, b: IconHash) -> tuple[int, int]:
    return bin(a.phash ^ b.phash).count("1"), bin(a.dhash ^ b.dhash).count("1")


def colour_distance(a: IconHash, b: IconHash) -> int:
    if len(a.colour) != 12 or len(b.colour) != 12:
        return 255
    return max(abs(x - y) for x, y in zip(a.colour, b.colour))


def matches(candidate: IconHash, reference: IconHash) -> bool:
    if not reference.informative:
        return False
    pd, dd = distance(candidate, reference)
    return pd <= PHASH_MATCH and dd <= DHASH_MATCH and colour_distance(candidate, reference) <= COLOUR_MATCH


# A near copy (the genuine icon re-encoded or with a few pixels changed) is evidence on its own;
# a looser match only supports other signals.
NEAR_COPY_BITS = 8
NEAR_COPY_COLOUR = 24


def near_copy(candidate: IconHash, reference: IconHash) -> bool:
    pd, dd = distance(candidate, reference)
    return matches(candidate, reference) and pd + dd <= NEAR_COPY_BITS and \
        colour_distance(candidate, reference) <= NEAR_COPY_COLOUR


def similarity(a: IconHash, b: IconHash) -> float:
    pd, dd = distance(a, b)
    return round(1.0 - (pd + dd) / 128.0, 3)
