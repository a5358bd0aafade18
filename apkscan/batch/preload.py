"""Load once in the parent what every scan needs, before the worker processes are forked.

Forked workers then start ready (no per-worker import of androguard, cryptography and the
analyzers, no YARA load) and share these pages copy-on-write; a worker replaced after a crash or
a timeout is ready at once too. Nothing here may stop a batch: a failure only means the workers
load things themselves, as they would without this step.
"""
from __future__ import annotations

from apkscan.config import ScanConfig


def preload(config: ScanConfig) -> None:
    try:
        import apkscan.scan  # noqa: F401 - the pipeline and, through it, manifest/ and signing/
        from apkscan.analyzers import default_analyzers, identity  # noqa: F401
        from apkscan.analyzers.iocs import load_iocs
        from apkscan.analyzers.yara_engine import KINDS, RulesError, load_rules
        from apkscan.manifest.quiet import silence_androguard

        silence_androguard()
        default_analyzers()
        load_iocs()
        try:
            rules = load_rules(config.rules_dirs)
            for kind in KINDS:
                rules.plan(kind)
        except (RulesError, OSError):
            pass  # each scan reports YARA_RULES_UNAVAILABLE itself
        from PIL import Image  # noqa: F401 - byte histograms (payloads), icon hashes
    except Exception:  # noqa: BLE001 - an optimisation must never fail the batch
        pass
