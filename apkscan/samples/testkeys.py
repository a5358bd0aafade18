"""The factory's TEST signing keys (samples_meta/keys/TEST-ONLY-*.pem).

Each file holds a private key and its self-signed certificate, both PEM. They are public on
purpose: they stand in for keys nobody here has (the genuine VNeID key) or play the fraudsters'
keys. Nothing signed with them proves anything outside this project's tests.

``python -m apkscan.samples.testkeys NAME rsa|ec`` creates a new one (run once, then commit).
"""
from __future__ import annotations

import datetime
import functools
import re
import sys
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from apkscan.datafiles import samples_meta_dir
from apkscan.signing.keys import SigningKey

_PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z ]+)-----.+?-----END \1-----\s*", re.DOTALL)
_NAME = re.compile(r"^TEST-ONLY-[a-z0-9-]+$")


def keys_dir() -> Path:
    return samples_meta_dir() / "keys"


@functools.cache
def load_test_key(name: str) -> SigningKey:
    if not _NAME.match(name):
        raise ValueError(f"test key names look like TEST-ONLY-<words>, got {name!r}")
    data = (keys_dir() / f"{name}.pem").read_bytes()
    key_pem = b"".join(m.group(0) for m in _PEM_BLOCK.finditer(data) if m.group(1).endswith(b"PRIVATE KEY"))
    cert_pem = b"".join(m.group(0) for m in _PEM_BLOCK.finditer(data) if m.group(1) == b"CERTIFICATE")
    if not key_pem or not cert_pem:
        raise ValueError(f"{name}.pem must hold a private key and a certificate")
    return SigningKey.from_pem(name, key_pem, cert_pem)


def generate_test_key(name: str, algorithm: str) -> bytes:
    """-> PEM text (private key + certificate) for a new self-signed test key."""
    if not _NAME.match(name):
        raise ValueError(name)
    if algorithm == "rsa":
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    elif algorithm == "ec":
        key = ec.generate_private_key(ec.SECP256R1())
    else:
        raise ValueError("algorithm is rsa or ec")
    subject = x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, name),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "TEST KEY - apkscan sample factory - not a real signer"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "apkscan test fixtures"),
        x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
    ])
    start = datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(start)
            .not_valid_after(start + datetime.timedelta(days=365 * 50))
            .sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    header = (f"# {name}: apkscan TEST key ({algorithm.upper()}), public on purpose.\n"
              "# It signs the factory's sample APKs only; it proves nothing about any real app.\n").encode()
    return header + key_pem + cert.public_bytes(serialization.Encoding.PEM)


if __name__ == "__main__":  # pragma: no cover - one-off tool
    n, algo = sys.argv[1], sys.argv[2]
    target = keys_dir() / f"{n}.pem"
    if target.exists():
        sys.exit(f"{target} exists; test keys are never regenerated (that would change every sample)")
    target.write_bytes(generate_test_key(n, algo))
    print(target)
