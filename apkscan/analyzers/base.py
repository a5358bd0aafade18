"""The analyzer interface: every analyzer reads a ScanContext and yields model.Finding."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable, Protocol

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

    def shared(self, key: str, build: Callable[[], Any]) -> Any:
        """``cache[key]``, built by ``build()`` the first time an analyzer asks for it."""
        found = self.cache.get(key)
        if found is None:
            found = self.cache[key] = build()
        return found


class Analyzer(Protocol):
    name: str

    def analyze(self, ctx: ScanContext) -> Iterable[Finding]: ...


class EntryPassAnalyzer:
    """An analyzer whose work happens in the archive's shared entry pass.

    ``entry_consumer(ctx)`` joins that pass (each entry inflated once for everyone);
    ``analyze(ctx)`` returns the consumer's findings, running a pass of its own when the
    analyzer is used stand-alone. Subclasses set ``name`` and implement ``make_consumer``.
    """

    name = "entry-pass"

    def make_consumer(self, ctx: ScanContext):  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def _key(self) -> str:
        return f"consumer:{self.name}"

    def entry_consumer(self, ctx: ScanContext):
        consumer = self.make_consumer(ctx)
        ctx.cache[self._key] = consumer
        return consumer

    def analyze(self, ctx: ScanContext) -> Iterable[Finding]:
        consumer = ctx.cache.pop(self._key, None)
        if consumer is None:
            consumer = self.make_consumer(ctx)
            ctx.archive.for_each_entry([consumer])
        return consumer.finish()
