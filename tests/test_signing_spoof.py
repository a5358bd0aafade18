"""Spoof resistance: a fake must never get the genuine certificate into `signers` (which means
"this certificate's signature verified over this APK's content"). Whatever is merely found goes to
`extracted_certificates`.

The genuine signer is a TEST stand-in for the VNeID key; the attacker has everything public
(the genuine APK, its certificate, its signing block) but not the genuine private key."""
from __future__ import annotations

import hashlib
import struct
import zlib

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from apkscan.samples.build import Factory
from apkscan.samples.testkeys import load_test_key
from apkscan.signing import algorithms, block, lineage, pkcs7, v2, v3, verify_apk
from apkscan.signing.digests import content_digests_of_bytes, modified_eocd
from apkscan.signing.keys import SigningKey
from apkscan.signing.sign import sign_apk


@pytest.fixture(scope="module")
def genuine():
    return load_test_key("TEST-ONLY-vneid-reference-standin")


@pytest.fixture(scope="module")
def attacker():
    return load_test_key("TEST-ONLY-fake-gov-actor")


@pytest.fixture(scope="module")
def unsigned():
    factory = Factory(sign=False)
    return {"modern": factory.apk("benign-notes"), "legacy": factory.apk("benign-flashlight-legacy"),
            "fake": factory.apk("fake-vneid-redhook")}


def _sha(der: bytes) -> str:
    return hashlib.sha256(der).hexdigest()


def _tail(apk: bytes):
    eocd = apk.rfind(b"PK\x05\x06")
    cd_size, cd_offset = struct.unpack_from("<II", apk, eocd + 12)
    return cd_offset, cd_size, eocd


def _signing_block(apk: bytes) -> bytes:
    cd_offset, cd_size, eocd = _tail(apk)
    sb = block.locate(lambda o, n: apk[o:o + n], cd_offset, cd_size, eocd)
    return apk[sb.offset:cd_offset]


def _with_block(unsigned_apk: bytes, signing_block: bytes) -> bytes:
    cd_offset, _, eocd = _tail(unsigned_apk)
    return (unsigned_apk[:cd_offset] + signing_block + unsigned_apk[cd_offset:eocd]
            + modified_eocd(unsigned_apk[eocd:], cd_offset + len(signing_block)))


def _digests(unsigned_apk: bytes) -> dict[str, bytes]:
    cd_offset, _, eocd = _tail(unsigned_apk)
    return content_digests_of_bytes({algorithms.CHUNKED_SHA256}, unsigned_apk[:cd_offset],
                                    unsigned_apk[cd_offset:eocd], modified_eocd(unsigned_apk[eocd:], cd_offset))


def _spki(key) -> bytes:
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _check(path, genuine, **kw):
    result = verify_apk(path, **kw)
    assert _sha(genuine.certificate_der) not in {s.cert_sha256 for s in result.signers}
    assert all(x["cert_sha256"] != _sha(genuine.certificate_der) for x in result.lineage)
    return result


def test_genuine_apk_reports_the_genuine_signer(unsigned, genuine, tmp_path):
    """The baseline the other tests break."""
    path = tmp_path / "genuine.apk"
    path.write_bytes(sign_apk(unsigned["modern"], [genuine], schemes=("v2", "v3")))
    result = verify_apk(path)
    assert result.verified and [s.cert_sha256 for s in result.signers] == [_sha(genuine.certificate_der)]


def test_signing_block_copied_onto_another_apk(unsigned, genuine, attacker, tmp_path):
    stolen = _signing_block(sign_apk(unsigned["modern"], [genuine], schemes=("v2", "v3")))
    path = tmp_path / "copied.apk"
    path.write_bytes(_with_block(unsigned["fake"], stolen))
    result = _check(path, genuine)
    assert result.verified is False
    assert result.issues[0].name.endswith("_APK_DIGEST_DID_NOT_VERIFY")
    # the certificate was seen, and is reported as such: found, not proof
    assert _sha(genuine.certificate_der) in {c.cert_sha256 for c in result.extracted_certificates}
    # the same with a valid attacker JAR signature for old platforms
    jar_signed = sign_apk(unsigned["legacy"], [attacker], schemes=("v1",), min_sdk=19)
    path.write_bytes(_with_block(jar_signed, stolen))
    assert _check(path, genuine).verified is False


