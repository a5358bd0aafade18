"""Signature algorithms of the APK Signing Block schemes (apksig SignatureAlgorithm,
ContentDigestAlgorithm, ApkSigningBlockUtilsLite.getSignaturesToVerify).

Each algorithm id fixes the key type, the signature primitive, the content digest the signer
computed over the APK, and the first Android version that verifies it.
Ids: https://source.android.com/docs/security/features/apksigning/v2#signature-algorithm-ids
"""
from __future__ import annotations

from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, padding, rsa

# Content digest algorithms (apksig ContentDigestAlgorithm).
CHUNKED_SHA256 = "CHUNKED_SHA256"
CHUNKED_SHA512 = "CHUNKED_SHA512"
VERITY_CHUNKED_SHA256 = "VERITY_CHUNKED_SHA256"

# Preference among content digests when a platform picks one signature (apksig
# compareContentDigestAlgorithm): SHA-512 chunks > verity SHA-256 > SHA-256 chunks.
_DIGEST_RANK = {CHUNKED_SHA256: 0, VERITY_CHUNKED_SHA256: 1, CHUNKED_SHA512: 2}

SDK_M, SDK_N, SDK_P = 23, 24, 28
SDK_INITIAL, SDK_HONEYCOMB = 1, 11


@dataclass(frozen=True)
class SignatureAlgorithm:
    id: int
    name: str  # apksig enum name, used in issue messages
    digest: str  # content digest algorithm
    key_type: str  # RSA | EC | DSA
    hash_name: str  # sha256 | sha512
    pss: bool = False
    min_sdk: int = SDK_N  # first Android version verifying it in the APK Signing Block
    jca_min_sdk: int = SDK_INITIAL  # first Android version whose JCA has the primitive (lineage, stamp)

    def hash(self) -> hashes.HashAlgorithm:
        return hashes.SHA512() if self.hash_name == "sha512" else hashes.SHA256()


_ALL = (
    SignatureAlgorithm(0x0101, "RSA_PSS_WITH_SHA256", CHUNKED_SHA256, "RSA", "sha256", True, SDK_N, SDK_M),
    SignatureAlgorithm(0x0102, "RSA_PSS_WITH_SHA512", CHUNKED_SHA512, "RSA", "sha512", True, SDK_N, SDK_M),
    SignatureAlgorithm(0x0103, "RSA_PKCS1_V1_5_WITH_SHA256", CHUNKED_SHA256, "RSA", "sha256", False, SDK_N, SDK_INITIAL),
    SignatureAlgorithm(0x0104, "RSA_PKCS1_V1_5_WITH_SHA512", CHUNKED_SHA512, "RSA", "sha512", False, SDK_N, SDK_INITIAL),
    SignatureAlgorithm(0x0201, "ECDSA_WITH_SHA256", CHUNKED_SHA256, "EC", "sha256", False, SDK_N, SDK_HONEYCOMB),
    SignatureAlgorithm(0x0202, "ECDSA_WITH_SHA512", CHUNKED_SHA512, "EC", "sha512", False, SDK_N, SDK_HONEYCOMB),
    SignatureAlgorithm(0x0301, "DSA_WITH_SHA256", CHUNKED_SHA256, "DSA", "sha256", False, SDK_N, SDK_INITIAL),
    SignatureAlgorithm(0x0421, "VERITY_RSA_PKCS1_V1_5_WITH_SHA256", VERITY_CHUNKED_SHA256, "RSA", "sha256", False, SDK_P, SDK_INITIAL),
    SignatureAlgorithm(0x0423, "VERITY_ECDSA_WITH_SHA256", VERITY_CHUNKED_SHA256, "EC", "sha256", False, SDK_P, SDK_HONEYCOMB),
    SignatureAlgorithm(0x0425, "VERITY_DSA_WITH_SHA256", VERITY_CHUNKED_SHA256, "DSA", "sha256", False, SDK_P, SDK_INITIAL),
)
BY_ID = {alg.id: alg for alg in _ALL}

RSA_PKCS1_SHA256 = BY_ID[0x0103]
ECDSA_SHA256 = BY_ID[0x0201]
DSA_SHA256 = BY_ID[0x0301]


def find(alg_id: int) -> SignatureAlgorithm | None:
    return BY_ID.get(alg_id)


class NoSupportedSignatures(Exception):
    pass


