"""Signing findings (issue 4 item 6) on real APKs: each fires when the signature says so, with the
evidence an officer needs, and none fires on the genuine-like sample (vneid-reference.apk).

APKs come from the apksig corpus and from the factory (apkscan.samples), signed with
apkscan.signing.sign_apk and the TEST keys; certificates with odd properties are made here over
those keys' private keys."""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
import json
import zipfile

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from apkscan.analyzers.signing_findings import signing_findings
from apkscan.config import ScanConfig
from apkscan.samples.build import Factory
from apkscan.samples.testkeys import load_test_key
from apkscan.samples.zipwriter import ZipEntry, write_zip
from apkscan.scan import scan_file
from apkscan.signing import verify_apk
from apkscan.signing.keys import SigningKey
from apkscan.signing.sign import sign_apk

LEGACY = "benign-flashlight-legacy"  # minSdk 19: JAR signing matters
MODERN = "benign-notes"  # minSdk 26


@pytest.fixture(scope="module")
def unsigned():
    factory = Factory(sign=False)
    return {rid: factory.apk(rid) for rid in (LEGACY, MODERN)}


@pytest.fixture(scope="module")
def key():
    return load_test_key("TEST-ONLY-benign-dev-a")


def _write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _scan(tmp_path, data: bytes, name: str = "x.apk"):
    result = scan_file(str(_write(tmp_path, name, data)), ScanConfig())
    assert result.status == "ok", result.error
    return result


def _sig(result) -> dict:
    """Signing findings by id (each id at most once per APK here)."""
    found = [f for f in result.findings if f.source == "signing"]
    by_id = {f.id: f for f in found}
    assert len(by_id) == len(found), [f.id for f in found]
    return by_id


def _custom_key(base: SigningKey, subject: str = "CN=apkscan test signer,O=apkscan tests,C=VN",
                not_before: dt.datetime | None = None, not_after: dt.datetime | None = None,
                private_key=None) -> SigningKey:
    """A self-signed certificate over a test key (or a given key) with chosen subject and dates."""
    private_key = private_key or base.private_key
    oids = {"CN": NameOID.COMMON_NAME, "O": NameOID.ORGANIZATION_NAME, "C": NameOID.COUNTRY_NAME}
    name = x509.Name([x509.NameAttribute(oids[k], v) for k, v in (p.split("=", 1) for p in subject.split(","))])
    start = not_before or dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(private_key.public_key()).serial_number(4242)
            .not_valid_before(start).not_valid_after(not_after or start + dt.timedelta(days=365 * 30))
            .sign(private_key, hashes.SHA256()))
    return SigningKey(name="custom", private_key=private_key, certificates=(cert,))


def _patched(key: SigningKey, old: bytes, new: bytes, count: int) -> SigningKey:
    """The key with its certificate's DER bytes patched (same length). The certificate's own
    signature no longer matches: Android never checks it for APK signers, and neither does apksig."""
    der = key.certificate_der
    assert len(old) == len(new) and der.count(old) == count, (old, der.count(old))
    cert = x509.load_der_x509_certificate(der.replace(old, new))
    return SigningKey(name=key.name, private_key=key.private_key, certificates=(cert,))


SHA256_WITH_RSA = bytes.fromhex("06092a864886f70d01010b")  # OID 1.2.840.113549.1.1.11
SHA1_WITH_RSA = bytes.fromhex("06092a864886f70d010105")  # OID 1.2.840.113549.1.1.5


def _rezip(apk: bytes, replace: dict[str, bytes] | None = None, add: dict[str, bytes] | None = None) -> bytes:
    """The APK's entries rewritten (signing block dropped), some replaced or added."""
    replace, add = replace or {}, add or {}
    with zipfile.ZipFile(io.BytesIO(apk)) as zf:
        entries = [ZipEntry(i.filename, replace.get(i.filename, zf.read(i.filename)),
                            compress=i.compress_type != zipfile.ZIP_STORED) for i in zf.infolist()]
    entries += [ZipEntry(n, d) for n, d in add.items()]
    return write_zip(entries)


