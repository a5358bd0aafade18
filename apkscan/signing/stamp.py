"""Source stamp (Play's provenance stamp, Android 11+): a second, independent key signs the content
digests of each signature scheme. It never decides whether an APK verifies: every problem is a
warning (apksig V2SourceStampVerifier / SourceStampVerifier).

The APK carries `stamp-cert-sha256` (SHA-256 of the stamp certificate) and the APK Signing Block
pair 0x6dff800d:
  length-prefixed stamp block:
    length-prefixed certificate
    length-prefixed sequence of (uint32 scheme id, length-prefixed signatures) over that scheme's
      digests, encoded as a sequence of (uint32 content digest id, length-prefixed digest)
    optional: length-prefixed attributes, length-prefixed signatures over them
"""
from __future__ import annotations

import hashlib
import struct

from cryptography import x509

from apkscan.model import SigningIssue
from apkscan.signing import algorithms, lineage as lineage_mod
from apkscan.signing.issues import make
from apkscan.signing.scheme_block import IdRecords
from apkscan.signing.wire import FormatError, Reader, id_value, lp

STAMP_ENTRY = "stamp-cert-sha256"
PROOF_OF_ROTATION_ATTR_ID = 0x9D6303F7
STAMP_TIME_ATTR_ID = 0xE43C5946
SDK_R = 30
CONTENT_DIGEST_IDS = {algorithms.CHUNKED_SHA256: 1, algorithms.CHUNKED_SHA512: 2, algorithms.VERITY_CHUNKED_SHA256: 3}


class _Stop(Exception):
    pass


