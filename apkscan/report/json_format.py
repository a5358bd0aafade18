"""``--format json``: one document for the whole run (README "JSON report").

    {"tool": {"name", "version", "rules_sha256", "ioc_version"}, "scanned_at", "case", "examiner",
     "results": [ScanResult.to_dict() + risk.factors], "summary": {...}}

Keys keep their insertion order; the same results and rules give the same bytes except
``scanned_at`` and each result's ``elapsed_ms``.
"""
from __future__ import annotations

import json
from typing import Any

from apkscan.model import ScanResult
from apkscan.report.base import ReportFormat
from apkscan.scoring import explain


def result_dict(result: ScanResult) -> dict[str, Any]:
    """``ScanResult.to_dict()`` plus why: the risk factors and what decided the verdict."""
    data = result.to_dict()
    assessment = explain(result)
    data["risk"] = {
        **data["risk"],
        "verdict_basis": assessment.verdict_basis,
        "factors": [f.to_dict() for f in assessment.factors],
    }
    return data


def dumps(data: Any, indent: int | None = None) -> str:
    # ensure_ascii=False keeps Vietnamese labels readable; allow_nan=False keeps it strict JSON.
    return json.dumps(data, ensure_ascii=False, indent=indent, allow_nan=False, default=_fallback)


def _fallback(value: Any) -> Any:
    # Evidence is meant to be JSON-ready; bytes or tuples slipping through must not kill a report.
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=repr)
    return repr(value)


class JsonFormat(ReportFormat):
    name = "json"

    def write(self, results: list[ScanResult], summary: dict[str, Any]) -> None:
        document = {
            "tool": self.meta.tool_dict(),
            "scanned_at": self.meta.scanned_at,
            "case": self.meta.case,
            "examiner": self.meta.examiner,
            "results": [result_dict(r) for r in results],
            "summary": summary,
        }
        self.out.write(dumps(document, indent=2))
        self.out.write("\n")
