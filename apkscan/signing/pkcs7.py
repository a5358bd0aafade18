"""PKCS #7 / CMS SignedData (RFC 2315, RFC 5652) as JAR signature blocks use it: parse, verify, create.

Parsing mirrors apksig's ``internal/pkcs7`` classes on top of the BER reader in
:mod:`apkscan.signing.asn1`: optional fields are recognised by their tag, unknown trailing
elements of a SEQUENCE are ignored. Every structure keeps its original encoding where apksig does,
because signatures are verified over original bytes (signed attributes) and certificates are
identified by their original encoding (fingerprints).

Algorithm OIDs, the table of digest / signature pairs Android accepts per API level and signature
verification live in :mod:`apkscan.signing.pkcs7_algorithms`; the names of both modules are
re-exported here, so ``pkcs7.X`` keeps working for callers.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, rsa

from apkscan.signing.asn1 import *  # noqa: F403 - re-exported: callers use pkcs7.read_single, pkcs7.der...
from apkscan.signing.asn1 import (CONTEXT, DER_NULL, T_BIT_STRING, T_BOOLEAN, T_INTEGER, T_OCTET_STRING, T_OID,
                                  T_SEQUENCE, T_SET, UNIVERSAL, Asn1Error, Tlv, ber_to_der, decode_integer,
                                  decode_oid, der, der_integer, der_octet_string, der_oid, der_sequence, der_set_of,
                                  read_single)
from apkscan.signing.asn1 import expect as _expect
from apkscan.signing.pkcs7_algorithms import *  # noqa: F403 - re-exported: pkcs7.OID_*, pkcs7.verify_signature...
from apkscan.signing.pkcs7_algorithms import (JCA_DIGEST_TO_OID, OID_RSA_ENCRYPTION, OID_SIG_DSA,
                                              OID_SIG_EC_PUBLIC_KEY, OID_SIG_RSA, OID_SIG_SHA256_WITH_DSA,
                                              SignatureVerifyError)


class Pkcs7DecodingError(ValueError):
    """The signature block is not a PKCS #7 SignedData apksig can decode (JAR_SIG_PARSE_EXCEPTION)."""


class CertificateParseError(ValueError):
    """A certificate in the SignedData bag cannot be parsed (JAR_SIG_PARSE_EXCEPTION)."""


# ---------------------------------------------------------------------------------------------
# SignedData structures


OID_DATA = "1.2.840.113549.1.7.1"
OID_SIGNED_DATA = "1.2.840.113549.1.7.2"
OID_CONTENT_TYPE = "1.2.840.113549.1.9.3"
OID_MESSAGE_DIGEST = "1.2.840.113549.1.9.4"


@dataclass(frozen=True)
class AlgorithmIdentifier:
    oid: str
    parameters: bytes | None = None  # encoded, when present


@dataclass(frozen=True)
class IssuerAndSerial:
    issuer: bytes  # encoded Name
    serial: int


@dataclass(frozen=True)
class SignerInfo:
    version: int
    sid: IssuerAndSerial | None  # None when identified by subjectKeyIdentifier (Android can't use it)
    digest_algorithm: AlgorithmIdentifier
    signed_attrs: bytes | None  # original encoding of the [0] IMPLICIT SET OF Attribute
    signature_algorithm: AlgorithmIdentifier
    signature: bytes


@dataclass(frozen=True)
class SignedData:
    version: int
    digest_algorithms: tuple[AlgorithmIdentifier, ...]
    content_type: str  # encapContentInfo.eContentType
    certificates: tuple[bytes, ...]  # original encodings, in bag order
    signer_infos: tuple[SignerInfo, ...]


def _algorithm(tlv: Tlv) -> AlgorithmIdentifier:
    items = _expect(tlv, UNIVERSAL, T_SEQUENCE, "AlgorithmIdentifier").children()
    if not items:
        raise Asn1Error("empty AlgorithmIdentifier")
    oid = decode_oid(_expect(items[0], UNIVERSAL, T_OID, "algorithm"))
    return AlgorithmIdentifier(oid, items[1].encoded if len(items) > 1 else None)


