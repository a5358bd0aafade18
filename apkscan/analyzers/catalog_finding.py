"""Build a Finding whose texts (English and Vietnamese) come from the finding catalogue."""
from __future__ import annotations

from typing import Any, Mapping

from apkscan.findings_catalog import default_catalog
from apkscan.model import Finding


def catalog_finding(finding_id: str, source: str, evidence: Mapping[str, Any] | None = None, *,
                    severity: str | None = None, detail: str = "", path: str = "",
                    fallback_title: str = "") -> Finding:
    """``detail`` is appended to both titles (e.g. the key name); ``severity`` overrides the
    catalogue's default when the analyzer knows the context raises or lowers it."""
    entry = default_catalog().get(finding_id)
    suffix = f": {detail}" if detail else ""
    if entry is None:  # uncatalogued id: a bug, but never lose the evidence over it
        return Finding(id=finding_id, severity=severity or "medium", title=(fallback_title or finding_id) + suffix,
                       evidence=dict(evidence or {}), source=source, path=path)
    return Finding(
        id=finding_id,
        severity=severity or entry.severity,
        title=entry.title + suffix,
        title_vi=(entry.title_vi + suffix) if entry.title_vi else "",
        description=entry.description,
        description_vi=entry.description_vi,
        evidence=dict(evidence or {}),
        source=source,
        path=path,
    )
