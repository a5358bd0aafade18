"""Where reports go, and the chain-of-custody facts every report carries."""
from __future__ import annotations

import contextlib
import datetime as _dt
import sys

from apkscan import __version__


@contextlib.contextmanager
def open_output(path: str | None):
    """Standard output, or exactly the named file (nothing else is written)."""
    if path is None or path == "-":
        yield sys.stdout
        sys.stdout.flush()
        return
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        yield f


def report_meta(config, *, lang: str = "en", case: str | None = None, examiner: str | None = None):
    from apkscan.analyzers.yara_engine import rules_sha256
    from apkscan.analyzers.indicators import ioc_set_version
    from apkscan.report.base import ReportMeta

    return ReportMeta(
        tool_name="apkscan",
        tool_version=__version__,
        rules_sha256=rules_sha256(config.rules_dirs),
        ioc_version=ioc_set_version(),
        scanned_at=_dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        case=case,
        examiner=examiner,
        lang=lang,
    )