def _signer_info(tlv: Tlv) -> SignerInfo:
    items = _expect(tlv, UNIVERSAL, T_SEQUENCE, "SignerInfo").children()
    it = iter(items)

    def need(what: str) -> Tlv:
        try:
            return next(it)
        except StopIteration:
            raise Asn1Error(f"SignerInfo: missing {what}") from None

    version = decode_integer(_expect(need("version"), UNIVERSAL, T_INTEGER, "version"))
    sid_tlv = need("sid")
    sid: IssuerAndSerial | None
    if sid_tlv.is_(UNIVERSAL, T_SEQUENCE):
        parts = sid_tlv.children()
        if len(parts) < 2:
            raise Asn1Error("IssuerAndSerialNumber: missing fields")
        sid = IssuerAndSerial(parts[0].encoded, decode_integer(_expect(parts[1], UNIVERSAL, T_INTEGER, "serial")))
    elif sid_tlv.is_(CONTEXT, 0):
        sid = None
    else:
        raise Asn1Error("SignerIdentifier: no CHOICE matched")
    digest_alg = _algorithm(need("digestAlgorithm"))
    nxt = need("signatureAlgorithm")
    signed_attrs = None
    if nxt.is_(CONTEXT, 0):
        signed_attrs = nxt.encoded
        nxt = need("signatureAlgorithm")
    sig_alg = _algorithm(nxt)
    signature = _expect(need("signature"), UNIVERSAL, T_OCTET_STRING, "signature").content
    return SignerInfo(version, sid, digest_alg, signed_attrs, sig_alg, signature)


def parse_signed_data(block: bytes) -> SignedData:
    """Parse a JAR signature block (ContentInfo carrying SignedData)."""
    try:
        ci = _expect(read_single(block), UNIVERSAL, T_SEQUENCE, "ContentInfo").children()
        if not ci:
            raise Asn1Error("empty ContentInfo")
        content_type = decode_oid(_expect(ci[0], UNIVERSAL, T_OID, "contentType"))
        if content_type != OID_SIGNED_DATA:
            raise Asn1Error(f"Unsupported ContentInfo.contentType: {content_type}")
        if len(ci) < 2 or not ci[1].is_(CONTEXT, 0):
            raise Asn1Error("ContentInfo.content missing")
        inner = ci[1].children()
        if not inner:
            raise Asn1Error("ContentInfo.content empty")
        items = _expect(inner[0], UNIVERSAL, T_SEQUENCE, "SignedData").children()
        it = iter(items)

        def need(what: str) -> Tlv:
            try:
                return next(it)
            except StopIteration:
                raise Asn1Error(f"SignedData: missing {what}") from None

        version = decode_integer(_expect(need("version"), UNIVERSAL, T_INTEGER, "version"))
        digest_algs = tuple(
            _algorithm(t) for t in _expect(need("digestAlgorithms"), UNIVERSAL, T_SET, "digestAlgorithms").children()
        )
        encap = _expect(need("encapContentInfo"), UNIVERSAL, T_SEQUENCE, "encapContentInfo").children()
        if not encap:
            raise Asn1Error("empty encapContentInfo")
        econtent_type = decode_oid(_expect(encap[0], UNIVERSAL, T_OID, "eContentType"))
        nxt = need("signerInfos")
        certs: tuple[bytes, ...] = ()
        if nxt.is_(CONTEXT, 0):
            certs = tuple(c.encoded for c in nxt.children())
            nxt = need("signerInfos")
        if nxt.is_(CONTEXT, 1):  # crls
            nxt = need("signerInfos")
        signer_infos = tuple(_signer_info(t) for t in _expect(nxt, UNIVERSAL, T_SET, "signerInfos").children())
        return SignedData(version, digest_algs, econtent_type, certs, signer_infos)
    except (Asn1Error, ValueError, IndexError, RecursionError) as e:
        raise Pkcs7DecodingError(str(e) or type(e).__name__) from e


class SignedAttributes:
    """Signed attributes of a SignerInfo, as apksig reads them: duplicates and multi-valued
    attributes are decoding errors."""

    def __init__(self, encoded: bytes):
        try:
            attrs = read_single(encoded).children()  # IMPLICIT [0]: the tag is not checked
            self._values: dict[str, list[Tlv]] = {}
            for attr in attrs:
                parts = _expect(attr, UNIVERSAL, T_SEQUENCE, "Attribute").children()
                if len(parts) < 2:
                    raise Asn1Error("Attribute: missing fields")
                oid = decode_oid(_expect(parts[0], UNIVERSAL, T_OID, "attrType"))
                values = _expect(parts[1], UNIVERSAL, T_SET, "attrValues").children()
                if oid in self._values:
                    raise Pkcs7DecodingError(f"Duplicate signed attribute: {oid}")
                self._values[oid] = values
        except (Asn1Error, RecursionError) as e:
            raise SignatureVerifyError(f"Failed to parse signed attributes: {e}") from e

    def _single(self, oid: str) -> Tlv | None:
        values = self._values.get(oid)
        if not values:
            return None
        if len(values) > 1:
            raise Pkcs7DecodingError(f"Attribute {oid} has multiple values")
        return values[0]

    def single_oid(self, oid: str) -> str | None:
        v = self._single(oid)
        if v is None:
            return None
        try:
            return decode_oid(_expect(v, UNIVERSAL, T_OID, "OBJECT IDENTIFIER"))
        except Asn1Error as e:
            raise Pkcs7DecodingError("Failed to decode OBJECT IDENTIFIER") from e

    def single_octets(self, oid: str) -> bytes | None:
        v = self._single(oid)
        if v is None:
            return None
        try:
            return _expect(v, UNIVERSAL, T_OCTET_STRING, "OCTET STRING").content
        except Asn1Error as e:
            raise Pkcs7DecodingError("Failed to decode OCTET STRING") from e


