"""sign_v1 round trips through V1Verifier and Debian's apksigner, and the attacks a fake-app author
uses against JAR signatures: tampered, added and removed entries, a signature copied from the genuine
APK, and the genuine certificate planted in the PKCS #7 certificate bag of the attacker's signature."""
from __future__ import annotations

import datetime
import io
import subprocess
import zipfile

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from apkscan.archive import open_archive
from apkscan.signing import pkcs7
from apkscan.signing.jar_signer import sign_v1
from apkscan.signing.keys import SigningKey
from apkscan.signing.v1 import V1Verifier
from conftest import require_tool
from v1_kit import (MAX_SDK, FAKE_DEX, app_entries, attacker_key, cert_sha256, genuine_key, make_key, names, signed_apk,
                    verify, write_apk)


@pytest.fixture(scope="module")
def genuine():
    return genuine_key()


@pytest.fixture(scope="module")
def attacker():
    return attacker_key()


# -- round trips ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind,min_sdk", [("rsa", 14), ("ec", 18), ("dsa", 14), ("rsa", 24)])
def test_sign_then_verify(tmp_path, kind, min_sdk):
    key = make_key("signer", kind)
    path, meta = signed_apk(tmp_path, [key], min_sdk=min_sdk, apk_signed_scheme_ids=())
    result = verify(path, min_sdk)
    assert result.present and result.verified, result.issues
    assert [s.cert_sha256 for s in result.signers] == [cert_sha256(key)]
    assert result.warnings == ()
    block = dict(meta)["META-INF/SIGNER." + {"rsa": "RSA", "ec": "EC", "dsa": "DSA"}[kind]]
    assert pkcs7.parse_signed_data(block).signer_infos[0].signed_attrs is None


def test_output_layout_and_determinism(genuine):
    first = sign_v1(app_entries(), [genuine])
    again = sign_v1(app_entries(), [genuine])
    assert first == again
    assert [n for n, _ in first] == ["META-INF/MANIFEST.MF", "META-INF/VNEID.SF", "META-INF/VNEID.RSA"]
    manifest, sf = first[0][1], first[1][1]
    assert manifest.startswith(b"Manifest-Version: 1.0\r\n\r\nName: AndroidManifest.xml\r\nSHA1-Digest: ")
    assert b"X-Android-APK-Signed: 2, 3\r\n" in sf and sf.startswith(b"Signature-Version: 1.0\r\nCreated-By: apkscan\r\n")
    ec_key = make_key("ec", "ec")
    assert sign_v1(app_entries(), [ec_key]) == sign_v1(app_entries(), [ec_key])  # RFC 6979


def test_digest_algorithms_follow_min_sdk(tmp_path, genuine):
    path, meta = signed_apk(tmp_path, [genuine], min_sdk=18, apk_signed_scheme_ids=())
    assert b"SHA-256-Digest: " in dict(meta)["META-INF/MANIFEST.MF"]
    assert verify(path, 18).verified
    # SHA-256 with RSA is not accepted before API 18
    assert names(verify(path, 14)) == ["JAR_SIG_UNSUPPORTED_SIG_ALG"]
    with pytest.raises(ValueError):
        sign_v1(app_entries(), [make_key("ec", "ec")], min_sdk=17)


def test_two_signers(tmp_path):
    rsa_key, ec_key = make_key("one", "rsa"), make_key("two", "ec")
    path, meta = signed_apk(tmp_path, [rsa_key, ec_key], min_sdk=18, apk_signed_scheme_ids=())
    result = verify(path, 18)
    assert result.verified
    assert sorted(s.cert_sha256 for s in result.signers) == sorted(map(cert_sha256, (rsa_key, ec_key)))
    assert {n for n, _ in meta} == {"META-INF/MANIFEST.MF", "META-INF/ONE.SF", "META-INF/ONE.RSA",
                                    "META-INF/TWO.SF", "META-INF/TWO.EC"}