class StampCheck:
    """Created before the passes (only when the APK has a stamp entry or block)."""

    def __init__(self, archive, entry, block_value: bytes | None, min_sdk: int, max_sdk: int) -> None:
        self.archive = archive
        self.entry = entry
        self.block_value = block_value
        self.min_sdk = max(min_sdk, SDK_R)
        self.max_sdk = max_sdk
        self.certs: list[bytes] = []
        self.verified = False
        self.timestamp: int | None = None

    def digests_needed(self) -> set[str]:
        return set()  # the stamp signs the digests the scheme blocks declare, not recomputed ones

    def certificates_seen(self) -> list[bytes]:
        return list(self.certs)

    def finish(self, outcome) -> list[SigningIssue]:
        """Warnings only. `outcome.verified_schemes` holds the schemes that were verified."""
        warnings: list[SigningIssue] = []
        if self.entry is None:
            return warnings  # apksig only checks a stamp whose certificate digest entry exists
        if self.block_value is None:
            return [make("SOURCE_STAMP_SIG_MISSING", scheme="stamp")]
        try:
            expected_cert_digest = self.archive.read(self.entry, max_size=1024)
        except Exception as exc:  # noqa: BLE001 - unreadable entry: the stamp cannot be checked
            return [make("SOURCE_STAMP_MALFORMED_SIGNATURE", f"stamp entry unreadable: {exc}", scheme="stamp")]
        try:
            self._verify(expected_cert_digest, self._scheme_digests(outcome), warnings)
        except _Stop:
            pass
        except FormatError:
            warnings.append(make("SOURCE_STAMP_MALFORMED_SIGNATURE", scheme="stamp"))
        self.verified = not warnings
        return warnings

    def _scheme_digests(self, outcome) -> dict[int, bytes]:
        """What the stamp signed for each scheme verified: the declared content digests."""
        out: dict[int, bytes] = {}
        scheme_ids = {"v2": 2, "v3": 3, "v3.1": 31}
        for name, result in outcome.verified_schemes.items():
            digests: dict[int, bytes] = {}
            for signer in result.signers:
                for alg_id, value in signer.digests:
                    alg = algorithms.find(alg_id)
                    if alg is not None:
                        digests[CONTENT_DIGEST_IDS[alg.digest]] = value
            out[scheme_ids[name]] = _encode_digests(digests)
        if outcome.v1_result is not None:
            digests = {}
            entry = self.archive.entry("META-INF/MANIFEST.MF")
            if entry is not None:
                try:  # ContentDigestAlgorithm.SHA256 (id 4): a plain SHA-256 of MANIFEST.MF
                    digests[4] = hashlib.sha256(self.archive.read(entry)).digest()
                except Exception:  # noqa: BLE001
                    pass
            out[1] = _encode_digests(digests)
        return out

    def _verify(self, expected_cert_digest: bytes, scheme_digests: dict[int, bytes], warnings: list) -> None:
        data = Reader(Reader(self.block_value).lp_bytes())
        cert_der = data.lp_bytes()
        try:
            cert = x509.load_der_x509_certificate(cert_der)
        except ValueError as exc:
            warnings.append(make("SOURCE_STAMP_MALFORMED_CERTIFICATE", exc, scheme="stamp"))
            raise _Stop from None
        self.certs.append(cert_der)
        actual = hashlib.sha256(cert_der).digest()
        if actual != expected_cert_digest:
            warnings.append(make("SOURCE_STAMP_CERTIFICATE_MISMATCH_BETWEEN_SIGNATURE_BLOCK_AND_APK",
                                 actual.hex(), expected_cert_digest.hex(), scheme="stamp"))
            raise _Stop
        signed_schemes = dict(IdRecords(data.lp_reader()))  # a broken record: MALFORMED_SIGNATURE
        for scheme_id, digest_bytes in scheme_digests.items():
            if scheme_id not in signed_schemes:
                warnings.append(make("SOURCE_STAMP_NO_SIGNATURE", scheme="stamp"))
                raise _Stop
            self._check_signatures(cert, digest_bytes, signed_schemes[scheme_id], warnings)
        if data.has_remaining():
            attributes_bytes = data.lp_bytes()
            self._check_signatures(cert, attributes_bytes, data.lp_bytes(), warnings)
            self._parse_attributes(cert_der, Reader(attributes_bytes).lp_reader(), warnings)

    def _check_signatures(self, cert, data: bytes, signatures: bytes, warnings: list) -> None:
        supported = []
        records = IdRecords(Reader(signatures))
        try:
            for alg_id, sig in records:
                alg = algorithms.find(alg_id)
                if alg is None:
                    warnings.append(make("SOURCE_STAMP_UNKNOWN_SIG_ALGORITHM", alg_id, scheme="stamp"))
                    continue
                supported.append((alg, sig))
        except FormatError:
            warnings.append(make("SOURCE_STAMP_MALFORMED_SIGNATURE", records.count, scheme="stamp"))
            raise _Stop from None
        if not supported:
            warnings.append(make("SOURCE_STAMP_NO_SIGNATURE", scheme="stamp"))
            raise _Stop
        try:
            to_verify = algorithms.signatures_to_verify(supported, self.min_sdk, self.max_sdk, jca_only=True)
        except algorithms.NoSupportedSignatures as exc:
            warnings.append(make("SOURCE_STAMP_NO_SUPPORTED_SIGNATURE", ", ".join(a.name for a, _ in supported),
                                 exc, scheme="stamp"))
            raise _Stop from None
        for alg, sig in to_verify:
            try:
                ok = algorithms.verify(alg, cert.public_key(), data, sig)
            except Exception as exc:  # noqa: BLE001 - wrong key type etc.
                warnings.append(make("SOURCE_STAMP_VERIFY_EXCEPTION", alg.name, exc, scheme="stamp"))
                raise _Stop from None
            if not ok:
                warnings.append(make("SOURCE_STAMP_DID_NOT_VERIFY", alg.name, scheme="stamp"))
                raise _Stop

    def _parse_attributes(self, cert_der: bytes, attributes: Reader, warnings: list) -> None:
        records = IdRecords(attributes, Reader.rest)
        try:
            for ident, value in records:
                if ident == PROOF_OF_ROTATION_ATTR_ID:
                    self._read_lineage(cert_der, value, warnings)
                elif ident == STAMP_TIME_ATTR_ID:
                    if len(value) < 8:
                        raise FormatError("short timestamp")
                    timestamp = struct.unpack_from("<q", value)[0]
                    if timestamp > 0:
                        self.timestamp = timestamp
                    else:
                        warnings.append(make("SOURCE_STAMP_INVALID_TIMESTAMP", timestamp, scheme="stamp"))
                else:
                    warnings.append(make("SOURCE_STAMP_UNKNOWN_ATTRIBUTE", ident, scheme="stamp"))
        except FormatError:
            warnings.append(make("SOURCE_STAMP_MALFORMED_ATTRIBUTE", records.count, scheme="stamp"))

    def _read_lineage(self, cert_der: bytes, value: bytes, warnings: list) -> None:
        try:
            parsed = lineage_mod.parse(value)
        except lineage_mod.LineageSignatureError:
            warnings.append(make("SOURCE_STAMP_POR_DID_NOT_VERIFY", scheme="stamp"))
            return
        except lineage_mod.LineageVersionError:
            warnings.append(make("SOURCE_STAMP_POR_CERT_MISMATCH", scheme="stamp"))
            return
        except lineage_mod.LineageFormatError:
            warnings.append(make("SOURCE_STAMP_MALFORMED_LINEAGE", scheme="stamp"))
            return
        self.certs += [c for c in parsed.certificates() if c not in self.certs]
        if parsed.nodes[-1].cert_der != cert_der:
            warnings.append(make("SOURCE_STAMP_POR_CERT_MISMATCH", scheme="stamp"))


def _encode_digests(digests: dict[int, bytes]) -> bytes:
    """apksig encodeAsSequenceOfLengthPrefixedPairsOfIntAndLengthPrefixedBytes, sorted by id."""
    return b"".join(id_value(ident, lp(value)) for ident, value in sorted(digests.items()))
