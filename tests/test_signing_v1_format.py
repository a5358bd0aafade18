"""JAR manifest / signature-file format and PKCS #7 parsing, including hostile inputs."""
from __future__ import annotations

import datetime
import zipfile

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apkscan.archive import open_archive
from apkscan.signing import jar_manifest as jm
from apkscan.signing import pkcs7
from apkscan.signing.jar_signer import needs_digest, safe_signer_name, sign_v1
from apkscan.signing.keys import SigningKey
from apkscan.signing.jar_manifest import digests_to_verify, parse_apk_signed_ids
from apkscan.signing.v1 import V1Result, V1Verifier

# -- manifest reading ------------------------------------------------------------------------


def test_sections_and_byte_ranges():
    data = (b"Manifest-Version: 1.0\r\nCreated-By: x\r\n\r\n"
            b"Name: a\r\nSHA-256-Digest: abc\r\n de\r\n\r\n\r\n"
            b"Name: b\rX: y\n\n"
            b"Name: last\nK: v")
    main, sections = jm.parse(data)
    assert main.attributes == (("Manifest-Version", "1.0"), ("Created-By", "x"))
    assert [s.name for s in sections] == ["a", "b", "last"]
    assert sections[0].get("sha-256-digest") == "abcde"  # continuation joined, names case-insensitive
    assert sections[0].bytes_of(data) == b"Name: a\r\nSHA-256-Digest: abc\r\n de\r\n\r\n"
    assert sections[1].bytes_of(data) == b"Name: b\rX: y\n\n"  # CR, LF and CRLF all end lines
    assert sections[2].bytes_of(data) == b"Name: last\nK: v"  # EOF closes the last section


def test_attribute_splitting_quirks():
    _, sections = jm.parse(b"M: 1\r\n\r\nName : x\r\nNoDelimiter\r\nK:  spaced \r\n\r\n name: y\r\n\r\n")
    assert sections[0].name is None  # "Name " (trailing space) is not "Name"
    assert sections[0].attributes == (("Name ", "x"), ("NoDelimiter", ""), ("K", " spaced "))
    assert sections[1].attributes == ((" name", "y"),)  # a section's first line is never a continuation
    assert sections[1].name is None


def test_java_case_insensitivity():
    _, sections = jm.parse("M: 1\r\n\r\nName: n\r\n\u017fha-256-Digest: q\r\n\r\n".encode())
    assert sections[0].get("SHA-256-Digest") == "q"  # U+017F upper-cases to S, as in Java


def test_empty_and_blank_input():
    assert jm.parse(b"") == (None, [])
    assert jm.parse(b"\r\n\r\n\n") == (None, [])


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_parser_never_raises_and_sections_are_in_order(data):
    main, sections = jm.parse(data)
    last_end = 0
    for s in ([main] if main else []) + sections:
        assert s.start >= last_end and s.size > 0 and s.start + s.size <= len(data)
        last_end = s.start + s.size


# -- manifest writing --------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_characters="\r\n\x00", blacklist_categories=("Cs",)),
               min_size=1, max_size=300))
def test_written_lines_fit_72_bytes_and_read_back(value):
    section = jm.write_individual_section("dir/" + value, {"SHA-256-Digest": "A" * 44})
    for line in section.split(b"\r\n"):
        assert len(line) + 2 <= 72
    _, sections = jm.parse(b"Manifest-Version: 1.0\r\n\r\n" + section)
    assert sections[0].name == "dir/" + value
    assert sections[0].get("SHA-256-Digest") == "A" * 44


def test_main_section_order():
    out = jm.write_main_section(("Signature-Version", "1.0"),
                                {"X-Android-APK-Signed": "2", "Created-By": "me", "SHA1-Digest-Manifest": "x"})
    assert out == (b"Signature-Version: 1.0\r\nCreated-By: me\r\nSHA1-Digest-Manifest: x\r\n"
                   b"X-Android-APK-Signed: 2\r\n\r\n")


@pytest.mark.parametrize("text,expected", [
    ("AAA", b"\0\0"), ("AAA=", b"\0\0"), ("AA", b"\0"), ("AA==", b"\0"), ("", b""),
])
def test_java_base64_accepts(text, expected):
    assert jm.java_b64decode(text) == expected


