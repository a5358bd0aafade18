"""Walk the central directory record by record, as libziparchive ParseZipArchive does."""
from __future__ import annotations

from apkscan.archive.anomalies import AnomalyLog
from apkscan.archive.eocd import ANDROID_REJECTS, CdLocation
from apkscan.archive.errors import ArchiveError
from apkscan.archive.fileio import FileReader
from apkscan.archive.limits import Limits
from apkscan.archive.records import CdRecord, parse_cd_record


def read_central_directory(reader: FileReader, loc: CdLocation, limits: Limits,
                           log: AnomalyLog) -> tuple[list[CdRecord], list[CdRecord]]:
    """(records Android sees, hidden records after them inside cd_size).

    Android reads exactly the EOCD's total record count from the mapped
    [cd_offset, cd_offset + cd_size): fewer records than announced is fatal there ("ran off the
    end" / "missed a central dir sig"), more records are simply never looked at, while tools that
    walk the whole central directory (Python's zipfile) see them: a way to show analysers a
    different APK. We keep the records we could parse and report the lie.
    """
    if loc.cd_size > limits.max_cd_size:
        raise ArchiveError("LIMIT_EXCEEDED", f"central directory of {loc.cd_size} bytes exceeds max_cd_size {limits.max_cd_size}")
    if loc.records > limits.max_entries:
        raise ArchiveError("LIMIT_EXCEEDED", f"{loc.records} entries declared, max_entries is {limits.max_entries}")
    cd = memoryview(reader.pread(loc.cd_offset, loc.cd_size))
    if len(cd) < loc.cd_size:
        raise ArchiveError("TRUNCATED", "central directory runs past end of file")

    records: list[CdRecord] = []
    pos = 0
    failure = ""
    for _ in range(loc.records):
        record = parse_cd_record(cd, pos)
        if isinstance(record, str):
            failure = record
            break
        records.append(record)
        pos += record.length
    if not records and loc.records:
        raise ArchiveError("BAD_CD", f"first central directory record unreadable: {failure}")

    hidden: list[CdRecord] = []
    if not failure:
        while pos < len(cd) and len(records) + len(hidden) < limits.max_entries:
            record = parse_cd_record(cd, pos)
            if isinstance(record, str):
                break
            hidden.append(record)
            pos += record.length

    if failure:
        log.add("ZIP_CD_COUNT_MISMATCH",
                f"EOCD announces {loc.records} entries but the central directory holds only "
                f"{len(records)} readable records ({failure})",
                declared=loc.records, found=len(records), hidden=0, android=ANDROID_REJECTS)
    elif hidden:
        log.add("ZIP_CD_COUNT_MISMATCH",
                f"{len(hidden)} central directory records beyond the EOCD count of {loc.records}: "
                "invisible to Android, visible to tools that walk the whole directory",
                declared=loc.records, found=len(records) + len(hidden), hidden=len(hidden),
                hidden_names=[r.raw_name.decode("utf-8", "backslashreplace") for r in hidden[:limits.max_anomaly_examples]],
                android="hidden entries are never seen by Android")
    leftover = len(cd) - pos
    if leftover > 0 and not failure:
        log.add("ZIP_CD_GAP", f"{leftover} unused bytes at the end of the central directory",
                gap=leftover, cd_end=loc.cd_offset + pos, eocd_offset=loc.cd_limit,
                android="ignored: libziparchive stops after the announced record count")
    return records, hidden
