"""X.509 certificate facts as the reports show them (model.Signer)."""
from __future__ import annotations

import hashlib

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import dsa, ec, rsa

from apkscan.model import Signer


def _key_facts(cert: x509.Certificate) -> tuple[str, int]:
    try:
        key = cert.public_key()
    except Exception:  # unsupported or malformed key: still report the certificate
        return "unknown", 0
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA", key.key_size
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "EC", key.curve.key_size
    if isinstance(key, dsa.DSAPublicKey):
        return "DSA", key.key_size
    return type(key).__name__, getattr(key, "key_size", 0)


def _utc(dt) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def signer_from_der(der: bytes) -> Signer:
    """Describe a DER certificate. Fingerprints are over the exact DER bytes that were signed
    over (as apksigner prints them), not over a re-encoding."""
    sha256 = hashlib.sha256(der).hexdigest()
    sha1 = hashlib.sha1(der).hexdigest()
    try:
        cert = x509.load_der_x509_certificate(der)
    except Exception:
        return Signer(sha256, sha1, "", "", "", "", "", "unknown", 0, der)
    algo, bits = _key_facts(cert)
    try:
        subject = cert.subject.rfc4514_string()
        issuer = cert.issuer.rfc4514_string()
    except Exception:
        subject = issuer = ""
    return Signer(
        cert_sha256=sha256,
        cert_sha1=sha1,
        subject=subject,
        issuer=issuer,
        serial=format(cert.serial_number, "x"),
        not_before=_utc(cert.not_valid_before_utc),
        not_after=_utc(cert.not_valid_after_utc),
        key_algorithm=algo,
        key_bits=bits,
        cert_der=der,
    )


# --- raw DER access (apksig compares certificates and keys by their exact encodings) ---------

class CertificateFormatError(ValueError):
    pass


def _tlv(buf: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, content start, content end) of the DER element at pos."""
    if pos + 2 > len(buf):
        raise CertificateFormatError("truncated DER element")
    tag = buf[pos]
    length = buf[pos + 1]
    pos += 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or pos + count > len(buf):
            raise CertificateFormatError("bad DER length")
        length = int.from_bytes(buf[pos:pos + count], "big")
        pos += count
    if pos + length > len(buf):
        raise CertificateFormatError("DER element overruns its parent")
    return tag, pos, pos + length


def spki_of(cert_der: bytes) -> bytes:
    """The SubjectPublicKeyInfo element of a certificate, exactly as encoded in it."""
    tag, start, end = _tlv(cert_der, 0)
    if tag != 0x30:
        raise CertificateFormatError("certificate is not a SEQUENCE")
    tag, pos, tbs_end = _tlv(cert_der, start)
    if tag != 0x30:
        raise CertificateFormatError("tbsCertificate is not a SEQUENCE")
    fields = []
    while pos < tbs_end and len(fields) < 7:
        tag, cstart, cend = _tlv(cert_der, pos)
        fields.append((tag, pos, cend))
        pos = cend
    if fields and fields[0][0] == 0xA0:  # explicit version
        fields = fields[1:]
    # serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo
    if len(fields) < 6 or fields[5][0] != 0x30:
        raise CertificateFormatError("no subjectPublicKeyInfo")
    _, s, e = fields[5]
    return cert_der[s:e]


def _der_len(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def _fix_negative_rsa_modulus(spki: bytes) -> bytes | None:
    """apksig ApkSigningBlockUtils.encodePublicKey: an RSA modulus encoded as a negative INTEGER
    (missing its leading zero byte) is re-encoded as the positive number it was meant to be."""
    try:
        _, pos, end = _tlv(spki, 0)
        tag, a_start, a_end = _tlv(spki, pos)  # AlgorithmIdentifier
        if b"\x2a\x86\x48\x86\xf7\x0d\x01\x01\x01" not in spki[a_start:a_end]:  # rsaEncryption
            return None
        tag, b_start, b_end = _tlv(spki, a_end)  # BIT STRING
        if tag != 0x03:
            return None
        unused = spki[b_start]
        tag, r_start, r_end = _tlv(spki, b_start + 1)  # RSAPublicKey SEQUENCE
        tag, m_start, m_end = _tlv(spki, r_start)  # modulus
        if tag != 0x02 or m_end == m_start or not spki[m_start] & 0x80:
            return None
        modulus = b"\x02" + _der_len(m_end - m_start + 1) + b"\x00" + spki[m_start:m_end]
        rsa_key = modulus + spki[m_end:r_end]
        rsa_seq = b"\x30" + _der_len(len(rsa_key)) + rsa_key
        bits = bytes([unused]) + rsa_seq
        bit_string = b"\x03" + _der_len(len(bits)) + bits
        body = spki[pos:a_end] + bit_string
        return b"\x30" + _der_len(len(body)) + body
    except CertificateFormatError:
        return None


def public_key_encodings(cert_der: bytes) -> set[bytes]:
    """The encodings of a certificate's public key that Android accepts as "the same key" as the
    one in a signature record: the SPKI as encoded in the certificate, its canonical re-encoding
    (what Java's getEncoded() returns), and the negative-modulus repair apksig performs."""
    forms: set[bytes] = set()
    try:
        raw = spki_of(cert_der)
    except CertificateFormatError:
        return forms
    forms.add(raw)
    fixed = _fix_negative_rsa_modulus(raw)
    if fixed:
        forms.add(fixed)
    try:
        key = x509.load_der_x509_certificate(cert_der).public_key()
        from cryptography.hazmat.primitives import serialization

        forms.add(key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo))
    except Exception:  # a certificate cryptography refuses may still carry a usable SPKI
        pass
    return forms


def check_certificate(cert_der: bytes) -> None:
    """Raise CertificateFormatError unless the bytes are a certificate Android would parse.
    cryptography is stricter than Android's parser on a few historic quirks (e.g. negative RSA
    moduli), so a certificate whose structure up to the public key is sound is accepted too."""
    try:
        x509.load_der_x509_certificate(cert_der)
        return
    except Exception:
        pass
    spki_of(cert_der)
    tag, start, end = _tlv(cert_der, 0)
    if end != len(cert_der):
        raise CertificateFormatError("trailing data after certificate")
