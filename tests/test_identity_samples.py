"""Impersonation, the identity verdict and enrollment on the factory's APKs, signed with TEST keys
and verified by apkscan's own verifier. The genuine-like reference stands in for VNeID: tests
enroll its TEST certificate the way a user enrolls a Play-installed copy."""
from __future__ import annotations

import hashlib
import json
from contextlib import contextmanager

import pytest

from apkscan.analyzers.base import ScanContext
from apkscan.analyzers.identity import identity_verdict_hint, resolve
from apkscan.archive import open_archive
from apkscan.config import ScanConfig
from apkscan.manifest import extract_facts
from apkscan.model import InputInfo, ScanResult
from apkscan.samples.build import build_all
from apkscan.signing import verify_apk
from apkscan.trust import TrustError, enroll_scanned, read_trust_file, reference_icon_hash


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    out = tmp_path_factory.mktemp("samples")
    index = build_all(out)
    return out, {s["recipe"]: s for s in index["samples"]}


@contextmanager
def context(path, trust=()):
    with open_archive(str(path)) as arc:
        facts = extract_facts(arc)
        yield ScanContext(path=str(path), archive=arc, facts=facts, signing=verify_apk(str(path)),
                          config=ScanConfig(trust_files=tuple(trust)))


def identify(samples, recipe, trust=()):
    out, index = samples
    with context(out / index[recipe]["file"], trust) as ctx:
        ident, found = resolve(ctx)
        return ident, {f.id: f for f in found}, identity_verdict_hint(ident, ctx.signing)


def scanned(samples, recipe) -> ScanResult:
    """What enrollment needs from a scan, computed by the real parsers and verifier."""
    out, index = samples
    path = out / index[recipe]["file"]
    with context(path) as ctx:
        return ScanResult(input=InputInfo(str(path), path.stat().st_size,
                                          sha256=hashlib.sha256(path.read_bytes()).hexdigest()),
                          status="ok", app=ctx.facts, signing=ctx.signing)


@pytest.fixture(scope="module")
def trust_file(samples, tmp_path_factory):
    path = tmp_path_factory.mktemp("trust") / "trust.json"
    out, index = samples
    ref = scanned(samples, "vneid-reference")
    enroll_scanned(ref, "vneid", path, icon_hash=reference_icon_hash(ref.input.path, ref))
    return str(path)


def expected(samples):
    return samples[1]


def test_every_sample_claims_what_its_recipe_says(samples):
    for recipe, sample in expected(samples).items():
        ident, _, _ = identify(samples, recipe)
        assert ident.claimed == sample["expected"].get("identity_claimed"), (recipe, ident.reasons)


def test_verdict_hints_with_the_reference_enrolled_match_the_index(samples, trust_file):
    for recipe, sample in expected(samples).items():
        ident, found, hint = identify(samples, recipe, [trust_file])
        verdict = sample["expected"]["verdict"]
        if verdict in ("genuine", "fake"):
            assert hint == verdict, (recipe, ident.reasons)
        else:
            assert hint is None, (recipe, ident.reasons)  # benign and plain malware: identity says nothing


def test_without_an_enrolled_certificate_no_genuine_and_no_guess(samples):
    for recipe in ("vneid-reference", "vneid-reference-rotated", "vneid-repackaged-foreign-key"):
        ident, found, hint = identify(samples, recipe)
        assert hint is None and ident.certificate_enrolled is False, recipe
        assert ident.signer_status == "not_enrolled", recipe
        assert "IMPERSONATION_CERT_NOT_ENROLLED" in found
        assert found["IMPERSONATION_CERT_NOT_ENROLLED"].severity == "low"
        assert any("no enrolled signing certificate" in r for r in ident.reasons)
    # a trojanised com.vnid is fake even then: the genuine VNeID never asks for SMS or accessibility
    ident, found, hint = identify(samples, "vneid-repackaged-trojanised")
    assert hint == "fake" and {"sms_read", "accessibility", "overlay"} <= set(ident.profile_violation)


def test_text_report_tells_why_the_reference_is_not_called_genuine(samples):
    """The whole pipeline on the VNeID stand-in with the bundled trust data (no certificate):
    neither genuine nor fake, and the text report's top reasons say why and what to do."""
    from apkscan.report.text import row_for
    from apkscan.scan import scan_file

    out, index = samples
    result = scan_file(str(out / index["vneid-reference"]["file"]), ScanConfig())
    assert result.status == "ok" and result.verdict not in ("genuine", "fake"), result.verdict
    assert result.identity.signer_status == "not_enrolled"
    assert ("VNeID has no enrolled certificate: apkscan cannot confirm this copy is genuine — "
            "enrol a Play-installed copy with `apkscan trust enroll`") in row_for(result, "en")["reasons"]
    assert "VNeID chưa có chứng chỉ được đăng ký" in row_for(result, "vi")["reasons"]


def test_genuine_reference_and_its_rotated_successor(samples, trust_file):
    ident, found, hint = identify(samples, "vneid-reference", [trust_file])
    assert (ident.trusted, ident.package_owned, ident.signer_status, hint) == ("vneid", True, "trusted", "genuine")
    assert not [f for f in found.values() if f.severity != "info"]
    ident, _, hint = identify(samples, "vneid-reference-rotated", [trust_file])
    assert hint == "genuine" and any("rotated from a certificate enrolled" in r for r in ident.reasons)