# --- the genuine-like sample --------------------------------------------------------------------

def test_genuine_like_samples_have_no_signing_findings(sample_set):
    folder, _ = sample_set
    for name in ("vneid-reference.apk", "vneid-reference-rotated.apk"):
        result = scan_file(str(folder / name), ScanConfig())
        assert result.signing.verified is True
        assert _sig(result) == {}, (name, [f.id for f in result.findings if f.source == "signing"])


# --- unsigned, invalid ----------------------------------------------------------------------------

def test_unsigned(tmp_path, unsigned):
    result = _scan(tmp_path, unsigned[MODERN])
    found = _sig(result)
    assert set(found) == {"SIG_UNSIGNED"}
    assert result.signing.verified is False and found["SIG_UNSIGNED"].evidence["blocks_present"] == []


def test_modified_entry_names_the_scheme_and_the_entry(tmp_path, unsigned, key):
    signed = sign_apk(unsigned[LEGACY], [key], schemes=("v1",), min_sdk=19)
    with zipfile.ZipFile(io.BytesIO(signed)) as zf:
        dex = zf.read("classes.dex")
    tampered = _rezip(signed, replace={"classes.dex": dex + b"\0injected"})
    found = _sig(_scan(tmp_path, tampered))
    assert set(found) == {"SIG_INVALID", "SIG_UNPROVEN_CERTIFICATE"}
    ev = found["SIG_INVALID"].evidence
    assert ev["failed_schemes"] == ["v1"] and ev["entries"] == ["classes.dex"]
    assert "JAR_SIG_ZIP_ENTRY_DIGEST_DID_NOT_VERIFY" in {i["name"] for i in ev["issues"]}
    assert "v1 (classes.dex)" in found["SIG_INVALID"].title
    # the certificate is still in the APK, and proves nothing
    certs = found["SIG_UNPROVEN_CERTIFICATE"].evidence["certificates"]
    assert [c["cert_sha256"] for c in certs] == [verify_apk(_write(tmp_path, "ok.apk", signed)).signers[0].cert_sha256]


def test_broken_block_signature_names_the_scheme(tmp_path, unsigned, key):
    signed = bytearray(sign_apk(unsigned[MODERN], [key], schemes=("v2",)))
    with zipfile.ZipFile(io.BytesIO(bytes(signed))) as zf:
        info = zf.getinfo("classes.dex")
    signed[info.header_offset + 30 + len(info.filename) + 2] ^= 0xFF  # one byte of the entry's data
    found = _sig(_scan(tmp_path, bytes(signed)))
    assert "SIG_INVALID" in found
    ev = found["SIG_INVALID"].evidence
    assert ev["failed_schemes"] == ["v2"] and ev["entries"] == []
    assert "V2_SIG_APK_DIGEST_DID_NOT_VERIFY" in {i["name"] for i in ev["issues"]}


def test_invalid_corpus_signature(signing_corpus):
    res = verify_apk(signing_corpus / "v2-only-with-rsa-pss-sha256-2048-sig-does-not-verify.apk")
    found = {f.id: f for f in signing_findings(res, 24)}
    assert set(found) <= {"SIG_INVALID", "SIG_UNPROVEN_CERTIFICATE"} and "SIG_INVALID" in found
    assert found["SIG_INVALID"].evidence["failed_schemes"] == ["v2"]


