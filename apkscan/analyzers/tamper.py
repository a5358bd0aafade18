"""ZIP tampering as evidence: each archive anomaly (apkscan.archive) becomes a finding.

Severities and texts live in signatures/findings/archive.json; a trick that Android tolerates
but that breaks other parsers (BadPack, the encrypted flag, Janus) is itself a sign of malware
built to evade analysis (threat brief §5 row 14: Gigabud's ZIP-format abuse).
"""
from __future__ import annotations

from typing import Iterable

from apkscan.analyzers.base import ScanContext
from apkscan.analyzers.catalog_finding import catalog_finding
from apkscan.model import Finding

SOURCE = "archive"


def anomaly_finding(anomaly) -> Finding:
    return catalog_finding(anomaly.id, SOURCE, {"message": anomaly.message, **dict(anomaly.evidence)},
                           fallback_title=anomaly.message)


def archive_findings(archive) -> list[Finding]:
    return [anomaly_finding(a) for a in archive.anomalies]


class TamperAnalyzer:
    name = SOURCE

    def analyze(self, ctx: ScanContext) -> Iterable[Finding]:
        return archive_findings(ctx.archive)
