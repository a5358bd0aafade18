"""``--format jsonl``: streaming, one JSON object per line, for pipelines and long batches.

Every line is one JSON object with a ``type``:

- ``{"type": "result", ...}``: one per input, written and flushed as soon as that input is done
  (so a crash or a kill never loses finished work); the other keys are those of a result in the
  JSON report (``input``, ``status``, ``error``, ``app``, ``signing``, ``identity``, ``findings``,
  ``risk``, ``verdict``...). Results come in the order they finish, not the order of the inputs.
- ``{"type": "summary", "tool": {...}, "scanned_at", "case", "examiner", "summary": {...}}``: the last
  line, written once every input is done; the same ``tool`` and ``summary`` as the JSON report.

A pipeline reads results with ``jq -c 'select(.type == "result")'``; a missing summary line means
the run did not finish.
"""
from __future__ import annotations

from typing import Any

from apkscan.model import ScanResult
from apkscan.report.base import ReportFormat
from apkscan.report.json_format import dumps, result_dict


class JsonlFormat(ReportFormat):
    name = "jsonl"
    streaming = True

    def add(self, result: ScanResult) -> None:
        super().add(result)
        self.out.write(dumps({"type": "result", **result_dict(result)}))
        self.out.write("\n")
        self.out.flush()

    def write(self, results: list[ScanResult], summary: dict[str, Any]) -> None:
        line = {
            "type": "summary",
            "tool": self.meta.tool_dict(),
            "scanned_at": self.meta.scanned_at,
            "case": self.meta.case,
            "examiner": self.meta.examiner,
            "summary": summary,
        }
        self.out.write(dumps(line))
        self.out.write("\n")
