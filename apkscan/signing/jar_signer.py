"""JAR (APK Signature Scheme v1) signing for the APK factory, as AOSP apksig ``V1SchemeSigner`` does it.

Output: META-INF/MANIFEST.MF (a digest of every entry that must be covered), one .SF per signer (the
manifest's digest, each manifest section's digest, the X-Android-APK-Signed stripping protection) and
one signature block per signer (PKCS #7 SignedData over the .SF, no signed attributes, named
<SIGNER>.RSA / .DSA / .EC after the key type). All signers share one .SF, as with apksig.

Digest algorithms follow ``V1SchemeSigner.getSuggestedSignatureDigestAlgorithm``: RSA uses SHA-1 below
API 18 and SHA-256 from 18; DSA SHA-1 below 21; EC always SHA-256 and needs API 18. The entries'
digest algorithm is the strongest any signer uses. Without ``min_sdk`` the choice is the one that
verifies on every API level (SHA-1 for RSA/DSA). Output is deterministic for RSA and EC keys
(RFC 6979 ECDSA); DSA signatures are randomised.
"""
from __future__ import annotations

import hashlib

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, padding, rsa

from apkscan.signing import jar_manifest, pkcs7
from apkscan.signing.keys import SigningKey
from apkscan.signing.v1 import MANIFEST_ENTRY_NAME, MAX_APK_SIGNERS, SF_ATTRIBUTE_ANDROID_APK_SIGNED

_HASHLIB = {"SHA-1": "sha1", "SHA-256": "sha256"}
_STRENGTH = {"SHA-1": 1, "SHA-256": 2}


def safe_signer_name(name: str) -> str:
    """At most 8 characters of A-Z 0-9 - _ (others become _), upper-cased (apksig getSafeSignerName)."""
    if not name:
        raise ValueError("empty signer name")
    out = []
    for c in name.upper()[:8]:
        out.append(c if ("A" <= c <= "Z") or ("0" <= c <= "9") or c in "-_" else "_")
    return "".join(out)


def needs_digest(name: str) -> bool:
    """Whether a JAR entry must be listed in MANIFEST.MF (apksig V1SchemeSigner.isJarEntryDigestNeededInManifest):
    every file except directories and META-INF/'s own MANIFEST.MF, *.SF, *.RSA, *.DSA, *.EC, SIG-*
    (subdirectories of META-INF/ are covered)."""
    if name.endswith("/"):
        return False
    if not name.startswith("META-INF/"):
        return True
    rest = name[len("META-INF/") :]
    if "/" in rest:
        return True
    low = rest.lower()
    return not (low == "manifest.mf" or low.endswith((".sf", ".rsa", ".dsa", ".ec")) or low.startswith("sig-"))


def suggested_digest(public_key, min_sdk: int | None) -> str:
    if isinstance(public_key, rsa.RSAPublicKey):
        return "SHA-1" if min_sdk is None or min_sdk < 18 else "SHA-256"
    if isinstance(public_key, dsa.DSAPublicKey):
        return "SHA-1" if min_sdk is None or min_sdk < 21 else "SHA-256"
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        if min_sdk is not None and min_sdk < 18:
            raise ValueError("ECDSA signatures only supported for minSdkVersion 18 and higher")
        return "SHA-256"
    raise ValueError(f"unsupported key algorithm: {type(public_key).__name__}")


def _block_extension(public_key) -> str:
    if isinstance(public_key, rsa.RSAPublicKey):
        return "RSA"
    if isinstance(public_key, dsa.DSAPublicKey):
        return "DSA"
    return "EC"


def _check_entry_name(name: str) -> None:
    # CR and LF cannot be written in a manifest; NUL confuses C parsers (apksig checkEntryNameValid).
    for c in ("\r", "\n", "\0"):
        if c in name:
            raise ValueError(f"Unsupported character 0x{ord(c):02x} in ZIP entry name {name!r}")


def _attr_prefix(digest: str) -> str:
    return "SHA1" if digest == "SHA-1" else digest


def build_manifest(entries: list[tuple[str, bytes]], digest: str) -> tuple[bytes, dict[str, bytes]]:
    """(MANIFEST.MF bytes, entry name -> its individual section bytes). The main section is copied from
    an input META-INF/MANIFEST.MF when there is one, else it is just Manifest-Version: 1.0."""
    main_attrs: dict[str, str] = {}
    seen: set[str] = set()
    digests: dict[str, bytes] = {}
    for name, data in entries:
        if name in seen:
            raise ValueError(f"duplicate entry name {name!r}")
        seen.add(name)
        if name == MANIFEST_ENTRY_NAME:
            main, _ = jar_manifest.parse(data)
            for attr, value in main.attributes if main else ():
                main_attrs.setdefault(attr, value)
        elif needs_digest(name):
            _check_entry_name(name)
            digests[name] = hashlib.new(_HASHLIB[digest], data).digest()
    version = next((v for k, v in main_attrs.items() if k.lower() == "manifest-version"), "1.0")
    out = bytearray(jar_manifest.write_main_section(("Manifest-Version", version), main_attrs))
    sections: dict[str, bytes] = {}
    attr = _attr_prefix(digest) + "-Digest"
    for name in sorted(digests, key=jar_manifest.java_string_sort_key):
        section = jar_manifest.write_individual_section(name, {attr: jar_manifest.b64encode(digests[name])})
        sections[name] = section
        out += section
    return bytes(out), sections