@pytest.mark.parametrize("text", ["A", "AA=", "AAA==", "AAAA=", "AA==A", "A A=", "ÀÀÀÀ", "AA\n=="])
def test_java_base64_rejects(text):
    with pytest.raises(jm.Base64Error):
        jm.java_b64decode(text)


# -- digest selection by API level -------------------------------------------------------------


def _section(*attrs):
    return jm.Section(0, 1, tuple(attrs))


def test_digests_to_verify_by_api_level():
    sha1, sha256 = ("SHA1-Digest", "AAAA"), ("SHA-256-Digest", "AQID")
    both = _section(("Name", "x"), sha1, sha256)
    assert digests_to_verify(both, "-Digest", 14, 17) == [("SHA-1", b"\0\0\0")]
    assert digests_to_verify(both, "-Digest", 18, 30) == [("SHA-256", b"\1\2\3")]
    assert digests_to_verify(both, "-Digest", 14, 30) == [("SHA-1", b"\0\0\0"), ("SHA-256", b"\1\2\3")]
    only256 = _section(("Name", "x"), sha256)
    assert digests_to_verify(only256, "-Digest", 14, 30) == []  # unusable before API 18
    assert digests_to_verify(_section(("Digest-Algorithms", "MD5"), ("MD5-Digest", "AAAA")), "-Digest", 1, 17) == \
        [("MD5", b"\0\0\0")]
    # SHA-512 is only accepted by the old Digest-Algorithms logic from Gingerbread (API 9)
    sha512 = _section(("Digest-Algorithms", "SHA-512"), ("SHA-512-Digest", "AAAA"))
    assert digests_to_verify(sha512, "-Digest", 8, 8) == []
    assert digests_to_verify(sha512, "-Digest", 9, 30) == [("SHA-512", b"\0\0\0")]


def test_apk_signed_ids_parsing():
    assert parse_apk_signed_ids("2, 3") == [2, 3]
    assert parse_apk_signed_ids(" 2,,x, +3 ,1_0, 99999999999, ²") == [2, 3]
    assert parse_apk_signed_ids("\u0663") == [3]  # ARABIC-INDIC DIGIT THREE, as Integer.parseInt reads it


def test_signer_name_and_coverage_rules():
    assert safe_signer_name("release key 2024") == "RELEASE_"
    assert [needs_digest(n) for n in ("a/", "classes.dex", "META-INF/MANIFEST.MF", "META-INF/X.sf",
                                      "META-INF/SIG-1", "META-INF/a/b.RSA", "META-INF/services/x")] == \
        [False, True, False, False, False, True, True]


# -- PKCS #7 ----------------------------------------------------------------------------------


def test_ber_indefinite_lengths_and_der_reencoding():
    ber = bytes.fromhex("3080" "0201 05" "2480 0402 0102 0401 03 0000" "0000")  # SEQ{INT 5, OCTETS constructed}
    tlv = pkcs7.read_single(ber)
    assert [c.tag for c in tlv.children()] == [2, 4]
    assert pkcs7.ber_to_der(ber) == bytes.fromhex("3008 020105 0403010203")
    assert pkcs7.ber_to_der(bytes.fromhex("0203 0000ff")) == bytes.fromhex("0202 00ff")  # minimal INTEGER


@pytest.mark.parametrize("oid", ["1.2.840.113549.1.7.2", "2.999.1", "0.9.2342.19200300.100.1.25"])
def test_oid_roundtrip(oid):
    assert pkcs7.decode_oid(pkcs7.read_single(pkcs7.der_oid(oid))) == oid


