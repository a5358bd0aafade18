"""The manifest_integrity analyzer turns tolerated manifest corruption into findings."""
from __future__ import annotations

import pytest
from test_manifest_kit import (
    CLEAN_POLITEDROID,
    join,
    read_manifest,
    repack,
    replace_utf16,
    split,
)

from apkscan.analyzers.base import ScanContext
from apkscan.analyzers.manifest_integrity import (
    FINDING_KINDS,
    ManifestIntegrityAnalyzer,
    findings_for_problems,
    rejection_finding,
)
from apkscan.archive import open_archive
from apkscan.config import ScanConfig
from apkscan.manifest import ManifestError, extract_facts
from apkscan.model import SigningResult


def analyze(path):
    with open_archive(path) as arc:
        facts = extract_facts(arc)
        ctx = ScanContext(path=str(path), archive=arc, facts=facts, signing=SigningResult(verified=None),
                          config=ScanConfig())
        return list(ManifestIntegrityAnalyzer().analyze(ctx))


def test_clean_manifest_has_no_findings(malformed_corpus):
    assert analyze(malformed_corpus / CLEAN_POLITEDROID) == []


def test_corpus_header_trick_becomes_a_finding(malformed_corpus):
    [finding] = analyze(malformed_corpus / "axml-bad-chunk-type__resigned.apk")
    assert finding.id == "AXML_HEADER_TAMPERED" and finding.severity == "medium"
    assert finding.evidence["codes"] == ["AXML_HEADER_TYPE"]
    assert "0x0000" in finding.evidence["problems"][0]
    assert finding.source == "manifest_integrity" and finding.path == "AndroidManifest.xml" and finding.title


def test_disguised_attributes_and_padding_are_separate_findings(tmp_path, malformed_corpus):
    base = malformed_corpus / CLEAN_POLITEDROID
    manifest = replace_utf16(read_manifest(base), "versionCode", "hiddenField")
    ftype, chunks = split(manifest)
    path = repack(base, tmp_path / "t.apk", join(chunks, ftype, header_pad=bytes(4)))
    by_id = {f.id: f for f in analyze(path)}
    assert set(by_id) == {"AXML_ATTRIBUTES_OBFUSCATED", "AXML_HEADER_TAMPERED"}
    assert by_id["AXML_ATTRIBUTES_OBFUSCATED"].severity == "high"
    assert by_id["AXML_ATTRIBUTES_OBFUSCATED"].evidence["codes"] == ["AXML_ATTR_NAME_MISMATCH"]
    assert by_id["AXML_HEADER_TAMPERED"].evidence["codes"] == ["AXML_HEADER_SIZE"]


def test_every_problem_code_has_a_finding_kind():
    import re
    from pathlib import Path

    import apkscan.manifest

    source = "".join(p.read_text() for p in Path(apkscan.manifest.__file__).parent.glob("*.py"))
    emitted = set(re.findall(r'log\.add\(\s*"([A-Z_]+)"', source)) | set(re.findall(r'\.add\("([A-Z_]+)"', source))
    grouped = {code for _sev, codes, _t in FINDING_KINDS.values() for code in codes}
    assert emitted and emitted <= grouped
    unknown = findings_for_problems(["SOMETHING_NEW: text", "no code at all"])
    assert [f.id for f in unknown] == ["AXML_STRUCTURE_TAMPERED"] and unknown[0].evidence["count"] == 2


def test_only_unresolved_resources_is_low(tmp_path):
    [low] = findings_for_problems(["ARSC_UNRESOLVED: application label @0x7f040000 cannot be resolved"])
    assert (low.id, low.severity, low.path) == ("AXML_RESOURCES_TAMPERED", "low", "resources.arsc")
    [medium] = findings_for_problems(["ARSC_UNRESOLVED: x", "ARSC_BAD_CHUNK: y"])
    assert medium.severity == "medium" and medium.evidence["count"] == 2


def test_rejected_manifest_finding(malformed_corpus):
    with open_archive(malformed_corpus / "axml-stringpool-count-huge__resigned.apk") as arc, \
            pytest.raises(ManifestError) as info:
        extract_facts(arc)
    finding = rejection_finding(info.value)
    assert finding.id == "AXML_MANIFEST_REJECTED"
    assert finding.evidence["code"] == "MANIFEST_REJECTED" and "string pool" in finding.evidence["reason"]
