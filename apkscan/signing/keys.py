"""Signing keys for the APK factory's signers (v1 JAR and the APK Signing Block schemes)."""
from __future__ import annotations

from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import serialization


@dataclass(frozen=True)
class SigningKey:
    """A private key with its certificate chain (leaf first)."""

    name: str
    private_key: object = field(repr=False)  # cryptography RSA/EC/DSA private key
    certificates: tuple[x509.Certificate, ...] = ()

    @property
    def certificate(self) -> x509.Certificate:
        return self.certificates[0]

    @property
    def certificate_der(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.DER)

    @classmethod
    def from_pem(cls, name: str, key_pem: bytes, cert_pem: bytes) -> "SigningKey":
        key = serialization.load_pem_private_key(key_pem, password=None)
        certs = tuple(x509.load_pem_x509_certificates(cert_pem))
        return cls(name=name, private_key=key, certificates=certs)
