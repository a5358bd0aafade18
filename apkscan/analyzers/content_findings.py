"""Shared by the content analyzers (yara_scan, indicators, payloads): which entries hold content,
where a finding points inside nested payloads, and the finding texts from
signatures/findings/content.json (one source for reports, `apkscan explain` and SARIF)."""
from __future__ import annotations

import os
import re
from typing import Any, Mapping

from apkscan.analyzers.catalog_finding import catalog_finding
from apkscan.model import Finding


_CLASSES_DEX = re.compile(r"classes\d*\.dex")
_NATIVE_LIB = re.compile(r"lib/[^/]+/.+\.so")


def is_classes_dex(name: str) -> bool:
    """Root-level classes.dex, classes2.dex ... (what ART loads; see ZipArchive multidex naming)."""
    return _CLASSES_DEX.fullmatch(name) is not None


def is_native_lib(name: str) -> bool:
    return _NATIVE_LIB.fullmatch(name) is not None


def is_asset(name: str) -> bool:
    return name.startswith("assets/") and not name.endswith("/")


def is_raw_resource(name: str) -> bool:
    return name.startswith("res/raw/") and not name.endswith("/")


def is_content_entry(name: str) -> bool:
    """Entries whose content YARA and the indicator extractors read: code, native libraries,
    assets and raw resources."""
    return is_classes_dex(name) or is_native_lib(name) or is_asset(name) or is_raw_resource(name)


def is_dir_entry(entry: Any) -> bool:
    return bool(getattr(entry, "is_dir", False)) or str(getattr(entry, "name", "")).endswith("/")


def declared_size(entry: Any) -> int:
    """The uncompressed size the central directory claims (the archive enforces the real one)."""
    try:
        return max(0, int(getattr(entry, "uncompressed_size", 0) or 0))
    except (TypeError, ValueError):
        return 0


def limit(ctx: Any, name: str, default: float) -> Any:
    """A value from ScanConfig.limits, or our default when that Limits has no such field."""
    limits = getattr(getattr(ctx, "config", None), "limits", None)
    value = getattr(limits, name, None)
    return default if value is None else value


def entry_path(ctx: Any, name: str) -> str:
    """Finding path of an entry: relative to the APK being scanned. A nested payload's findings
    are re-attributed by the outer scan ("assets/x.apk!" + path), as split APKs' are."""
    return name


def apk_path(ctx: Any) -> str:
    """Finding path for the scanned APK itself."""
    return ""


def display_base(ctx: Any) -> str:
    display = getattr(ctx, "display_path", "") or ""
    return display or os.path.basename(str(getattr(ctx, "path", "") or "")) or "input.apk"


def make_finding(
    finding_id: str,
    source: str,
    evidence: Mapping[str, Any] | None = None,
    path: str = "",
    severity: str | None = None,
) -> Finding:
    """A Finding whose texts come from the catalogue; ``severity`` overrides the catalogue's."""
    return catalog_finding(finding_id, source, evidence, path=path, severity=severity)


def printable(data: bytes, limit_bytes: int = 96) -> str:
    """Bytes shown as evidence: ASCII kept, the rest escaped, bounded."""
    text = bytes(data[:limit_bytes]).decode("latin-1")
    out = "".join(ch if 0x20 <= ord(ch) < 0x7F else f"\\x{ord(ch):02x}" for ch in text)
    return out + ("..." if len(data) > limit_bytes else "")
