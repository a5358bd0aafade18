"""Plain settings for one scan run; the CLI builds it, library users may too."""
from __future__ import annotations

from dataclasses import dataclass, field

from apkscan.archive.limits import Limits


@dataclass(frozen=True)
class ScanConfig:
    limits: Limits = field(default_factory=Limits)
    trust_files: tuple[str, ...] = ()  # user trust files from `apkscan trust enroll`
    rules_dirs: tuple[str, ...] = ()  # extra YARA rule folders (--rules)
    min_sdk: int | None = None  # override for signature verification
    max_sdk: int | None = None

    @property
    def max_depth(self) -> int:  # nested payload recursion
        return self.limits.max_depth

    @property
    def time_limit_s(self) -> float:  # per APK, enforced by the batch workers
        return self.limits.time_limit_s
