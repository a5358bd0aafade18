"""Find the End Of Central Directory the way Android does, and say where it differs.

libziparchive (system/libziparchive/zip_archive.cc, FindCentralDirectoryInfo) reads the last
min(size, 65535 + 22) bytes, scans *backwards* for the first ``PK\\5\\6`` that leaves 22 bytes,
and then REJECTS the file unless that record plus its comment ends exactly at end of file
("extraneous bytes at the end of the central directory"); it also rejects a CD that does not
end before the EOCD (``cd_start_offset + cd_size > eocd_offset``). apksig (ZipUtils
findZipEndOfCentralDirectoryRecord) instead takes the record nearest the end whose comment
length is self-consistent. We resolve as Android does when Android can; when it cannot, we keep
analysing with the next usable candidate and record why Android would refuse the file.
"""
from __future__ import annotations

from dataclasses import dataclass

from apkscan.archive.anomalies import AnomalyLog
from apkscan.archive.errors import ArchiveError
from apkscan.archive.fileio import FileReader
from apkscan.archive.records import (
    CD_SIG,
    EOCD_SIG,
    EOCD_SIZE,
    LFH_SIG,
    MAX_EOCD_SEARCH,
    U16_MAX,
    U32_MAX,
    ZIP64_EOCD_SIZE,
    ZIP64_LOCATOR_SIZE,
    Eocd,
    parse_eocd,
    parse_zip64_eocd,
    parse_zip64_locator,
)

MAX_CANDIDATES_TRIED = 8
ANDROID_REJECTS = "rejected: libziparchive refuses to open the archive"


@dataclass(frozen=True)
class CdLocation:
    eocd: Eocd
    eocd_offset: int
    cd_offset: int  # where the central directory really is (shift applied)
    cd_size: int
    records: int
    shift: int  # bytes to add to every offset stored in the archive (prepended data, offsets not fixed)
    zip64: bool  # sizes/offsets came from the Zip64 EOCD record
    zip64_locator: bool
    cd_limit: int  # the central directory must end here (EOCD or Zip64 EOCD record)
    comment: bytes


def locate_central_directory(reader: FileReader, log: AnomalyLog) -> CdLocation:
    size = reader.size
    if size == 0:
        raise ArchiveError("EMPTY", "the file is empty (0 bytes)")
    if size < EOCD_SIZE:
        raise ArchiveError("NOT_A_ZIP", f"{size} bytes is too small to be a ZIP (EOCD alone is 22)")
    search = min(size, MAX_EOCD_SEARCH)
    tail_start = size - search
    tail = reader.pread(tail_start, search)
    candidates = _eocd_positions(tail)
    if not candidates:
        if reader.pread(0, 4) == LFH_SIG:
            raise ArchiveError("TRUNCATED", "local file headers present but no End Of Central Directory: the file is cut short")
        raise ArchiveError("NOT_A_ZIP", "no End Of Central Directory record in the last 64 KiB")

    eocds = [parse_eocd(tail, pos, tail_start + pos) for pos in candidates]
    consistent = [e for e in eocds[1:] if e.offset + EOCD_SIZE + e.comment_length == size]
    consistent_ids = {id(e) for e in consistent}
    # Android's choice first, then self-consistent records (apksig's rule), then the rest.
    order = [eocds[0]] + consistent + [e for e in eocds[1:] if id(e) not in consistent_ids]

    first_reason = ""
    chosen: CdLocation | None = None
    for eocd in order[:MAX_CANDIDATES_TRIED]:
        result = _resolve(reader, eocd)
        if isinstance(result, CdLocation):
            chosen = result
            break
        first_reason = first_reason or result
    if chosen is None:
        if eocds[0].records == 0 and eocds[0].cd_size == 0:
            raise ArchiveError("EMPTY", "the archive has no entries")
        raise ArchiveError("BAD_CD", f"central directory unusable: {first_reason}")

    comment_start = chosen.eocd_offset + EOCD_SIZE - tail_start
    comment = tail[comment_start : comment_start + chosen.eocd.comment_length]
    chosen = _with_comment(chosen, comment)
    _record_anomalies(log, chosen, eocds, size, first_reason)
    return chosen


def _eocd_positions(tail: bytes) -> list[int]:
    """Offsets (in ``tail``) of EOCD signatures that leave room for the 22-byte record,
    nearest the end first: the order of libziparchive's backward scan."""
    positions = []
    end = len(tail) - EOCD_SIZE + 4  # rfind's end bound is exclusive of the last start + len
    while True:
        pos = tail.rfind(EOCD_SIG, 0, end)
        if pos < 0:
            return positions
        positions.append(pos)
        end = pos + 3


