"""Resource limits for one scan: every number that bounds memory or time on hostile input."""
from __future__ import annotations

from dataclasses import dataclass, fields

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB


@dataclass(frozen=True)
class Limits:
    """Bounds enforced by the ZIP layer (and read by the other stages).

    The archive layer refuses (``ArchiveError(code="LIMIT_EXCEEDED")``) rather than allocating
    past these; every refusal is also recorded as an anomaly so the report says why.
    """

    max_entries: int = 100_000  # central-directory records accepted
    max_cd_size: int = 64 * MiB  # central directory bytes read at open
    max_name_len: int = 4096  # entry names longer than this (bytes) are flagged
    max_entry_size: int = 512 * MiB  # uncompressed bytes produced for one entry
    max_total_uncompressed: int = 4 * GiB  # uncompressed bytes produced over the whole scan
    max_ratio: float = 200.0  # uncompressed / compressed, checked once an entry passes ratio_min_size
    ratio_min_size: int = 1 * MiB
    cache_entry_max: int = 4 * MiB  # entries up to this size are kept after the first read ...
    cache_total_max: int = 64 * MiB  # ... in an LRU of at most this many bytes
    max_depth: int = 3  # nested payload recursion (APK inside APK)
    yara_timeout_s: float = 10.0
    yara_max_entry_bytes: int = 64 * MiB  # larger entries are not given to YARA (YARA_ENTRY_SKIPPED)
    strings_max_entry_bytes: int = 64 * MiB  # DEX / native string extraction
    payload_max_bytes: int = 256 * MiB  # nested APK/DEX/ZIP payloads analysed recursively
    time_limit_s: float = 120.0  # per APK
    max_anomaly_examples: int = 20  # entries listed in one anomaly's evidence

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ValueError(f"Limits.{f.name} must be a non-negative number, got {value!r}")
