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

from apkscan.analyzers.catalog_finding import catalog_finding
from apkscan.datafiles import signatures_dir
from apkscan.model import Finding

CATALOGUE = ("findings", "manifest.json")


@lru_cache(maxsize=1)
def catalogue() -> Mapping[str, Mapping[str, Any]]:
    """The raw entries of manifest.json, including the COMBO_* rules' ``requires`` data."""
    path = signatures_dir().joinpath(*CATALOGUE)
    data = json.loads(path.read_text(encoding="utf-8"))
    return {k: v for k, v in data.items() if not k.startswith(("_", "$"))}


def make(finding_id: str, source: str, evidence: Mapping[str, Any] | None = None, *,
         severity: str | None = None, path: str = "", **fmt: Any) -> Finding:
    """A Finding with the catalogue's texts; ``severity`` overrides the catalogue's default."""
    return catalog_finding(finding_id, source, evidence, severity=severity, path=path, fmt=fmt)
