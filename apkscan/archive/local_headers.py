"""Turn central-directory records into Entries: follow each to its local file header.

As in libziparchive FindEntry and apksig LocalFileRecord, the data starts after the *local*
header's name and extra fields (their lengths may differ from the central directory's: zipalign
pads the local extra field), while the method, sizes and CRC Android uses are the central
directory's. Disagreements between the two headers are the BadPack family of tricks.
"""
from __future__ import annotations

from apkscan.archive.anomalies import AnomalyLog
from apkscan.archive.entry import Entry
from apkscan.archive.eocd import CdLocation
from apkscan.archive.fileio import FileReader
from apkscan.archive.names import decode_name
from apkscan.archive.records import (
    FLAG_DATA_DESCRIPTOR,
    LFH_SIZE,
    U32_MAX,
    CdRecord,
    LocalHeader,
    parse_lfh,
    zip64_extra_values,
)

ENTRY_UNREADABLE = "entry unreadable on Android: FindEntry fails"


def build_entries(reader: FileReader, loc: CdLocation, records: list[CdRecord], first_index: int,
                  hidden: bool, log: AnomalyLog) -> tuple[Entry, ...]:
    return tuple(_entry(reader, loc, r, first_index + i, hidden, log) for i, r in enumerate(records))


def _entry(reader: FileReader, loc: CdLocation, r: CdRecord, index: int, hidden: bool, log: AnomalyLog) -> Entry:
    name, _valid = decode_name(r.raw_name)
    compressed, uncompressed, lho = r.compressed_size, r.uncompressed_size, r.local_header_offset
    if U32_MAX in (compressed, uncompressed, lho):
        z64 = zip64_extra_values(r.extra, uncompressed == U32_MAX, compressed == U32_MAX, lho == U32_MAX)
        if z64 is not None:
            uncompressed = z64[0] if z64[0] is not None else uncompressed
            compressed = z64[1] if z64[1] is not None else compressed
            lho = z64[2] if z64[2] is not None else lho
    lho += loc.shift
    lfh, data_offset = _local_header(reader, loc, name, index, lho, len(r.raw_name), log)
    entry = Entry(
        name=name,
        method=r.method,
        flags=r.flags,
        crc32=r.crc32,
        compressed_size=compressed,
        uncompressed_size=uncompressed,
        local_header_offset=lho,
        data_offset=data_offset,
        index=index,
        is_dir=name.endswith("/"),
        extra=r.extra,
        comment=r.comment.decode("utf-8", "backslashreplace"),
        raw_name=r.raw_name,
        local_header=lfh,
        version_made_by=r.version_made_by,
        external_attr=r.external_attr,
        hidden=hidden,
    )
    if lfh is not None:
        _compare(reader, entry, lfh, log)
        end = data_offset + entry.stored_span
        if end > loc.cd_offset:
            log.add_entry("ZIP_ENTRY_OUT_OF_BOUNDS", "entry data runs into the central directory or past end of file",
                          name, index=index, data_offset=data_offset, data_end=end, cd_offset=loc.cd_offset,
                          android=ENTRY_UNREADABLE + " (kInvalidOffset: bad compressed/uncompressed length)")
    return entry


def _local_header(reader: FileReader, loc: CdLocation, name: str, index: int, lho: int, cd_name_len: int,
                  log: AnomalyLog) -> tuple[LocalHeader | None, int]:
    # Android refuses the whole archive when an entry's header is not before the CD (ParseZipArchive
    # "bad LFH offset"); FindEntry refuses the entry when header + name reach the CD.
    if lho < 0 or lho + LFH_SIZE > loc.cd_offset:
        log.add_entry("ZIP_ENTRY_OUT_OF_BOUNDS", "local header offset outside the entry area",
                      name, index=index, local_header_offset=lho, cd_offset=loc.cd_offset,
                      android="rejected: libziparchive refuses the archive (bad LFH offset)")
        return None, -1
    buf = reader.pread(lho, LFH_SIZE + cd_name_len)
    lfh = parse_lfh(buf)
    if lfh is None:
        log.add_entry("ZIP_LFH_MISSING", "no local file header signature where the central directory points",
                      name, index=index, local_header_offset=lho, found=buf[:4].hex(),
                      android=ENTRY_UNREADABLE + " (kInvalidOffset)")
        return None, -1
    if lfh.name_length > cd_name_len:  # read the whole local name to compare it
        lfh = lfh._replace(raw_name=reader.pread(lho + LFH_SIZE, lfh.name_length))
    return lfh, lho + LFH_SIZE + lfh.name_length + lfh.extra_length


def _compare(reader: FileReader, e: Entry, lfh: LocalHeader, log: AnomalyLog) -> None:
    fields: dict[str, list] = {}
    fatal = False
    if lfh.raw_name != e.raw_name:
        fields["name"] = [decode_name(lfh.raw_name)[0][:256], e.name[:256]]
        fatal = True
    if lfh.method != e.method:
        fields["method"] = [lfh.method, e.method]
    if lfh.flags != e.flags:
        fields["flags"] = [f"0x{lfh.flags:04x}", f"0x{e.flags:04x}"]
    if not lfh.flags & FLAG_DATA_DESCRIPTOR:
        # Without a data descriptor, current libziparchive (and apksig) require CRC and sizes to agree.
        l_comp, l_uncomp = lfh.compressed_size, lfh.uncompressed_size
        if l_comp == U32_MAX and l_uncomp == U32_MAX:
            extra = reader.pread(e.local_header_offset + LFH_SIZE + lfh.name_length, lfh.extra_length)
            z64 = zip64_extra_values(extra, True, True, False)
            if z64 is not None:
                l_uncomp, l_comp = z64[0], z64[1]
        for key, local, central in (("crc32", lfh.crc32, e.crc32), ("compressed_size", l_comp, e.compressed_size),
                                    ("uncompressed_size", l_uncomp, e.uncompressed_size)):
            if local != central:
                fields[key] = [local, central]
                fatal = True
    if not fields:
        return
    android = (ENTRY_UNREADABLE + " (kInconsistentInformation); apksig fails too" if fatal else
               "ignored: Android reads method and sizes from the central directory, so the APK installs "
               "while tools that trust the local header fail (BadPack)")
    log.add_entry("ZIP_LFH_CD_MISMATCH", "local file header disagrees with the central directory",
                  e.name, index=e.index, fields=fields, android_effect=android)
