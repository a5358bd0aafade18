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
