"""Helpers for the manifest tests: edit the chunks of a REAL binary manifest (from the corpus)
the way hostile APKs do, and repackage it with the APK's other entries. No tests here."""
from __future__ import annotations

import struct
import zipfile
from pathlib import Path

from apkscan.archive import open_archive

NODE_TYPES = range(0x0100, 0x0180)
CLEAN_POLITEDROID = "eocd-comment-65535__v1.apk"  # malformed corpus: a clean manifest, only the ZIP comment is odd


def split(axml: bytes) -> tuple[int, list[bytes]]:
    """(file chunk type, [top-level chunk bytes]) of a well-formed binary XML."""
    ftype, hsize, size = struct.unpack_from("<HHI", axml, 0)
    chunks, pos = [], hsize
    while pos < size:
        csize = struct.unpack_from("<I", axml, pos + 4)[0]
        chunks.append(axml[pos:pos + csize])
        pos += csize
    return ftype, chunks


def join(chunks: list[bytes], ftype: int = 0x0003, header_pad: bytes = b"") -> bytes:
    header_size = 8 + len(header_pad)
    body = b"".join(chunks)
    return struct.pack("<HHI", ftype, header_size, header_size + len(body)) + header_pad + body


def chunk_type(chunk: bytes) -> int:
    return struct.unpack_from("<H", chunk, 0)[0]


def pad_node_header(chunk: bytes, extra: int = 4) -> bytes:
    """A node whose header is ``16 + extra`` bytes: Android reads its body after the header."""
    ctype, hsize, size = struct.unpack_from("<HHI", chunk, 0)
    return struct.pack("<HHI", ctype, hsize + extra, size + extra) + chunk[8:hsize] + bytes(extra) + chunk[hsize:]


def unknown_chunk(ctype: int, body: bytes = b"\x00" * 8, header_size: int = 8) -> bytes:
    return struct.pack("<HHI", ctype, header_size, 8 + len(body)) + body


def string_pool_strings(axml: bytes) -> list[str]:
    from apkscan.manifest.binxml import decode

    pool = decode(axml).strings
    return [pool.get(i) for i in range(len(pool))]


def replace_utf16(axml: bytes, old: str, new: str) -> bytes:
    """Same-length replacement of a UTF-16 pool string (length prefix + text + NUL)."""
    assert len(old) == len(new)
    needle = struct.pack("<H", len(old)) + old.encode("utf-16-le") + b"\x00\x00"
    assert axml.count(needle) == 1, old
    return axml.replace(needle, struct.pack("<H", len(new)) + new.encode("utf-16-le") + b"\x00\x00")


def element_ranges(chunks: list[bytes], tag_string_index: int) -> list[tuple[int, int]]:
    """(first, last) chunk indexes of every element whose name is string ``tag_string_index``."""
    out, stack = [], []
    for i, c in enumerate(chunks):
        ctype = chunk_type(c)
        if ctype == 0x0102:
            name = struct.unpack_from("<I", c, 16 + 4)[0]
            stack.append((i, name))
        elif ctype == 0x0103:
            start, name = stack.pop()
            if name == tag_string_index:
                out.append((start, i))
    return out


def swap_attributes(chunk: bytes, a: int, b: int) -> bytes:
    """Swap two attribute records of a start-element node (breaking aapt's id order)."""
    hsize = struct.unpack_from("<H", chunk, 2)[0]
    ext = hsize
    start, size = struct.unpack_from("<HH", chunk, ext + 8)
    base = ext + start
    recs = [chunk[base + i * size: base + (i + 1) * size] for i in range(struct.unpack_from("<H", chunk, ext + 12)[0])]
    recs[a], recs[b] = recs[b], recs[a]
    return chunk[:base] + b"".join(recs) + chunk[base + len(recs) * size:]


def repack(src_apk: Path, dst: Path, manifest: bytes, method: int = zipfile.ZIP_DEFLATED) -> Path:
    """Copy ``src_apk`` with AndroidManifest.xml replaced (unsigned; the manifest tests need no signature)."""
    with zipfile.ZipFile(src_apk) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename.startswith("META-INF/"):
                continue
            if info.filename == "AndroidManifest.xml":
                zout.writestr(info.filename, manifest, compress_type=method)
            else:
                zout.writestr(info.filename, zin.read(info.filename))
    return dst


def read_manifest(apk: Path) -> bytes:
    with open_archive(apk) as arc:
        return arc.read("AndroidManifest.xml")


class DictArchive:
    """The two archive methods apkscan.manifest uses, over a dict (for fast fuzzing)."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files

    def entry(self, name: str):
        return name if name in self.files else None

    def read(self, entry, max_size=None) -> bytes:
        from apkscan.archive import ArchiveError

        data = self.files[entry]
        if max_size is not None and len(data) > max_size:
            raise ArchiveError("LIMIT_EXCEEDED", f"{entry} is larger than {max_size}")
        return data