def test_repackaged_genuine_package_with_a_foreign_key(samples, trust_file):
    ident, found, hint = identify(samples, "vneid-repackaged-foreign-key", [trust_file])
    assert hint == "fake" and ident.signer_status == "foreign"
    ev = found["IMPERSONATION_FOREIGN_SIGNER"].evidence
    assert ev["signers"] and set(ev["signers"]).isdisjoint(ev["enrolled"])


@pytest.mark.parametrize("recipe,how", [
    ("fake-vneid-label-vneld", "confusable"), ("fake-vneid-label-cyrillic", "confusable"),
    ("fake-vneid-label-zero-width", "confusable"), ("fake-vneid-label-vnneid", "edit"),
    ("fake-vneid-label-no-diacritics", "folded"), ("fake-vneid-redhook", "exact"),
])
def test_label_tricks(samples, recipe, how):
    ident, found, hint = identify(samples, recipe)
    assert ident.claimed == "vneid" and hint == "fake"
    hows = {s["how"] for s in found["IMPERSONATION_LABEL"].evidence["labels"]}
    assert how in hows, hows
    assert found["IMPERSONATION_PROFILE_MISMATCH"].severity == "critical"


def test_copied_icon_matches_the_enrolled_reference_icon(samples, trust_file):
    _, found, _ = identify(samples, "fake-vneid-label-vneld", [trust_file])  # a perturbed copy
    assert "IMPERSONATION_ICON" in found
    _, found, _ = identify(samples, "fake-vssid", [trust_file])  # its own icon
    assert "IMPERSONATION_ICON" not in found
    ident, _, _ = identify(samples, "benign-vneid-guide", [trust_file])
    assert ident.claimed is None


def test_other_protected_apps_and_brands(samples):
    for recipe, claimed, kind in [("fake-vssid", "vssid", "app"), ("fake-etax", "etax", "app"),
                                  ("fake-evn", "evn", "brand"), ("fake-dichvucong", "dichvucong", "brand")]:
        ident, found, hint = identify(samples, recipe)
        assert (ident.claimed, ident.claimed_kind, hint) == (claimed, kind, "fake"), recipe
        assert "IMPERSONATION_PROFILE_MISMATCH" in found
        assert ("IMPERSONATION_BRAND" if kind == "brand" else "IMPERSONATION_LABEL") in found


def test_benign_look_alikes_are_not_called_fake(samples, trust_file):
    ident, found, hint = identify(samples, "benign-vneid-guide", [trust_file])
    assert ident.claimed is None and hint is None and list(found) == ["IMPERSONATION_BRAND_MENTION"]
    for recipe in ("benign-accessibility-helper", "benign-sms-app", "bankbot-payload"):
        ident, found, hint = identify(samples, recipe, [trust_file])
        assert ident.claimed is None and hint is None and not found, recipe


def test_enrollment_of_real_apks(samples, tmp_path):
    path = tmp_path / "t.json"
    rotated = scanned(samples, "vneid-reference-rotated")
    res = enroll_scanned(rotated, "vneid", path)
    assert len(res.added_certificates) == 2  # the new signer and its lineage ancestor
    assert set(res.added_certificates) == {rotated.signing.signers[0].cert_sha256,
                                           *[n["cert_sha256"] for n in rotated.signing.lineage]}
    with pytest.raises(TrustError, match="com.vnid"):
        enroll_scanned(scanned(samples, "fake-vneid-label-vneld"), "vneid", path)
    doc, _ = read_trust_file(path)
    assert [e["package"] for e in doc["identities"][0]["enrollments"]] == ["com.vnid"]
    json.dumps(doc)


def test_cli_enroll_then_scan_with_the_trust_file(samples, tmp_path, monkeypatch):
    """The user's path: `apkscan trust enroll` a reference, then `scan --trust` (scan_file here)."""
    from click.testing import CliRunner

    from apkscan.cli.trust import trust_group
    from apkscan.scan import scan_file

    out, index = samples
    monkeypatch.setenv("APKSCAN_TRUST_FILE", str(tmp_path / "cfg" / "trust.json"))
    run = CliRunner().invoke(trust_group, ["enroll", str(out / "vneid-reference.apk"), "--id", "vneid",
                                           "--format", "json"])
    assert run.exit_code == 0, run.output
    record = json.loads(run.output)
    assert record["trust_file"] == str(tmp_path / "cfg" / "trust.json") and record["icon_hash"]
    refused = CliRunner().invoke(trust_group, ["enroll", str(out / "fake-vneid-golddigger.apk"), "--id", "vneid"])
    assert refused.exit_code == 1
    config = ScanConfig(trust_files=(record["trust_file"],))
    for recipe in ("vneid-reference", "vneid-reference-rotated", "vneid-repackaged-foreign-key",
                   "fake-vneid-label-vneld", "fake-dichvucong", "benign-vneid-guide", "benign-sms-app",
                   "benign-accessibility-helper"):
        result = scan_file(str(out / index[recipe]["file"]), config)
        assert result.status == "ok", result.error
        assert result.verdict == index[recipe]["expected"]["verdict"], (recipe, result.identity.reasons)
        assert result.identity.claimed == index[recipe]["expected"].get("identity_claimed"), recipe
