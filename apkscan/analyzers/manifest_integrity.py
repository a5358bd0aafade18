"""Findings about a binary manifest (and resource table) that Android reads despite tampering.

``apkscan.manifest`` reads AndroidManifest.xml the way Android's ResXMLTree does and records
what it tolerated in ``AppFacts.manifest_problems`` as ``"CODE: message"``. A compiler never
produces these; packers and banking trojans do, to break apktool/jadx/androguard while the
phone still installs the app. This analyzer groups the problems into one finding per kind of
trick, with the problems as evidence. ``rejection_finding`` describes a manifest Android would
refuse (the scan then ends with an error; the finding explains it).

Texts (EN/VI) come from the finding catalogue (``signatures/findings/*.json``); the ids are
listed in ``FINDING_KINDS``.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping

from apkscan.analyzers.base import ScanContext
from apkscan.manifest.problems import split_problem
from apkscan.model import Finding

SOURCE = "manifest_integrity"

# finding id -> (default severity, problem codes it groups, short English title used when the
# catalogue has no entry for the id)
FINDING_KINDS: Mapping[str, tuple[str, tuple[str, ...], str]] = {
    "AXML_HEADER_TAMPERED": ("medium", ("AXML_HEADER_TYPE", "AXML_HEADER_SIZE", "AXML_TRAILING_DATA"),
                             "Binary manifest header altered (Android ignores it, analysis tools choke on it)"),
    "AXML_UNKNOWN_CHUNK": ("medium", ("AXML_UNKNOWN_CHUNK",),
                           "Binary manifest carries unknown chunks that Android skips"),
    "AXML_STRUCTURE_TAMPERED": ("medium", (
        "AXML_NODE_HEADER_SIZE", "AXML_ATTRIBUTE_LAYOUT", "AXML_STRING_POOL_REPLACED",
        "AXML_RESOURCE_MAP_REPLACED", "AXML_EXTRA_ROOT", "AXML_UNBALANCED", "AXML_BAD_STRING",
        "AXML_DEPTH_LIMIT", "AXML_RENDER_FAILED"),
        "Binary manifest structure is non-standard but still accepted by Android"),
    "AXML_ATTRIBUTES_OBFUSCATED": ("high", (
        "AXML_ATTR_NAME_MISMATCH", "AXML_ATTR_WITHOUT_ID", "AXML_ATTRS_UNSORTED", "AXML_DUPLICATE_ATTRIBUTE"),
        "Manifest attributes disguised: tools and Android read different values"),
    "AXML_HIDDEN_APPLICATION": ("high", ("MANIFEST_SECOND_APPLICATION",),
                                "Manifest has a second <application> that Android ignores"),
    "AXML_INSTALL_CONSTRAINT": ("low", ("MANIFEST_EXPORTED_MISSING", "MANIFEST_COMPONENT_NO_NAME"),
                                "Manifest breaks a rule some Android versions enforce at install"),
    "AXML_RESOURCES_TAMPERED": ("medium", (
        "ARSC_UNREADABLE", "ARSC_BAD_CHUNK", "ARSC_BAD_STRING_POOL", "ARSC_UNKNOWN_CHUNK",
        "ARSC_TRAILING_DATA", "ARSC_UNRESOLVED", "ARSC_LOOKUP_BUDGET"),
        "Resource table (resources.arsc) damaged or non-standard"),
}
REJECTED_ID = "AXML_MANIFEST_REJECTED"
_REJECTED_TITLE = "Android would refuse this manifest: the APK cannot be installed as is"
_BY_CODE = {code: fid for fid, (_sev, codes, _t) in FINDING_KINDS.items() for code in codes}
_OTHER = "AXML_STRUCTURE_TAMPERED"
_MAX_EVIDENCE = 20


def _finding(finding_id: str, severity: str, fallback_title: str, evidence: dict, path: str) -> Finding:
    entry = None
    try:
        from apkscan.findings_catalog import default_catalog

        entry = default_catalog().get(finding_id)
    except Exception:  # noqa: BLE001 - a broken catalogue must not lose the evidence
        entry = None
    if entry is None:
        return Finding(id=finding_id, severity=severity, title=fallback_title, evidence=evidence,
                       source=SOURCE, path=path)
    return Finding(id=finding_id, severity=severity, title=entry.title, evidence=evidence, source=SOURCE,
                   title_vi=entry.title_vi, description=entry.description,
                   description_vi=entry.description_vi, path=path)


def findings_for_problems(problems: Iterable[str]) -> list[Finding]:
    """One finding per kind of tolerated corruption, evidence = the problems of that kind."""
    grouped: dict[str, list[tuple[str, str]]] = {}
    for text in problems:
        code, message = split_problem(text)
        grouped.setdefault(_BY_CODE.get(code, _OTHER), []).append((code, message))
    out = []
    for finding_id, items in grouped.items():
        severity, _codes, title = FINDING_KINDS[finding_id]
        if finding_id == "AXML_RESOURCES_TAMPERED" and all(code == "ARSC_UNRESOLVED" for code, _ in items):
            severity = "low"
        path = "resources.arsc" if finding_id == "AXML_RESOURCES_TAMPERED" else "AndroidManifest.xml"
        evidence = {
            "problems": [f"{code}: {message}" for code, message in items[:_MAX_EVIDENCE]],
            "codes": sorted({code for code, _ in items}),
            "count": len(items),
        }
        out.append(_finding(finding_id, severity, title, evidence, path))
    return out


def rejection_finding(error) -> Finding:
    """A finding for ``apkscan.manifest.ManifestError`` with code MANIFEST_REJECTED."""
    evidence = {"code": getattr(error, "code", "MANIFEST_REJECTED"), "reason": getattr(error, "message", str(error))}
    return _finding(REJECTED_ID, "medium", _REJECTED_TITLE, evidence, "AndroidManifest.xml")


class ManifestIntegrityAnalyzer:
    name = SOURCE

    def analyze(self, ctx: ScanContext) -> Iterable[Finding]:
        return findings_for_problems(ctx.facts.manifest_problems or ())