def test_limits_say_not_verifiable_never_invalid(malformed_corpus):
    """apkscan's own limits stopped verification: the finding says the signature was not checked
    (and what the APK carries), never that it is invalid or absent."""
    res = verify_apk(malformed_corpus / "zipbomb-1GiB-zeros__resigned.apk")
    assert res.verified is None
    found = {f.id: f for f in signing_findings(res, 21)}
    assert set(found) == {"SIG_NOT_VERIFIABLE"}
    ev = found["SIG_NOT_VERIFIABLE"].evidence
    assert ev["blocks_present"] == ["v1", "v2", "v3"]
    assert [r["name"] for r in ev["reasons"]] == ["VERIFICATION_INCOMPLETE"]
    # the limit itself weighs (LIMIT_*, ZIP_*): this finding only informs
    assert found["SIG_NOT_VERIFIABLE"].severity == "info"
    # a placeholder result (verification never attempted) says nothing at all
    assert signing_findings(dataclasses.replace(res, issues=()), 21) == []


# --- a signature that cannot be verified is never "unsigned" (reviewer's defect) -----------------

CORPUS_SIGNER = "469d994c1f892db3abfe0c234779067200b0bcccf23304eced3a747d2a612e2b"


SIGNATURE_BLOCK_IDS = {0x7109871A, 0xF05368C0, 0x1B93AD61}  # v2, v3, v3.1 (a source stamp signs no content)


def _carries_signature(path) -> bool | None:
    """Independent of apkscan: Python's zipfile lists META-INF signature files, and the APK
    Signing Block (magic right before the central directory, then (u64 length, u32 id, value)
    pairs) holds a v2/v3/v3.1 pair. None: zipfile cannot read the file."""
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
            cd_offset = zf.start_dir
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return None
    if any(n.upper().startswith("META-INF/") and n.upper().endswith((".SF", ".RSA", ".DSA", ".EC")) for n in names):
        return True
    data = path.read_bytes()[:cd_offset]
    if len(data) < 32 or data[-16:] != b"APK Sig Block 42":
        return False
    size = int.from_bytes(data[-24:-16], "little")
    pos, end = len(data) - size - 8 + 8, len(data) - 24
    while 0 <= pos and pos + 12 <= end:
        length = int.from_bytes(data[pos:pos + 8], "little")
        if int.from_bytes(data[pos + 8:pos + 12], "little") in SIGNATURE_BLOCK_IDS:
            return True
        pos += 8 + length
    return False


def test_no_signed_corpus_apk_is_reported_unsigned(signing_corpus, malformed_corpus):
    checked = 0
    for corpus in (signing_corpus, malformed_corpus):
        for row in [json.loads(x) for x in (corpus / "expected.jsonl").read_text().splitlines() if x.strip()]:
            path = corpus / row["file"]
            carries = _carries_signature(path)
            if row["apksigner_31"]["verdict"] == "verifies":
                assert carries, row["file"]  # the independent check itself sees every verified signature
            if not carries:
                continue
            checked += 1
            res = verify_apk(path)
            ids = [f.id for f in signing_findings(res, None)]
            assert "SIG_UNSIGNED" not in ids, (row["file"], res.verified, res.blocks_present, res.issues[:2])
            assert res.blocks_present, row["file"]
    assert checked > 350


def test_unreadable_min_sdk_is_not_verifiable_with_its_blocks_and_certificate(tmp_path, malformed_corpus):
    """apksigner throws on this file (minSdkVersion unreadable) though Android ignores the broken
    header: the result keeps the v1+v2+v3 signature and its certificate, and says it was not verified."""
    name = "axml-bad-chunk-type__resigned.apk"
    res = verify_apk(malformed_corpus / name)
    assert res.verified is None and res.signers == ()
    assert [i.name for i in res.issues] == ["MIN_SDK_VERSION_UNKNOWN"]
    assert "minSdkVersion" in res.issues[0].message and "--min-sdk" in res.issues[0].message
    assert res.blocks_present == ("v1", "v2", "v3")
    assert [c.cert_sha256 for c in res.extracted_certificates] == [CORPUS_SIGNER]
    # with an explicit range it verifies, as `apksigner verify --min-sdk-version 24` says
    explicit = verify_apk(malformed_corpus / name, min_sdk=24)
    assert explicit.verified is True and [s.cert_sha256 for s in explicit.signers] == [CORPUS_SIGNER]

    result = scan_file(str(malformed_corpus / name), ScanConfig())
    assert result.status == "ok" and result.signing.blocks_present == ("v1", "v2", "v3")
    found = _sig(result)
    assert set(found) == {"SIG_NOT_VERIFIABLE"}, list(found)
    ev = found["SIG_NOT_VERIFIABLE"].evidence
    assert ev["blocks_present"] == ["v1", "v2", "v3"]
    assert [c["cert_sha256"] for c in ev["certificates_carried"]] == [CORPUS_SIGNER]
    assert found["SIG_NOT_VERIFIABLE"].title == "Signature could not be verified: MIN_SDK_VERSION_UNKNOWN"
    assert found["SIG_NOT_VERIFIABLE"].severity == "medium"  # as much as "unsigned": nothing proves the publisher
    assert found["SIG_NOT_VERIFIABLE"].title_vi.startswith("Không thể xác minh chữ ký số")