# ---------------------------------------------------------------------------------------------
# Certificates (only what signature verification needs; model.Signer is made by certs.py)


OID_KEY_USAGE = "2.5.29.15"
# Extensions OpenJDK's X.509 implementation understands: a *critical* extension outside this set makes
# X509Certificate.hasUnsupportedCriticalExtension() true, which Android/apksig reject for JAR signers.
KNOWN_EXTENSIONS = frozenset(
    {
        "2.5.29.9", "2.5.29.14", "2.5.29.15", "2.5.29.16", "2.5.29.17", "2.5.29.18", "2.5.29.19",
        "2.5.29.20", "2.5.29.21", "2.5.29.24", "2.5.29.27", "2.5.29.28", "2.5.29.29", "2.5.29.30",
        "2.5.29.31", "2.5.29.32", "2.5.29.33", "2.5.29.35", "2.5.29.36", "2.5.29.37", "2.5.29.46",
        "2.5.29.54", "1.3.6.1.5.5.7.1.1", "1.3.6.1.5.5.7.1.11", "1.3.6.1.5.5.7.48.1.5",
        "2.16.840.1.113730.1.1",
    }
)


@dataclass(frozen=True)
class Certificate:
    encoded: bytes  # as found in the bag: fingerprints are over these bytes (apksig keeps them)
    der: bytes  # DER form (== encoded unless the bag held BER)
    serial: int
    issuer: bytes  # encoded Name
    subject: bytes
    public_key_info: bytes  # encoded SubjectPublicKeyInfo (DER)
    key_usage: tuple[bool, ...] | None
    unsupported_critical_extension: bool


def parse_certificate(encoded: bytes) -> Certificate:
    try:
        der_form = ber_to_der(encoded)
        if der_form == encoded:
            der_form = encoded
        cert = _expect(read_single(der_form), UNIVERSAL, T_SEQUENCE, "Certificate").children()
        if len(cert) < 3:
            raise Asn1Error("Certificate: missing fields")
        tbs = _expect(cert[0], UNIVERSAL, T_SEQUENCE, "TBSCertificate").children()
        i = 1 if tbs and tbs[0].is_(CONTEXT, 0) else 0
        if len(tbs) < i + 6:
            raise Asn1Error("TBSCertificate: missing fields")
        serial = decode_integer(_expect(tbs[i], UNIVERSAL, T_INTEGER, "serialNumber"))
        issuer = _expect(tbs[i + 2], UNIVERSAL, T_SEQUENCE, "issuer").encoded
        subject = _expect(tbs[i + 4], UNIVERSAL, T_SEQUENCE, "subject").encoded
        spki = _expect(tbs[i + 5], UNIVERSAL, T_SEQUENCE, "subjectPublicKeyInfo").encoded
        key_usage = None
        unsupported = False
        for extra in tbs[i + 6 :]:
            if not extra.is_(CONTEXT, 3):
                continue
            exts = _expect(extra.children()[0], UNIVERSAL, T_SEQUENCE, "extensions").children()
            for ext in exts:
                parts = _expect(ext, UNIVERSAL, T_SEQUENCE, "Extension").children()
                oid = decode_oid(_expect(parts[0], UNIVERSAL, T_OID, "extnID"))
                critical = len(parts) > 2 and parts[1].is_(UNIVERSAL, T_BOOLEAN) and parts[1].content != b"\x00"
                value = _expect(parts[-1], UNIVERSAL, T_OCTET_STRING, "extnValue").content
                if critical and oid not in KNOWN_EXTENSIONS:
                    unsupported = True
                if oid == OID_KEY_USAGE:
                    key_usage = _bits(_expect(read_single(value), UNIVERSAL, T_BIT_STRING, "KeyUsage").content)
        _check_x509(der_form)
        return Certificate(encoded, der_form, serial, issuer, subject, spki, key_usage, unsupported)
    except (Asn1Error, IndexError, RecursionError) as e:
        raise CertificateParseError(f"Failed to parse certificate: {e}") from e