def _resolve(reader: FileReader, eocd: Eocd) -> CdLocation | str:
    """Where this EOCD puts the central directory, or why it cannot be used."""
    eocd_offset = eocd.offset
    locator = parse_zip64_locator(reader.pread(eocd_offset - ZIP64_LOCATOR_SIZE, ZIP64_LOCATOR_SIZE)) \
        if eocd_offset >= ZIP64_LOCATOR_SIZE else None
    cd_size, cd_offset, records, cd_limit, zip64 = eocd.cd_size, eocd.cd_offset, eocd.records, eocd_offset, False
    # libziparchive follows the Zip64 EOCD only when cd_size or cd_offset is 0xFFFFFFFF;
    # apksig also when the record count is 0xFFFF (and a locator is present).
    needs_zip64 = cd_size == U32_MAX or cd_offset == U32_MAX or (records == U16_MAX and locator is not None)
    if needs_zip64:
        if locator is None:
            return "Zip64 sizes announced but no Zip64 EOCD locator"
        locator_offset = eocd_offset - ZIP64_LOCATOR_SIZE
        z64_offset = locator[1]
        if z64_offset > locator_offset - ZIP64_EOCD_SIZE:
            return f"Zip64 EOCD offset {z64_offset} does not fit before its locator"
        z64 = parse_zip64_eocd(reader.pread(z64_offset, ZIP64_EOCD_SIZE))
        if z64 is None:
            return f"no Zip64 EOCD record at {z64_offset}"
        cd_size, cd_offset, records, cd_limit, zip64 = z64.cd_size, z64.cd_offset, z64.records, z64_offset, True

    def location(shift: int) -> CdLocation:
        return CdLocation(eocd, eocd_offset, cd_offset + shift, cd_size, records, shift, zip64,
                          locator is not None, cd_limit, b"")

    if records == 0 and cd_size == 0:
        return location(0)
    if cd_offset + cd_size <= cd_limit and reader.pread(cd_offset, 4) == CD_SIG:
        return location(0)
    # Python's zipfile tolerates data prepended without fixing offsets (self-extractors):
    # the CD then sits right before the EOCD and every stored offset is short by the same delta.
    shift = cd_limit - cd_size - cd_offset
    if shift > 0 and reader.pread(cd_offset + shift, 4) == CD_SIG:
        return location(shift)
    if cd_offset + cd_size > cd_limit:
        return f"central directory [{cd_offset}, +{cd_size}) runs past the EOCD at {cd_limit}"
    return f"no central directory record at offset {cd_offset}"


def _with_comment(loc: CdLocation, comment: bytes) -> CdLocation:
    return CdLocation(loc.eocd, loc.eocd_offset, loc.cd_offset, loc.cd_size, loc.records, loc.shift,
                      loc.zip64, loc.zip64_locator, loc.cd_limit, comment)


def _record_anomalies(log: AnomalyLog, loc: CdLocation, eocds: list[Eocd], size: int, reason: str) -> None:
    eocd = loc.eocd
    # A signature before the central directory lies inside entry data (typically a stored .zip/.apk
    # asset placed last): Android and apksig scan backwards and never reach it. Only a record at or
    # after the CD start (in the CD, a gap or the comment) can show tools another directory.
    decoys = [e for e in eocds if e.offset != loc.eocd_offset and e.offset >= loc.cd_offset]
    if decoys:
        log.add("ZIP_EOCD_MULTIPLE",
                f"{len(eocds)} EOCD signatures in the last 64 KiB; a second one is usually a fake "
                "record hidden in the archive comment",
                offsets=[e.offset for e in eocds[:20]], count=len(eocds), used=loc.eocd_offset,
                android_choice=eocds[0].offset)
    if eocd is not eocds[0]:
        log.add("ZIP_EOCD_NOT_LAST",
                f"the EOCD Android picks (at {eocds[0].offset}) is unusable ({reason}); "
                f"analysed with the one at {loc.eocd_offset}",
                android_choice=eocds[0].offset, used=loc.eocd_offset, reason=reason, android=ANDROID_REJECTS)
    end = loc.eocd_offset + EOCD_SIZE + eocd.comment_length
    if end != size:
        detail = (f"{size - end} bytes after the EOCD comment" if end < size
                  else f"EOCD comment length {eocd.comment_length} runs {end - size} bytes past end of file")
        log.add("ZIP_EOCD_TRAILING_DATA", detail, eocd_offset=loc.eocd_offset,
                comment_length=eocd.comment_length, trailing_bytes=size - end, android=ANDROID_REJECTS
                + " (zip_archive.cc: extraneous bytes at the end of the central directory)")
    if eocd.comment_length:
        log.add("ZIP_EOCD_COMMENT", f"archive comment of {eocd.comment_length} bytes",
                length=eocd.comment_length, contains_zip_signatures=b"PK" in loc.comment,
                preview=loc.comment[:64].hex(), android="ignored")
    if eocd.disk_number or eocd.cd_start_disk or eocd.records_on_disk != eocd.records:
        log.add("ZIP_EOCD_DISK_FIELDS",
                "multi-disk fields set or records-on-this-disk differs from the total",
                disk_number=eocd.disk_number, cd_start_disk=eocd.cd_start_disk,
                records_on_disk=eocd.records_on_disk, records=eocd.records,
                android="ignored: libziparchive uses the total record count only")
    if loc.zip64_locator:
        log.add("ZIP_ZIP64", "Zip64 end-of-central-directory locator present (no APK needs Zip64)",
                used_for_sizes=loc.zip64,
                android="read by current libziparchive; older Android and apksig before 8.x reject Zip64")
    if loc.shift:
        log.add("ZIP_CD_OFFSETS_SHIFTED",
                f"central directory found {loc.shift} bytes after its declared offset: data was "
                "prepended without adjusting the ZIP offsets",
                shift=loc.shift, declared_cd_offset=loc.cd_offset - loc.shift, cd_offset=loc.cd_offset,
                android=ANDROID_REJECTS + " (no central directory at the declared offset)")
    gap = loc.cd_limit - (loc.cd_offset + loc.cd_size)
    if gap > 0 and not loc.shift and not loc.zip64_locator:  # Zip64 records legitimately sit there
        log.add("ZIP_CD_GAP", f"{gap} bytes between the central directory and the EOCD",
                gap=gap, cd_end=loc.cd_offset + loc.cd_size, eocd_offset=loc.cd_limit,
                android="ignored: libziparchive only maps [cd_offset, cd_offset + cd_size)")
