"""PKCS #7 / CMS SignedData (RFC 2315, RFC 5652) as JAR signature blocks use it: parse, verify, create.

Parsing mirrors apksig's ``internal/asn1/Asn1BerParser`` + ``internal/pkcs7`` classes: BER is accepted
(indefinite lengths, long-form lengths), optional fields are recognised by their tag, unknown trailing
elements of a SEQUENCE are ignored. Every structure keeps its original encoding where apksig does,
because signatures are verified over original bytes (signed attributes) and certificates are
identified by their original encoding (fingerprints).

Nothing here knows about Android API levels except :data:`SUPPORTED_SIG_ALGS`, the table of digest /
signature algorithm pairs Android accepts in a JAR signature's SignerInfo (apksig V1SchemeVerifier).
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, padding, rsa

MAX_DEPTH = 64


class Asn1Error(ValueError):
    """Malformed BER/DER."""


class Pkcs7DecodingError(ValueError):
    """The signature block is not a PKCS #7 SignedData apksig can decode (JAR_SIG_PARSE_EXCEPTION)."""


class CertificateParseError(ValueError):
    """A certificate in the SignedData bag cannot be parsed (JAR_SIG_PARSE_EXCEPTION)."""


class SignatureVerifyError(Exception):
    """Verification could not be carried out (Java SignatureException / InvalidKeyException):
    apksig reports JAR_SIG_VERIFY_EXCEPTION."""


# ---------------------------------------------------------------------------------------------
# BER reading


class Tlv:
    """One BER data value, as offsets into the buffer it was read from (nothing is copied until
    ``encoded`` or ``content`` is asked for, so nested values cost no more than the input)."""

    __slots__ = ("cls", "constructed", "tag", "_buf", "_start", "_cstart", "_cend", "_end")

    def __init__(self, cls: int, constructed: bool, tag: int, buf: bytes, start: int, cstart: int, cend: int, end: int):
        self.cls = cls  # 0 universal, 1 application, 2 context-specific, 3 private
        self.constructed = constructed
        self.tag = tag
        self._buf, self._start, self._cstart, self._cend, self._end = buf, start, cstart, cend, end

    @property
    def encoded(self) -> bytes:
        """The whole data value as found (identifier + length + contents [+ end-of-contents])."""
        return self._buf[self._start : self._end]

    @property
    def content(self) -> bytes:
        """Contents octets (without the end-of-contents octets of the indefinite form)."""
        return self._buf[self._cstart : self._cend]

    def is_(self, cls: int, tag: int) -> bool:
        return self.cls == cls and self.tag == tag

    def children(self, depth: int = 0) -> list["Tlv"]:
        if not self.constructed:
            raise Asn1Error("primitive value has no elements")
        return _read_range(self._buf, self._cstart, self._cend, depth + 1)


UNIVERSAL, APPLICATION, CONTEXT, PRIVATE = 0, 1, 2, 3
T_BOOLEAN, T_INTEGER, T_BIT_STRING, T_OCTET_STRING, T_NULL, T_OID = 1, 2, 3, 4, 5, 6
T_SEQUENCE, T_SET = 16, 17


def _read_header(data: bytes, pos: int, end: int) -> tuple[int, bool, int, int, int | None]:
    """Return (cls, constructed, tag, contents_start, length or None for indefinite)."""
    if pos >= end:
        raise Asn1Error("truncated identifier")
    b = data[pos]
    pos += 1
    cls, constructed, tag = b >> 6, bool(b & 0x20), b & 0x1F
    if tag == 0x1F:
        tag = 0
        for _ in range(5):
            if pos >= end:
                raise Asn1Error("truncated tag")
            b = data[pos]
            pos += 1
            tag = (tag << 7) | (b & 0x7F)
            if not b & 0x80:
                break
        else:
            raise Asn1Error("tag number too large")
    if pos >= end:
        raise Asn1Error("truncated length")
    b = data[pos]
    pos += 1
    if b < 0x80:
        return cls, constructed, tag, pos, b
    if b == 0x80:
        if not constructed:
            raise Asn1Error("indefinite length on a primitive value")
        return cls, constructed, tag, pos, None
    n = b & 0x7F
    if n > 4 or pos + n > end:
        raise Asn1Error("unsupported or truncated length")
    length = int.from_bytes(data[pos : pos + n], "big")
    return cls, constructed, tag, pos + n, length


