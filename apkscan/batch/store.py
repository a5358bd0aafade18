"""The case store: every result of a case in one SQLite file, deduplicated by SHA-256.

One row per distinct APK (sha256); every path it was seen at is kept in ``seen_paths`` so
``--resume`` can skip a file without reading it again when its path, size and mtime are known.
"""
from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import replace
from typing import Iterator

from apkscan.model import ScanResult
from apkscan.model_io import result_from_dict

_SCHEMA = """
CREATE TABLE IF NOT EXISTS results (
    sha256 TEXT PRIMARY KEY,
    path TEXT NOT NULL,
    status TEXT NOT NULL,
    verdict TEXT NOT NULL,
    risk_score INTEGER NOT NULL,
    risk_level TEXT NOT NULL,
    package TEXT,
    tool_version TEXT,
    rules_sha256 TEXT,
    scanned_at TEXT,
    result_json TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS seen_paths (
    path TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    sha256 TEXT
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
"""


class CaseStore:
    def __init__(self, path: str):
        self.path = path
        self.db = sqlite3.connect(path)
        self.db.executescript(_SCHEMA)
        self.db.execute("PRAGMA journal_mode=WAL")

    def close(self) -> None:
        self.db.commit()
        self.db.close()

    def __enter__(self) -> "CaseStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @staticmethod
    def _stat(path: str) -> tuple[int, int] | None:
        try:
            st = os.stat(path)
        except OSError:
            return None
        return st.st_size, st.st_mtime_ns

    def stored_result(self, key: str, source: str) -> ScanResult | None:
        """The stored result for ``key`` (the input's display path) if it was stored while
        ``source`` (the file on disk holding it) had the same size and mtime: resuming does not
        re-read it. The result is reported again under ``key``."""
        st = self._stat(source)
        if st is None:
            return None
        row = self.db.execute(
            "SELECT r.result_json FROM seen_paths p JOIN results r ON r.sha256 = p.sha256 "
            "WHERE p.path = ? AND p.size = ? AND p.mtime_ns = ? AND r.status = 'ok'",
            (os.path.abspath(key), st[0], st[1])).fetchone()
        if row is None:
            return None
        result = result_from_dict(json.loads(row[0]))
        return replace(result, input=replace(result.input, path=key))

    def already_scanned(self, key: str, source: str) -> bool:
        return self.stored_result(key, source) is not None

    def provenance(self) -> dict:
        """When, with which tool versions and rules the stored results were produced."""
        rows = self.db.execute("SELECT MIN(scanned_at), MAX(scanned_at) FROM results").fetchone()
        versions = [v for (v,) in self.db.execute("SELECT DISTINCT tool_version FROM results ORDER BY 1")]
        rules = [v for (v,) in self.db.execute("SELECT DISTINCT rules_sha256 FROM results ORDER BY 1")]
        return {"first_scanned_at": rows[0], "last_scanned_at": rows[1], "tool_versions": versions,
                "rules_sha256": rules}

    def add(self, result: ScanResult, *, source: str, tool_version: str, rules_sha256: str,
            scanned_at: str) -> None:
        sha = result.input.sha256
        st = self._stat(source)
        if st is not None:
            self.db.execute("INSERT OR REPLACE INTO seen_paths(path, size, mtime_ns, sha256) VALUES (?,?,?,?)",
                            (os.path.abspath(result.input.path), st[0], st[1], sha))
        if sha is None:  # unreadable input: nothing to deduplicate on
            return
        self.db.execute(
            "INSERT OR REPLACE INTO results VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (sha, result.input.path, result.status, result.verdict, result.risk.score, result.risk.level,
             result.app.package if result.app else None, tool_version, rules_sha256, scanned_at,
             json.dumps(result.to_dict(), ensure_ascii=False, sort_keys=True)))
        self.db.commit()

    def results(self) -> Iterator[ScanResult]:
        for (doc,) in self.db.execute("SELECT result_json FROM results ORDER BY path, sha256"):
            yield result_from_dict(json.loads(doc))

    def count(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM results").fetchone()[0]
