"""Proof-of-rotation: the SigningCertificateLineage carried by v3/v3.1 signers (attribute
0x3ba06f8c) and by source stamps. Each certificate is signed by its predecessor, so a new key
can prove it inherits an old key's identity.

Format (apksig V3SigningCertificateLineage), little endian:
  uint32 version (= 1)
  repeated length-prefixed node:
    length-prefixed signed data: (length-prefixed certificate DER, uint32 parent's signature algorithm id)
    uint32 flags (capabilities granted to this certificate by its successors)
    uint32 signature algorithm id this node uses to sign the next node
    length-prefixed signature over the signed data, by the previous node's key (empty for node 0)
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization

from apkscan.signing import algorithms
from apkscan.signing.certs import CertificateFormatError, check_certificate, signer_from_der
from apkscan.signing.wire import FormatError, Reader, lp, u32

VERSION = 1
MAX_NODES = 128  # apkscan bound: each node costs a signature check; real lineages have a few

# Capability flags (apksig SigningCertificateLineage.SignerCapabilities).
PAST_CERT_INSTALLED_DATA = 1
PAST_CERT_SHARED_USER_ID = 2
PAST_CERT_PERMISSION = 4
PAST_CERT_ROLLBACK = 8
PAST_CERT_AUTH = 16
DEFAULT_FLAGS = PAST_CERT_INSTALLED_DATA | PAST_CERT_SHARED_USER_ID | PAST_CERT_PERMISSION | PAST_CERT_AUTH
_FLAG_NAMES = ((PAST_CERT_INSTALLED_DATA, "installed_data"), (PAST_CERT_SHARED_USER_ID, "shared_uid"),
               (PAST_CERT_PERMISSION, "permission"), (PAST_CERT_ROLLBACK, "rollback"), (PAST_CERT_AUTH, "auth"))


class LineageFormatError(ValueError):
    """Unparseable structure (apksig: V3_SIG_MALFORMED_LINEAGE)."""


class LineageSignatureError(ValueError):
    """A node's signature by its predecessor does not verify (apksig: V3_SIG_POR_DID_NOT_VERIFY)."""


class LineageVersionError(ValueError):
    """Unknown format version (apksig reports it as V3_SIG_POR_CERT_MISMATCH)."""


@dataclass(frozen=True)
class LineageNode:
    cert_der: bytes
    parent_sig_alg_id: int
    sig_alg_id: int
    signature: bytes
    flags: int

    @property
    def cert_sha256(self) -> str:
        return hashlib.sha256(self.cert_der).hexdigest()


@dataclass(frozen=True)
class Lineage:
    nodes: tuple[LineageNode, ...]

    def __len__(self) -> int:
        return len(self.nodes)

    def certificates(self) -> tuple[bytes, ...]:
        return tuple(n.cert_der for n in self.nodes)

    def index_of(self, cert_der: bytes) -> int:
        for i, node in enumerate(self.nodes):
            if node.cert_der == cert_der:
                return i
        raise KeyError("certificate not in lineage")

    def sub_lineage(self, cert_der: bytes) -> Lineage:
        """The lineage up to and including `cert_der` (apksig getSubLineage); KeyError if absent."""
        return Lineage(self.nodes[: self.index_of(cert_der) + 1])

    def is_prefix_of(self, other: Lineage) -> bool:
        return len(self) <= len(other) and self.certificates() == other.certificates()[: len(self)]

    def report(self) -> tuple[dict, ...]:
        """Oldest first, as model.SigningResult.lineage."""
        out = []
        for node in self.nodes:
            signer = signer_from_der(node.cert_der)
            out.append({
                "cert_sha256": signer.cert_sha256,
                "subject": signer.subject,
                "flags": node.flags,
                "capabilities": [name for bit, name in _FLAG_NAMES if node.flags & bit],
            })
        return tuple(out)


