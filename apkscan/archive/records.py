"""Fixed ZIP record layouts (APPNOTE.TXT 4.3) and their little-endian parsers.

Pure functions over bytes: no I/O, no policy. Field names follow AOSP
system/libziparchive/zip_archive_common.h.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import NamedTuple

LFH_SIG = b"PK\x03\x04"
CD_SIG = b"PK\x01\x02"
EOCD_SIG = b"PK\x05\x06"
ZIP64_LOCATOR_SIG = b"PK\x06\x07"
ZIP64_EOCD_SIG = b"PK\x06\x06"
DATA_DESCRIPTOR_SIG = b"PK\x07\x08"

EOCD_SIZE = 22
MAX_COMMENT_LEN = 0xFFFF
MAX_EOCD_SEARCH = MAX_COMMENT_LEN + EOCD_SIZE  # libziparchive kMaxEOCDSearch
CD_RECORD_SIZE = 46
LFH_SIZE = 30
ZIP64_LOCATOR_SIZE = 20
ZIP64_EOCD_SIZE = 56
ZIP64_EXTRA_ID = 0x0001

METHOD_STORED = 0
METHOD_DEFLATED = 8

FLAG_ENCRYPTED = 0x0001
FLAG_DATA_DESCRIPTOR = 0x0008
FLAG_STRONG_ENCRYPTION = 0x0040
FLAG_UTF8 = 0x0800

U16_MAX = 0xFFFF
U32_MAX = 0xFFFFFFFF

_EOCD = struct.Struct("<4sHHHHIIH")
_ZIP64_LOCATOR = struct.Struct("<4sIQI")
_ZIP64_EOCD = struct.Struct("<4sQHHIIQQQQ")
_CD = struct.Struct("<4sHHHHHHIIIHHHHHII")
_LFH = struct.Struct("<4sHHHHHIIIHH")


@dataclass(frozen=True)
class Eocd:
    offset: int
    disk_number: int
    cd_start_disk: int
    records_on_disk: int
    records: int
    cd_size: int
    cd_offset: int
    comment_length: int


def parse_eocd(buf: bytes, pos: int, file_offset: int) -> Eocd:
    (_sig, disk, cd_disk, on_disk, total, cd_size, cd_offset, comment_len) = _EOCD.unpack_from(buf, pos)
    return Eocd(file_offset, disk, cd_disk, on_disk, total, cd_size, cd_offset, comment_len)


def parse_zip64_locator(buf: bytes) -> tuple[int, int] | None:
    """(disk with the Zip64 EOCD, its offset) or None without the locator signature."""
    if len(buf) < ZIP64_LOCATOR_SIZE or buf[:4] != ZIP64_LOCATOR_SIG:
        return None
    _sig, disk, offset, _disks = _ZIP64_LOCATOR.unpack_from(buf)
    return disk, offset


@dataclass(frozen=True)
class Zip64Eocd:
    records_on_disk: int
    records: int
    cd_size: int
    cd_offset: int


def parse_zip64_eocd(buf: bytes) -> Zip64Eocd | None:
    if len(buf) < ZIP64_EOCD_SIZE or buf[:4] != ZIP64_EOCD_SIG:
        return None
    f = _ZIP64_EOCD.unpack_from(buf)
    return Zip64Eocd(records_on_disk=f[6], records=f[7], cd_size=f[8], cd_offset=f[9])


class CdRecord(NamedTuple):  # NamedTuple: tens of thousands are built per APK
    record_offset: int  # offset of this record inside the central directory
    version_made_by: int
    flags: int
    method: int
    mod_time: int
    mod_date: int
    crc32: int
    compressed_size: int
    uncompressed_size: int
    disk_start: int
    internal_attr: int
    external_attr: int
    local_header_offset: int
    raw_name: bytes
    extra: bytes
    comment: bytes

    @property
    def length(self) -> int:
        return CD_RECORD_SIZE + len(self.raw_name) + len(self.extra) + len(self.comment)


def parse_cd_record(cd: bytes | memoryview, pos: int) -> CdRecord | str:
    """The record at ``pos`` or a reason string when it does not fit / has no signature."""
    end = len(cd)
    if pos + CD_RECORD_SIZE > end:
        return "central directory ends inside a record header"
    f = _CD.unpack_from(cd, pos)
    if f[0] != CD_SIG:
        return "central directory record signature missing"
    name_len, extra_len, comment_len = f[10], f[11], f[12]
    name_start = pos + CD_RECORD_SIZE
    extra_start = name_start + name_len
    comment_start = extra_start + extra_len
    record_end = comment_start + comment_len
    if record_end > end:
        return "central directory record runs past the central directory"
    return CdRecord(
        record_offset=pos,
        version_made_by=f[1],
        flags=f[3],
        method=f[4],
        mod_time=f[5],
        mod_date=f[6],
        crc32=f[7],
        compressed_size=f[8],
        uncompressed_size=f[9],
        disk_start=f[13],
        internal_attr=f[14],
        external_attr=f[15],
        local_header_offset=f[16],
        raw_name=bytes(cd[name_start:extra_start]),
        extra=bytes(cd[extra_start:comment_start]),
        comment=bytes(cd[comment_start:record_end]),
    )


class LocalHeader(NamedTuple):
    """The local file header as written, kept to compare with the central directory."""

    version_needed: int
    flags: int
    method: int
    crc32: int
    compressed_size: int
    uncompressed_size: int
    name_length: int
    extra_length: int
    raw_name: bytes = b""


def parse_lfh(buf: bytes) -> LocalHeader | None:
    if len(buf) < LFH_SIZE or buf[:4] != LFH_SIG:
        return None
    f = _LFH.unpack_from(buf)
    return LocalHeader(
        version_needed=f[1],
        flags=f[2],
        method=f[3],
        crc32=f[6],
        compressed_size=f[7],
        uncompressed_size=f[8],
        name_length=f[9],
        extra_length=f[10],
        raw_name=bytes(buf[LFH_SIZE : LFH_SIZE + f[9]]),
    )


def zip64_extra_values(extra: bytes, want_uncompressed: bool, want_compressed: bool,
                       want_offset: bool) -> tuple[int | None, int | None, int | None] | None:
    """Values from the Zip64 extended-information field (id 0x0001), in APPNOTE order, for the
    32-bit fields that were 0xFFFFFFFF. None when absent or malformed. Like libziparchive's
    ParseZip64ExtendedInfoInExtraField, a 24-byte field is read completely (Go writes all three)."""
    pos = 0
    while pos + 4 <= len(extra):
        header_id, size = struct.unpack_from("<HH", extra, pos)
        pos += 4
        if size > len(extra) - pos:
            return None
        if header_id != ZIP64_EXTRA_ID:
            pos += size
            continue
        data = extra[pos : pos + size]
        if size == 28:  # trailing disk-start number, ignored as Android does
            data = data[:24]
        complete = len(data) == 24
        values: list[int | None] = []
        cursor = 0
        for wanted in (want_uncompressed, want_compressed, want_offset):
            if wanted or complete:
                if cursor + 8 > len(data):
                    return None
                values.append(struct.unpack_from("<Q", data, cursor)[0])
                cursor += 8
            else:
                values.append(None)
        return values[0], values[1], values[2]
    return None


def parse_data_descriptor(buf: bytes, zip64: bool) -> tuple[int, int, int] | None:
    """(crc32, compressed, uncompressed) of a data descriptor with or without its optional
    signature, as libziparchive ValidateDataDescriptor reads it."""
    if buf[:4] == DATA_DESCRIPTOR_SIG:
        buf = buf[4:]
    need = 20 if zip64 else 12
    if len(buf) < need:
        return None
    if zip64:
        return struct.unpack_from("<IQQ", buf)
    return struct.unpack_from("<III", buf)
