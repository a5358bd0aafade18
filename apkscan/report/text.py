"""``--format text``: a table for people: file, package, label, verdict, risk, top reasons.

On a terminal the verdicts are coloured and long cells are shortened to fit the width; written to
a file or a pipe the table is plain text with every cell whole. Invisible characters in labels
(bidi overrides, zero-width spaces) are shown as ``<U+XXXX>`` so that a trick cannot hide.
"""
from __future__ import annotations

import os
import shutil
import unicodedata
from typing import Any

from apkscan.i18n import level_name, reveal_text, t, verdict_name
from apkscan.model import VERDICTS, ScanResult
from apkscan.report.base import ReportFormat
from apkscan.scoring import explain

_COLOURS = {"genuine": "32", "clean": "32", "suspicious": "33", "malicious": "31;1", "fake": "35;1", "error": "90"}
_MAX_TTY = {"file": 40, "package": 32, "label": 24}


def display_width(text: str) -> int:
    """Terminal columns taken by ``text`` (wide CJK characters take two, combining marks none)."""
    width = 0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


def shorten(text: str, limit: int) -> str:
    if display_width(text) <= limit:
        return text
    out, width = [], 0
    for ch in text:
        w = display_width(ch)
        if width + w > limit - 1:
            break
        out.append(ch)
        width += w
    return "".join(out) + "…"


def pad(text: str, width: int) -> str:
    return text + " " * max(0, width - display_width(text))


def row_for(result: ScanResult, lang: str) -> dict[str, str]:
    app = result.app
    if result.status != "ok":
        error = result.error
        reasons = f"{error.code}: {error.message}" if error else ""
        risk = "-"
    else:
        assessment = explain(result)
        reasons = "; ".join(f.title_in(lang) for f in assessment.top_reasons(3))
        risk = f"{result.risk.score} {level_name(result.risk.level, lang)}"
    return {
        "file": reveal_text(result.input.path),
        "package": reveal_text((app.package if app else None) or "-"),
        "label": reveal_text((app.label if app else None) or "-"),
        "verdict": verdict_name(result.verdict, lang),
        "risk": risk,
        "reasons": reveal_text(reasons) or "-",
        "_verdict": result.verdict,
    }


class TextFormat(ReportFormat):
    name = "text"

    def _tty(self) -> bool:
        isatty = getattr(self.out, "isatty", None)
        return bool(isatty and isatty()) and os.environ.get("NO_COLOR") is None

    def write(self, results: list[ScanResult], summary: dict[str, Any]) -> None:
        lang = self.meta.lang
        tty = self._tty()
        columns = ["file", "package", "label", "verdict", "risk", "reasons"]
        header = {c: t(f"text.column.{c}", lang) for c in columns}
        rows = [row_for(r, lang) for r in results]
        if tty:
            for row in rows:
                for column, limit in _MAX_TTY.items():
                    row[column] = shorten(row[column], limit)
        widths = {c: max([display_width(header[c])] + [display_width(r[c]) for r in rows]) for c in columns}
        if tty:
            used = sum(widths[c] + 2 for c in columns[:-1])
            room = max(20, shutil.get_terminal_size((120, 24)).columns - used)
            for row in rows:
                row["reasons"] = shorten(row["reasons"], room)
            widths["reasons"] = min(widths["reasons"], room)

        def line(cells: dict[str, str], colour: str | None = None) -> str:
            parts = []
            for c in columns[:-1]:
                cell = pad(cells[c], widths[c])
                if c == "verdict" and colour:
                    cell = f"\x1b[{colour}m{cell}\x1b[0m"
                parts.append(cell)
            parts.append(cells["reasons"])
            return "  ".join(parts).rstrip()

        out = self.out
        out.write(line(header) + "\n")
        out.write("  ".join("-" * widths[c] for c in columns) + "\n")
        for row in rows:
            out.write(line(row, _COLOURS.get(row["_verdict"]) if tty else None) + "\n")
        counts = ", ".join(
            f"{summary['verdicts'][v]} {verdict_name(v, lang)}" for v in VERDICTS if summary["verdicts"][v]
        )
        out.write("\n" + t("text.summary", lang, total=summary["total"], counts=counts or "-") + "\n")
        m = self.meta
        out.write(t("text.provenance", lang, version=m.tool_version, scanned_at=m.scanned_at,
                    rules=m.rules_sha256, iocs=m.ioc_version or "-") + "\n")
