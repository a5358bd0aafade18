"""Entry-name checks. Names are never used as file paths by apkscan; these flag names that
would escape an extraction directory or confuse tools."""
from __future__ import annotations

import re

from apkscan.archive.anomalies import AnomalyLog
from apkscan.archive.entry import Entry

_DRIVE = re.compile(r"^[A-Za-z]:")
_SEPARATORS = re.compile(r"[/\\]")
MAX_COMPONENT = 255  # NAME_MAX; Zimperium (2023) saw >256-byte names crash analysis tools

# libziparchive IsValidEntryName (entry_name_utils-inl.h): valid UTF-8 and no NUL, else the
# whole archive is refused with kInvalidEntryName.
ANDROID_BAD_NAME = "rejected: libziparchive refuses archives with NUL or non-UTF-8 names (kInvalidEntryName)"


def decode_name(raw: bytes) -> tuple[str, bool]:
    """(display name, valid UTF-8)."""
    try:
        return raw.decode("utf-8"), True
    except UnicodeDecodeError:
        return raw.decode("utf-8", "backslashreplace"), False


def check_names(entries: tuple[Entry, ...], max_name_len: int, log: AnomalyLog) -> None:
    seen: dict[bytes, int] = {}
    for e in entries:
        raw, name = e.raw_name, e.name
        if not raw:
            log.add_entry("ZIP_NAME_EMPTY", "entry with an empty name", name, index=e.index,
                          android="unreachable: FindEntry refuses empty names")
        if b"\x00" in raw:
            log.add_entry("ZIP_NAME_NUL", "NUL byte in an entry name (C tools truncate the name there)",
                          name, index=e.index, android=ANDROID_BAD_NAME)
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            log.add_entry("ZIP_NAME_INVALID_UTF8", "entry name is not valid UTF-8", name,
                          index=e.index, raw=raw[:256].hex(), android=ANDROID_BAD_NAME)
        if "\\" in name:
            log.add_entry("ZIP_NAME_BACKSLASH",
                          "backslash in an entry name (a directory separator for Windows tools, a plain character for Android)",
                          name, index=e.index, android="treated as an ordinary character")
        parts = _SEPARATORS.split(name)
        if ".." in parts:
            log.add_entry("ZIP_NAME_TRAVERSAL", "entry name climbs out of the extraction directory ('..')",
                          name, index=e.index, android="the package manager never extracts by entry name; "
                          "native-library and app-side unzip code that does is vulnerable (Zip Slip)")
        if name.startswith(("/", "\\")) or _DRIVE.match(name):
            log.add_entry("ZIP_NAME_ABSOLUTE", "absolute entry name", name, index=e.index,
                          android="accepted as an ordinary name")
        longest = len(raw) if len(raw) <= MAX_COMPONENT else max(
            len(p.encode("utf-8", "surrogatepass")) for p in parts)
        if len(raw) > max_name_len or longest > MAX_COMPONENT:
            log.add_entry("ZIP_NAME_TOO_LONG", "entry name (or one of its components) is unusually long",
                          name[:256], index=e.index, length=len(raw), longest_component=longest,
                          android="accepted (names up to 65535 bytes)")
        first = seen.setdefault(raw, e.index)
        if first != e.index:
            log.add_entry("ZIP_DUPLICATE_ENTRY",
                          "two central-directory entries share a name; tools disagree on which one they read",
                          name, indexes=[first, e.index],
                          android="rejected: zip_cd_entry_map.cc AddToMap returns kDuplicateEntry, so "
                          "libziparchive refuses the archive; apkscan reads the first one")
