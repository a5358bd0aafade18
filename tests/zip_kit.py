"""A ZIP writer for the archive tests, byte by byte: honest by default, every field of the local
header, central directory and EOCD of each member overridable, so one test = one trick
(test_archive_tricks, test_archive_stream, test_archive_fuzz, test_perf_archive_pieces)."""
from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from apkscan.archive import Archive, Limits, open_archive



def deflate(data: bytes, level: int = 6) -> bytes:
    c = zlib.compressobj(level, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


@dataclass
class Member:
    name: str | bytes
    data: bytes = b""
    method: int = 8
    flags: int = 0
    payload: bytes | None = None  # the bytes written after the local header (default: data, compressed)
    lfh: dict = field(default_factory=dict)  # overrides: method flags crc csize usize name extra
    cd: dict = field(default_factory=dict)  # overrides: method flags crc csize usize name extra lho
    descriptor: bytes = b""  # written after the payload


def build_zip(members: list[Member], *, prefix: bytes = b"", adjust_offsets: bool = True,
              comment: bytes = b"", trailing: bytes = b"", eocd: dict | None = None,
              cd_tail: bytes = b"", before_eocd: bytes = b"", zip64: bool = False) -> bytes:
    out = bytearray(prefix)
    base = len(prefix) if adjust_offsets else 0
    central = bytearray()
    for m in members:
        name = m.name.encode() if isinstance(m.name, str) else m.name
        payload = m.payload if m.payload is not None else (deflate(m.data) if m.method == 8 else m.data)
        crc = zlib.crc32(m.data)
        lo = {"method": m.method, "flags": m.flags, "crc": crc, "csize": len(payload), "usize": len(m.data),
              "name": name, "extra": b"", **m.lfh}
        lho = len(out) - len(prefix) + base
        out += struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, lo["flags"], lo["method"], 0, 0x21,
                           lo["crc"], lo["csize"], lo["usize"], len(lo["name"]), len(lo["extra"]))
        out += lo["name"] + lo["extra"] + payload + m.descriptor
        c = {"method": m.method, "flags": m.flags, "crc": crc, "csize": len(payload), "usize": len(m.data),
             "name": name, "extra": b"", "lho": lho, **m.cd}
        central += struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 0x314, 20, c["flags"], c["method"], 0, 0x21,
                               c["crc"], c["csize"], c["usize"], len(c["name"]), len(c["extra"]), 0, 0, 0, 0,
                               c["lho"])
        central += c["name"] + c["extra"]
    central += cd_tail
    cd_offset = len(out) - len(prefix) + base
    out += central
    out += before_eocd
    e = {"disk": 0, "cd_disk": 0, "on_disk": len(members), "total": len(members), "cd_size": len(central),
         "cd_offset": cd_offset, "comment_len": len(comment), **(eocd or {})}
    if zip64:
        z64_offset = len(out) - len(prefix) + base
        out += struct.pack("<4sQHHIIQQQQ", b"PK\x06\x06", 44, 45, 45, 0, 0, e["on_disk"], e["total"],
                           e["cd_size"], e["cd_offset"])
        out += struct.pack("<4sIQI", b"PK\x06\x07", 0, z64_offset, 1)
        e.update(on_disk=0xFFFF, total=0xFFFF, cd_size=0xFFFFFFFF, cd_offset=0xFFFFFFFF)
    out += struct.pack("<4sHHHHIIH", b"PK\x05\x06", e["disk"], e["cd_disk"], e["on_disk"], e["total"],
                       e["cd_size"], e["cd_offset"], e["comment_len"])
    out += comment + trailing
    return bytes(out)


MANIFEST = b"<manifest package='com.vnid'/>" * 20
DEX = b"dex\n035\x00" + bytes(range(256)) * 8


def simple_members() -> list[Member]:
    return [
        Member("AndroidManifest.xml", MANIFEST, method=8),
        Member("classes.dex", DEX, method=0),
        Member("res/raw/a.txt", b"hello " * 100, method=8),
    ]


def write(tmp_path: Path, data: bytes, name: str = "t.apk") -> str:
    p = tmp_path / name
    p.write_bytes(data)
    return str(p)


def open_bytes(tmp_path: Path, data: bytes, limits: Limits | None = None) -> Archive:
    return open_archive(write(tmp_path, data), limits or Limits())


def ids(arc: Archive) -> set[str]:
    return {a.id for a in arc.anomalies}


def anomaly(arc: Archive, anomaly_id: str):
    return next(a for a in arc.anomalies if a.id == anomaly_id)