def test_stripping_protection(tmp_path, genuine):
    path, _ = signed_apk(tmp_path, [genuine])  # says "also signed with v2 and v3"
    assert verify(path).apk_signed_scheme_ids == (2, 3)
    stripped = verify(path, 24, found_apk_sig_scheme_ids=())
    assert not stripped.verified and "JAR_SIG_MISSING_APK_SIG_REFERENCED" in names(stripped)
    assert verify(path, 24, found_apk_sig_scheme_ids=(2, 3)).verified
    assert verify(path, 14, 23, found_apk_sig_scheme_ids=()).verified  # before N the attribute is ignored


# -- apksigner interoperability ------------------------------------------------------------------


@pytest.fixture
def apksigner() -> str:
    return require_tool("apksigner")


@pytest.mark.parametrize("kind,min_sdk", [("rsa", 14), ("ec", 18), ("dsa", 14)])
def test_apksigner_accepts_our_signature(tmp_path, kind, min_sdk, apksigner):
    key = make_key("factory", kind)
    path, _ = signed_apk(tmp_path, [key], apk_signed_scheme_ids=())
    run = subprocess.run(
        [apksigner, "verify", "--min-sdk-version", str(min_sdk), "--max-sdk-version", "23", "-v", path],
        capture_output=True, text=True, timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Verified using v1 scheme (JAR signing): true" in run.stdout
    assert verify(path, min_sdk, 23).verified


def test_apksigner_and_we_reject_tampering(tmp_path, genuine, apksigner):
    entries = app_entries()
    meta = sign_v1(entries, [genuine], apk_signed_scheme_ids=())
    path = write_apk(tmp_path / "t.apk", [(n, FAKE_DEX if n == "classes.dex" else d) for n, d in entries] + meta)
    run = subprocess.run([apksigner, "verify", "--min-sdk-version", "14", "--max-sdk-version", "23", path],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode != 0
    assert names(verify(path, 14, 23)) == ["JAR_SIG_ZIP_ENTRY_DIGEST_DID_NOT_VERIFY"]


# -- attacks ---------------------------------------------------------------------------------------


def test_tampered_entry(tmp_path, genuine):
    entries = app_entries()
    meta = sign_v1(entries, [genuine])
    tampered = [(n, FAKE_DEX if n == "classes.dex" else d) for n, d in entries]
    result = verify(write_apk(tmp_path / "t.apk", tampered + meta))
    assert not result.verified and result.signers == ()
    assert names(result) == ["JAR_SIG_ZIP_ENTRY_DIGEST_DID_NOT_VERIFY"]
    assert "classes.dex" in result.issues[0].message


def test_added_and_removed_entries(tmp_path, genuine):
    entries = app_entries()
    meta = sign_v1(entries, [genuine])
    added = verify(write_apk(tmp_path / "a.apk", entries + meta + [("assets/payload.dex", FAKE_DEX)]))
    assert names(added) == ["JAR_SIG_NO_ZIP_ENTRY_DIGEST_IN_MANIFEST"]
    removed = verify(write_apk(tmp_path / "r.apk", entries[:1] + entries[2:] + meta))
    assert names(removed) == ["JAR_SIG_MISSING_ZIP_ENTRY_REFERENCED_IN_MANIFEST"]
    # Android does not protect extra files in META-INF/: the APK verifies, with a warning.
    meta_inf = verify(write_apk(tmp_path / "m.apk", entries + meta + [("META-INF/evil.dex", FAKE_DEX)]))
    assert meta_inf.verified
    assert [w.name for w in meta_inf.warnings] == ["JAR_SIG_UNPROTECTED_ZIP_ENTRY"]


def test_rewritten_manifest_without_resigning(tmp_path, genuine):
    entries = app_entries()
    meta = dict(sign_v1(entries, [genuine]))
    fake_entries = [(n, FAKE_DEX if n == "classes.dex" else d) for n, d in entries]
    meta["META-INF/MANIFEST.MF"] = dict(sign_v1(fake_entries, [make_key("other")]))["META-INF/MANIFEST.MF"]
    result = verify(write_apk(tmp_path / "m.apk", fake_entries + list(meta.items())))
    assert not result.verified
    assert names(result) == ["JAR_SIG_MANIFEST_SECTION_DIGEST_DID_NOT_VERIFY"]
    assert "JAR_SIG_ZIP_ENTRY_DIGEST_DID_NOT_VERIFY" in [w.name for w in result.warnings]  # whole-file digest


def test_signature_copied_from_genuine_apk(tmp_path, genuine):
    genuine_meta = sign_v1(app_entries(), [genuine])
    fake = app_entries(FAKE_DEX) + [("assets/overlay.html", b"<html>login</html>")]
    result = verify(write_apk(tmp_path / "copy.apk", fake + genuine_meta))
    assert not result.verified and result.signers == ()
    assert set(names(result)) == {"JAR_SIG_NO_ZIP_ENTRY_DIGEST_IN_MANIFEST", "JAR_SIG_ZIP_ENTRY_DIGEST_DID_NOT_VERIFY"}


def _signed_data(signature: bytes, bag: list[bytes], issuer: bytes, serial: int) -> bytes:
    """A SignedData with the bag in the given order and a SignerInfo naming (issuer, serial)."""
    d = pkcs7
    digest = d.der_sequence(d.der_oid(d.OID_DIGEST_SHA1), d.DER_NULL)
    signer_info = d.der_sequence(
        d.der_integer(1), d.der_sequence(issuer, d.der_integer(serial)), digest,
        d.der_sequence(d.der_oid(d.OID_SIG_RSA), d.DER_NULL), d.der_octet_string(signature),
    )
    signed_data = d.der_sequence(d.der_integer(1), d.der_set_of([digest]), d.der_sequence(d.der_oid(d.OID_DATA)),
                                 d.der(0xA0, b"".join(bag)), d.der_set_of([signer_info]))
    return d.der_sequence(d.der_oid(d.OID_SIGNED_DATA), d.der(0xA0, signed_data))


def _attack_apk(tmp_path, attacker_key, bag, sid_key, name="fake.apk"):
    entries = app_entries(FAKE_DEX)
    meta = dict(sign_v1(entries, [attacker_key], apk_signed_scheme_ids=()))
    sf = meta["META-INF/CERT.SF"]
    signature = attacker_key.private_key.sign(sf, padding.PKCS1v15(), hashes.SHA1())
    sid_cert = pkcs7.parse_certificate(sid_key.certificate_der)
    meta["META-INF/CERT.RSA"] = _signed_data(signature, [k.certificate_der for k in bag], sid_cert.issuer,
                                             sid_cert.serial)
    return write_apk(tmp_path / name, entries + list(meta.items()))


def test_planted_genuine_certificate_is_not_reported(tmp_path, genuine, attacker):
    """The attacker signs with their own key and puts the genuine certificate first in the bag."""
    path = _attack_apk(tmp_path, attacker, bag=[genuine, attacker], sid_key=attacker)
    result = verify(path)
    assert result.verified
    assert [s.cert_sha256 for s in result.signers] == [cert_sha256(attacker)]
    assert cert_sha256(genuine) in [c.cert_sha256 for c in result.extracted_certificates]


def test_signer_info_naming_the_genuine_certificate_fails(tmp_path, genuine, attacker):
    path = _attack_apk(tmp_path, attacker, bag=[attacker, genuine], sid_key=genuine)
    result = verify(path)
    assert not result.verified and result.signers == ()
    assert names(result) == ["JAR_SIG_DID_NOT_VERIFY"]


def test_cloned_issuer_and_serial(tmp_path, genuine):
    """An attacker certificate copying the genuine issuer name and serial number: Android takes the
    first matching certificate of the bag, so the genuine one (then the signature fails) or the
    attacker's (then its own fingerprint is reported) -- never a verified genuine signer."""
    clone = make_key("cert", subject="Bo Cong an VNeID", serial=genuine.certificate.serial_number)
    genuine_first = verify(_attack_apk(tmp_path, clone, bag=[genuine, clone], sid_key=genuine, name="g.apk"))
    assert not genuine_first.verified and names(genuine_first) == ["JAR_SIG_DID_NOT_VERIFY"]
    clone_first = verify(_attack_apk(tmp_path, clone, bag=[clone, genuine], sid_key=genuine, name="c.apk"))
    assert clone_first.verified
    assert [s.cert_sha256 for s in clone_first.signers] == [cert_sha256(clone)] != [cert_sha256(genuine)]


def test_certificate_without_digital_signature_key_usage(tmp_path):
    private = rsa.generate_private_key(65537, 2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ca-only")])
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(private.public_key())
            .serial_number(7).not_valid_before(datetime.datetime(2020, 1, 1))
            .not_valid_after(datetime.datetime(2050, 1, 1))
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
            .sign(private, hashes.SHA256()))
    path, _ = signed_apk(tmp_path, [SigningKey("ca", private, (cert,))])
    assert names(verify(path)) == ["JAR_SIG_VERIFY_EXCEPTION"]


def test_no_signature_files(tmp_path):
    plain = verify(write_apk(tmp_path / "u.apk", app_entries()))
    assert not plain.present and names(plain) == ["JAR_SIG_NO_MANIFEST"]
    manifest_only = sign_v1(app_entries(), [make_key("x")])[:1]
    only_mf = verify(write_apk(tmp_path / "m.apk", app_entries() + manifest_only))
    assert not only_mf.present and names(only_mf) == ["JAR_SIG_NO_SIGNATURES"]


def test_consumer_takes_only_entries_it_needs(tmp_path, genuine):
    path, _ = signed_apk(tmp_path, [genuine])
    with open_archive(path) as arc:
        verifier = V1Verifier(arc, 14, MAX_SDK)
        wanted = sorted(e.name for e in arc.entries if verifier.wants(e))
        assert wanted == ["AndroidManifest.xml", "classes.dex", "res/drawable/icon.png", "resources.arsc"]
        assert arc.for_each_entry([verifier]) == 4
        assert not any(verifier.wants(e) for e in arc.entries)  # each entry is hashed once
        assert verifier.finish().verified


def test_unreadable_entry_is_reported(tmp_path, genuine):
    path, _ = signed_apk(tmp_path, [genuine])
    with open_archive(path) as arc:
        verifier = V1Verifier(arc, 14, MAX_SDK)
        for e in arc.entries:
            if not verifier.wants(e):
                continue
            if e.name == "classes.dex":
                verifier.entry_error(e, RuntimeError("inflate failed"))
            else:
                verifier.consume(e, arc.read(e))
        result = verifier.finish()
    assert not result.verified and names(result) == ["MALFORMED_APK"]


def test_min_above_max_is_a_programming_error(tmp_path, genuine):
    path, _ = signed_apk(tmp_path, [genuine])
    with open_archive(path) as arc, pytest.raises(ValueError):
        V1Verifier(arc, 30, 20)


def test_signing_rejects_bad_input(genuine):
    with pytest.raises(ValueError):
        sign_v1(app_entries() + [("bad\nname", b"")], [genuine])
    with pytest.raises(ValueError):
        sign_v1(app_entries(), [])
    with pytest.raises(ValueError):
        sign_v1(app_entries(), [genuine, make_key("VNeID")])  # both become VNEID
    mismatched = SigningKey("x", rsa.generate_private_key(65537, 2048), genuine.certificates)
    with pytest.raises(ValueError):
        sign_v1(app_entries(), [mismatched])


def test_source_manifest_main_attributes_are_kept(genuine):
    source = b"Manifest-Version: 1.0\r\nBuilt-By: gradle\r\n\r\nName: stale\r\nSHA1-Digest: x\r\n\r\n"
    out = dict(sign_v1(app_entries() + [("META-INF/MANIFEST.MF", source)], [genuine]))
    manifest = out["META-INF/MANIFEST.MF"]
    assert manifest.startswith(b"Manifest-Version: 1.0\r\nBuilt-By: gradle\r\n\r\n")
    assert b"stale" not in manifest


def test_sign_output_in_memory_zip_verifies(genuine):
    """The factory builds APKs in memory: the META-INF files work whatever the entry order."""
    entries = app_entries()
    meta = sign_v1(entries, [genuine])
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in meta + entries[::-1]:
            z.writestr(name, data)
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".apk") as f:
        f.write(buf.getvalue())
        f.flush()
        assert verify(f.name, 14, 23).verified


def test_public_key_serialisation_roundtrip(genuine):
    spki = genuine.certificate.public_key().public_bytes(serialization.Encoding.DER,
                                                         serialization.PublicFormat.SubjectPublicKeyInfo)
    assert pkcs7.parse_certificate(genuine.certificate_der).public_key_info == spki


def _apksigner_signers(apksigner: str, path) -> tuple[bool, list[str]]:
    run = subprocess.run([apksigner, "verify", "--print-certs", "--min-sdk-version", "14",
                          "--max-sdk-version", "23", path], capture_output=True, text=True, timeout=120)
    digests = [line.rsplit(":", 1)[1].strip() for line in run.stdout.splitlines()
               if "certificate SHA-256 digest:" in line]
    return run.returncode == 0, digests


def test_apksigner_agrees_on_bag_attacks(tmp_path, genuine, attacker, apksigner):
    """Differential check: for each certificate-bag attack, apksigner and V1Verifier give the same
    verdict and name the same signer certificate."""
    clone = make_key("cert", subject="Bo Cong an VNeID", serial=genuine.certificate.serial_number)
    cases = {
        "planted.apk": (attacker, [genuine, attacker], attacker),
        "sid-genuine.apk": (attacker, [attacker, genuine], genuine),
        "clone-after.apk": (clone, [genuine, clone], genuine),
        "clone-first.apk": (clone, [clone, genuine], genuine),
    }
    for name, (signing_key, bag, sid_key) in cases.items():
        path = _attack_apk(tmp_path, signing_key, bag=bag, sid_key=sid_key, name=name)
        ours = verify(path, 14, 23)
        theirs_ok, theirs_signers = _apksigner_signers(apksigner, path)
        assert ours.verified == theirs_ok, name
        if ours.verified:
            assert [s.cert_sha256 for s in ours.signers] == theirs_signers, name
            assert cert_sha256(genuine) not in theirs_signers


def _patch_headers(data: bytes, name: bytes, **fields) -> bytes:
    """Rewrite fields of the local and central headers of one entry (method, crc32)."""
    import struct

    out = bytearray(data)
    for sig, method_at, crc_at, name_len_at, name_at in ((b"PK\x03\x04", 8, 14, 26, 30), (b"PK\x01\x02", 10, 16, 28, 46)):
        pos = out.find(sig)
        while pos != -1:
            n = struct.unpack_from("<H", out, pos + name_len_at)[0]
            if bytes(out[pos + name_at:pos + name_at + n]) == name:
                if "method" in fields:
                    struct.pack_into("<H", out, pos + method_at, fields["method"])
                if "lfh_crc" in fields and sig == b"PK\x03\x04":
                    struct.pack_into("<I", out, pos + crc_at, fields["lfh_crc"])
            pos = out.find(sig, pos + 4)
    return bytes(out)


def test_unknown_compression_method_is_inflated_like_apksig(tmp_path, genuine):
    """apksig (and libziparchive extraction) inflate any non-STORED method; the resource loader
    reads it as STORED. JAR verification must take apksig's reading (corpus: weird-compression-method)."""
    path, _ = signed_apk(tmp_path, [genuine])
    data = open(path, "rb").read()
    for name in (b"classes.dex", b"META-INF/VNEID.RSA"):
        data = _patch_headers(data, name, method=0x63)
    (tmp_path / "weird.apk").write_bytes(data)
    result = verify(tmp_path / "weird.apk")
    assert result.verified, result.issues


def test_local_header_disagreeing_with_central_directory(tmp_path, genuine):
    path, _ = signed_apk(tmp_path, [genuine])
    data = _patch_headers(open(path, "rb").read(), b"classes.dex", lfh_crc=0x12345678)
    (tmp_path / "lfh.apk").write_bytes(data)
    result = verify(tmp_path / "lfh.apk")
    assert not result.verified and names(result) == ["MALFORMED_APK"]
    assert "crc32 mismatch" in result.issues[0].message
