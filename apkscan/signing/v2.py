"""APK Signature Scheme v2 (Android 7.0+): verifier and signer side by side, one format.
(apksig V2SchemeVerifier / V2SchemeSigner; https://source.android.com/docs/security/features/apksigning/v2)

v2 block = length-prefixed sequence of length-prefixed signers; signer =
  signed data (digests, certificates, additional attributes), signatures, public key.
"""
from __future__ import annotations

from apkscan.signing import algorithms
from apkscan.signing.scheme_block import (IdRecords, ParsedSigner, SchemeResult, check_signed_records,
                                          parse_next_signer, parse_signatures_and_verify, signers_reader)
from apkscan.signing.wire import FormatError, Reader, id_value, lp, lp_reader_and_bytes, lp_seq, u32

MAX_SIGNERS = 10  # apksig V2SchemeVerifier.MAX_APK_SIGNERS (Android enforces the same)
STRIPPING_PROTECTION_ATTR_ID = 0xBEEFF00D  # names newer schemes the APK is also signed with

SCHEME_NAMES = {2: "APK Signature Scheme v2", 3: "APK Signature Scheme v3"}


def supported_scheme_names(max_sdk: int) -> dict[int, str]:
    """Schemes whose stripping Android versions up to max_sdk detect (apksig getSupportedSchemeNames)."""
    if max_sdk >= 28:
        return dict(SCHEME_NAMES)
    if max_sdk >= 24:
        return {2: SCHEME_NAMES[2]}
    return {}


def parse(block_value: bytes, min_sdk: int, max_sdk: int, supported_names: dict[int, str],
          found_scheme_ids: set[int]) -> SchemeResult:
    """Parse the v2 block and verify every signer's signature over its signed data.
    `found_scheme_ids` are the newer schemes found in the APK (stripping protection)."""
    result = SchemeResult("v2")
    signers = signers_reader(result, block_value)
    if signers is None:
        return result
    count = 0
    while signers.has_remaining():
        if count >= MAX_SIGNERS:  # already an error: count the rest without verifying them
            try:
                signers.lp_reader()
            except FormatError:
                break
            count += 1
            continue
        count += 1
        if not parse_next_signer(result, signers, lambda reader, signer: _parse_signer(
                reader, signer, result, min_sdk, max_sdk, supported_names, found_scheme_ids)):
            return result
    if count > MAX_SIGNERS:
        result.error("V2_SIG_MAX_SIGNATURES_EXCEEDED", MAX_SIGNERS, count)
    return result


def _parse_signer(reader: Reader, signer: ParsedSigner, result: SchemeResult, min_sdk: int, max_sdk: int,
                  supported_names: dict[int, str], found_scheme_ids: set[int]) -> None:
    signed_reader, signed_data = lp_reader_and_bytes(reader)
    signatures = reader.lp_reader()
    public_key = reader.lp_bytes()
    if not parse_signatures_and_verify(signer, signed_data, signatures, public_key, min_sdk, max_sdk,
                                       result.digests_needed):
        return
    digests = signed_reader.lp_reader()
    certificates = signed_reader.lp_reader()
    attributes = signed_reader.lp_reader()
    if not check_signed_records(signer, certificates, public_key, digests):
        return
    expected_schemes = set()
    records = IdRecords(attributes, Reader.rest)
    try:
        for ident, value in records:
            signer.attributes.append((ident, value))
            if ident == STRIPPING_PROTECTION_ATTR_ID:
                scheme_id = Reader(value).i32()
                if scheme_id in supported_names:
                    expected_schemes.add(scheme_id)
                else:
                    signer.warning("V2_SIG_UNKNOWN_APK_SIG_SCHEME_ID", signer.index, scheme_id)
            else:
                signer.warning("V2_SIG_UNKNOWN_ADDITIONAL_ATTRIBUTE", ident)
    except FormatError:
        signer.error("V2_SIG_MALFORMED_ADDITIONAL_ATTRIBUTE", records.count)
        return
    for scheme_id in sorted(expected_schemes):
        if scheme_id not in found_scheme_ids:
            signer.error("V2_SIG_MISSING_APK_SIG_REFERENCED", signer.index, supported_names[scheme_id])


# --- signer side ------------------------------------------------------------------------------

def encode_signed_data(digests: list[tuple[int, bytes]], cert_ders: list[bytes],
                       attributes: list[tuple[int, bytes]]) -> bytes:
    return (lp(b"".join(id_value(a, lp(d)) for a, d in digests))
            + lp_seq(cert_ders)
            + lp(b"".join(lp(u32(i) + v) for i, v in attributes)))


def encode_signer(signed_data: bytes, signatures: list[tuple[int, bytes]], public_key_der: bytes) -> bytes:
    return lp(signed_data) + lp(b"".join(id_value(a, lp(s)) for a, s in signatures)) + lp(public_key_der)


def build_block(signers: list[bytes]) -> bytes:
    """The v2 block value from encoded signers (encode_signer)."""
    return lp_seq(signers)


def sign(content_digests: dict[str, bytes], keys, also_signed_with: tuple[int, ...] = ()) -> bytes:
    """The v2 block value for these keys (one signer each). `also_signed_with` lists newer
    scheme ids (3) for the stripping-protection attribute."""
    from cryptography.hazmat.primitives import serialization

    signers = []
    for key in keys:
        alg = algorithms.default_for_key(key.private_key)
        digests = [(alg.id, content_digests[alg.digest])]
        certs = [c.public_bytes(serialization.Encoding.DER) for c in key.certificates]
        attrs = [(STRIPPING_PROTECTION_ATTR_ID, u32(s)) for s in also_signed_with]
        signed = encode_signed_data(digests, certs, attrs)
        sig = algorithms.sign(alg, key.private_key, signed)
        spki = key.private_key.public_key().public_bytes(serialization.Encoding.DER,
                                                         serialization.PublicFormat.SubjectPublicKeyInfo)
        signers.append(encode_signer(signed, [(alg.id, sig)], spki))
    return build_block(signers)