def read_tlv(data: bytes, pos: int = 0, end: int | None = None, depth: int = 0) -> tuple[Tlv, int]:
    """Read one data value at ``pos``; return it and the position after it."""
    data = bytes(data)
    return _read_tlv(data, pos, len(data) if end is None else end, depth)


def _read_tlv(data: bytes, pos: int, end: int, depth: int) -> tuple[Tlv, int]:
    if depth > MAX_DEPTH:
        raise Asn1Error("nesting too deep")
    start = pos
    cls, constructed, tag, cpos, length = _read_header(data, pos, end)
    if length is not None:
        cend = cpos + length
        if cend > end:
            raise Asn1Error("contents extend beyond the enclosing value")
        return Tlv(cls, constructed, tag, data, start, cpos, cend, cend), cend
    # Indefinite form: elements until the end-of-contents octets 00 00.
    p = cpos
    while True:
        if p + 2 <= end and data[p] == 0 and data[p + 1] == 0:
            return Tlv(cls, constructed, tag, data, start, cpos, p, p + 2), p + 2
        _, p = _read_tlv(data, p, end, depth + 1)


def _read_range(data: bytes, pos: int, end: int, depth: int) -> list[Tlv]:
    out = []
    while pos < end:
        tlv, pos = _read_tlv(data, pos, end, depth)
        out.append(tlv)
    return out


def read_all(data: bytes, depth: int = 0) -> list[Tlv]:
    data = bytes(data)
    return _read_range(data, 0, len(data), depth)


def read_single(data: bytes) -> Tlv:
    """The first data value of ``data`` (trailing bytes are ignored, as apksig's parser does)."""
    if not data:
        raise Asn1Error("empty input")
    return read_tlv(data, 0)[0]


def decode_integer(tlv: Tlv) -> int:
    if not tlv.content:
        raise Asn1Error("empty INTEGER")
    return int.from_bytes(tlv.content, "big", signed=True)


def decode_oid(tlv: Tlv) -> str:
    c = tlv.content
    if not c or len(c) > 256:
        raise Asn1Error("bad OBJECT IDENTIFIER length")
    arcs: list[int] = []
    value = 0
    for i, b in enumerate(c):
        value = (value << 7) | (b & 0x7F)
        if not b & 0x80:
            arcs.append(value)
            value = 0
        elif i == len(c) - 1:
            raise Asn1Error("truncated OBJECT IDENTIFIER")
    first = arcs[0]
    head = [0, first] if first < 40 else [1, first - 40] if first < 80 else [2, first - 80]
    return ".".join(str(a) for a in head + arcs[1:])


def _expect(tlv: Tlv, cls: int, tag: int, what: str) -> Tlv:
    if not tlv.is_(cls, tag):
        raise Asn1Error(f"unexpected tag for {what}: class {tlv.cls} number {tlv.tag}")
    return tlv


# ---------------------------------------------------------------------------------------------
# DER writing


def der_length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def der(identifier: int, content: bytes) -> bytes:
    return bytes([identifier]) + der_length(len(content)) + content


def der_sequence(*items: bytes) -> bytes:
    return der(0x30, b"".join(items))


def der_set_of(items: list[bytes]) -> bytes:
    return der(0x31, b"".join(sorted(items)))  # DER: SET OF elements in ascending byte order