def _bad_chunk_type(apk: bytes) -> bytes:
    """The APK with its binary manifest's first chunk type zeroed (the corpus's axml-bad-chunk-type)."""
    with zipfile.ZipFile(io.BytesIO(apk)) as zf:
        manifest = zf.read("AndroidManifest.xml")
    return _rezip(apk, replace={"AndroidManifest.xml": b"\0\0" + manifest[2:]})


@pytest.mark.parametrize("schemes", [("v1",), ("v2",), ("v1", "v2", "v3")])
def test_factory_apk_with_unreadable_min_sdk_keeps_its_signature(tmp_path, unsigned, key, schemes):
    apk = sign_apk(_bad_chunk_type(unsigned[LEGACY]), [key], schemes=schemes, min_sdk=19)
    result = _scan(tmp_path, apk)
    assert result.signing.verified is None
    assert result.signing.blocks_present == schemes
    assert [c.cert_sha256 for c in result.signing.extracted_certificates] == [hashlib.sha256(key.certificate_der).hexdigest()]
    assert set(_sig(result)) == {"SIG_NOT_VERIFIABLE"}


def test_unsigned_apk_with_unreadable_min_sdk_is_still_unsigned(tmp_path, unsigned):
    """No signature at all: whatever the SDK range, nothing can verify."""
    result = _scan(tmp_path, _bad_chunk_type(unsigned[LEGACY]))
    assert result.signing.verified is None and result.signing.blocks_present == ()
    assert set(_sig(result)) == {"SIG_UNSIGNED"}


# --- Janus ----------------------------------------------------------------------------------------

def test_janus_for_v1_only_apks(tmp_path, unsigned, key):
    v1_only = _sig(_scan(tmp_path, sign_apk(unsigned[LEGACY], [key], schemes=("v1",), min_sdk=19), "v1.apk"))
    assert "SIG_V1_ONLY_JANUS" in v1_only
    assert v1_only["SIG_V1_ONLY_JANUS"].evidence["affected_api"] == "21-26"
    with_v2 = _sig(_scan(tmp_path, sign_apk(unsigned[LEGACY], [key], schemes=("v1", "v2"), min_sdk=19), "v12.apk"))
    assert "SIG_V1_ONLY_JANUS" not in with_v2


# --- publicly known keys --------------------------------------------------------------------------

def test_aosp_testkey_by_certificate_and_aosp_subject(signing_corpus):
    res = verify_apk(signing_corpus / "debuggable-boolean.apk")
    found = {f.id: f for f in signing_findings(res, 7)}
    ev = found["SIG_PUBLIC_TEST_KEY"].evidence
    assert ev["matched_by"] == "certificate" and ev["key"] == "AOSP testkey"
    assert ev["cert_sha256"] == "a40da80a59d170caa950cf15c18c454d47a39b26989d8b640ecd745ba71bf5dc"
    # another AOSP development key: the certificate differs, its subject is AOSP's
    other = verify_apk(signing_corpus / "targetSandboxVersion-2.apk")
    assert other.verified and other.signers[0].cert_sha256 != ev["cert_sha256"]
    found = {f.id: f for f in signing_findings(other, 21)}
    assert found["SIG_PUBLIC_TEST_KEY"].evidence["matched_by"] == "subject"


