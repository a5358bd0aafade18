"""JAR (v1) signing test kit: throwaway keys, small app entries, sign_v1 into an APK and verify it
back (test_signing_v1_sign, test_signing_v1_sf)."""
from __future__ import annotations

import datetime
import zipfile

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, rsa
from cryptography.x509.oid import NameOID

from apkscan.archive import open_archive
from apkscan.signing.jar_signer import sign_v1
from apkscan.signing.keys import SigningKey
from apkscan.signing.v1 import V1Result, V1Verifier

MAX_SDK = 2**31 - 1
GENUINE_DEX = b"dex\n035\x00" + bytes(range(256)) * 40
FAKE_DEX = b"dex\n035\x00" + b"steal-otp-and-bank-credentials" * 300


def make_key(name: str, kind: str = "rsa", *, subject: str | None = None, serial: int = 0x1234,
             issuer: str | None = None) -> SigningKey:
    if kind == "rsa":
        private = rsa.generate_private_key(65537, 2048)
    elif kind == "ec":
        private = ec.generate_private_key(ec.SECP256R1())
    else:
        private = dsa.generate_private_key(1024)
    subj = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject or name)])
    iss = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]) if issuer else subj
    cert = (
        x509.CertificateBuilder().subject_name(subj).issuer_name(iss).public_key(private.public_key())
        .serial_number(serial).not_valid_before(datetime.datetime(2020, 1, 1))
        .not_valid_after(datetime.datetime(2050, 1, 1)).sign(private, hashes.SHA256())
    )
    return SigningKey(name, private, (cert,))


def cert_sha256(key: SigningKey) -> str:
    import hashlib

    return hashlib.sha256(key.certificate_der).hexdigest()


def app_entries(dex: bytes = GENUINE_DEX) -> list[tuple[str, bytes]]:
    return [
        ("AndroidManifest.xml", b"\x03\x00\x08\x00" + b"\x00" * 60),
        ("classes.dex", dex),
        ("res/drawable/icon.png", b"\x89PNG\r\n\x1a\n" + b"\x11" * 200),
        ("resources.arsc", b"\x02\x00\x0c\x00" + b"\x22" * 100),
    ]


def write_apk(path, files: list[tuple[str, bytes]]) -> str:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files:
            z.writestr(name, data)
    return str(path)


def verify(path, min_sdk: int = 14, max_sdk: int = MAX_SDK, **kw) -> V1Result:
    with open_archive(path) as arc:
        verifier = V1Verifier(arc, min_sdk, max_sdk, **kw)
        arc.for_each_entry([verifier])
        return verifier.finish()


def names(result: V1Result) -> list[str]:
    return [i.name for i in result.issues]


def signed_apk(tmp_path, keys, entries=None, filename="app.apk", **kw) -> tuple[str, list[tuple[str, bytes]]]:
    entries = entries or app_entries()
    meta = sign_v1(entries, keys, **kw)
    return write_apk(tmp_path / filename, entries + meta), meta


def genuine_key() -> SigningKey:
    return make_key("vneid", subject="Bo Cong an VNeID")


def attacker_key() -> SigningKey:
    return make_key("cert")