def der_integer(value: int) -> bytes:
    length = max(1, (value + (value < 0)).bit_length() // 8 + 1)
    return der(0x02, value.to_bytes(length, "big", signed=True))


def der_oid(oid: str) -> bytes:
    arcs = [int(a) for a in oid.split(".")]
    body = bytearray()
    for value in [arcs[0] * 40 + arcs[1]] + arcs[2:]:
        chunk = [value & 0x7F]
        value >>= 7
        while value:
            chunk.append(0x80 | (value & 0x7F))
            value >>= 7
        body += bytes(reversed(chunk))
    return der(0x06, bytes(body))


DER_NULL = b"\x05\x00"


def der_octet_string(data: bytes) -> bytes:
    return der(0x04, data)


_CONSTRUCTED_STRING_TAGS = {T_OCTET_STRING, 12, 18, 19, 20, 21, 22, 25, 26, 27, 28, 30}


def ber_to_der(data: bytes) -> bytes:
    """Re-encode one BER data value as DER (definite minimal lengths, primitive strings, minimal
    INTEGERs, canonical BOOLEAN). Used, as apksig's X509CertificateUtils does, to read certificates
    that were signed in a BER form the X.509 parser refuses."""
    return _to_der(read_single(data), 0)


def _to_der(tlv: Tlv, depth: int) -> bytes:
    identifier = bytearray()
    first = (tlv.cls << 6) | (0x20 if tlv.constructed else 0)
    if tlv.cls == UNIVERSAL and tlv.constructed and tlv.tag in _CONSTRUCTED_STRING_TAGS:
        # BER constructed string -> primitive with the concatenated contents.
        content = b"".join(c.content for c in tlv.children(depth))
        return der(tlv.tag, content)
    if tlv.tag < 0x1F:
        identifier.append(first | tlv.tag)
    else:
        identifier.append(first | 0x1F)
        parts = [tlv.tag & 0x7F]
        t = tlv.tag >> 7
        while t:
            parts.append(0x80 | (t & 0x7F))
            t >>= 7
        identifier += bytes(reversed(parts))
    if tlv.constructed:
        content = b"".join(_to_der(c, depth + 1) for c in tlv.children(depth))
    elif tlv.cls == UNIVERSAL and tlv.tag == T_INTEGER and tlv.content:
        content = _strip_integer(tlv.content)
    elif tlv.cls == UNIVERSAL and tlv.tag == T_BOOLEAN and len(tlv.content) == 1:
        content = b"\xff" if tlv.content[0] else b"\x00"
    else:
        content = tlv.content
    return bytes(identifier) + der_length(len(content)) + content


def _strip_integer(c: bytes) -> bytes:
    while len(c) > 1 and ((c[0] == 0 and c[1] < 0x80) or (c[0] == 0xFF and c[1] >= 0x80)):
        c = c[1:]
    return c


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


OID_RSA_ENCRYPTION = "1.2.840.113549.1.1.1"


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
# Algorithms


OID_DIGEST_MD5 = "1.2.840.113549.2.5"
OID_DIGEST_SHA1 = "1.3.14.3.2.26"
OID_DIGEST_SHA224 = "2.16.840.1.101.3.4.2.4"
OID_DIGEST_SHA256 = "2.16.840.1.101.3.4.2.1"
OID_DIGEST_SHA384 = "2.16.840.1.101.3.4.2.2"
OID_DIGEST_SHA512 = "2.16.840.1.101.3.4.2.3"

OID_SIG_RSA = OID_RSA_ENCRYPTION
OID_SIG_MD5_WITH_RSA = "1.2.840.113549.1.1.4"
OID_SIG_SHA1_WITH_RSA = "1.2.840.113549.1.1.5"
OID_SIG_SHA224_WITH_RSA = "1.2.840.113549.1.1.14"
OID_SIG_SHA256_WITH_RSA = "1.2.840.113549.1.1.11"
OID_SIG_SHA384_WITH_RSA = "1.2.840.113549.1.1.12"
OID_SIG_SHA512_WITH_RSA = "1.2.840.113549.1.1.13"
OID_SIG_DSA = "1.2.840.10040.4.1"
OID_SIG_SHA1_WITH_DSA = "1.2.840.10040.4.3"
OID_SIG_SHA224_WITH_DSA = "2.16.840.1.101.3.4.3.1"
OID_SIG_SHA256_WITH_DSA = "2.16.840.1.101.3.4.3.2"
OID_SIG_SHA384_WITH_DSA = "2.16.840.1.101.3.4.3.3"
OID_SIG_SHA512_WITH_DSA = "2.16.840.1.101.3.4.3.4"
OID_SIG_EC_PUBLIC_KEY = "1.2.840.10045.2.1"
OID_SIG_SHA1_WITH_ECDSA = "1.2.840.10045.4.1"
OID_SIG_SHA224_WITH_ECDSA = "1.2.840.10045.4.3.1"
OID_SIG_SHA256_WITH_ECDSA = "1.2.840.10045.4.3.2"
OID_SIG_SHA384_WITH_ECDSA = "1.2.840.10045.4.3.3"
OID_SIG_SHA512_WITH_ECDSA = "1.2.840.10045.4.3.4"

DIGEST_OID_TO_JCA = {
    OID_DIGEST_MD5: "MD5",
    OID_DIGEST_SHA1: "SHA-1",
    OID_DIGEST_SHA224: "SHA-224",
    OID_DIGEST_SHA256: "SHA-256",
    OID_DIGEST_SHA384: "SHA-384",
    OID_DIGEST_SHA512: "SHA-512",
}
JCA_DIGEST_TO_OID = {v: k for k, v in DIGEST_OID_TO_JCA.items()}

SIG_OID_TO_JCA = {
    OID_SIG_MD5_WITH_RSA: "MD5withRSA",
    OID_SIG_SHA1_WITH_RSA: "SHA1withRSA",
    OID_SIG_SHA224_WITH_RSA: "SHA224withRSA",
    OID_SIG_SHA256_WITH_RSA: "SHA256withRSA",
    OID_SIG_SHA384_WITH_RSA: "SHA384withRSA",
    OID_SIG_SHA512_WITH_RSA: "SHA512withRSA",
    OID_SIG_SHA1_WITH_DSA: "SHA1withDSA",
    OID_SIG_SHA224_WITH_DSA: "SHA224withDSA",
    OID_SIG_SHA256_WITH_DSA: "SHA256withDSA",
    OID_SIG_SHA1_WITH_ECDSA: "SHA1withECDSA",
    OID_SIG_SHA224_WITH_ECDSA: "SHA224withECDSA",
    OID_SIG_SHA256_WITH_ECDSA: "SHA256withECDSA",
    OID_SIG_SHA384_WITH_ECDSA: "SHA384withECDSA",
    OID_SIG_SHA512_WITH_ECDSA: "SHA512withECDSA",
}

OID_NAMES = {
    **DIGEST_OID_TO_JCA,
    OID_SIG_RSA: "RSA",
    OID_SIG_MD5_WITH_RSA: "MD5 with RSA",
    OID_SIG_SHA1_WITH_RSA: "SHA-1 with RSA",
    OID_SIG_SHA224_WITH_RSA: "SHA-224 with RSA",
    OID_SIG_SHA256_WITH_RSA: "SHA-256 with RSA",
    OID_SIG_SHA384_WITH_RSA: "SHA-384 with RSA",
    OID_SIG_SHA512_WITH_RSA: "SHA-512 with RSA",
    OID_SIG_DSA: "DSA",
    OID_SIG_SHA1_WITH_DSA: "SHA-1 with DSA",
    OID_SIG_SHA224_WITH_DSA: "SHA-224 with DSA",
    OID_SIG_SHA256_WITH_DSA: "SHA-256 with DSA",
    OID_SIG_SHA384_WITH_DSA: "SHA-384 with DSA",
    OID_SIG_SHA512_WITH_DSA: "SHA-512 with DSA",
    OID_SIG_EC_PUBLIC_KEY: "ECDSA",
    OID_SIG_SHA1_WITH_ECDSA: "SHA-1 with ECDSA",
    OID_SIG_SHA224_WITH_ECDSA: "SHA-224 with ECDSA",
    OID_SIG_SHA256_WITH_ECDSA: "SHA-256 with ECDSA",
    OID_SIG_SHA384_WITH_ECDSA: "SHA-384 with ECDSA",
    OID_SIG_SHA512_WITH_ECDSA: "SHA-512 with ECDSA",
}

INF = 2**31 - 1  # Integer.MAX_VALUE, apksig's "and every later API level"


_ALL, _18, _21, _22 = (0, INF), (18, INF), (21, INF), (22, INF)
_L = (21, 23)  # Android 5.0-6.0 accepted almost any digest/signature pairing
_OLD = (0, 8)

# (digest OID, signature OID) -> API level ranges where Android accepts the pair in a JAR signature's
# SignerInfo. Source: AOSP apksig V1SchemeVerifier (SUPPORTED_SIG_ALG_OIDS), derived there from
# the behaviour of each Android release. A pair not listed is never accepted.
SUPPORTED_SIG_ALGS: dict[tuple[str, str], tuple[tuple[int, int], ...]] = {}


def _add(digest: str, sig: str, *ranges: tuple[int, int]) -> None:
    SUPPORTED_SIG_ALGS[(digest, sig)] = ranges


_MD5, _SHA1, _SHA224, _SHA256, _SHA384, _SHA512 = (
    OID_DIGEST_MD5, OID_DIGEST_SHA1, OID_DIGEST_SHA224, OID_DIGEST_SHA256, OID_DIGEST_SHA384, OID_DIGEST_SHA512,
)
_RSA_SIGS = (OID_SIG_MD5_WITH_RSA, OID_SIG_SHA1_WITH_RSA, OID_SIG_SHA224_WITH_RSA, OID_SIG_SHA256_WITH_RSA,
             OID_SIG_SHA384_WITH_RSA, OID_SIG_SHA512_WITH_RSA)
_EC_SIGS = (OID_SIG_SHA1_WITH_ECDSA, OID_SIG_SHA224_WITH_ECDSA, OID_SIG_SHA256_WITH_ECDSA,
            OID_SIG_SHA384_WITH_ECDSA, OID_SIG_SHA512_WITH_ECDSA)
_DSA_SIGS = (OID_SIG_SHA1_WITH_DSA, OID_SIG_SHA224_WITH_DSA, OID_SIG_SHA256_WITH_DSA)

# RSA: on API 21-23 every pairing of a digest with a *withRSA OID verified; otherwise only the matching
# ones (and bare rsaEncryption with the digest) did.
for _d in (_MD5, _SHA1, _SHA224, _SHA256, _SHA384, _SHA512):
    for _s in _RSA_SIGS:
        _add(_d, _s, _L)
_add(_MD5, OID_SIG_RSA, _ALL)
_add(_MD5, OID_SIG_MD5_WITH_RSA, _OLD, _21)
_add(_SHA1, OID_SIG_RSA, _ALL)
_add(_SHA1, OID_SIG_SHA1_WITH_RSA, _ALL)
_add(_SHA224, OID_SIG_RSA, _OLD, _21)
_add(_SHA224, OID_SIG_SHA224_WITH_RSA, _OLD, _21)
_add(_SHA224, OID_SIG_SHA256_WITH_RSA, (21, 21))
_add(_SHA256, OID_SIG_RSA, _OLD, _18)
_add(_SHA256, OID_SIG_SHA1_WITH_RSA, (21, 21))
_add(_SHA256, OID_SIG_SHA256_WITH_RSA, _OLD, _18)
_add(_SHA384, OID_SIG_RSA, _18)
_add(_SHA384, OID_SIG_SHA384_WITH_RSA, _21)
_add(_SHA512, OID_SIG_RSA, _18)
_add(_SHA512, OID_SIG_SHA384_WITH_RSA, (21, 21))
_add(_SHA512, OID_SIG_SHA512_WITH_RSA, _21)
# DSA
for _d in (_MD5, _SHA1, _SHA224, _SHA256, _SHA384, _SHA512):
    for _s in _DSA_SIGS:
        _add(_d, _s, _L)
_add(_SHA1, OID_SIG_DSA, _ALL)
_add(_SHA1, OID_SIG_SHA1_WITH_DSA, (9, INF))
_add(_SHA224, OID_SIG_DSA, _22)
_add(_SHA224, OID_SIG_SHA224_WITH_DSA, _21)
_add(_SHA256, OID_SIG_DSA, _22)
_add(_SHA256, OID_SIG_SHA256_WITH_DSA, _21)
# ECDSA: from API 18 (bare id-ecPublicKey with the digest), the named pairs from 21.
for _d in (_MD5, _SHA1, _SHA224, _SHA256, _SHA384, _SHA512):
    for _s in _EC_SIGS:
        _add(_d, _s, _L)
_add(_SHA1, OID_SIG_EC_PUBLIC_KEY, _18)
_add(_SHA224, OID_SIG_EC_PUBLIC_KEY, _21)
_add(_SHA256, OID_SIG_EC_PUBLIC_KEY, _18)
_add(_SHA384, OID_SIG_EC_PUBLIC_KEY, _18)
_add(_SHA512, OID_SIG_EC_PUBLIC_KEY, _18)
_add(_SHA1, OID_SIG_SHA1_WITH_ECDSA, _18)
_add(_SHA224, OID_SIG_SHA224_WITH_ECDSA, _21)
_add(_SHA256, OID_SIG_SHA256_WITH_ECDSA, _21)
_add(_SHA384, OID_SIG_SHA384_WITH_ECDSA, _21)
_add(_SHA512, OID_SIG_SHA512_WITH_ECDSA, _21)


def unsupported_api_levels(digest_oid: str, sig_oid: str, min_sdk: int, max_sdk: int) -> list[tuple[int, int]]:
    """The parts of [min_sdk, max_sdk] where Android does not accept this pair (empty: accepted)."""
    supported = sorted(SUPPORTED_SIG_ALGS.get((digest_oid, sig_oid), ()))
    gaps: list[tuple[int, int]] = []
    cur = min_sdk
    for lo, hi in supported:
        if cur > max_sdk:
            break
        if hi < cur:
            continue
        if lo > cur:
            gaps.append((cur, min(lo - 1, max_sdk)))
        cur = max(cur, hi + 1) if hi < INF else max_sdk + 1
    if cur <= max_sdk:
        gaps.append((cur, max_sdk))
    return gaps


def jca_signature_algorithm(digest_oid: str, sig_oid: str) -> str:
    """apksig's choice of JCA Signature algorithm: the signature OID alone when it names one (so the
    digest OID is ignored for e.g. sha1WithRSAEncryption), else digest + key type."""
    name = SIG_OID_TO_JCA.get(sig_oid)
    if name:
        return name
    suffix = {OID_SIG_RSA: "RSA", OID_SIG_DSA: "DSA", OID_SIG_EC_PUBLIC_KEY: "ECDSA"}.get(sig_oid)
    if suffix is None:
        raise SignatureVerifyError(
            f"Unsupported JCA Signature algorithm . Digest algorithm: {digest_oid}, signature algorithm: {sig_oid}"
        )
    digest = DIGEST_OID_TO_JCA.get(digest_oid)
    if digest is None:
        raise SignatureVerifyError(f"Unsupported digest algorithm: {digest_oid}")
    return digest.replace("SHA-", "SHA") + "with" + suffix


_HASHES = {
    "MD5": hashes.MD5,
    "SHA1": hashes.SHA1,
    "SHA224": hashes.SHA224,
    "SHA256": hashes.SHA256,
    "SHA384": hashes.SHA384,
    "SHA512": hashes.SHA512,
}


_KEY_TYPES = {"RSA": rsa.RSAPublicKey, "DSA": dsa.DSAPublicKey, "ECDSA": ec.EllipticCurvePublicKey}


def check_key_type(public_key, jca: str) -> None:
    """Signature.initVerify: the key must suit the algorithm (else InvalidKeyException)."""
    kind = jca.partition("with")[2]
    expected = _KEY_TYPES.get(kind)
    if expected is None or not isinstance(public_key, expected):
        raise SignatureVerifyError(f"{jca}: unsuitable public key {type(public_key).__name__}")


def verify_signature(public_key, jca: str, data: bytes, signature: bytes) -> bool:
    """Verify like ``java.security.Signature``: False when the signature does not match, and
    SignatureVerifyError where Java throws (wrong key type, RSA signature of the wrong length)."""
    digest_name, _, kind = jca.partition("with")
    h = _HASHES[digest_name]()
    try:
        if kind == "RSA":
            if not isinstance(public_key, rsa.RSAPublicKey):
                raise SignatureVerifyError(f"{jca}: not an RSA public key")
            if len(signature) != (public_key.key_size + 7) // 8:
                raise SignatureVerifyError(
                    f"Bad signature length: got {len(signature)} but was expecting {(public_key.key_size + 7) // 8}"
                )
            public_key.verify(signature, data, padding.PKCS1v15(), h)
        elif kind == "DSA":
            if not isinstance(public_key, dsa.DSAPublicKey):
                raise SignatureVerifyError(f"{jca}: not a DSA public key")
            public_key.verify(signature, data, h)
        elif kind == "ECDSA":
            if not isinstance(public_key, ec.EllipticCurvePublicKey):
                raise SignatureVerifyError(f"{jca}: not an EC public key")
            public_key.verify(signature, data, ec.ECDSA(h))
        else:
            raise SignatureVerifyError(f"unsupported signature algorithm {jca}")
    except InvalidSignature:
        return False
    except (ValueError, TypeError, UnsupportedAlgorithm) as e:
        raise SignatureVerifyError(f"{jca}: {e}") from e
    return True


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
