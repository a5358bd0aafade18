"""The digest and signature algorithms of a JAR signature's SignerInfo: their OIDs, which
(digest, signature) pairs each Android API level accepts (:data:`SUPPORTED_SIG_ALGS`, from apksig
V1SchemeVerifier), the JCA algorithm apksig picks for a pair, and verification that behaves like
``java.security.Signature`` (what returns false and what throws).
"""
from __future__ import annotations

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, padding, rsa

__all__ = [  # what apkscan.signing.pkcs7 re-exports
    "SignatureVerifyError", "OID_RSA_ENCRYPTION", "OID_DIGEST_MD5", "OID_DIGEST_SHA1", "OID_DIGEST_SHA224",
    "OID_DIGEST_SHA256", "OID_DIGEST_SHA384", "OID_DIGEST_SHA512", "OID_SIG_RSA", "OID_SIG_MD5_WITH_RSA",
    "OID_SIG_SHA1_WITH_RSA", "OID_SIG_SHA224_WITH_RSA", "OID_SIG_SHA256_WITH_RSA",
    "OID_SIG_SHA384_WITH_RSA", "OID_SIG_SHA512_WITH_RSA", "OID_SIG_DSA", "OID_SIG_SHA1_WITH_DSA",
    "OID_SIG_SHA224_WITH_DSA", "OID_SIG_SHA256_WITH_DSA", "OID_SIG_SHA384_WITH_DSA",
    "OID_SIG_SHA512_WITH_DSA", "OID_SIG_EC_PUBLIC_KEY", "OID_SIG_SHA1_WITH_ECDSA",
    "OID_SIG_SHA224_WITH_ECDSA", "OID_SIG_SHA256_WITH_ECDSA", "OID_SIG_SHA384_WITH_ECDSA",
    "OID_SIG_SHA512_WITH_ECDSA", "DIGEST_OID_TO_JCA", "JCA_DIGEST_TO_OID", "SIG_OID_TO_JCA", "OID_NAMES",
    "INF", "SUPPORTED_SIG_ALGS", "unsupported_api_levels", "jca_signature_algorithm", "check_key_type",
    "verify_signature"
]


class SignatureVerifyError(Exception):
    """Verification could not be carried out (Java SignatureException / InvalidKeyException):
    apksig reports JAR_SIG_VERIFY_EXCEPTION."""


OID_RSA_ENCRYPTION = "1.2.840.113549.1.1.1"

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
