"""Silence androguard's logging (it uses loguru and prints to stderr at DEBUG by default).

apkscan never lets androguard open a file, but importing it is enough to get its logger
writing into reports and CI logs. Call ``silence_androguard()`` once at startup (the CLI
does); importing ``apkscan.manifest`` does it too.
"""
from __future__ import annotations

_done = False


def silence_androguard() -> None:
    """Disable loguru output coming from androguard; idempotent, safe without loguru."""
    global _done
    if _done:
        return
    _done = True
    try:
        from loguru import logger
    except ImportError:  # pragma: no cover - androguard pulls loguru in
        return
    logger.disable("androguard")
