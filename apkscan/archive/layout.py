"""Whole-archive checks on the resolved entries: what sits before, between and over them,
and what their declared methods and sizes promise."""
from __future__ import annotations

import struct

from apkscan.archive.anomalies import AnomalyLog
from apkscan.archive.entry import Entry
from apkscan.archive.fileio import FileReader
from apkscan.archive.limits import Limits
from apkscan.archive.records import (
    FLAG_ENCRYPTED,
    FLAG_STRONG_ENCRYPTION,
    LFH_SIG,
    METHOD_DEFLATED,
    METHOD_STORED,
)

DEX_MAGIC = b"dex\n"


def check_prefix(reader: FileReader, entries: tuple[Entry, ...], log: AnomalyLog) -> None:
    """Data before the first local header. Since the December 2017 fix for Janus
    (CVE-2017-13156, bug 64211847) libziparchive ParseZipArchive refuses any archive whose first
    four bytes are not a local-header signature; before it, a DEX prepended to a v1-signed APK
    was executed by ART while the signature still verified."""
    offsets = [e.local_header_offset for e in entries if e.readable]
    if not offsets:
        return
    first = min(offsets)
    head = reader.pread(0, 64)
    if first == 0 and head[:4] == LFH_SIG:
        return
    android = ("accepted" if head[:4] == LFH_SIG else
               "rejected since the Janus fix (first bytes must be a local file header); "
               "executed as DEX by unpatched Android 5.0-8.0 when a DEX is prepended")
    log.add("ZIP_DATA_BEFORE_FIRST_ENTRY", f"{first} bytes before the first local file header",
            bytes=first, head=head[:16].hex(), android=android)
    if head[:4] == DEX_MAGIC:
        declared = struct.unpack_from("<I", head, 32)[0] if len(head) >= 36 else None
        log.add("ZIP_PREPENDED_DEX",
                "the file starts with a DEX header: an APK with a DEX prepended (Janus, CVE-2017-13156)",
                dex_version=head[4:7].decode("ascii", "replace"), dex_file_size=declared, zip_starts_at=first,
                android=android)


def check_overlaps(entries: tuple[Entry, ...], log: AnomalyLog) -> None:
    """Local records that overlap: overlapping-file zip bombs (Fifield 2019) and several CD
    entries sharing one local header to smuggle different names onto the same bytes."""
    spans = sorted(((e.local_header_offset, e.data_offset + e.stored_span, e) for e in entries if e.readable),
                   key=lambda span: (span[0], span[1]))
    widest: tuple[int, Entry] | None = None
    for start, end, e in spans:
        if widest is not None and start < widest[0]:
            log.add_entry("ZIP_OVERLAPPING_ENTRIES", "entries whose local records overlap", e.name,
                          index=e.index, overlaps=widest[1].name, start=start, previous_end=widest[0],
                          android="accepted: Android reads each entry independently")
        if widest is None or end > widest[0]:
            widest = (end, e)


def check_declared(entries: tuple[Entry, ...], limits: Limits, log: AnomalyLog) -> None:
    total = 0
    for e in entries:
        total += e.uncompressed_size
        if e.flags & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION):
            log.add_entry("ZIP_ENCRYPTED_FLAG",
                          "entry flagged as encrypted: Android ignores the flag and reads the data as plain, "
                          "while zip tools (jadx, apktool, zipfile) ask for a password or give up",
                          e.name, index=e.index, flags=f"0x{e.flags:04x}",
                          android="ignored: libziparchive never checks general-purpose bit 0")
        if e.method not in (METHOD_STORED, METHOD_DEFLATED):
            log.add_entry("ZIP_UNSUPPORTED_METHOD",
                          "compression method other than STORED/DEFLATED in the central directory",
                          e.name, index=e.index, method=e.method,
                          android="manifest and resources are read as STORED (AssetsProvider.cpp maps "
                          "uncompressed_length raw bytes for any non-deflated method; Android 9+), so the APK "
                          "installs while zip tools refuse the entry; libziparchive ExtractToMemory (DEX, "
                          "native libs) fails on it; apksig inflates it")
        elif e.method == METHOD_STORED and e.compressed_size != e.uncompressed_size:
            log.add_entry("ZIP_STORED_SIZE_MISMATCH", "STORED entry whose compressed and uncompressed sizes differ",
                          e.name, index=e.index, compressed=e.compressed_size, uncompressed=e.uncompressed_size,
                          android="uses the uncompressed size (CopyEntryToWriter, AssetsProvider)")
        if e.method == METHOD_DEFLATED and e.uncompressed_size > limits.ratio_min_size:
            ratio = e.uncompressed_size / max(e.compressed_size, 1)
            if ratio > limits.max_ratio:
                log.add_entry("ZIP_HIGH_COMPRESSION_RATIO",
                              f"declared compression ratio above {limits.max_ratio:g} (zip bomb or size lie)",
                              e.name, index=e.index, compressed=e.compressed_size,
                              uncompressed=e.uncompressed_size, ratio=round(ratio, 1))
        if e.uncompressed_size > limits.max_entry_size:
            log.add_entry("ZIP_DECLARED_SIZE_OVER_LIMIT", "declared uncompressed sizes above the limits",
                          e.name, index=e.index, uncompressed=e.uncompressed_size, limit=limits.max_entry_size)
    if total > limits.max_total_uncompressed:
        log.add_entry("ZIP_DECLARED_SIZE_OVER_LIMIT", "declared uncompressed sizes above the limits",
                      "(all entries)", total_declared=total, limit=limits.max_total_uncompressed)
