"""The signer the APK factory uses: JAR (v1), APK Signature Scheme v2, v3 (with proof-of-rotation)
and v3.1, written with the same format code the verifiers read (block.py, v2.py, v3.py, lineage.py).

Order of work, as apksigner: JAR-sign the entries (the JAR files join the ZIP), then compute the
content digests of the ZIP as it will be digested (entries, central directory, EOCD pointing at the
future signing block), sign them per scheme, insert the APK Signing Block before the central
directory and move the EOCD's central directory offset past it.

Alignment of stored entries is the factory's job before signing; signing never moves entries.
"""
from __future__ import annotations

import struct
import zlib

from apkscan.signing import block as block_mod
from apkscan.signing import lineage as lineage_mod
from apkscan.signing import v2 as v2_mod
from apkscan.signing import v3 as v3_mod
from apkscan.signing.algorithms import default_for_key
from apkscan.signing.digests import content_digests_of_bytes, modified_eocd
from apkscan.signing.keys import SigningKey

EOCD_SIG = b"PK\x05\x06"
CDH_SIG = b"PK\x01\x02"
LFH_SIG = 0x04034B50
SCHEMES = ("v1", "v2", "v3")
_JAR_SIGNATURE_SUFFIXES = (".SF", ".RSA", ".DSA", ".EC")


def sign_apk(unsigned_zip: bytes, keys: list[SigningKey], schemes=SCHEMES, lineage=None,
             v3_rotation_min_sdk: int | None = None, min_sdk: int | None = None) -> bytes:
    """Sign an unsigned APK.

    keys: the signers (v1/v2 accept several; v3 takes one).
    lineage: SigningKey list oldest -> newest, ending with the v3 signer (proof-of-rotation);
        then v1 and v2 are signed with the oldest key so that platforms without v3 keep the
        original identity, and v3 with the newest.
    v3_rotation_min_sdk: with a lineage, the SDK from which the rotated key is used; above 28
        the rotated signer goes into a v3.1 block and the v3 block keeps the original key for
        older platforms (apksigner --rotation-min-sdk-version). None: rotation in v3 itself.
    min_sdk: the APK's minSdkVersion (chooses JAR digest algorithms).
    """
    schemes = tuple(schemes)
    unknown = set(schemes) - {"v1", "v2", "v3"}
    if unknown:
        raise ValueError(f"unknown schemes {sorted(unknown)}")
    keys = list(keys)
    chain = list(lineage) if lineage else []
    if not keys and not chain:
        raise ValueError("at least one signing key is required")
    if chain and keys and keys[-1].certificate_der != chain[-1].certificate_der:
        raise ValueError("the lineage must end with the signing key")
    old_keys = [chain[0]] if chain else keys
    new_key = chain[-1] if chain else (keys[0] if keys else None)
    if "v3" in schemes and not chain and len(keys) != 1:
        raise ValueError("APK Signature Scheme v3 takes exactly one signer")

    zip_bytes = unsigned_zip
    if "v1" in schemes:
        zip_bytes = _add_jar_signature(zip_bytes, old_keys, schemes, min_sdk)
    if not {"v2", "v3"} & set(schemes):
        return zip_bytes

    cd_offset, cd_size, eocd_offset = _zip_tail(zip_bytes)
    before, cd, eocd = zip_bytes[:cd_offset], zip_bytes[cd_offset:eocd_offset], zip_bytes[eocd_offset:]
    digests = content_digests_of_bytes(
        {default_for_key(k.private_key).digest for k in old_keys + ([new_key] if new_key else [])},
        before, cd, modified_eocd(eocd, cd_offset))
    pairs: list[tuple[int, bytes]] = []
    if "v2" in schemes:
        also = (3,) if "v3" in schemes else ()
        pairs.append((block_mod.V2_BLOCK_ID, v2_mod.sign(digests, old_keys, also_signed_with=also)))
    if "v3" in schemes:
        pairs += _v3_pairs(digests, chain, new_key, v3_rotation_min_sdk)
    signing_block = block_mod.build(pairs)
    new_eocd = modified_eocd(eocd, cd_offset + len(signing_block))
    return before + signing_block + cd + new_eocd


def _v3_pairs(digests, chain: list[SigningKey], new_key: SigningKey, rotation_min_sdk: int | None):
    built = lineage_mod.build(chain) if len(chain) > 1 else None
    if built is None or rotation_min_sdk is None or rotation_min_sdk <= v3_mod.MIN_SDK_WITH_V3_SUPPORT:
        return [(block_mod.V3_BLOCK_ID, v3_mod.sign(digests, new_key, lineage=built))]
    if rotation_min_sdk < v3_mod.MIN_SDK_WITH_V31_SUPPORT:
        raise ValueError("rotation between SDK 29 and 32 needs the rotated key in v3 (rotation_min_sdk <= 28)")
    # v3.1: the original signer covers [28, rotation - 1] and names the rotation SDK (stripping
    # protection); the rotated signer with its lineage covers [rotation, max]
    attr = [(v3_mod.ROTATION_MIN_SDK_VERSION_ATTR_ID, struct.pack("<i", rotation_min_sdk))]
    v3_block = v3_mod.sign(digests, chain[0], max_sdk=rotation_min_sdk - 1, extra_attributes=attr)
    v31_block = v3_mod.sign(digests, new_key, min_sdk=rotation_min_sdk, lineage=built)
    return [(block_mod.V3_BLOCK_ID, v3_block), (block_mod.V31_BLOCK_ID, v31_block)]