class SignatureError(Exception):
    """The signature could not be checked at all (wrong key type, unparseable key...)."""


def compare(a: SignatureAlgorithm, b: SignatureAlgorithm) -> int:
    return _DIGEST_RANK[a.digest] - _DIGEST_RANK[b.digest]


def signatures_to_verify(signatures, min_sdk: int, max_sdk: int, jca_only: bool = False):
    """The signatures that some Android version in [min_sdk, max_sdk] verifies: for each minimum
    SDK among the offered algorithms, the strongest one (apksig getSignaturesToVerify).

    `signatures` is a sequence of (SignatureAlgorithm, signature bytes)."""
    best: dict[int, tuple[SignatureAlgorithm, bytes]] = {}
    min_provided = None
    for alg, sig in signatures:
        sdk = alg.jca_min_sdk if jca_only else alg.min_sdk
        if sdk > max_sdk:
            continue
        min_provided = sdk if min_provided is None else min(min_provided, sdk)
        current = best.get(sdk)
        if current is None or compare(alg, current[0]) > 0:
            best[sdk] = (alg, sig)
    if min_provided is None:
        raise NoSupportedSignatures("No supported signature")
    if min_sdk < min_provided:
        raise NoSupportedSignatures(f"Minimum provided signature version {min_provided} > minSdkVersion {min_sdk}")
    return sorted(best.values(), key=lambda pair: pair[0].id)


def load_public_key(alg: SignatureAlgorithm, spki_der: bytes):
    """The SubjectPublicKeyInfo as a key of the algorithm's type (Java KeyFactory.getInstance(type)
    .generatePublic): a key of another type is an error, like in apksig."""
    try:
        key = serialization.load_der_public_key(spki_der)
    except (ValueError, UnsupportedAlgorithm, TypeError) as exc:
        raise SignatureError(f"malformed public key: {exc}") from None
    expected = {"RSA": rsa.RSAPublicKey, "EC": ec.EllipticCurvePublicKey, "DSA": dsa.DSAPublicKey}[alg.key_type]
    if not isinstance(key, expected):
        raise SignatureError(f"{type(key).__name__} is not a {alg.key_type} key")
    return key


def verify(alg: SignatureAlgorithm, public_key, data: bytes, signature: bytes) -> bool:
    """True iff `signature` over `data` verifies; SignatureError if it cannot be checked."""
    try:
        if alg.key_type == "RSA":
            if alg.pss:
                pad = padding.PSS(mgf=padding.MGF1(alg.hash()), salt_length=alg.hash().digest_size)
            else:
                pad = padding.PKCS1v15()
            public_key.verify(signature, data, pad, alg.hash())
        elif alg.key_type == "EC":
            public_key.verify(signature, data, ec.ECDSA(alg.hash()))
        else:
            public_key.verify(signature, data, alg.hash())
    except InvalidSignature:
        return False
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise SignatureError(str(exc)) from None
    return True


def sign(alg: SignatureAlgorithm, private_key, data: bytes) -> bytes:
    """Sign like apksigner. ECDSA is deterministic (RFC 6979) so a recipe always gives the same
    bytes; RSA PKCS#1 v1.5 is deterministic by construction."""
    if alg.key_type == "RSA":
        if alg.pss:
            pad = padding.PSS(mgf=padding.MGF1(alg.hash()), salt_length=alg.hash().digest_size)
        else:
            pad = padding.PKCS1v15()
        return private_key.sign(data, pad, alg.hash())
    if alg.key_type == "EC":
        return private_key.sign(data, ec.ECDSA(alg.hash(), deterministic_signing=True))
    return private_key.sign(data, alg.hash())


def default_for_key(private_key, verity: bool = False) -> SignatureAlgorithm:
    """The algorithm apkscan's signer uses for a key: the SHA-256 variant every Android version
    with the scheme verifies (RSA PKCS#1 v1.5, ECDSA, DSA), or its verity variant."""
    if isinstance(private_key, rsa.RSAPrivateKey):
        return BY_ID[0x0421] if verity else RSA_PKCS1_SHA256
    if isinstance(private_key, ec.EllipticCurvePrivateKey):
        return BY_ID[0x0423] if verity else ECDSA_SHA256
    if isinstance(private_key, dsa.DSAPrivateKey):
        return BY_ID[0x0425] if verity else DSA_SHA256
    raise TypeError(f"unsupported signing key {type(private_key).__name__}")