def _check_x509(der_form: bytes) -> None:
    """Java's CertificateFactory parses the whole certificate (dates, algorithms, extensions), so a
    certificate only structurally readable above is still refused by Android: ask a full X.509
    parser. The public key itself is read later (a negative RSA modulus must not fail here)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cert = x509.load_der_x509_certificate(der_form)
            cert.extensions  # noqa: B018 - parsed lazily otherwise
    except Exception as e:  # cryptography raises ValueError and friends for malformed input
        raise CertificateParseError(f"Failed to parse certificate: {e}") from e


def _bits(content: bytes) -> tuple[bool, ...]:
    if not content:
        return ()
    unused = content[0] & 7
    bits = []
    for byte in content[1:]:
        for k in range(7, -1, -1):
            bits.append(bool(byte >> k & 1))
    return tuple(bits[: len(bits) - unused] if unused else bits)


def names_equal(a: bytes, b: bytes) -> bool:
    """X500Principal.equals: names compare after RFC 5280 string preparation (case, spaces, string
    types), not byte by byte."""
    if a == b:
        return True
    try:
        from asn1crypto import x509 as asn1_x509

        return asn1_x509.Name.load(ber_to_der(a)) == asn1_x509.Name.load(ber_to_der(b))
    except Exception:  # undecodable names only match byte-identically
        return False


def load_public_key(spki: bytes):
    """Public key of a SubjectPublicKeyInfo. An RSA modulus encoded as a negative INTEGER (seen in
    the wild, and accepted by Android) is read as the unsigned number its bytes spell."""
    try:
        return serialization.load_der_public_key(spki)
    except (ValueError, UnsupportedAlgorithm) as first_error:
        fixed = _unsigned_rsa_modulus(spki)
        if fixed is None:
            raise SignatureVerifyError(f"Failed to decode public key: {first_error}") from first_error
        try:
            return serialization.load_der_public_key(fixed)
        except (ValueError, UnsupportedAlgorithm) as e:
            raise SignatureVerifyError(f"Failed to decode public key: {e}") from e


def _unsigned_rsa_modulus(spki: bytes) -> bytes | None:
    try:
        parts = read_single(spki).children()
        if decode_oid(parts[0].children()[0]) != OID_RSA_ENCRYPTION:
            return None
        bits = parts[1].content
        n_tlv, e_tlv = read_single(bits[1:]).children()
        n = int.from_bytes(n_tlv.content, "big")  # unsigned reading of the modulus bytes
        e = int.from_bytes(e_tlv.content, "big")
        return rsa.RSAPublicNumbers(e, n).public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    except Exception:
        return None


# ---------------------------------------------------------------------------------------------
# Creation (the factory's JAR signer)


def signer_info_algorithms(public_key, digest_jca: str) -> tuple[str, str, str]:
    """(JCA signature algorithm, digest OID, signature OID) apksig's V1 signer writes for a key:
    rsaEncryption / id-ecPublicKey with the digest; for DSA, dsa with SHA-1 but dsaWithSHA256 with
    SHA-256 (the bare dsa OID with SHA-256 only verifies from API 22)."""
    prefix = digest_jca.replace("SHA-", "SHA")
    digest_oid = JCA_DIGEST_TO_OID[digest_jca]
    if isinstance(public_key, rsa.RSAPublicKey):
        return prefix + "withRSA", digest_oid, OID_SIG_RSA
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return prefix + "withECDSA", digest_oid, OID_SIG_EC_PUBLIC_KEY
    if isinstance(public_key, dsa.DSAPublicKey):
        sig_oid = OID_SIG_DSA if digest_jca == "SHA-1" else OID_SIG_SHA256_WITH_DSA
        return prefix + "withDSA", digest_oid, sig_oid
    raise ValueError(f"unsupported key type {type(public_key).__name__}")


def build_signed_data(
    signature: bytes,
    certificates_der: list[bytes],
    digest_oid: str,
    sig_oid: str,
) -> bytes:
    """DER ContentInfo(SignedData) with detached content, no signed attributes, the certificates in
    the bag and one SignerInfo identifying the first certificate by issuer and serial number (the
    layout apksig's ApkSigningBlockUtils.generatePkcs7DerEncodedMessage produces)."""
    leaf = parse_certificate(certificates_der[0])
    alg_digest = der_sequence(der_oid(digest_oid), DER_NULL)
    alg_sig = der_sequence(der_oid(sig_oid), DER_NULL)
    signer_info = der_sequence(
        der_integer(1),
        der_sequence(leaf.issuer, der_integer(leaf.serial)),
        alg_digest,
        alg_sig,
        der_octet_string(signature),
    )
    certs = b"".join(sorted(certificates_der))
    signed_data = der_sequence(
        der_integer(1),
        der_set_of([alg_digest]),
        der_sequence(der_oid(OID_DATA)),
        der(0xA0, certs),
        der_set_of([signer_info]),
    )
    return der_sequence(der_oid(OID_SIGNED_DATA), der(0xA0, signed_data))
