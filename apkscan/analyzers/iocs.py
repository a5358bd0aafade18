"""Known indicators of compromise (samples_meta/iocs/*.json) as lookup tables.

Each file lists indicators with their source, flat (``indicators``) or in ``groups`` whose
``shared`` fields apply to each member. A sha256 indicator may say what file it is the hash of
(``file``: apk, dex, elf or any; default any): inner files of other kinds are then not hashed,
which saves a SHA-256 pass over every DEX, library and asset when the set holds only APK-sample
hashes (docs/benchmark.md).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, Mapping

from apkscan.datafiles import samples_meta_dir

HASHED_FILE_KINDS = ("apk", "dex", "elf", "any")
EOCD_SEARCH = 22 + 0xFFFF  # end of central directory record + the longest archive comment


@dataclass(frozen=True)
class Indicator:
    type: str  # domain | ip | sha256 | url | label
    value: str
    family: str = ""
    campaign: str = ""
    source: str = ""
    confidence: str = "high"
    note: str = ""
    file: str = "any"  # sha256 only: what the hash is of (apk | dex | elf | any), see HASHED_FILE_KINDS

    def evidence(self) -> dict[str, Any]:
        return {"indicator": self.value, "type": self.type, "family": self.family, "campaign": self.campaign,
                "source": self.source, "confidence": self.confidence}


@dataclass(frozen=True)
class IocSet:
    version: str
    domains: Mapping[str, Indicator] = field(default_factory=dict)
    ips: Mapping[str, Indicator] = field(default_factory=dict)
    sha256: Mapping[str, Indicator] = field(default_factory=dict)
    urls: Mapping[str, Indicator] = field(default_factory=dict)  # normalised, see _norm_url
    filenames: Mapping[str, Indicator] = field(default_factory=dict)  # lower-case APK file names

    @cached_property
    def inner_hash_kinds(self) -> frozenset[str]:
        """The kinds of file the sha256 indicators are of: only inner files of these kinds need
        hashing (an APK-sample hash cannot be the hash of a PNG or of a plain DEX)."""
        return frozenset(ind.file if ind.file in HASHED_FILE_KINDS else "any" for ind in self.sha256.values())

    def hashes_inner(self, head: bytes, tail: bytes | None) -> bool:
        """Whether an inner file (its first bytes, and its last 64 KiB when known) may match a
        sha256 indicator. ``tail`` None: not known yet (big entries read in pieces)."""
        kinds = self.inner_hash_kinds
        if not kinds:
            return False
        if "any" in kinds:
            return True
        if "dex" in kinds and head.startswith(b"dex\n"):
            return True
        if "elf" in kinds and head.startswith(b"\x7fELF"):
            return True
        # An APK, whatever it starts with (DEX/APK polyglots), has its end of central directory
        # record within the last 65,557 bytes: Android finds the central directory from there.
        return "apk" in kinds and (tail is None or b"PK\x05\x06" in bytes(tail))

    def match_host(self, host: str) -> Indicator | None:
        """Exact host or any parent domain of it (an IOC domain covers its subdomains)."""
        host = host.lower().rstrip(".")
        while True:
            found = self.domains.get(host)
            if found is not None:
                return found
            dot = host.find(".")
            if dot < 0:
                return None
            host = host[dot + 1 :]


def _norm_url(url: str) -> str:
    return url.lower().rstrip("/")


def ioc_dir() -> Path:
    return samples_meta_dir() / "iocs"


def _indicators_of(doc: dict):
    """Indicators of one IOC file: a flat ``indicators`` list, or ``groups`` whose ``shared``
    fields (family, campaign, source...) apply to each of their ``indicators``."""
    yield from doc.get("indicators", ())
    for group in doc.get("groups", ()):
        shared = group.get("shared", {})
        for item in group.get("indicators", ()):
            yield {**shared, **item}


@lru_cache(maxsize=4)
def load_iocs(folder: str | None = None) -> IocSet:
    """Every samples_meta/iocs/*.json (or ``folder``) merged; first file wins on duplicates."""
    root = Path(folder) if folder else ioc_dir()
    kinds: dict[str, dict[str, Indicator]] = {k: {} for k in ("domain", "ip", "sha256", "url", "filename")}
    versions = []
    for path in sorted(root.glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        versions.append(f"{doc.get('name', path.stem)}@{doc.get('version', '0')}")
        for raw in _indicators_of(doc):
            ind = Indicator(raw["type"], str(raw["value"]).strip(), raw.get("family") or "", raw.get("campaign") or "",
                            raw.get("source") or "", raw.get("confidence") or "high", raw.get("note") or "",
                            raw.get("file") or "any")
            if ind.type in ("domain", "sha256"):
                kinds[ind.type].setdefault(ind.value.lower().rstrip("."), ind)
            elif ind.type == "ip":
                kinds["ip"].setdefault(ind.value, ind)
            elif ind.type == "url":
                kinds["url"].setdefault(_norm_url(ind.value), ind)
            elif ind.type == "label" and ind.value.lower().endswith(".apk"):
                kinds["filename"].setdefault(ind.value.lower(), ind)
    return IocSet("+".join(versions) or "none", kinds["domain"], kinds["ip"], kinds["sha256"], kinds["url"],
                  kinds["filename"])


def ioc_set_version() -> str:
    """e.g. "vn-gov-impersonation@2026.1.1"; reported in every scan result."""
    return load_iocs().version
