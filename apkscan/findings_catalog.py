"""The finding catalogue: what every finding id means, in English and Vietnamese.

One JSON file per analyzer family in ``signatures/findings/*.json`` (``core.json`` for scan-level
and error ids, ``permissions.json``, ``signing.json``...), each mapping
``FINDING_ID -> {severity, title, title_vi, description, description_vi, advice, advice_vi}``.
Keys starting with ``_`` or ``$`` are comments (sources, notes). The files are merged here so that
``apkscan explain``, the SARIF rules and the HTML report read one source.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Mapping

from apkscan.datafiles import signatures_dir
from apkscan.model import SEVERITY_RANK, Finding

TEXT_FIELDS = ("title", "title_vi", "description", "description_vi", "advice", "advice_vi")


_GENERIC_PLACEHOLDERS = {"name": ("The protected app", "Ứng dụng được bảo vệ"), "id": ("ID", "ID")}


class _KeepUnknown(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


@dataclass(frozen=True)
class CatalogEntry:
    id: str
    severity: str
    title: str
    title_vi: str = ""
    description: str = ""
    description_vi: str = ""
    advice: str = ""
    advice_vi: str = ""
    origin: str = ""  # catalogue file the entry came from

    def text(self, name: str, lang: str = "en") -> str:
        """``name`` in ``lang`` ("title", "description", "advice"), falling back to English.
        Placeholders an analyzer fills per app (``{name}``: the app named) read generically here."""
        value = getattr(self, f"{name}_vi") if lang == "vi" else ""
        if not value:
            value, lang = getattr(self, name), "en"
        if "{" not in value:
            return value
        generic = {k: v[lang == "vi"] for k, v in _GENERIC_PLACEHOLDERS.items()}
        return value.format_map(_KeepUnknown(generic))


@dataclass(frozen=True)
class Catalog:
    entries: Mapping[str, CatalogEntry]
    problems: tuple[str, ...] = ()  # duplicate ids, bad severities, unreadable files

    def get(self, finding_id: str) -> CatalogEntry | None:
        return self.entries.get(finding_id)

    def __contains__(self, finding_id: str) -> bool:
        return finding_id in self.entries

    def ids(self) -> list[str]:
        return sorted(self.entries)

    def describe(self, finding: Finding) -> CatalogEntry:
        """Catalogue text for a finding, completed by what the finding itself carries.

        Dynamic ids (a YARA rule name, say) are not catalogued: the finding's own title and
        description are used. The finding's severity wins: an analyzer may raise it in context.
        """
        base = self.entries.get(finding.id)
        if base is None:
            return CatalogEntry(
                id=finding.id,
                severity=finding.severity,
                title=finding.title or finding.id,
                title_vi=finding.title_vi,
                description=finding.description,
                description_vi=finding.description_vi,
            )
        return CatalogEntry(
            id=finding.id,
            severity=finding.severity,
            title=finding.title or base.title,
            title_vi=finding.title_vi or base.title_vi,
            description=finding.description or base.description,
            description_vi=finding.description_vi or base.description_vi,
            advice=base.advice,
            advice_vi=base.advice_vi,
            origin=base.origin,
        )


def _entries_from(path: Path, problems: list[str]) -> Iterable[CatalogEntry]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        problems.append(f"{path.name}: unreadable ({exc})")
        return
    if not isinstance(data, dict):
        problems.append(f"{path.name}: top level is not an object")
        return
    for finding_id, raw in data.items():
        if finding_id.startswith(("_", "$")):
            continue
        if not isinstance(raw, dict) or raw.get("severity") not in SEVERITY_RANK or not raw.get("title"):
            problems.append(f"{path.name}: {finding_id}: needs a valid severity and a title")
            continue
        yield CatalogEntry(
            id=finding_id,
            severity=raw["severity"],
            origin=path.name,
            **{name: str(raw.get(name) or "") for name in TEXT_FIELDS},
        )


def load_catalog(folder: Path) -> Catalog:
    """Merge every ``*.json`` in ``folder`` (sorted by name: the first file defining an id wins)."""
    entries: dict[str, CatalogEntry] = {}
    problems: list[str] = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else ():
        for entry in _entries_from(path, problems):
            if entry.id in entries:
                problems.append(f"{entry.id}: defined in {entries[entry.id].origin} and {entry.origin}")
                continue
            entries[entry.id] = entry
    return Catalog(entries=entries, problems=tuple(problems))


@lru_cache(maxsize=1)
def default_catalog() -> Catalog:
    """The catalogue shipped with apkscan (read once per process)."""
    return load_catalog(signatures_dir() / "findings")


def _rule_entries() -> list[CatalogEntry]:
    """Findings produced from YARA rules (YARA_<rule>), described by each rule's meta."""
    try:
        from apkscan.analyzers.yara_engine import rule_catalogue

        rules = rule_catalogue()
    except Exception:  # no yara-python, or a broken rule file: explain still works for the rest
        return []
    entries = []
    for rule_id, meta in sorted(rules.items()):
        if meta.get("severity") in SEVERITY_RANK:
            entries.append(CatalogEntry(id=rule_id, severity=meta["severity"], origin=f"yara rule {meta.get('rule', '')}",
                                        **{name: str(meta.get(name) or "") for name in TEXT_FIELDS}))
    return entries


@lru_cache(maxsize=1)
def full_catalog() -> Catalog:
    """The shipped catalogue plus the YARA rules' findings (compiles the rules: for explain and docs)."""
    base = default_catalog()
    entries = dict(base.entries)
    for entry in _rule_entries():
        entries.setdefault(entry.id, entry)
    return Catalog(entries=entries, problems=base.problems)


def error_finding_id(code: str) -> str:
    """Catalogue id of a scan error code (``NOT_A_ZIP`` -> ``ERROR_NOT_A_ZIP``)."""
    return code if code.startswith("ERROR_") else f"ERROR_{code}"