def test_android_debug_key(tmp_path, unsigned, key):
    debug = _custom_key(key, subject="CN=Android Debug,O=Android,C=US")
    found = _sig(_scan(tmp_path, sign_apk(unsigned[MODERN], [debug], schemes=("v2", "v3"))))
    assert set(found) == {"SIG_PUBLIC_TEST_KEY"}
    assert found["SIG_PUBLIC_TEST_KEY"].evidence["matched_by"] == "subject"
    assert "debug" in found["SIG_PUBLIC_TEST_KEY"].evidence["key"].lower()


# --- weak algorithms and keys ---------------------------------------------------------------------

def test_sha1_jar_signature_next_to_v2(tmp_path, unsigned, key):
    """apksigner's choice for minSdk < 18 (and for unknown minSdk): SHA-1 in v1. Android 7+ checks v2."""
    found = _sig(_scan(tmp_path, sign_apk(unsigned[LEGACY], [key], schemes=("v1", "v2"), min_sdk=None)))
    weak = found["SIG_WEAK_DIGEST"]
    assert weak.severity == "low" and weak.evidence["weak_digests"] == ["SHA-1"]
    assert weak.evidence["relied_on_by"] == "API < 24" and weak.evidence["stronger_schemes"] == ["v2"]
    assert {s["scheme"] for s in weak.evidence["signatures"]} == {"v1"}
    assert weak.evidence["signatures"][0]["signature_algorithm"] == "SHA1withRSA"
    # the same APK signed for minSdk 19: SHA-256 everywhere
    strong = _sig(_scan(tmp_path, sign_apk(unsigned[LEGACY], [key], schemes=("v1", "v2"), min_sdk=19), "s.apk"))
    assert "SIG_WEAK_DIGEST" not in strong


def test_sha1_jar_only_and_md5(tmp_path, unsigned, key, signing_corpus):
    found = _sig(_scan(tmp_path, sign_apk(unsigned[LEGACY], [key], schemes=("v1",), min_sdk=None)))
    assert found["SIG_WEAK_DIGEST"].severity == "medium"  # nothing stronger protects any version
    assert found["SIG_WEAK_DIGEST"].evidence["relied_on_by"] == "every Android version"
    md5 = verify_apk(signing_corpus / "v1-only-with-rsa-pkcs1-md5-1.2.840.113549.1.1.4-2048.apk")
    weak = {f.id: f for f in signing_findings(md5, 1)}["SIG_WEAK_DIGEST"]
    assert weak.severity == "medium" and "MD5" in weak.evidence["weak_digests"]
    assert weak.evidence["signatures"][0]["signature_algorithm"] == "MD5withRSA"


def test_weak_key_and_weak_certificate_hash(tmp_path, unsigned, key):
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    found = _sig(_scan(tmp_path, sign_apk(unsigned[MODERN], [_custom_key(key, private_key=small)], schemes=("v2",))))
    assert set(found) == {"SIG_WEAK_KEY"}
    assert found["SIG_WEAK_KEY"].evidence["key_bits"] == 1024
    # OpenSSL no longer signs certificates with SHA-1: relabel a SHA-256 one (tbs + outer algorithm)
    sha1_cert = _patched(_custom_key(key), SHA256_WITH_RSA, SHA1_WITH_RSA, count=2)
    assert sha1_cert.certificate.signature_hash_algorithm.name == "sha1"
    found = _sig(_scan(tmp_path, sign_apk(unsigned[MODERN], [sha1_cert], schemes=("v2",)), "c.apk"))
    assert set(found) == {"SIG_WEAK_CERT_HASH"}  # the certificate's hash, not the APK signature's
    assert found["SIG_WEAK_CERT_HASH"].severity == "info"


