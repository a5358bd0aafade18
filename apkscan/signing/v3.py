"""APK Signature Scheme v3 (Android 9+) and v3.1 (Android 13+, SDK-targeted key rotation):
verifier and signer. (apksig V3SchemeVerifier / V3SchemeSigner;
https://source.android.com/docs/security/features/apksigning/v3)

A v3 signer adds to v2 an SDK range [min, max] (in the signer block and again in the signed
data) and may carry a proof-of-rotation lineage. v3.1 is the same format under another block id:
it holds the rotated signer for SDK >= its rotation-min-sdk while the v3 block keeps the original
signer for older platforms, and the v3 signer names that SDK in an attribute so that stripping the
v3.1 block is detected.
"""
from __future__ import annotations

from apkscan.signing import algorithms, lineage as lineage_mod
from apkscan.signing.scheme_block import (IdRecords, ParsedSigner, SchemeResult, check_signed_records,
                                          parse_next_signer, parse_signatures_and_verify, signers_reader)
from apkscan.signing.wire import FormatError, Reader, id_value, lp, lp_reader_and_bytes, lp_seq, u32

PROOF_OF_ROTATION_ATTR_ID = 0x3BA06F8C
ROTATION_MIN_SDK_VERSION_ATTR_ID = 0x559F8B02
ROTATION_ON_DEV_RELEASE_ATTR_ID = 0xC2A6B3BA
MIN_SDK_WITH_V3_SUPPORT = 28
MIN_SDK_WITH_V31_SUPPORT = 33
INT_MAX = 0x7FFFFFFF
# apkscan bound (Android has none): one signer per SDK range, so real blocks have a handful;
# each signer costs a public-key verification, so thousands of them would be a denial of service.
MAX_SIGNERS = 64


def parse(block_value: bytes, scheme: str, min_sdk: int, max_sdk: int,
          rotation_min_sdk: int | None = None) -> SchemeResult:
    """Parse a v3 (scheme="v3") or v3.1 (scheme="v3.1") block, verify each signer's signatures
    and lineage. `rotation_min_sdk` is the v3.1 block's lowest signer SDK, when verifying v3
    after a v3.1 block was found."""
    result = SchemeResult(scheme)
    signers = signers_reader(result, block_value)
    if signers is None:
        return result
    while signers.has_remaining():
        if len(result.signers) >= MAX_SIGNERS:
            result.error("APK_SIG_BLOCK_TOO_LARGE", f"more than {MAX_SIGNERS} {scheme} signers")
            return result
        if not parse_next_signer(result, signers, lambda reader, signer: _parse_signer(
                reader, signer, result, max_sdk, rotation_min_sdk)):
            return result
    return result


def _parse_signer(reader: Reader, signer: ParsedSigner, result: SchemeResult, max_sdk: int,
                  rotation_min_sdk: int | None) -> None:
    signed_reader, signed_data = lp_reader_and_bytes(reader)
    signer.min_sdk = reader.i32()
    signer.max_sdk = reader.i32()
    if signer.min_sdk < 0 or signer.min_sdk > signer.max_sdk:
        signer.error("V3_SIG_INVALID_SDK_VERSIONS", signer.min_sdk, signer.max_sdk)
    signatures = reader.lp_reader()
    public_key = reader.lp_bytes()
    # each v3 signer is checked over its own SDK range
    if not parse_signatures_and_verify(signer, signed_data, signatures, public_key, signer.min_sdk,
                                       signer.max_sdk, result.digests_needed):
        return
    digests = signed_reader.lp_reader()
    certificates = signed_reader.lp_reader()
    signed_min = signed_reader.i32()
    if signed_min != signer.min_sdk:
        signer.error("V3_MIN_SDK_VERSION_MISMATCH_BETWEEN_SIGNER_AND_SIGNED_DATA_RECORD", signer.min_sdk, signed_min)
    signed_max = signed_reader.i32()
    if signed_max != signer.max_sdk:
        signer.error("V3_MAX_SDK_VERSION_MISMATCH_BETWEEN_SIGNER_AND_SIGNED_DATA_RECORD", signer.max_sdk, signed_max)
    attributes = signed_reader.lp_reader()
    if not check_signed_records(signer, certificates, public_key, digests):
        return
    rotation_attr_found = False
    records = IdRecords(attributes, Reader.rest)
    try:
        for ident, value in records:
            signer.attributes.append((ident, value))
            if ident == PROOF_OF_ROTATION_ATTR_ID:
                _read_lineage(signer, value)
            elif ident == ROTATION_MIN_SDK_VERSION_ATTR_ID:
                rotation_attr_found = True
                # v3.1 stripping protection; platforms before v3.1 ignore it
                if max_sdk >= MIN_SDK_WITH_V31_SUPPORT:
                    attr_min = Reader(value).i32()
                    if rotation_min_sdk is not None:
                        if attr_min != rotation_min_sdk:
                            signer.error("V31_ROTATION_MIN_SDK_MISMATCH", attr_min, rotation_min_sdk)
                    else:
                        signer.error("V31_BLOCK_MISSING", attr_min)
            elif ident == ROTATION_ON_DEV_RELEASE_ATTR_ID:
                if result.scheme != "v3.1":
                    signer.warning("V31_ROTATION_TARGETS_DEV_RELEASE_ATTR_ON_V3_SIGNER")
            else:
                signer.warning("V3_SIG_UNKNOWN_ADDITIONAL_ATTRIBUTE", ident)
    except FormatError:
        signer.error("V3_SIG_MALFORMED_ADDITIONAL_ATTRIBUTE", records.count)
        return
    if rotation_min_sdk is not None and not rotation_attr_found:
        signer.warning("V31_ROTATION_MIN_SDK_ATTR_MISSING", rotation_min_sdk)


