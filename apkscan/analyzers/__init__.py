"""Analyzers: one file each; every one reads a ScanContext and yields model.Finding.

Analyzers with an ``entry_consumer(ctx)`` also take part in the archive's single entry pass
(each entry inflated once, shared by all of them and by the v1 signature verifier).
Identity is resolved separately (``identity.resolve``) because it also fills ``identity``.
"""
from __future__ import annotations


def default_analyzers() -> list:
    from apkscan.analyzers.combinations import CombinationsAnalyzer
    from apkscan.analyzers.components import ComponentsAnalyzer
    from apkscan.analyzers.indicators import IndicatorAnalyzer
    from apkscan.analyzers.manifest_integrity import ManifestIntegrityAnalyzer
    from apkscan.analyzers.payloads import PayloadAnalyzer
    from apkscan.analyzers.permissions import PermissionsAnalyzer
    from apkscan.analyzers.signing_findings import SigningAnalyzer
    from apkscan.analyzers.tamper import TamperAnalyzer
    from apkscan.analyzers.yara_scan import YaraAnalyzer

    return [
        TamperAnalyzer(),
        ManifestIntegrityAnalyzer(),
        SigningAnalyzer(),
        PermissionsAnalyzer(),
        ComponentsAnalyzer(),
        CombinationsAnalyzer(),
        YaraAnalyzer(),
        IndicatorAnalyzer(),
        PayloadAnalyzer(),
    ]
