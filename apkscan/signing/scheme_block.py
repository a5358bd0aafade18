"""What v2, v3 and v3.1 signer blocks have in common (apksig V2SchemeVerifier/V3SchemeVerifier
parseSigner, ApkSigningBlockUtils.verifyIntegrity): signatures over the signed data, the
certificate list, the content digest records, and the later check of those digests against the
digests actually computed over the APK.

Verification is two-phase so that the file is read once: `parse_*` runs before the streaming pass
and says which content digests are needed; `check_integrity` runs after it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterator

from apkscan.model import SigningIssue
from apkscan.signing import algorithms
from apkscan.signing.algorithms import VERITY_CHUNKED_SHA256
from apkscan.signing.certs import CertificateFormatError, check_certificate, public_key_encodings
from apkscan.signing.issues import make
from apkscan.signing.lineage import Lineage
from apkscan.signing.wire import FormatError, Reader

PAGE = 4096


@dataclass
class ParsedSigner:
    """One signer of a v2/v3/v3.1 block, as far as it could be parsed and verified."""

    index: int
    scheme: str
    min_sdk: int = 0  # v3/v3.1 only
    max_sdk: int = 0
    signatures: list[tuple[int, bytes]] = field(default_factory=list)
    certs: list[bytes] = field(default_factory=list)
    digests: list[tuple[int, bytes]] = field(default_factory=list)
    attributes: list[tuple[int, bytes]] = field(default_factory=list)
    verified_algorithms: list[algorithms.SignatureAlgorithm] = field(default_factory=list)
    lineage: Lineage | None = None
    errors: list[SigningIssue] = field(default_factory=list)
    warnings: list[SigningIssue] = field(default_factory=list)
    content_verified: dict[str, bytes] = field(default_factory=dict)  # digest alg -> verified digest

    def error(self, name: str, *params) -> None:
        self.errors.append(make(name, *params, scheme=self.scheme))

    def warning(self, name: str, *params) -> None:
        self.warnings.append(make(name, *params, scheme=self.scheme))

    @property
    def cert(self) -> bytes | None:
        return self.certs[0] if self.certs else None

    def attribute_ids(self) -> set[int]:
        return {ident for ident, _ in self.attributes}


@dataclass
class SchemeResult:
    """A whole block: its signers, block-level problems, and the digests it needs."""

    scheme: str  # v2 | v3 | v3.1
    signers: list[ParsedSigner] = field(default_factory=list)
    errors: list[SigningIssue] = field(default_factory=list)
    warnings: list[SigningIssue] = field(default_factory=list)
    digests_needed: set[str] = field(default_factory=set)
    verified: bool = False
    lineage: Lineage | None = None
    integrity_checked: bool = False

    def error(self, name: str, *params) -> None:
        self.errors.append(make(name, *params, scheme=self.scheme))

    def warning(self, name: str, *params) -> None:
        self.warnings.append(make(name, *params, scheme=self.scheme))

    def contains_errors(self) -> bool:
        return bool(self.errors) or any(s.errors for s in self.signers)

    def all_errors(self) -> list[SigningIssue]:
        return self.errors + [e for s in self.signers for e in s.errors]

    def all_warnings(self) -> list[SigningIssue]:
        return self.warnings + [w for s in self.signers for w in s.warnings]

    def certificates_seen(self) -> list[bytes]:
        seen = [c for s in self.signers for c in s.certs]
        for s in self.signers:
            if s.lineage is not None:
                seen += list(s.lineage.certificates())
        return seen


def prefix(scheme: str) -> str:
    return "V2" if scheme == "v2" else "V3"


class IdRecords:
    """The records of a length-prefixed sequence of length-prefixed (uint32 id, value) pairs, as
    (id, value); the value is read with `read_value` (Reader.lp_bytes for signatures and digests,
    Reader.rest for additional attributes). A broken record raises FormatError from the loop;
    `count` is then the 1-based number of the record being read, which apksig's messages name."""

    def __init__(self, reader: Reader, read_value: Callable[[Reader], bytes] = Reader.lp_bytes) -> None:
        self.reader = reader
        self.read_value = read_value
        self.count = 0

    def __iter__(self) -> Iterator[tuple[int, bytes]]:
        while self.reader.has_remaining():
            self.count += 1
            record = self.reader.lp_reader()
            yield record.u32(), self.read_value(record)


def signers_reader(result: SchemeResult, block_value: bytes) -> Reader | None:
    """The block's length-prefixed sequence of signers; None, with the error on `result`, when
    it is malformed or empty (apksig V2/V3SchemeVerifier.verify)."""
    p = prefix(result.scheme)
    try:
        signers = Reader(block_value).lp_reader()
    except FormatError:
        result.error(f"{p}_SIG_MALFORMED_SIGNERS")
        return None
    if not signers.has_remaining():
        result.error(f"{p}_SIG_NO_SIGNERS")
        return None
    return signers


def parse_next_signer(result: SchemeResult, signers: Reader,
                      parse_signer: Callable[[Reader, ParsedSigner], None]) -> bool:
    """Add the next signer of the block to `result` and parse it with `parse_signer`. False when
    its framing is broken (MALFORMED_SIGNER on it): apksig stops at that signer."""
    signer = ParsedSigner(index=len(result.signers), scheme=result.scheme)
    result.signers.append(signer)
    try:
        parse_signer(signers.lp_reader(), signer)
    except FormatError:
        signer.error(f"{prefix(result.scheme)}_SIG_MALFORMED_SIGNER")
        return False
    return True


