"""Finding texts of the fraud analyzers (permissions, components, combinations, identity).

Titles, explanations and advice in English and Vietnamese live in
``signatures/findings/manifest.json`` (one source for reports, ``apkscan explain`` and SARIF);
the analyzers only pick an id and the evidence. ``{name}`` placeholders in a title are filled
from ``fmt`` so a title can name the app it is about.
"""
from __future__ import annotations

import json
from functools import lru_cache
from typing import Any, Mapping

from apkscan.datafiles import signatures_dir
from apkscan.model import Finding

CATALOGUE = ("findings", "manifest.json")


@lru_cache(maxsize=1)
def catalogue() -> Mapping[str, Mapping[str, str]]:
    path = signatures_dir().joinpath(*CATALOGUE)
    data = json.loads(path.read_text(encoding="utf-8"))
    return {k: v for k, v in data.items() if not k.startswith(("_", "$"))}


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _fill(text: str, fmt: Mapping[str, Any]) -> str:
    if not fmt or "{" not in text:
        return text
    return text.format_map(_Blank({k: str(v) for k, v in fmt.items()}))


def make(finding_id: str, source: str, evidence: Mapping[str, Any] | None = None, *,
         severity: str | None = None, path: str = "", **fmt: Any) -> Finding:
    """A Finding with the catalogue's texts; ``severity`` overrides the catalogue's default."""
    entry = catalogue().get(finding_id)
    if entry is None:  # a programming error, but never lose the evidence over it
        return Finding(id=finding_id, severity=severity or "info", title=finding_id,
                       evidence=dict(evidence or {}), source=source, path=path)
    return Finding(
        id=finding_id,
        severity=severity or entry["severity"],
        title=_fill(entry["title"], fmt),
        title_vi=_fill(entry.get("title_vi", ""), fmt),
        description=_fill(entry.get("description", ""), fmt),
        description_vi=_fill(entry.get("description_vi", ""), fmt),
        evidence=dict(evidence or {}),
        source=source,
        path=path,
    )
