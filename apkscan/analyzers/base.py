"""The analyzer interface: every analyzer reads a ScanContext and yields model.Finding."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable, Protocol

from apkscan.model import AppFacts, Finding, SigningResult

if TYPE_CHECKING:  # pragma: no cover
    from apkscan.archive import Archive
    from apkscan.config import ScanConfig


@dataclass
class ScanContext:
    """What the pipeline knows about one APK when analyzers run.

    ``archive`` is open; ``facts`` may be partial when the manifest was damaged;
    ``signing`` is the verifier's result. ``cache`` lets analyzers share derived data
    (e.g. DEX string tables) so that no entry is parsed twice.
    """

    path: str
    archive: "Archive"
    facts: AppFacts
    signing: SigningResult
    config: "ScanConfig"
    display_path: str = ""  # "outer.apk!assets/x.apk" for nested payloads
    depth: int = 0
    cache: dict[str, Any] = field(default_factory=dict)


class Analyzer(Protocol):
    name: str

    def analyze(self, ctx: ScanContext) -> Iterable[Finding]: ...
