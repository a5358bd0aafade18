"""Build a Finding whose texts (English and Vietnamese) come from the finding catalogue."""
from __future__ import annotations

from typing import Any, Mapping

from apkscan.findings_catalog import default_catalog
from apkscan.model import Finding


class _KeepUnknown(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _fill(text: str, fmt: Mapping[str, Any] | None) -> str:
    """Fill ``{name}`` placeholders of a catalogue text (unknown ones stay as written)."""
    if not fmt or "{" not in text:
        return text
    return text.format_map(_KeepUnknown({k: str(v) for k, v in fmt.items()}))


def catalog_finding(finding_id: str, source: str, evidence: Mapping[str, Any] | None = None, *,
                    severity: str | None = None, detail: str = "", path: str = "",
                    fallback_title: str = "", fmt: Mapping[str, Any] | None = None) -> Finding:
    """``detail`` is appended to both titles (e.g. the key name); ``severity`` overrides the
    catalogue's default when the analyzer knows the context raises or lowers it; ``fmt`` fills
    ``{placeholders}`` in the catalogue's texts (e.g. the app's name)."""
    entry = default_catalog().get(finding_id)
    suffix = f": {detail}" if detail else ""
    if entry is None:  # uncatalogued id: a bug, but never lose the evidence over it
        return Finding(id=finding_id, severity=severity or "medium", title=(fallback_title or finding_id) + suffix,
                       evidence=dict(evidence or {}), source=source, path=path)
    return Finding(
        id=finding_id,
        severity=severity or entry.severity,
        title=_fill(entry.title, fmt) + suffix,
        title_vi=(_fill(entry.title_vi, fmt) + suffix) if entry.title_vi else "",
        description=_fill(entry.description, fmt),
        description_vi=_fill(entry.description_vi, fmt),
        evidence=dict(evidence or {}),
        source=source,
        path=path,
    )
