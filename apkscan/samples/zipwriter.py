"""Deterministic ZIP writer for APKs.

From PKWARE APPNOTE.TXT (local file header, central directory header, end of central directory)
with Android's packaging rules: fixed timestamps (so the same recipe gives the same bytes),
stored entries whose data starts on a 4-byte boundary (zipalign; ``resources.arsc`` must be
stored and aligned for targetSdk >= 30, PackageManager rejects it otherwise), stored native
libraries page-aligned so they can be mapped straight from the APK (extractNativeLibs=false).
Padding goes in an "Android ZIP alignment" extra field (id 0xD935: u16 alignment + zero bytes),
the way apksig's zipalign does it.
"""
from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

DOS_TIME = 0  # 00:00:00
DOS_DATE = ((1981 - 1980) << 9) | (1 << 5) | 1  # 1981-01-01, as reproducible-build tools use
ALIGNMENT_EXTRA_ID = 0xD935
LFH_SIG, CDH_SIG, EOCD_SIG = 0x04034B50, 0x02014B50, 0x06054B50
FLAG_UTF8 = 0x0800


@dataclass(frozen=True)
class ZipEntry:
    name: str
    data: bytes
    compress: bool = True
    alignment: int = 4  # for stored entries


def must_store(name: str) -> bool:
    """Entries Android needs uncompressed: resources.arsc (R+), and already-compressed media."""
    return name == "resources.arsc" or name.endswith((".png", ".jpg", ".webp", ".mp4", ".ogg"))


def default_entry(name: str, data: bytes, compress_native: bool = False) -> ZipEntry:
    if name.endswith(".so") and name.startswith("lib/"):
        return ZipEntry(name, data, compress=compress_native, alignment=16384)
    return ZipEntry(name, data, compress=not must_store(name), alignment=4)


FAST_DEFLATE_ABOVE = 1 << 20


def _deflate(data: bytes) -> bytes:
    # zlib's default level 6 (within ~1% of level 9 on APK content); level 1 for bulk entries over
    # 1 MiB, so multi-GB benchmark dumps build in minutes (inflating costs the same either way).
    level = 1 if len(data) > FAST_DEFLATE_ABOVE else 6
    c = zlib.compressobj(level, zlib.DEFLATED, -15, 8)
    return c.compress(data) + c.flush()


def write_zip(entries: list[ZipEntry]) -> bytes:
    """Return the ZIP archive bytes; entries are written in the given order."""
    seen = set()
    out = bytearray()
    central = bytearray()
    for e in entries:
        if e.name in seen:
            raise ValueError(f"duplicate entry {e.name}")
        seen.add(e.name)
        name = e.name.encode("utf-8")
        flags = FLAG_UTF8 if not name.isascii() else 0
        crc = zlib.crc32(e.data) & 0xFFFFFFFF
        if e.compress:
            method, payload, version = 8, _deflate(e.data), 20
        else:
            method, payload, version = 0, e.data, 10
        extra = b""
        offset = len(out)
        if method == 0 and e.alignment > 1:
            data_start = offset + 30 + len(name) + 6
            pad = (-data_start) % e.alignment
            extra = struct.pack("<HHH", ALIGNMENT_EXTRA_ID, 2 + pad, e.alignment) + b"\x00" * pad
        if len(payload) > 0xFFFFFFFE or offset > 0xFFFFFFFE:
            raise ValueError("ZIP64 is not supported by the sample writer")
        out += struct.pack("<IHHHHHIIIHH", LFH_SIG, version, flags, method, DOS_TIME, DOS_DATE, crc,
                           len(payload), len(e.data), len(name), len(extra))
        out += name + extra + payload
        central += struct.pack("<IHHHHHHIIIHHHHHII", CDH_SIG, version, version, flags, method, DOS_TIME,
                               DOS_DATE, crc, len(payload), len(e.data), len(name), 0, 0, 0, 0, 0, offset)
        central += name
    cd_offset = len(out)
    out += central
    out += struct.pack("<IHHHHIIH", EOCD_SIG, 0, 0, len(entries), len(entries), len(central), cd_offset, 0)
    return bytes(out)