def test_algorithm_table_quirks():
    # SHA-256 with RSA: API 0-8 and 18+ (JB MR2); ECDSA: 18+; named DSA-with-SHA-384: never
    assert pkcs7.unsupported_api_levels(pkcs7.OID_DIGEST_SHA256, pkcs7.OID_SIG_RSA, 1, 30) == [(9, 17)]
    assert pkcs7.unsupported_api_levels(pkcs7.OID_DIGEST_SHA256, pkcs7.OID_SIG_EC_PUBLIC_KEY, 14, 30) == [(14, 17)]
    assert pkcs7.unsupported_api_levels(pkcs7.OID_DIGEST_SHA384, pkcs7.OID_SIG_SHA384_WITH_DSA, 1, 30) == [(1, 30)]
    assert pkcs7.unsupported_api_levels(pkcs7.OID_DIGEST_MD5, pkcs7.OID_SIG_SHA256_WITH_RSA, 21, 23) == []
    # the signature OID alone picks the algorithm when it names one (digest OID then ignored)
    assert pkcs7.jca_signature_algorithm(pkcs7.OID_DIGEST_MD5, pkcs7.OID_SIG_SHA1_WITH_RSA) == "SHA1withRSA"
    assert pkcs7.jca_signature_algorithm(pkcs7.OID_DIGEST_SHA384, pkcs7.OID_SIG_EC_PUBLIC_KEY) == "SHA384withECDSA"


def test_names_compare_like_x500principal():
    a = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Bo  Cong An")])
    b = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bo cong an", _type=x509.name._ASN1Type.PrintableString)])
    assert pkcs7.names_equal(a.public_bytes(), b.public_bytes())
    c = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Bo Cong An 2")])
    assert not pkcs7.names_equal(a.public_bytes(), c.public_bytes())


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_pkcs7_parsers_raise_only_their_errors(data):
    try:
        pkcs7.parse_signed_data(data)
    except pkcs7.Pkcs7DecodingError:
        pass
    try:
        pkcs7.parse_certificate(data)
    except pkcs7.CertificateParseError:
        pass


def _key():
    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fuzz")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(private.public_key())
            .serial_number(1).not_valid_before(datetime.datetime(2020, 1, 1))
            .not_valid_after(datetime.datetime(2050, 1, 1)).sign(private, hashes.SHA256()))
    return SigningKey("fuzz", private, (cert,))


_ENTRIES = [("AndroidManifest.xml", b"\x03\x00" * 20), ("classes.dex", b"dex\n" * 50)]
_SIGNED = dict(sign_v1(_ENTRIES, [_key()], min_sdk=18))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(target=st.sampled_from(sorted(_SIGNED)), data=st.data())
def test_hostile_signature_files_never_crash(tmp_path_factory, target, data):
    """Flip, cut or splice bytes of one META-INF file: the verifier answers, and never verifies a
    signature whose signed bytes changed."""
    original = _SIGNED[target]
    pos = data.draw(st.integers(0, len(original) - 1))
    mode = data.draw(st.sampled_from(["flip", "cut", "insert"]))
    if mode == "flip":
        mutated = original[:pos] + bytes([original[pos] ^ data.draw(st.integers(1, 255))]) + original[pos + 1:]
    elif mode == "cut":
        mutated = original[:pos]
    else:
        mutated = original[:pos] + data.draw(st.binary(min_size=1, max_size=20)) + original[pos:]
    files = dict(_SIGNED, **{target: mutated})
    path = tmp_path_factory.mktemp("fuzz") / "f.apk"
    with zipfile.ZipFile(path, "w") as z:
        for name, content in _ENTRIES + list(files.items()):
            z.writestr(name, content)
    with open_archive(path) as arc:
        verifier = V1Verifier(arc, 18, 2**31 - 1)
        arc.for_each_entry([verifier])
        result = verifier.finish()
    assert isinstance(result, V1Result)
    assert all(i.name != "UNEXPECTED_EXCEPTION" for i in result.issues), result.issues
    if result.verified:
        # Only changes outside what is signed can keep the signature valid (e.g. the certificate's own
        # validity dates or signature): whatever the bytes, the signer is still the original key.
        assert len(result.signers) == 1
        assert pkcs7.parse_certificate(result.signers[0].cert_der).public_key_info == _ORIGINAL_SPKI


_ORIGINAL_SPKI = pkcs7.parse_certificate(pkcs7.parse_signed_data(_SIGNED["META-INF/FUZZ.EC"]).certificates[0]).public_key_info
