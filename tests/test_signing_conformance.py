"""Conformance with apksig on its own test APKs (/work/shared/corpus/signing, README there):
every APK's default verdict, every SDK range the apksig unit tests assert, and the signer
certificates apksigner 31 printed for the APKs that verify."""
from __future__ import annotations

import json

import pytest

from apkscan.signing import verify_apk

V31_CAVEAT = "APK Signing Block has a v3.1 block"

# Disagreements we keep, with the reason. Anything else disagreeing fails the test.
RESIDUALS = {
    "v31-ec-p256-2-tgt-33-1-tgt-28-targetSdk-30.apk": (
        "default verdict comes from apksigner 31.0.2, which predates v3.1 (caveat): it does not see the "
        "v3.1 block, so its v3 signer (SDK 28..32) leaves no v2+ scheme verified for targetSdk 30. "
        "apksig with v3.1 verifies v3 (28..32) + v3.1 (33+), which satisfies the targetSdk 30 rule, as "
        "its unit test asserts for min_sdk=33 (the 'ranges' entry, which we match)."),
}


def _rows(corpus):
    return [json.loads(line) for line in (corpus / "expected.jsonl").read_text().splitlines() if line.strip()]


def test_signing_conformance(signing_corpus, summary):
    rows = _rows(signing_corpus)
    assert len(rows) == 369
    default_ok = ranges_ok = ranges_total = certs_ok = certs_total = 0
    unexpected: list[str] = []
    residual_seen: list[str] = []
    for row in rows:
        name = row["file"]
        result = verify_apk(signing_corpus / name)
        expected = row["default"]["verified"]
        if result.verified == expected:
            default_ok += 1
        elif name in RESIDUALS:
            residual_seen.append(f"{name}: expected {expected}, got {result.verified} -- {RESIDUALS[name]}")
        else:
            unexpected.append(f"{name} default: expected {expected} ({row['default']['issue']}), "
                              f"got {result.verified} {[i.name for i in result.issues][:3]}")
        for rng in row["ranges"]:
            ranges_total += 1
            got = verify_apk(signing_corpus / name, min_sdk=rng["min_sdk"], max_sdk=rng["max_sdk"])
            if got.verified == rng["verified"]:
                ranges_ok += 1
            else:
                unexpected.append(f"{name} [{rng['min_sdk']}, {rng['max_sdk']}]: expected {rng['verified']} "
                                  f"({rng['issue']}), got {got.verified} {[i.name for i in got.issues][:3]}")
        if expected and result.verified:
            certs_total += 1
            reported = sorted(row["apksigner_31"]["signers_cert_sha256"])
            ours = sorted(s.cert_sha256 for s in result.signers)
            if any(c.startswith(V31_CAVEAT) for c in row["caveats"]):
                # apksigner 31 reports the pre-rotation signer; apksig (v3.1) the rotated one, whose
                # lineage must start from apksigner's signer
                lineage = [x["cert_sha256"] for x in result.lineage]
                ok = bool(lineage) and set(reported) <= set(lineage) and ours == [lineage[-1]]
            else:
                ok = ours == reported
            if ok:
                certs_ok += 1
            else:
                unexpected.append(f"{name} signers: apksigner {reported}, ours {ours}")
    summary(f"signing conformance (../shared/corpus/signing): {default_ok}/{len(rows)} default, "
            f"{ranges_ok}/{ranges_total} ranges, {certs_ok}/{certs_total} signer sets")
    for line in residual_seen:
        summary(f"  residual: {line}")
    assert not unexpected, "\n".join(unexpected)


def test_v31_signers_and_lineage(signing_corpus):
    """apksig unit test verifyV31_rotationTarget34_*: the rotated signer with a two-key lineage."""
    result = verify_apk(signing_corpus / "v31-rsa-2048_2-tgt-34-1-tgt-28.apk")
    assert result.verified and result.schemes == ("v1", "v2", "v3", "v3.1")
    assert len(result.lineage) == 2 and result.signers[0].cert_sha256 == result.lineage[-1]["cert_sha256"]
    older = verify_apk(signing_corpus / "v31-rsa-2048_2-tgt-34-1-tgt-28.apk", max_sdk=32)
    assert older.verified and older.signers[0].cert_sha256 == result.lineage[0]["cert_sha256"]


@pytest.mark.parametrize("name, issue", [
    ("v2-only-with-rsa-pss-sha256-2048-sig-does-not-verify.apk", "V2_SIG_DID_NOT_VERIFY"),
    ("v3-stripped.apk", "V2_SIG_MISSING_APK_SIG_REFERENCED"),
    ("v31-tgt-33-no-v3-block.apk", "V31_BLOCK_FOUND_WITHOUT_V3_BLOCK"),
    ("v31-block-stripped-v3-attr-value-33.apk", "V31_BLOCK_MISSING"),
    ("v31-tgt-34-v3-attr-value-33.apk", "V31_ROTATION_MIN_SDK_MISMATCH"),
    ("v2-only-cert-and-public-key-mismatch.apk", "V2_SIG_PUBLIC_KEY_MISMATCH_BETWEEN_CERTIFICATE_AND_SIGNATURES_RECORD"),
    ("v3-only-signatures-and-digests-block-mismatch.apk", "V3_SIG_SIG_ALG_MISMATCH_BETWEEN_SIGNATURES_AND_DIGESTS_RECORDS"),
    ("v2-only-two-signers-second-signer-no-supported-sig.apk", "V2_SIG_NO_SUPPORTED_SIGNATURES"),
])
def test_issue_names_match_apksig(signing_corpus, name, issue):
    """Same failure, same name: the apksig unit test's expected issue."""
    result = verify_apk(signing_corpus / name)
    assert result.verified is False
    assert issue in {i.name for i in result.issues}


@pytest.mark.parametrize("name, warning", [
    ("v31-tgt-33-no-v3-attr.apk", "V31_ROTATION_MIN_SDK_ATTR_MISSING"),
    ("v3-rsa-2048_2-tgt-dev-release.apk", "V31_ROTATION_TARGETS_DEV_RELEASE_ATTR_ON_V3_SIGNER"),
    ("stamp-certificate-mismatch.apk", "SOURCE_STAMP_CERTIFICATE_MISMATCH_BETWEEN_SIGNATURE_BLOCK_AND_APK"),
    ("stamp-apk-hash-mismatch-v2.apk", "SOURCE_STAMP_DID_NOT_VERIFY"),
    ("stamp-int-timestamp-value.apk", "SOURCE_STAMP_MALFORMED_ATTRIBUTE"),
    ("stamp-lineage-invalid.apk", "SOURCE_STAMP_POR_CERT_MISMATCH"),
    ("stamp-without-block.apk", "SOURCE_STAMP_SIG_MISSING"),
])
def test_warnings_do_not_fail_verification(signing_corpus, name, warning):
    result = verify_apk(signing_corpus / name)
    assert result.verified is True
    assert warning in {w.name for w in result.warnings}


def test_valid_stamp_has_no_warning(signing_corpus):
    for name in ("valid-stamp.apk", "v1-only-with-stamp.apk", "v3-only-with-stamp.apk", "stamp-lineage-valid.apk"):
        result = verify_apk(signing_corpus / name)
        assert result.verified and not [w for w in result.warnings if w.scheme == "stamp"], name