def build_signature_file(manifest: bytes, sections: dict[str, bytes], digest: str,
                         scheme_ids: tuple[int, ...], created_by: str) -> bytes:
    main = {"Created-By": created_by,
            _attr_prefix(digest) + "-Digest-Manifest": jar_manifest.b64encode(hashlib.new(_HASHLIB[digest], manifest).digest())}
    if scheme_ids:
        main[SF_ATTRIBUTE_ANDROID_APK_SIGNED] = ", ".join(str(i) for i in scheme_ids)
    out = bytearray(jar_manifest.write_main_section(("Signature-Version", "1.0"), main))
    attr = _attr_prefix(digest) + "-Digest"
    for name, section in sections.items():
        value = jar_manifest.b64encode(hashlib.new(_HASHLIB[digest], section).digest())
        out += jar_manifest.write_individual_section(name, {attr: value})
    # Android up to 1.6 threw on a .SF whose length is a multiple of 1024 bytes: add a blank line.
    if out and len(out) % 1024 == 0:
        out += jar_manifest.CRLF
    return bytes(out)


def _sign(private_key, jca: str, data: bytes) -> bytes:
    from cryptography.hazmat.primitives import hashes

    h = {"SHA1": hashes.SHA1, "SHA256": hashes.SHA256}[jca.partition("with")[0]]()
    if isinstance(private_key, rsa.RSAPrivateKey):
        return private_key.sign(data, padding.PKCS1v15(), h)
    if isinstance(private_key, ec.EllipticCurvePrivateKey):
        try:
            return private_key.sign(data, ec.ECDSA(h, deterministic_signing=True))
        except Exception:  # an OpenSSL without RFC 6979 support
            return private_key.sign(data, ec.ECDSA(h))
    if isinstance(private_key, dsa.DSAPrivateKey):
        return private_key.sign(data, h)
    raise ValueError(f"unsupported private key {type(private_key).__name__}")


def sign_signature_file(key: SigningKey, sf: bytes, digest: str) -> bytes:
    """The PKCS #7 signature block of one signer over the .SF."""
    public_key = key.certificate.public_key()
    jca, digest_oid, sig_oid = pkcs7.signer_info_algorithms(public_key, digest)
    signature = _sign(key.private_key, jca, sf)
    if not pkcs7.verify_signature(public_key, jca, sf, signature):  # the key must match the certificate
        raise ValueError(f"signer {key.name}: private key does not match its certificate")
    chain = [c.public_bytes(serialization.Encoding.DER) for c in key.certificates]
    return pkcs7.build_signed_data(signature, chain, digest_oid, sig_oid)


def sign_v1(
    entries: list[tuple[str, bytes]],
    keys: list[SigningKey],
    apk_signed_scheme_ids=(2, 3),
    created_by: str = "apkscan",
    min_sdk: int | None = None,
) -> list[tuple[str, bytes]]:
    """Sign the APK made of ``entries`` (name, uncompressed data) with JAR signing; return the files
    to add: META-INF/MANIFEST.MF, then META-INF/<SIGNER>.SF and its block for each key. An input
    META-INF/MANIFEST.MF donates its main attributes; other signature files in ``entries`` are not
    covered (the caller must drop them). ``apk_signed_scheme_ids`` are the APK Signature Scheme
    versions the APK will also carry (X-Android-APK-Signed), ``()`` for a v1-only APK."""
    if not keys:
        raise ValueError("at least one signing key is required")
    if len(keys) > MAX_APK_SIGNERS:
        raise ValueError(f"APK Signature Scheme v1 only supports a maximum of {MAX_APK_SIGNERS} signers, {len(keys)} given")
    names = [safe_signer_name(k.name) for k in keys]
    if len(set(names)) != len(names):
        raise ValueError(f"signer names collide once made safe: {names}")
    digests = [suggested_digest(k.certificate.public_key(), min_sdk) for k in keys]
    content_digest = max(digests, key=_STRENGTH.__getitem__)
    manifest, sections = build_manifest(entries, content_digest)
    sf = build_signature_file(manifest, sections, content_digest, tuple(int(i) for i in apk_signed_scheme_ids), created_by)
    out: list[tuple[str, bytes]] = [(MANIFEST_ENTRY_NAME, manifest)]
    for key, name, digest in zip(keys, names, digests, strict=True):
        block = sign_signature_file(key, sf, digest)
        out.append((f"META-INF/{name}.SF", sf))
        out.append((f"META-INF/{name}.{_block_extension(key.certificate.public_key())}", block))
    return out