@pytest.mark.parametrize("where", ["entry-data", "central-directory", "eocd-comment"])
def test_modified_apk(unsigned, genuine, tmp_path, where):
    apk = bytearray(sign_apk(unsigned["legacy"], [genuine], min_sdk=19))
    cd_offset, _, eocd = _tail(bytes(apk))
    if where == "entry-data":
        apk[200] ^= 0x01  # inside the first entries
    elif where == "central-directory":
        apk[cd_offset + 38] ^= 0x01  # external attributes of the first record: not content, still signed
    else:
        apk = apk[:eocd + 20] + struct.pack("<H", 4) + b"evil"
    path = tmp_path / "m.apk"
    path.write_bytes(bytes(apk))
    assert _check(path, genuine).verified is False


def test_added_entry(unsigned, genuine, tmp_path):
    apk = sign_apk(unsigned["legacy"], [genuine], min_sdk=19)
    cd_offset, cd_size, eocd = _tail(apk)
    sb = block.locate(lambda o, n: apk[o:o + n], cd_offset, cd_size, eocd)
    name, payload = b"classes2.dex", b"dex\n035\0" + b"PAYLOAD" * 50
    crc = zlib.crc32(payload)
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 0, 0, 0, crc, len(payload), len(payload), len(name), 0)
    central = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 0, 0, 0, crc, len(payload), len(payload),
                          len(name), 0, 0, 0, 0, 0, sb.offset)
    entries = apk[:sb.offset] + local + name + payload
    count = struct.unpack_from("<H", apk, eocd + 10)[0] + 1
    cd = apk[cd_offset:eocd] + central + name
    sig_block = apk[sb.offset:cd_offset]
    eocd_rec = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, len(cd), len(entries) + len(sig_block), 0)
    path = tmp_path / "added.apk"
    path.write_bytes(entries + sig_block + cd + eocd_rec)
    assert _check(path, genuine).verified is False
    # on platforms that only check the JAR signature the unlisted entry is caught too
    assert _check(path, genuine, max_sdk=23).verified is False


def _plant(block_der: bytes, certs: list[bytes]) -> bytes:
    """Rebuild a PKCS#7 SignedData with another certificate bag (everything else unchanged)."""
    ci = pkcs7.read_single(block_der).children()
    items = ci[1].children()[0].children()
    rebuilt = [items[0].encoded, items[1].encoded, items[2].encoded,
               pkcs7.der(0xA0, b"".join(certs))] + [t.encoded for t in items[3:] if not t.is_(pkcs7.CONTEXT, 0)]
    signed_data = pkcs7.der_sequence(*rebuilt)
    return pkcs7.der_sequence(ci[0].encoded, pkcs7.der(0xA0, signed_data))


def _rewrite_entry(apk: bytes, name: str, content: bytes) -> bytes:
    """Replace a deflated entry of a v1-only APK (rebuilding the archive)."""
    import io
    import zipfile
    src = zipfile.ZipFile(io.BytesIO(apk))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, content if info.filename == name else src.read(info))
    return out.getvalue()


def test_genuine_certificate_planted_in_pkcs7_bag(unsigned, genuine, attacker, tmp_path):
    apk = sign_apk(unsigned["legacy"], [attacker], schemes=("v1",), min_sdk=19)
    import io
    import zipfile
    names = zipfile.ZipFile(io.BytesIO(apk)).namelist()
    block_name = next(n for n in names if n.startswith("META-INF/") and n.endswith((".RSA", ".EC", ".DSA")))
    original = zipfile.ZipFile(io.BytesIO(apk)).read(block_name)
    attacker_cert = attacker.certificate_der
    # 1. genuine certificate added first in the bag, the attacker's signature unchanged
    path = tmp_path / "bag.apk"
    path.write_bytes(_rewrite_entry(apk, block_name, _plant(original, [genuine.certificate_der, attacker_cert])))
    result = _check(path, genuine, max_sdk=23)
    assert result.verified is True  # the attacker's own signature is valid ...
    assert [s.cert_sha256 for s in result.signers] == [_sha(attacker_cert)]  # ... and names only them
    assert _sha(genuine.certificate_der) in {c.cert_sha256 for c in result.extracted_certificates}
    # 2. the attacker's certificate replaced by the genuine one: the signature no longer matches
    path.write_bytes(_rewrite_entry(apk, block_name, _plant(original, [genuine.certificate_der])))
    assert _check(path, genuine, max_sdk=23).verified is False