# --- several signers, unprotected META-INF entries ------------------------------------------------

def test_several_signers(tmp_path, unsigned, key, signing_corpus):
    other = dataclasses.replace(load_test_key("TEST-ONLY-benign-dev-c"), name="OTHER")  # distinct .SF name
    found = _sig(_scan(tmp_path, sign_apk(unsigned[LEGACY], [key, other], schemes=("v1", "v2"), min_sdk=19)))
    signers = found["SIG_MULTIPLE_SIGNERS"].evidence["signers"]
    assert {s["cert_sha256"] for s in signers} == {
        verify_apk(_write(tmp_path, "one.apk", sign_apk(unsigned[LEGACY], [k], schemes=("v1",), min_sdk=19)))
        .signers[0].cert_sha256 for k in (key, other)}
    corpus = {f.id for f in signing_findings(verify_apk(signing_corpus / "two-signers.apk"), 1)}
    assert "SIG_MULTIPLE_SIGNERS" in corpus


def test_unprotected_meta_inf_entry(tmp_path, unsigned, key):
    signed = sign_apk(unsigned[LEGACY], [key], schemes=("v1",), min_sdk=19)
    planted = _rezip(signed, add={"META-INF/services/planted.txt": b"x", "META-INF/extra.bin": b"payload"})
    result = _scan(tmp_path, planted)
    assert result.signing.verified is True  # v1 does not cover them: still verifies
    ev = _sig(result)["SIG_UNPROTECTED_ENTRIES"].evidence
    assert sorted(ev["entries"]) == ["META-INF/extra.bin", "META-INF/services/planted.txt"] and ev["count"] == 2
    assert ev["protected_by_newer_scheme_from_api"] is None
    assert "SIG_UNPROTECTED_ENTRIES" not in _sig(_scan(tmp_path, signed, "clean.apk"))


# --- certificate validity -------------------------------------------------------------------------

@pytest.mark.parametrize("finding, problem, not_before, not_after", [
    ("SIG_CERT_VALIDITY_ODD", "ends before it starts", dt.datetime(2021, 1, 1), dt.datetime(2020, 1, 1)),
    ("SIG_CERT_VALIDITY_ODD", "not valid yet (issued in the future)", dt.datetime(2090, 1, 1), dt.datetime(2120, 1, 1)),
    ("SIG_CERT_EXPIRED", None, dt.datetime(2001, 1, 1), dt.datetime(2011, 1, 1)),
    ("SIG_CERT_FRESH", None, None, None),
])
def test_certificate_validity(tmp_path, unsigned, key, finding, problem, not_before, not_after):
    utc = dt.timezone.utc
    if finding == "SIG_CERT_FRESH":
        not_before = dt.datetime.now(utc) - dt.timedelta(days=2)
        not_after = not_before + dt.timedelta(days=365 * 25)
    if not_after < not_before:  # no library writes such a certificate: swap the two dates in the DER
        signer = _custom_key(key, not_before=not_after.replace(tzinfo=utc), not_after=not_before.replace(tzinfo=utc))
        early, late = (d.strftime("%y%m%d%H%M%SZ").encode() for d in (not_after, not_before))
        utc_time = b"\x17\x0d"  # DER tag and length of a UTCTime; Validity is notBefore, notAfter
        signer = _patched(signer, early + utc_time + late, late + utc_time + early, 1)
    else:
        signer = _custom_key(key, not_before=not_before.replace(tzinfo=utc), not_after=not_after.replace(tzinfo=utc))
    found = _sig(_scan(tmp_path, sign_apk(unsigned[MODERN], [signer], schemes=("v2",))))
    assert set(found) == {finding}  # Android ignores validity: the APK verifies, the dates are a fact
    if problem:
        assert found[finding].evidence["problem"] == problem
