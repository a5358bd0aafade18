"""What signatures an APK carries, read without verifying anything: used when verification stops
before the schemes run (apksig throws: an unreadable minSdkVersion, a missing manifest...), so that
the result still shows the signing block and the certificates it holds instead of looking unsigned.

Nothing here is proof: a certificate read this way is one the APK *contains* (model.SigningResult
``extracted_certificates``), never a signer. Reading is bounded like the verifiers': at most
MAX_APK_SIGNERS JAR signature files of MAX_SIGNATURE_BLOCK_SIZE each, scheme blocks already
loaded by ``block.locate``.
"""
from __future__ import annotations

import hashlib

from apkscan.model import Signer
from apkscan.signing import block as block_mod
from apkscan.signing import pkcs7
from apkscan.signing.certs import signer_from_der

INT_MAX = 0x7FFFFFFF
# The first SDK each scheme applies to (apksig: v2 from N, v3 from P, v3.1 from T).
_SCHEME_FIRST_SDK = ((block_mod.V31_BLOCK_ID, "v3.1", 33), (block_mod.V3_BLOCK_ID, "v3", 28))
_V2_FIRST_SDK = 24


def is_jar_signature_file(name: str) -> bool:
    """META-INF/*.SF, *.RSA, *.DSA, *.EC: a JAR (v1) signature's files (apksig V1SchemeVerifier)."""
    upper = name.upper()
    return upper.startswith("META-INF/") and upper.endswith((".SF", ".RSA", ".DSA", ".EC"))


def has_jar_signature(archive) -> bool:
    return any(is_jar_signature_file(e.name) for e in archive.entries)


def scheme_certificates(signing_block) -> list[bytes]:
    """DER certificates of the v3.1, v3 and v2 blocks' signers (each block parsed over its whole
    SDK range; a malformed block yields what was read before the damage)."""
    from apkscan.signing import v2 as v2_mod
    from apkscan.signing import v3 as v3_mod

    if signing_block is None:
        return []
    found: list[bytes] = []
    for block_id, scheme, first_sdk in _SCHEME_FIRST_SDK:
        value = _value(signing_block, block_id)
        if value is not None:
            found += v3_mod.parse(value, scheme, first_sdk, INT_MAX).certificates_seen()
    value = _value(signing_block, block_mod.V2_BLOCK_ID)
    if value is not None:
        found += v2_mod.parse(value, _V2_FIRST_SDK, INT_MAX, v2_mod.supported_scheme_names(INT_MAX),
                              set()).certificates_seen()
    return found


def jar_certificates(archive) -> list[Signer]:
    """Certificates in the PKCS #7 bags of META-INF/*.RSA|*.DSA|*.EC (unreadable files skipped)."""
    from apkscan.signing.v1 import MAX_APK_SIGNERS, MAX_SIGNATURE_BLOCK_SIZE, describe_certificate

    found: list[Signer] = []
    blocks = [e for e in archive.entries
              if is_jar_signature_file(e.name) and not e.name.upper().endswith(".SF")]
    for entry in blocks[:MAX_APK_SIGNERS]:
        try:
            data = archive.read(entry, max_size=MAX_SIGNATURE_BLOCK_SIZE)
            bag = pkcs7.parse_signed_data(data).certificates
        except Exception:  # noqa: BLE001 - hostile bytes: this file shows no certificate
            continue
        for encoded in bag:
            try:
                found.append(describe_certificate(pkcs7.parse_certificate(encoded)))
            except Exception:  # noqa: BLE001
                continue
    return found


def carried_certificates(archive, signing_block) -> tuple[Signer, ...]:
    """Every certificate the APK carries (scheme blocks first), each once."""
    seen: dict[str, Signer] = {}
    for der in scheme_certificates(signing_block):
        key = hashlib.sha256(der).hexdigest()
        if key not in seen:
            try:
                seen[key] = signer_from_der(der)
            except Exception:  # noqa: BLE001
                continue
    for signer in jar_certificates(archive):
        seen.setdefault(signer.cert_sha256, signer)
    return tuple(seen.values())


def unopened_file_signatures(path) -> tuple[tuple[int, ...], tuple[Signer, ...]]:
    """For a file ``open_archive`` refused (no entries, unusable central directory): the ids of the
    APK Signing Block pairs before the central directory the EOCD names, and their certificates.
    ((), ()) when even the EOCD cannot be resolved. Never raises."""
    from apkscan.archive.anomalies import AnomalyLog
    from apkscan.archive.eocd import locate_central_directory
    from apkscan.archive.fileio import FileReader

    try:
        reader = FileReader(path)
    except Exception:  # noqa: BLE001
        return (), ()
    try:
        loc = locate_central_directory(reader, AnomalyLog())
        try:
            found = block_mod.locate(reader.pread, loc.cd_offset, loc.cd_size, loc.eocd_offset)
        except block_mod.SignatureNotFound:
            return block_mod.damaged_block_ids(reader.pread, loc.cd_offset) or (), ()
        certs = []
        for der in scheme_certificates(found):
            try:
                certs.append(signer_from_der(der))
            except Exception:  # noqa: BLE001
                continue
        return found.ids(), tuple({c.cert_sha256: c for c in certs}.values())
    except Exception:  # noqa: BLE001 - the caller already has the reason the file was refused
        return (), ()
    finally:
        reader.close()


def _value(signing_block, block_id: int) -> bytes | None:
    try:
        return signing_block.find(block_id)
    except block_mod.SignatureNotFound:
        return None