def _v2_block(content_digests, cert_der: bytes, public_key_der: bytes, signing_key) -> bytes:
    alg = algorithms.RSA_PKCS1_SHA256 if isinstance(signing_key, rsa.RSAPrivateKey) else algorithms.ECDSA_SHA256
    signed = v2.encode_signed_data([(alg.id, content_digests[alg.digest])], [cert_der], [])
    signature = algorithms.sign(alg, signing_key, signed)
    return v2.build_block([v2.encode_signer(signed, [(alg.id, signature)], public_key_der)])


def test_v2_signer_dressed_in_the_genuine_certificate(unsigned, genuine, attacker, tmp_path):
    apk = unsigned["fake"]
    digests = _digests(apk)
    path = tmp_path / "v2.apk"
    # attacker's key signs, the record names the attacker's key, the certificate is the genuine one
    fake = _v2_block(digests, genuine.certificate_der, _spki(attacker.private_key.public_key()), attacker.private_key)
    path.write_bytes(_with_block(apk, block.build([(block.V2_BLOCK_ID, fake)])))
    result = _check(path, genuine)
    assert "V2_SIG_PUBLIC_KEY_MISMATCH_BETWEEN_CERTIFICATE_AND_SIGNATURES_RECORD" in {i.name for i in result.issues}
    # the record claims the genuine key too: then the attacker's signature does not verify
    fake = _v2_block(digests, genuine.certificate_der, _spki(genuine.certificate.public_key()), attacker.private_key)
    path.write_bytes(_with_block(apk, block.build([(block.V2_BLOCK_ID, fake)])))
    result = _check(path, genuine)
    assert result.issues[0].name in ("V2_SIG_DID_NOT_VERIFY", "V2_SIG_VERIFY_EXCEPTION", "V2_SIG_MALFORMED_PUBLIC_KEY")


def test_look_alike_certificate_same_subject_and_serial(unsigned, genuine, tmp_path):
    real = genuine.certificate
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    look_alike = (x509.CertificateBuilder().subject_name(real.subject).issuer_name(real.issuer)
                  .serial_number(real.serial_number).not_valid_before(real.not_valid_before_utc)
                  .not_valid_after(real.not_valid_after_utc).public_key(key.public_key())
                  .sign(key, hashes.SHA256()))
    fake_key = SigningKey("look-alike", key, (look_alike,))
    path = tmp_path / "lookalike.apk"
    path.write_bytes(sign_apk(unsigned["fake"], [fake_key], schemes=("v2", "v3")))
    result = _check(path, genuine)
    assert result.verified is True  # a valid signature... by another certificate
    (signer,) = result.signers
    assert signer.subject == real.subject.rfc4514_string() and signer.serial == format(real.serial_number, "x")
    assert signer.cert_sha256 != _sha(genuine.certificate_der)


def test_forged_proof_of_rotation(unsigned, genuine, attacker, tmp_path):
    """A lineage claiming the genuine key handed over to the attacker, without the genuine key."""
    digests = _digests(unsigned["fake"])
    node0 = lineage.LineageNode(genuine.certificate_der, 0, algorithms.RSA_PKCS1_SHA256.id, b"", lineage.DEFAULT_FLAGS)
    signed = struct.pack("<I", len(attacker.certificate_der)) + attacker.certificate_der + struct.pack(
        "<I", algorithms.RSA_PKCS1_SHA256.id)
    forged_sig = algorithms.sign(algorithms.default_for_key(attacker.private_key), attacker.private_key, signed)
    node1 = lineage.LineageNode(attacker.certificate_der, algorithms.RSA_PKCS1_SHA256.id, 0, forged_sig,
                                lineage.DEFAULT_FLAGS)
    v3_value = v3.sign(digests, attacker, lineage=lineage.Lineage((node0, node1)))
    path = tmp_path / "por.apk"
    path.write_bytes(_with_block(unsigned["fake"], block.build([(block.V3_BLOCK_ID, v3_value)])))
    result = _check(path, genuine, min_sdk=28)
    assert result.verified is False and result.lineage == ()
    assert {i.name for i in result.issues} & {"V3_SIG_POR_DID_NOT_VERIFY", "V3_SIG_MALFORMED_LINEAGE"}
