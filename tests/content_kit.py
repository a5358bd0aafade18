"""Helpers for the content-analysis tests (test_content*.py, test_yara*.py): build small APK-shaped
ZIPs with the project's factory writers (DEX, ELF), open them with apkscan.archive, and run the
content analyzers in one shared entry pass, as apkscan.scan does."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Iterable

from apkscan.analyzers.base import ScanContext
from apkscan.analyzers.indicators import IndicatorAnalyzer
from apkscan.analyzers.payloads import PayloadAnalyzer
from apkscan.analyzers.yara_scan import YaraAnalyzer
from apkscan.archive import open_archive
from apkscan.config import ScanConfig
from apkscan.model import AppFacts, Finding, SigningResult
from apkscan.samples.dex import DexClass, build_dex
from apkscan.samples.elf import ElfSpec, build_elf

MANIFEST_PLACEHOLDER = b"\x03\x00\x08\x00\x08\x00\x00\x00"  # the analyzers here never decode it


def dex(*strings: str, classes: Iterable[str] = ("com.example.Main",), superclass: str = "java.lang.Object") -> bytes:
    """A valid DEX whose first class loads ``strings`` with const-string."""
    cls = [DexClass(name, superclass=superclass, strings=tuple(strings) if i == 0 else ())
           for i, name in enumerate(classes)]
    return build_dex(cls)


def elf(*strings: str, soname: str = "libx.so", symbols: tuple[str, ...] = ("JNI_OnLoad",)) -> bytes:
    return build_elf(ElfSpec(soname=soname, strings=tuple(strings), symbols=symbols))


def apk_bytes(entries: dict[str, bytes], manifest: bool = True) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        if manifest:
            zf.writestr("AndroidManifest.xml", MANIFEST_PLACEHOLDER)
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


def write_apk(tmp: Path, entries: dict[str, bytes], name: str = "t.apk", manifest: bool = True) -> Path:
    path = tmp / name
    path.write_bytes(apk_bytes(entries, manifest))
    return path


def run_content(path: Path, package: str = "com.example.app", label: str = "Example",
                manifest_xml: str | None = None, config: ScanConfig | None = None, depth: int = 0,
                analyzers=None, cache: dict | None = None, real_manifest: bool = False) -> list[Finding]:
    """YARA, indicators and payloads over one APK in a single entry pass. ``real_manifest`` takes
    the facts (package, label, decoded manifest XML) from apkscan.manifest, as the pipeline does."""
    facts = AppFacts(package=package, label=label, manifest_xml=manifest_xml)
    analyzers = analyzers if analyzers is not None else [YaraAnalyzer(), IndicatorAnalyzer(), PayloadAnalyzer()]
    config = config or ScanConfig()
    with open_archive(str(path), config.limits) as arc:
        arc.stream([])
        if real_manifest:
            from apkscan.manifest import extract_facts

            facts = extract_facts(arc)
        ctx = ScanContext(path=str(path), archive=arc, facts=facts, signing=SigningResult(verified=None),
                          config=config, depth=depth)
        if cache:
            ctx.cache.update(cache)
        consumers = [a.entry_consumer(ctx) for a in analyzers]
        arc.for_each_entry(consumers)
        assert arc.consumer_errors == [], arc.consumer_errors
        return [f for a in analyzers for f in a.analyze(ctx)]


def ids(findings: Iterable[Finding]) -> set[str]:
    return {f.id for f in findings}


def yara_ids(findings: Iterable[Finding]) -> set[str]:
    return {f.id for f in findings if f.source == "yara"}
