"""One central-directory entry, resolved the way Android resolves it."""
from __future__ import annotations

from dataclasses import dataclass

from apkscan.archive.records import LocalHeader


@dataclass(frozen=True)
class Entry:
    """Fields come from the central directory (Android uses its method and sizes);
    ``data_offset`` is computed from the *local* header's name and extra lengths, as
    libziparchive FindEntry and apksig LocalFileRecord do. ``data_offset == -1`` means the
    entry cannot be read (no local header, or outside the file)."""

    name: str  # UTF-8 decoded; invalid bytes shown as \\xNN (see raw_name)
    method: int
    flags: int
    crc32: int
    compressed_size: int
    uncompressed_size: int
    local_header_offset: int
    data_offset: int
    index: int  # position in the central directory
    is_dir: bool
    extra: bytes = b""  # central-directory extra field
    comment: str = ""
    raw_name: bytes = b""
    local_header: LocalHeader | None = None
    version_made_by: int = 0
    external_attr: int = 0
    hidden: bool = False  # beyond the EOCD record count: Android never sees it

    @property
    def readable(self) -> bool:
        return self.data_offset >= 0

    @property
    def stored_span(self) -> int:
        """Bytes of file data Android reads for this entry: the compressed size for DEFLATED,
        the uncompressed size otherwise (AssetsProvider maps uncompressed_length bytes for any
        non-deflated method)."""
        return self.compressed_size if self.method == 8 else self.uncompressed_size