def parse_signatures_and_verify(signer: ParsedSigner, signed_data: bytes, signatures_reader: Reader,
                                public_key: bytes, min_sdk: int, max_sdk: int, needed: set[str]) -> bool:
    """Parse the signatures record and verify the ones Android versions in [min_sdk, max_sdk]
    would check. Returns False (with an error on the signer) when parsing must stop."""
    p = prefix(signer.scheme)
    supported = []
    records = IdRecords(signatures_reader)
    try:
        for alg_id, sig in records:
            signer.signatures.append((alg_id, sig))
            alg = algorithms.find(alg_id)
            if alg is None:
                signer.warning(f"{p}_SIG_UNKNOWN_SIG_ALGORITHM", alg_id)
                continue
            supported.append((alg, sig))
    except FormatError:
        signer.error(f"{p}_SIG_MALFORMED_SIGNATURE", records.count)
        return False
    if not signer.signatures:
        signer.error(f"{p}_SIG_NO_SIGNATURES")
        return False
    try:
        to_verify = algorithms.signatures_to_verify(supported, min_sdk, max_sdk)
    except algorithms.NoSupportedSignatures as exc:
        if p == "V2":
            signer.error("V2_SIG_NO_SUPPORTED_SIGNATURES", exc)
        else:
            signer.error("V3_SIG_NO_SUPPORTED_SIGNATURES")
        return False
    for alg, sig in to_verify:
        try:
            key = algorithms.load_public_key(alg, public_key)
        except algorithms.SignatureError as exc:
            signer.error(f"{p}_SIG_MALFORMED_PUBLIC_KEY", exc)
            return False
        try:
            ok = algorithms.verify(alg, key, signed_data, sig)
        except algorithms.SignatureError as exc:
            signer.error(f"{p}_SIG_VERIFY_EXCEPTION", alg.name, exc)
            return False
        if not ok:
            signer.error(f"{p}_SIG_DID_NOT_VERIFY", alg.name)
            return False
        signer.verified_algorithms.append(alg)
        needed.add(alg.digest)
    return True


def parse_certificates(signer: ParsedSigner, certs_reader: Reader) -> bool:
    p = prefix(signer.scheme)
    index = -1
    while certs_reader.has_remaining():
        index += 1
        der = certs_reader.lp_bytes()  # FormatError propagates: malformed signer
        try:
            check_certificate(der)
        except CertificateFormatError as exc:
            signer.error(f"{p}_SIG_MALFORMED_CERTIFICATE", index, index + 1, exc)
            return False
        signer.certs.append(der)
    if not signer.certs:
        signer.error(f"{p}_SIG_NO_CERTIFICATES")
        return False
    return True


def check_public_key(signer: ParsedSigner, public_key: bytes) -> bool:
    """The signature record's key must be the certificate's key (else a signature by any key
    could be dressed up with somebody else's certificate)."""
    forms = public_key_encodings(signer.certs[0])
    if public_key in forms:
        return True
    cert_key = min(forms, key=len).hex() if forms else ""
    signer.error(f"{prefix(signer.scheme)}_SIG_PUBLIC_KEY_MISMATCH_BETWEEN_CERTIFICATE_AND_SIGNATURES_RECORD",
                 cert_key, public_key.hex())
    return False


def parse_digests(signer: ParsedSigner, digests_reader: Reader) -> bool:
    p = prefix(signer.scheme)
    records = IdRecords(digests_reader)
    try:
        signer.digests.extend(records)
    except FormatError:
        signer.error(f"{p}_SIG_MALFORMED_DIGEST", records.count)
        return False
    sig_ids = [a for a, _ in signer.signatures]
    digest_ids = [a for a, _ in signer.digests]
    if sig_ids != digest_ids:
        signer.error(f"{p}_SIG_SIG_ALG_MISMATCH_BETWEEN_SIGNATURES_AND_DIGESTS_RECORDS",
                     [hex(a) for a in sig_ids], [hex(a) for a in digest_ids])
        return False
    return True


def check_signed_records(signer: ParsedSigner, certs_reader: Reader, public_key: bytes,
                         digests_reader: Reader) -> bool:
    """The signed data's certificates, then the public key against the first of them, then the
    digest records, in apksig's order; False (error on the signer) at the first that fails."""
    return (parse_certificates(signer, certs_reader) and check_public_key(signer, public_key)
            and parse_digests(signer, digests_reader))


def check_integrity(result: SchemeResult, actual: dict[str, bytes], signing_block_offset: int,
                    cd_offset: int) -> None:
    """Compare each signer's content digests with those computed over the APK
    (apksig ApkSigningBlockUtils.verifyIntegrity)."""
    result.integrity_checked = True
    p = prefix(result.scheme)
    if VERITY_CHUNKED_SHA256 in result.digests_needed:
        # fs-verity needs the signed content page-aligned around the block (apksig rejects otherwise)
        if signing_block_offset % PAGE or (cd_offset - signing_block_offset) % PAGE:
            result.error(f"{p}_SIG_APK_DIGEST_DID_NOT_VERIFY", VERITY_CHUNKED_SHA256,
                         "APK Signing Block not page-aligned", "-")
            return
    for signer in result.signers:
        for alg_id, expected in signer.digests:
            alg = algorithms.find(alg_id)
            if alg is None or alg.digest not in result.digests_needed:
                continue
            got = actual.get(alg.digest)
            if got is None:
                signer.error("VERIFICATION_INCOMPLETE", f"{alg.digest} digest was not computed")
                continue
            if got != expected:
                signer.error(f"{p}_SIG_APK_DIGEST_DID_NOT_VERIFY", alg.digest, expected.hex(), got.hex())
                continue
            signer.content_verified[alg.digest] = got
