"""APK Signature Scheme v4 (Android 11+, incremental install): a detached `.idsig` file that signs
the fs-verity Merkle tree root of the whole APK plus the APK's v2/v3 content digest
(apksig V4SchemeVerifier, V4Signature; https://source.android.com/docs/security/features/apksigning/v4).

.idsig, little endian:
  uint32 version (2; 3 is the same layout)
  length-prefixed hashing info: uint32 hash algorithm (1 = SHA-256), uint8 log2 block size (12),
      length-prefixed salt, length-prefixed raw root hash
  length-prefixed signing infos: signing info, then (v4.1) repeated (uint32 block id,
      length-prefixed signing info) for other signers, e.g. the v3.1 one
      signing info: length-prefixed apk digest, certificate, additional data, public key,
      uint32 signature algorithm id, length-prefixed signature
  optional length-prefixed Merkle tree (top level first)
The signature covers: uint32 size, uint64 file size, hashing info fields, apk digest, certificate,
additional data.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field

from apkscan.signing import algorithms
from apkscan.signing.block import V31_BLOCK_ID
from apkscan.signing.certs import CertificateFormatError, check_certificate, public_key_encodings
from apkscan.signing.digests import WholeFileVerity
from apkscan.signing.issues import make
from apkscan.signing.wire import FormatError, Reader, lp, u32

CURRENT_VERSION = 2
SUPPORTED_VERSIONS = (2, 3)
HASH_SHA256 = 1
LOG2_BLOCK_4096 = 12
MAX_IDSIG_SIZE = 64 * 1024 * 1024  # holds the Merkle tree of an 8 GB APK
# v4 binds to the strongest content digest of the v2/v3 signer (apksig pickBestDigestForV4)
V4_DIGEST_PREFERENCE = (algorithms.CHUNKED_SHA512, algorithms.VERITY_CHUNKED_SHA256, algorithms.CHUNKED_SHA256)


@dataclass(frozen=True)
class HashingInfo:
    hash_algorithm: int
    log2_block_size: int
    salt: bytes
    raw_root_hash: bytes

    def encode(self) -> bytes:
        return u32(self.hash_algorithm) + bytes([self.log2_block_size]) + lp(self.salt) + lp(self.raw_root_hash)


@dataclass(frozen=True)
class SigningInfo:
    apk_digest: bytes
    certificate: bytes
    additional_data: bytes
    public_key: bytes
    signature_algorithm_id: int
    signature: bytes

    def encode(self) -> bytes:
        return (lp(self.apk_digest) + lp(self.certificate) + lp(self.additional_data) + lp(self.public_key)
                + u32(self.signature_algorithm_id) + lp(self.signature))


@dataclass(frozen=True)
class V4Signature:
    version: int
    hashing: HashingInfo
    signing: SigningInfo
    extra_signing: tuple[tuple[int, SigningInfo], ...] = ()
    tree: bytes | None = None


def _signing_info(reader: Reader) -> SigningInfo:
    return SigningInfo(reader.lp_bytes(), reader.lp_bytes(), reader.lp_bytes(), reader.lp_bytes(),
                       reader.u32(), reader.lp_bytes())


def parse(data: bytes) -> V4Signature:
    reader = Reader(data)
    version = reader.u32()
    hashing_reader = Reader(reader.lp_bytes())
    hashing = HashingInfo(hashing_reader.u32(), hashing_reader.raw(1)[0], hashing_reader.lp_bytes(),
                          hashing_reader.lp_bytes())
    infos = Reader(reader.lp_bytes())
    signing = _signing_info(infos)
    extra = []
    while infos.has_remaining():
        block_id = infos.u32()
        extra.append((block_id, _signing_info(Reader(infos.lp_bytes()))))
    tree = reader.lp_bytes() if reader.has_remaining() else None
    return V4Signature(version, hashing, signing, tuple(extra), tree)


def signed_data(file_size: int, hashing: HashingInfo, signing: SigningInfo) -> bytes:
    body = (struct.pack("<QI", file_size, hashing.hash_algorithm) + bytes([hashing.log2_block_size])
            + lp(hashing.salt) + lp(hashing.raw_root_hash) + lp(signing.apk_digest) + lp(signing.certificate)
            + lp(signing.additional_data))
    return u32(4 + len(body)) + body


@dataclass
class V4Signer:
    cert: bytes | None = None
    apk_digest: bytes = b""
    block_id: int | None = None


@dataclass
class V4Check:
    """Verification of one .idsig against the APK streamed by the archive."""

    path: str
    consumer: WholeFileVerity = field(default_factory=WholeFileVerity)
    signers: list[V4Signer] = field(default_factory=list)
    verified: bool = False
    certs: list[bytes] = field(default_factory=list)

    def certificates_seen(self) -> list[bytes]:
        return list(self.certs)

    def finish(self, out, file_size: int) -> None:
        """Signature and Merkle root checks; errors go to `out.errors`."""
        errors_before = len(out.errors)
        try:
            with open(self.path, "rb") as handle:
                data = handle.read(MAX_IDSIG_SIZE + 1)
            if len(data) > MAX_IDSIG_SIZE:
                raise FormatError("larger than any v4 signature")
            sig = parse(data)
        except (OSError, FormatError):
            out.errors.append(make("V4_SIG_MALFORMED_SIGNERS", scheme="v4"))
            return
        if sig.version not in SUPPORTED_VERSIONS:
            out.errors.append(make("V4_SIG_MALFORMED_SIGNERS", scheme="v4"))
            return
        if sig.version != CURRENT_VERSION:
            out.warnings.append(make("V4_SIG_VERSION_NOT_CURRENT", sig.version, CURRENT_VERSION, scheme="v4"))
        if sig.hashing.hash_algorithm != HASH_SHA256 or sig.hashing.log2_block_size != LOG2_BLOCK_4096:
            out.errors.append(make("V4_SIG_MALFORMED_SIGNERS", scheme="v4"))
            return
        for block_id, info in ((None, sig.signing),) + tuple(sig.extra_signing):
            if block_id is not None and block_id != V31_BLOCK_ID:
                continue
            signer = self._verify_signing_info(info, sig.hashing, file_size, out)
            if signer is None:
                return
            signer.block_id = block_id
            self.signers.append(signer)
        if not self.consumer.finished or self.consumer.broken or self.consumer.pos != file_size:
            out.errors.append(make("VERIFICATION_INCOMPLETE", "the APK was not streamed for the v4 tree", scheme="v4"))
            return
        tree = self.consumer.tree
        tree.salt = sig.hashing.salt
        if tree.root() != sig.hashing.raw_root_hash:
            out.errors.append(make("V4_SIG_APK_ROOT_DID_NOT_VERIFY", scheme="v4"))
        elif sig.tree is not None and sig.tree != tree.serialized_tree():
            out.errors.append(make("V4_SIG_APK_TREE_DID_NOT_VERIFY", scheme="v4"))
        self.verified = len(out.errors) == errors_before

    def _verify_signing_info(self, info: SigningInfo, hashing: HashingInfo, file_size: int, out) -> V4Signer | None:
        alg = algorithms.find(info.signature_algorithm_id)
        if alg is None:
            out.errors.append(make("V4_SIG_UNKNOWN_SIG_ALGORITHM", info.signature_algorithm_id, scheme="v4"))
            return None
        try:
            key = algorithms.load_public_key(alg, info.public_key)
        except algorithms.SignatureError as exc:
            out.errors.append(make("V4_SIG_MALFORMED_PUBLIC_KEY", exc, scheme="v4"))
            return None
        try:
            ok = algorithms.verify(alg, key, signed_data(file_size, hashing, info), info.signature)
        except algorithms.SignatureError as exc:
            out.errors.append(make("V4_SIG_VERIFY_EXCEPTION", alg.name, exc, scheme="v4"))
            return None
        if not ok:
            out.errors.append(make("V4_SIG_DID_NOT_VERIFY", alg.name, scheme="v4"))
            return None
        try:
            check_certificate(info.certificate)
        except CertificateFormatError:
            out.errors.append(make("V4_SIG_MALFORMED_CERTIFICATE", scheme="v4"))
            return None
        self.certs.append(info.certificate)
        if info.public_key not in public_key_encodings(info.certificate):
            out.errors.append(make("V4_SIG_PUBLIC_KEY_MISMATCH_BETWEEN_CERTIFICATE_AND_SIGNATURES_RECORD",
                                   "certificate key", info.public_key.hex(), scheme="v4"))
            return None
        return V4Signer(cert=info.certificate, apk_digest=info.apk_digest)

    def cross_check(self, out) -> None:
        """The v4 signer must be the v3 (and v3.1) or v2 signer, and sign its content digest
        (apksig ApkVerifier: V4_SIG_V2_V3_SIGNERS_MISMATCH, V4_SIG_V2_V3_DIGESTS_MISMATCH)."""
        if not self.verified:
            return
        v3, v31, v2 = (out.verified_schemes.get(n) for n in ("v3", "v3.1", "v2"))
        if v3 is not None:
            expected = 2 if v31 is not None else 1
            if len(self.signers) != expected:
                out.errors.append(make("V41_SIG_NEEDS_TWO_SIGNERS" if v31 is not None else "V4_SIG_MULTIPLE_SIGNERS",
                                       scheme="v4"))
                return
            self._check_against(v3, self.signers[0], 3, out)
            if v31 is not None:
                self._check_against(v31, self.signers[1], 3, out)
        elif v2 is not None:
            if len(self.signers) != 1 or len(v2.signers) != 1:
                out.errors.append(make("V4_SIG_MULTIPLE_SIGNERS", scheme="v4"))
            self._check_against(v2, self.signers[0], 2, out)
        else:
            out.errors.append(make("V4_SIG_V2_V3_SIGNERS_MISMATCH", scheme="v4"))

    @staticmethod
    def _check_against(result, signer: V4Signer, version: int, out) -> None:
        block_signer = result.signers[0]
        if len(result.signers) != 1:
            out.errors.append(make("V4_SIG_MULTIPLE_SIGNERS", scheme="v4"))
        if block_signer.cert != signer.cert:
            out.errors.append(make("V4_SIG_V2_V3_SIGNERS_MISMATCH", scheme="v4"))
        digests = {}
        for alg_id, value in block_signer.digests:
            alg = algorithms.find(alg_id)
            if alg is not None:
                digests[alg.digest] = value
        best = next((digests[d] for d in V4_DIGEST_PREFERENCE if d in digests), b"")
        if best != signer.apk_digest:
            out.errors.append(make("V4_SIG_V2_V3_DIGESTS_MISMATCH", version, best.hex(), signer.apk_digest.hex(),
                                   scheme="v4"))


def build_idsig(apk: bytes, key, apk_digest: bytes, additional_data: bytes = b"") -> bytes:
    """A v4 signature for `apk` (signer side; `apk_digest` is the v2/v3 content digest)."""
    from cryptography.hazmat.primitives import serialization

    from apkscan.signing.digests import VerityTree

    tree = VerityTree(None)
    tree.update(apk)
    hashing = HashingInfo(HASH_SHA256, LOG2_BLOCK_4096, b"", tree.root())
    alg = algorithms.default_for_key(key.private_key)
    cert = key.certificate.public_bytes(serialization.Encoding.DER)
    spki = key.private_key.public_key().public_bytes(serialization.Encoding.DER,
                                                     serialization.PublicFormat.SubjectPublicKeyInfo)
    unsigned = SigningInfo(apk_digest, cert, additional_data, spki, alg.id, b"")
    sig = algorithms.sign(alg, key.private_key, signed_data(len(apk), hashing, unsigned))
    info = SigningInfo(apk_digest, cert, additional_data, spki, alg.id, sig)
    return u32(CURRENT_VERSION) + lp(hashing.encode()) + lp(info.encode()) + lp(tree.serialized_tree())