def _zip_tail(data: bytes) -> tuple[int, int, int]:
    """(cd_offset, cd_size, eocd_offset) of an APK whose EOCD ends the file."""
    eocd_offset = data.rfind(EOCD_SIG, max(0, len(data) - 65557))
    if eocd_offset < 0 or len(data) - eocd_offset < 22:
        raise ValueError("not a ZIP archive: no End of Central Directory record")
    cd_size, cd_offset, comment_len = struct.unpack_from("<IIH", data, eocd_offset + 12)
    if eocd_offset + 22 + comment_len != len(data) or cd_offset + cd_size != eocd_offset:
        raise ValueError("unsupported ZIP layout: the central directory must directly precede the EOCD")
    return cd_offset, cd_size, eocd_offset


def _central_records(data: bytes, cd_offset: int, cd_size: int):
    """(name, raw record, method, compressed size, local header offset) per central record."""
    pos, end = cd_offset, cd_offset + cd_size
    while pos < end:
        if data[pos:pos + 4] != CDH_SIG:
            raise ValueError("malformed central directory")
        method, = struct.unpack_from("<H", data, pos + 10)
        csize, = struct.unpack_from("<I", data, pos + 20)
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", data, pos + 28)
        lho, = struct.unpack_from("<I", data, pos + 42)
        size = 46 + name_len + extra_len + comment_len
        yield data[pos + 46:pos + 46 + name_len].decode("utf-8"), data[pos:pos + size], method, csize, lho
        pos += size


def _entry_data(data: bytes, method: int, csize: int, lho: int) -> bytes:
    if struct.unpack_from("<I", data, lho)[0] != LFH_SIG:
        raise ValueError("malformed local header")
    name_len, extra_len = struct.unpack_from("<HH", data, lho + 26)
    start = lho + 30 + name_len + extra_len
    raw = data[start:start + csize]
    return zlib.decompress(raw, -15) if method == 8 else raw


def _add_jar_signature(data: bytes, keys: list[SigningKey], schemes, min_sdk) -> bytes:
    """Append META-INF/MANIFEST.MF, .SF and signature block files (deflated) after the entries."""
    from apkscan.signing.jar_signer import sign_v1

    cd_offset, cd_size, eocd_offset = _zip_tail(data)
    records = list(_central_records(data, cd_offset, cd_size))
    entries = []
    for name, _, method, csize, lho in records:
        upper = name.upper()
        if upper == "META-INF/MANIFEST.MF" or (upper.startswith("META-INF/") and upper.endswith(_JAR_SIGNATURE_SUFFIXES)):
            raise ValueError(f"the input is already JAR-signed ({name}); give sign_apk an unsigned APK")
        entries.append((name, _entry_data(data, method, csize, lho)))
    ids = tuple(i for i, s in ((2, "v2"), (3, "v3")) if s in schemes)
    added = sign_v1(entries, keys, apk_signed_scheme_ids=ids, min_sdk=min_sdk)
    out = bytearray(data[:cd_offset])
    new_cd = bytearray(data[cd_offset:eocd_offset])
    for name, content in added:
        local, central = _deflated_entry(name.encode("utf-8"), content, len(out))
        out += local
        new_cd += central
    count = len(records) + len(added)
    eocd = struct.pack("<4sHHHHIIH", EOCD_SIG, 0, 0, count, count, len(new_cd), len(out), 0)
    return bytes(out + new_cd + eocd)


def _deflated_entry(name: bytes, content: bytes, offset: int) -> tuple[bytes, bytes]:
    c = zlib.compressobj(9, zlib.DEFLATED, -15, 9)
    packed = c.compress(content) + c.flush()
    crc = zlib.crc32(content) & 0xFFFFFFFF
    # fixed DOS date 1981-01-01 00:00 like the factory's zipwriter: same recipe, same bytes
    date = ((1981 - 1980) << 9) | (1 << 5) | 1
    local = struct.pack("<IHHHHHIIIHH", LFH_SIG, 20, 0, 8, 0, date, crc, len(packed), len(content),
                        len(name), 0) + name + packed
    central = struct.pack("<4sHHHHHHIIIHHHHHII", CDH_SIG, 20, 20, 0, 8, 0, date, crc, len(packed),
                          len(content), len(name), 0, 0, 0, 0, 0, offset) + name
    return local, central