def _read_lineage(signer: ParsedSigner, value: bytes) -> None:
    """apksig: the lineage must verify and end with this signer's certificate."""
    try:
        parsed = lineage_mod.parse(value)
    except lineage_mod.LineageSignatureError:
        signer.error("V3_SIG_POR_DID_NOT_VERIFY")
        return
    except lineage_mod.LineageVersionError:
        signer.error("V3_SIG_POR_CERT_MISMATCH")
        return
    except lineage_mod.LineageFormatError:
        signer.error("V3_SIG_MALFORMED_LINEAGE")
        return
    signer.lineage = parsed
    try:
        if len(parsed.sub_lineage(signer.certs[0])) != len(parsed):
            signer.error("V3_SIG_POR_CERT_MISMATCH")
    except KeyError:
        signer.error("V3_SIG_POR_CERT_MISMATCH")


def targets_dev_release(signer: ParsedSigner) -> bool:
    return ROTATION_ON_DEV_RELEASE_ATTR_ID in signer.attribute_ids()


def check_sdk_coverage(result: SchemeResult, min_sdk: int, max_sdk: int, rotation_min_sdk: int | None) -> None:
    """After integrity: the signers must cover [min_sdk, max_sdk] (only up to rotation_min_sdk - 1
    when a v3.1 block takes over from there) without holes or overlaps, and their lineages must
    grow with the SDK and be parts of one history (apksig V3SchemeVerifier.verify)."""
    by_max: dict[int, ParsedSigner] = {}
    for signer in result.signers:
        by_max[signer.max_sdk] = signer  # like apksig's TreeMap: same max => last one wins
    first_min = last_max = last_lineage = 0
    lineages = []
    for key in sorted(by_max):
        signer = by_max[key]
        if first_min == 0:
            first_min = signer.min_sdk
        elif signer.min_sdk != last_max + 1 and not (signer.min_sdk == last_max and targets_dev_release(signer)):
            result.error("V3_INCONSISTENT_SDK_VERSIONS")
            break
        last_max = signer.max_sdk
        if signer.lineage is not None:
            if len(signer.lineage) < last_lineage:
                result.error("V3_INCONSISTENT_LINEAGES")
                break
            last_lineage = len(signer.lineage)
            lineages.append(signer.lineage)
    needed_max = rotation_min_sdk - 1 if rotation_min_sdk is not None else max_sdk
    if first_min > min_sdk or last_max < needed_max:
        result.error("V3_MISSING_SDK_VERSIONS", first_min, last_max)
    try:
        result.lineage = lineage_mod.consolidate(lineages)
    except ValueError:
        result.error("V3_INCONSISTENT_LINEAGES")


# --- signer side ------------------------------------------------------------------------------

def encode_signed_data(digests, cert_ders, min_sdk: int, max_sdk: int, attributes) -> bytes:
    return (lp(b"".join(id_value(a, lp(d)) for a, d in digests))
            + lp_seq(cert_ders)
            + u32(min_sdk) + u32(max_sdk)
            + lp(b"".join(lp(u32(i) + v) for i, v in attributes)))


def encode_signer(signed_data: bytes, min_sdk: int, max_sdk: int, signatures, public_key_der: bytes) -> bytes:
    return (lp(signed_data) + u32(min_sdk) + u32(max_sdk)
            + lp(b"".join(id_value(a, lp(s)) for a, s in signatures)) + lp(public_key_der))


def sign(content_digests: dict[str, bytes], key, min_sdk: int = MIN_SDK_WITH_V3_SUPPORT, max_sdk: int = INT_MAX,
         lineage=None, extra_attributes=()) -> bytes:
    """The v3 (or v3.1) block value with one signer for [min_sdk, max_sdk]. `lineage`
    (apkscan.signing.lineage.Lineage) must end with `key`'s certificate."""
    from cryptography.hazmat.primitives import serialization

    alg = algorithms.default_for_key(key.private_key)
    certs = [c.public_bytes(serialization.Encoding.DER) for c in key.certificates]
    attrs = list(extra_attributes)
    if lineage is not None:
        if lineage.nodes[-1].cert_der != certs[0]:
            raise ValueError("the lineage must end with the signing key's certificate")
        attrs.insert(0, (PROOF_OF_ROTATION_ATTR_ID, lineage_mod.encode(lineage)))
    signed = encode_signed_data([(alg.id, content_digests[alg.digest])], certs, min_sdk, max_sdk, attrs)
    sig = algorithms.sign(alg, key.private_key, signed)
    spki = key.private_key.public_key().public_bytes(serialization.Encoding.DER,
                                                     serialization.PublicFormat.SubjectPublicKeyInfo)
    return lp_seq([encode_signer(signed, min_sdk, max_sdk, [(alg.id, sig)], spki)])
