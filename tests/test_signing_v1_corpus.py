"""V1Verifier against apksig's own test APKs (../shared/corpus/signing, expected.jsonl).

Rows checked: files named v1-* and golden-*v1*. For each, the default verdict (minSdk from the APK's
manifest, every later API level) and every ``ranges`` case (explicit min/max SDK) must match. Verdicts
that apksig reaches outside JAR signing (target SDK / sandbox rules, unreadable manifest) belong to
the facade and are skipped here. Every APK of the corpus is also run through the verifier: whatever
it holds, the verifier must return a result, never raise.
"""
from __future__ import annotations

import json

import pytest

from apkscan.archive import open_archive
from apkscan.signing.sdk_levels import read_sdk_levels
from apkscan.signing.v1 import V1Result, V1Verifier

MAX_SDK = 2**31 - 1
# Verdicts apksig gives for reasons outside the JAR signature itself.
FACADE_ISSUES = ("MIN_SIG_SCHEME_FOR_TARGET_SDK_NOT_MET", "NO_SIG_FOR_TARGET_SANDBOX_VERSION", "ApkFormatException")


def _rows(corpus):
    return [json.loads(line) for line in (corpus / "expected.jsonl").read_text().splitlines() if line.strip()]


def _is_v1_row(row) -> bool:
    name = row["file"]
    return (name.startswith("v1-") or (name.startswith("golden-") and "v1" in name)
            or row["apksigner_31"]["verified_schemes"] == ["v1"])  # e.g. odd compression methods


def _verify(arc, min_sdk: int, max_sdk: int) -> V1Result:
    verifier = V1Verifier(arc, min_sdk, max_sdk)
    arc.for_each_entry([verifier])
    return verifier.finish()


def _manifest_min_sdk(arc) -> int:
    levels = read_sdk_levels(arc.read("AndroidManifest.xml"))
    return levels.min_sdk or 1


def _cases(row):
    yield "default", None, None, row["default"]
    for r in row["ranges"]:
        yield f"min={r['min_sdk']} max={r['max_sdk']}", r["min_sdk"], r["max_sdk"], r


def test_v1_verdicts_match_apksig(signing_corpus, summary):
    checked = agreed = 0
    failures = []
    for row in _rows(signing_corpus):
        if not _is_v1_row(row):
            continue
        with open_archive(signing_corpus / row["file"]) as arc:
            manifest_min = None
            for label, lo, hi, expected in _cases(row):
                reason = expected.get("issue") or ""
                if any(k in reason for k in FACADE_ISSUES):
                    continue
                if manifest_min is None and lo is None:
                    manifest_min = _manifest_min_sdk(arc)
                min_sdk = lo if lo is not None else manifest_min
                max_sdk = hi if hi is not None else MAX_SDK
                result = _verify(arc, min_sdk, max_sdk)
                checked += 1
                names = [i.name for i in result.issues]
                ok = result.verified == expected["verified"]
                # When apksig names the issue, ours must name it too.
                if ok and not expected["verified"] and reason.isupper() and "_" in reason:
                    ok = reason in names
                if ok:
                    agreed += 1
                else:
                    failures.append(f"{row['file']} [{label}] expected {expected} got {result.verified} {names}")
    summary(f"v1 (JAR) verifier vs apksig on the corpus: {agreed}/{checked}")
    assert checked > 180  # the corpus has 178 v1 rows plus their SDK ranges
    assert not failures, "\n".join(failures)


def test_v1_signers_match_apksigner(signing_corpus):
    """The reported signer certificates are the ones apksigner reports (same order), for v1-only APKs."""
    compared = 0
    for row in _rows(signing_corpus):
        apksigner = row["apksigner_31"]
        if not _is_v1_row(row) or apksigner["verified_schemes"] != ["v1"] or not row["default"]["verified"]:
            continue
        with open_archive(signing_corpus / row["file"]) as arc:
            result = _verify(arc, _manifest_min_sdk(arc), MAX_SDK)
        assert result.verified, row["file"]
        assert [s.cert_sha256 for s in result.signers] == apksigner["signers_cert_sha256"], row["file"]
        compared += 1
    assert compared > 100


def test_cert_bag_decoy_is_not_the_signer(signing_corpus):
    """apksig's v1-only-pkcs7-cert-bag-first-cert-not-used.apk: the first certificate of the PKCS #7 bag
    is not the signer; the one named by the SignerInfo (issuer + serial) is."""
    with open_archive(signing_corpus / "v1-only-pkcs7-cert-bag-first-cert-not-used.apk") as arc:
        result = _verify(arc, 23, MAX_SDK)
    assert result.verified
    bag = [c.cert_sha256 for c in result.extracted_certificates]
    assert len(bag) == 2
    assert [s.cert_sha256 for s in result.signers] == [bag[1]]


def test_ber_certificate_fingerprint_is_over_original_bytes(signing_corpus):
    with open_archive(signing_corpus / "v1-only-with-rsa-1024-cert-not-der.apk") as arc:
        result = _verify(arc, 23, MAX_SDK)
    assert result.verified
    signer = result.signers[0]
    assert signer.cert_sha256 == "c5d4535a7e1c8111687a8374b2198da6f5ff8d811a7a25aa99ef060669342fa9"
    assert signer.subject == "CN=rsa-1024" and signer.key_algorithm == "RSA"


def test_stripping_protection_ids_exposed(signing_corpus):
    with open_archive(signing_corpus / "golden-aligned-v1v2v3-out.apk") as arc:
        result = _verify(arc, 23, MAX_SDK)
    assert result.verified and result.apk_signed_scheme_ids == (2, 3)


def test_stripped_v2_detected_when_found_ids_given(signing_corpus):
    """v2-stripped.apk: the .SF says "signed with v2" but the APK Signing Block is gone."""
    with open_archive(signing_corpus / "v2-stripped.apk") as arc:
        verifier = V1Verifier(arc, 24, MAX_SDK, found_apk_sig_scheme_ids=())
        arc.for_each_entry([verifier])
        result = verifier.finish()
        assert not result.verified
        assert "JAR_SIG_MISSING_APK_SIG_REFERENCED" in [i.name for i in result.issues]
        below_n = _verify(arc, 23, 23)  # Android before N ignores the attribute
        assert below_n.verified


def test_every_corpus_apk_yields_a_result(signing_corpus):
    count = 0
    for path in sorted(signing_corpus.glob("*.apk")):
        try:
            arc = open_archive(path)
        except Exception:  # not a ZIP the archive layer accepts: nothing for v1 to do
            continue
        with arc:
            for lo, hi in ((1, MAX_SDK), (24, MAX_SDK), (18, 23)):
                result = _verify(arc, lo, hi)
                assert isinstance(result, V1Result)
                if result.verified:
                    assert not result.issues and result.signers
                assert all(i.scheme == "v1" for i in result.issues + result.warnings)
        count += 1
    assert count > 300


@pytest.mark.parametrize("name", ["v1-only-with-rsa-2048.apk", "golden-unaligned-v1-out.apk"])
def test_streamed_and_lazy_reads_agree(signing_corpus, name):
    """finish() without a for_each_entry pass reads what it needs itself, with the same verdict."""
    with open_archive(signing_corpus / name) as arc:
        streamed = _verify(arc, 18, MAX_SDK)
    with open_archive(signing_corpus / name) as arc:
        lazy = V1Verifier(arc, 18, MAX_SDK).finish()
    assert streamed.verified and lazy.verified
    assert streamed == lazy
