"""The only exception the archive layer lets out."""
from __future__ import annotations

# Codes from docs/ARCHITECTURE.md, plus NOT_FOUND (no entry of that name) and IO_ERROR
# (the file cannot be opened or read), INTERNAL (a bug in apkscan, never the input's fault).
ERROR_CODES = (
    "NOT_A_ZIP",
    "TRUNCATED",
    "EMPTY",
    "BAD_CD",
    "BAD_ENTRY",
    "LIMIT_EXCEEDED",
    "NOT_FOUND",
    "IO_ERROR",
    "INTERNAL",
)


class ArchiveError(Exception):
    """A ZIP that cannot be read (or not within the limits). ``code`` is stable, ``message`` human."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message

    def to_scan_error(self):
        from apkscan.model import ScanError

        return ScanError(code=self.code, message=self.message)
