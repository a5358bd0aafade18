"""Where reports go, and the chain-of-custody facts every report carries."""
from __future__ import annotations

import contextlib
import datetime as _dt
import sys

import click

from apkscan import __version__


def utc_now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def check_output_path(path: str | None) -> None:
    """Fail before any scanning when the report cannot be written (exit 2, no traceback)."""
    if path is None or path == "-":
        return
    try:
        with open(path, "a", encoding="utf-8"):
            pass
    except OSError as exc:
        raise click.UsageError(f"cannot write the report to {path}: {exc.strerror or exc}") from None


@contextlib.contextmanager
def open_output(path: str | None):
    """Standard output, or exactly the named file (nothing else is written)."""
    if path is None or path == "-":
        yield sys.stdout
        sys.stdout.flush()
        return
    try:
        f = open(path, "w", encoding="utf-8", newline="\n")
    except OSError as exc:
        raise click.UsageError(f"cannot write the report to {path}: {exc.strerror or exc}") from None
    with f:
        yield f


def report_meta(config, *, lang: str = "en", case: str | None = None, examiner: str | None = None,
                scanned_at: str | None = None, rules_sha256: str | None = None,
                tool_version: str | None = None):
    """Chain-of-custody facts. A report regenerated from the case store passes the stored values
    (when and with which rules the scan ran), not today's."""
    from apkscan.analyzers.iocs import ioc_set_version
    from apkscan.analyzers.yara_engine import rules_sha256 as current_rules_sha256
    from apkscan.report.base import ReportMeta

    return ReportMeta(
        tool_name="apkscan",
        tool_version=tool_version or __version__,
        rules_sha256=rules_sha256 or current_rules_sha256(config.rules_dirs),
        ioc_version=ioc_set_version(),
        scanned_at=scanned_at or utc_now(),
        case=case,
        examiner=examiner,
        lang=lang,
    )
