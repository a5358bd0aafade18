"""Tamper evidence found while reading the ZIP: ``Anomaly(id, message, evidence)``.

Ids are stable (``ZIP_`` prefix) and become ``model.Finding`` ids in the archive analyzer.
``evidence["android"]`` says what Android itself does with the construct (accepts, ignores,
rejects the APK, cannot read the entry), with the AOSP source that decides it, so a report can
tell "anti-analysis trick that still installs" from "broken file".
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

# One line per id; the user-facing titles and explanations live in signatures/findings.json.
ANOMALY_IDS: Mapping[str, str] = {
    "ZIP_EOCD_TRAILING_DATA": "bytes after the End Of Central Directory record and its comment",
    "ZIP_EOCD_MULTIPLE": "more than one EOCD signature in the last 64 KiB (fake EOCD in a comment)",
    "ZIP_EOCD_NOT_LAST": "the EOCD Android would pick is unusable; another candidate was used",
    "ZIP_EOCD_COMMENT": "archive comment present",
    "ZIP_EOCD_DISK_FIELDS": "multi-disk fields or per-disk count differ from the totals",
    "ZIP_ZIP64": "Zip64 end-of-central-directory locator present",
    "ZIP_CD_OFFSETS_SHIFTED": "central directory not at its declared offset (data prepended without fixing offsets)",
    "ZIP_CD_COUNT_MISMATCH": "EOCD record count disagrees with the records in the central directory",
    "ZIP_CD_GAP": "bytes between the central directory and the EOCD",
    "ZIP_DATA_BEFORE_FIRST_ENTRY": "data before the first local file header",
    "ZIP_PREPENDED_DEX": "a DEX file prepended to the APK (Janus, CVE-2017-13156)",
    "ZIP_LFH_MISSING": "no local file header where the central directory points",
    "ZIP_LFH_CD_MISMATCH": "local header disagrees with the central directory (BadPack)",
    "ZIP_ENTRY_OUT_OF_BOUNDS": "entry header or data outside the file or inside the central directory",
    "ZIP_OVERLAPPING_ENTRIES": "entries whose local records overlap",
    "ZIP_DUPLICATE_ENTRY": "two central-directory records with the same name",
    "ZIP_NAME_TRAVERSAL": "entry name with a '..' component",
    "ZIP_NAME_ABSOLUTE": "absolute entry name",
    "ZIP_NAME_NUL": "NUL byte in an entry name",
    "ZIP_NAME_BACKSLASH": "backslash in an entry name",
    "ZIP_NAME_INVALID_UTF8": "entry name is not valid UTF-8",
    "ZIP_NAME_EMPTY": "empty entry name",
    "ZIP_NAME_TOO_LONG": "entry name (or one path component) unusually long",
    "ZIP_ENCRYPTED_FLAG": "general-purpose bit 0 (encrypted) set",
    "ZIP_UNSUPPORTED_METHOD": "compression method other than STORED (0) or DEFLATED (8)",
    "ZIP_STORED_SIZE_MISMATCH": "STORED entry whose compressed and uncompressed sizes differ",
    "ZIP_HIGH_COMPRESSION_RATIO": "declared uncompressed/compressed ratio above the limit",
    "ZIP_DECLARED_SIZE_OVER_LIMIT": "declared uncompressed sizes above the limits",
    "ZIP_INFLATED_SIZE_MISMATCH": "entry inflates to a size other than declared",
    "ZIP_CRC_MISMATCH": "CRC-32 of the content differs from the central directory",
    "ZIP_DATA_DESCRIPTOR_MISMATCH": "data descriptor disagrees with the central directory",
    "ZIP_CORRUPT_DATA": "deflate stream corrupt or truncated",
    "ZIP_LIMIT_EXCEEDED": "an entry was refused by the size / ratio / total limits",
}


@dataclass(frozen=True)
class Anomaly:
    id: str
    message: str
    evidence: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"id": self.id, "message": self.message, "evidence": dict(self.evidence)}


class AnomalyLog:
    """Collects anomalies, one per id: per-entry findings are grouped under ``entries``
    (``count`` of them, at most ``max_examples`` listed) so a hostile APK with 100 000 bad
    names yields one bounded anomaly, not 100 000."""

    def __init__(self, max_examples: int = 20) -> None:
        self._max = max_examples
        self._items: dict[str, tuple[str, dict]] = {}

    def add(self, anomaly_id: str, message: str, **evidence: Any) -> None:
        """A file-level anomaly; the first report of an id wins."""
        assert anomaly_id in ANOMALY_IDS, anomaly_id
        self._items.setdefault(anomaly_id, (message, evidence))

    def add_entry(self, anomaly_id: str, message: str, name: str, *, android: str = "", **details: Any) -> None:
        """A per-entry anomaly, grouped with the others of the same id."""
        assert anomaly_id in ANOMALY_IDS, anomaly_id
        if anomaly_id not in self._items:
            evidence: dict = {"count": 0, "entries": []}
            if android:
                evidence["android"] = android
            self._items[anomaly_id] = (message, evidence)
        evidence = self._items[anomaly_id][1]
        evidence["count"] += 1
        if len(evidence["entries"]) < self._max:
            evidence["entries"].append({"name": name, **details})

    def __contains__(self, anomaly_id: str) -> bool:
        return anomaly_id in self._items

    def ids(self) -> list[str]:
        return list(self._items)

    def snapshot(self) -> list[Anomaly]:
        return [
            Anomaly(anomaly_id, message, _copy(evidence))
            for anomaly_id, (message, evidence) in self._items.items()
        ]


def _copy(evidence: dict) -> dict:
    out = dict(evidence)
    if "entries" in out:
        out["entries"] = [dict(e) for e in out["entries"]]
    return out
