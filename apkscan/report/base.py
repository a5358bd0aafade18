"""What every report format shares: the run's metadata, the summary, and the format registry.

A format is a class taking ``(out, meta)``; the caller feeds it results one by one with ``add`` as
they finish and calls ``finish`` once. Streaming formats (jsonl) write in ``add``; the others keep
the results and write everything in ``finish``. Adding a format is adding one file and one line in
``_FORMATS``.
"""
from __future__ import annotations

import importlib
import io
from abc import ABC, abstractmethod
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, ClassVar, Iterable, Mapping, TextIO

from apkscan import __version__
from apkscan.model import RISK_LEVELS, VERDICTS, ScanResult

LANGS = ("en", "vi")


def utc_now_iso() -> str:
    """UTC time as ISO 8601 with a Z, to the second (reports are read by people and courts)."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class ReportMeta:
    """Facts about the run that every report carries (the chain-of-custody block of the HTML)."""

    tool_name: str = "apkscan"
    tool_version: str = __version__
    rules_sha256: str | None = None  # SHA-256 over the YARA rule files used
    ioc_version: str | None = None  # version of the indicator set used
    scanned_at: str = field(default_factory=utc_now_iso)  # UTC ISO 8601
    case: str | None = None  # --case
    examiner: str | None = None  # --examiner
    lang: str = "en"  # en | vi: language of the human-readable formats
    icons: Mapping[str, bytes] = field(default_factory=dict, repr=False, compare=False)  # input sha256 -> icon image bytes

    def __post_init__(self) -> None:
        if self.lang not in LANGS:
            raise ValueError(f"unsupported language {self.lang!r} (choose from {', '.join(LANGS)})")

    def tool_dict(self) -> dict[str, Any]:
        return {
            "name": self.tool_name,
            "version": self.tool_version,
            "rules_sha256": self.rules_sha256,
            "ioc_version": self.ioc_version,
        }


class SummaryCounter:
    """Running counts over a run, so streaming formats need not keep every result in memory."""

    def __init__(self) -> None:
        self.total = 0
        self.verdicts: Counter[str] = Counter()
        self.levels: Counter[str] = Counter()
        self.error_codes: Counter[str] = Counter()

    def add(self, result: ScanResult) -> None:
        self.total += 1
        self.verdicts[result.verdict] += 1
        if result.status == "ok":
            self.levels[result.risk.level] += 1
        else:
            self.error_codes[result.error.code if result.error else "UNKNOWN"] += 1

    def to_dict(self) -> dict[str, Any]:
        errors = sum(self.error_codes.values())
        highest = max((lvl for lvl in RISK_LEVELS if self.levels[lvl]), key=RISK_LEVELS.index, default="none")
        return {
            "total": self.total,
            "ok": self.total - errors,
            "errors": errors,
            "verdicts": {v: self.verdicts.get(v, 0) for v in VERDICTS},
            "risk_levels": {lvl: self.levels.get(lvl, 0) for lvl in RISK_LEVELS},
            "highest_level": highest,
            "error_codes": dict(sorted(self.error_codes.items())),
        }


def summarize(results: Iterable[ScanResult]) -> dict[str, Any]:
    """Counts over a run: by verdict, by risk level, errors by code (every key always present)."""
    counter = SummaryCounter()
    for result in results:
        counter.add(result)
    return counter.to_dict()


class ReportFormat(ABC):
    name: ClassVar[str]
    streaming: ClassVar[bool] = False  # True: each result is written as soon as it is added

    def __init__(self, out: TextIO, meta: ReportMeta) -> None:
        self.out = out
        self.meta = meta
        self.results: list[ScanResult] = []  # kept only by non-streaming formats
        self.counter = SummaryCounter()

    @classmethod
    def writer(cls, out: TextIO, meta: ReportMeta) -> "ReportFormat":
        """A started writer: ``add(result)`` for each result as it finishes, then ``close()``."""
        fmt = cls(out, meta)
        fmt.start()
        return fmt

    def start(self) -> None:
        """Called once before the first result."""

    def add(self, result: ScanResult) -> None:
        self.counter.add(result)
        if not self.streaming:
            self.results.append(result)

    def finish(self, extra_summary: Mapping[str, Any] | None = None) -> None:
        """Write what remains. ``extra_summary`` (e.g. wall time) is merged into the summary."""
        summary = self.counter.to_dict()
        summary.update(extra_summary or {})
        self.write(self.results, summary)
        self.out.flush()

    def close(self, extra_summary: Mapping[str, Any] | None = None) -> None:
        self.finish(extra_summary)

    @abstractmethod
    def write(self, results: list[ScanResult], summary: dict[str, Any]) -> None:
        """Write the whole report (non-streaming formats) or its trailer (streaming ones)."""


_FORMATS = {
    "text": "apkscan.report.text:TextFormat",
    "json": "apkscan.report.json_format:JsonFormat",
    "jsonl": "apkscan.report.jsonl:JsonlFormat",
    "sarif": "apkscan.report.sarif:SarifFormat",
    "html": "apkscan.report.html:HtmlFormat",
}


def available_formats() -> tuple[str, ...]:
    return tuple(_FORMATS)


format_names = available_formats


def get_format(name: str) -> type[ReportFormat]:
    """The format class for ``name`` (text, json, jsonl, sarif, html); KeyError if unknown."""
    try:
        module_name, class_name = _FORMATS[name].split(":")
    except KeyError:
        raise KeyError(f"unknown report format {name!r} (choose from {', '.join(_FORMATS)})") from None
    return getattr(importlib.import_module(module_name), class_name)


def write_report(name: str, results: Iterable[ScanResult], out: TextIO, meta: ReportMeta,
                 extra_summary: Mapping[str, Any] | None = None) -> None:
    fmt = get_format(name)(out, meta)
    fmt.start()
    for result in results:
        fmt.add(result)
    fmt.finish(extra_summary)


def render(name: str, results: Iterable[ScanResult], meta: ReportMeta) -> str:
    buffer = io.StringIO()
    write_report(name, results, buffer, meta)
    return buffer.getvalue()