def parse(value: bytes) -> Lineage:
    """Parse and verify a lineage: each node after the first must be signed by its predecessor
    with the algorithm the predecessor names, over (certificate, that algorithm id)."""
    if not value:
        raise LineageFormatError("empty lineage")
    reader = Reader(value)
    nodes: list[LineageNode] = []
    try:
        version = reader.u32()
        if version != VERSION:
            raise LineageVersionError(f"unknown lineage version {version}")
        prev: LineageNode | None = None
        while reader.has_remaining():
            if len(nodes) >= MAX_NODES:
                raise LineageFormatError(f"more than {MAX_NODES} certificates")
            node_reader = reader.lp_reader()
            signed_data = node_reader.lp_bytes()
            flags = node_reader.u32()
            sig_alg_id = node_reader.u32()
            signature = node_reader.lp_bytes()
            signed = Reader(signed_data)
            cert_der = signed.lp_bytes()
            parent_alg_id = signed.u32()
            if prev is not None:
                _verify_node(prev, signed_data, parent_alg_id, signature, len(nodes) + 1)
            try:
                check_certificate(cert_der)
            except CertificateFormatError as exc:
                raise LineageSignatureError(f"certificate #{len(nodes) + 1} does not decode: {exc}") from None
            node = LineageNode(cert_der, parent_alg_id, sig_alg_id, signature, flags)
            nodes.append(node)
            prev = node
    except FormatError as exc:
        raise LineageFormatError(str(exc)) from None
    if not nodes:
        raise LineageFormatError("lineage has no certificate")
    return Lineage(tuple(nodes))


def _verify_node(prev: LineageNode, signed_data: bytes, parent_alg_id: int, signature: bytes, number: int) -> None:
    alg = algorithms.find(prev.sig_alg_id)
    if alg is None:
        raise LineageFormatError(f"unknown signature algorithm {prev.sig_alg_id:#x} for certificate #{number}")
    try:
        from cryptography import x509

        key = x509.load_der_x509_certificate(prev.cert_der).public_key()
        ok = algorithms.verify(alg, key, signed_data, signature)
    except Exception as exc:  # key of another type, undecodable key: the proof does not hold
        raise LineageSignatureError(f"certificate #{number}: {exc}") from None
    if not ok:
        raise LineageSignatureError(f"signature of certificate #{number} by its predecessor does not verify")
    if parent_alg_id != prev.sig_alg_id:
        raise LineageSignatureError(f"signature algorithm id mismatch for certificate #{number}")


def encode(lineage: Lineage) -> bytes:
    body = b""
    for node in lineage.nodes:
        signed = lp(lp(node.cert_der) + u32(node.parent_sig_alg_id))
        body += lp(signed + u32(node.flags) + u32(node.sig_alg_id) + lp(node.signature))
    return u32(VERSION) + body


def consolidate(lineages) -> Lineage | None:
    """The longest lineage, provided every other one is a prefix of it (apksig
    consolidateLineages); ValueError if they diverge."""
    lineages = [x for x in lineages if x is not None]
    if not lineages:
        return None
    longest = max(lineages, key=len)
    for other in lineages:
        if not other.is_prefix_of(longest):
            raise ValueError("lineages diverge")
    return longest


def build(keys, flags: int = DEFAULT_FLAGS) -> Lineage:
    """A proof-of-rotation from old to new: `keys` are apkscan.signing.keys.SigningKey, oldest
    first; each key signs its successor's certificate (apksig SigningCertificateLineage)."""
    if not keys:
        raise ValueError("a lineage needs at least one key")
    nodes: list[LineageNode] = []
    for i, key in enumerate(keys):
        cert_der = key.certificate.public_bytes(serialization.Encoding.DER)
        parent_alg = algorithms.default_for_key(keys[i - 1].private_key) if i else None
        own_alg = algorithms.default_for_key(key.private_key) if i + 1 < len(keys) else None
        signature = b""
        if parent_alg is not None:
            signed = lp(cert_der) + u32(parent_alg.id)
            signature = algorithms.sign(parent_alg, keys[i - 1].private_key, signed)
        nodes.append(LineageNode(cert_der, parent_alg.id if parent_alg else 0,
                                 own_alg.id if own_alg else 0, signature, flags))
    return Lineage(tuple(nodes))
