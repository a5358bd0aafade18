"""The APK Signing Block: located immediately before the ZIP Central Directory, a sequence of
(uint64 length, uint32 id, value) pairs framed by its size and the magic "APK Sig Block 42".

Reading follows apksig ApkUtilsLite.findApkSigningBlock / ApkSigningBlockUtilsLite.findApkSignature-
SchemeBlock: any framing problem means "no signature of that scheme" (Android then falls back to
older schemes), never an exception. Writing follows ApkSigningBlockUtils.generateApkSigningBlock.
Spec: https://source.android.com/docs/security/features/apksigning/v2#apk-signing-block
"""
from __future__ import annotations

import struct
from dataclasses import dataclass

from apkscan.signing.wire import u32, u64

MAGIC = b"APK Sig Block 42"
FOOTER_SIZE = 24  # uint64 size + 16-byte magic
MIN_SIZE = 32  # uint64 size + footer

# Block ids (apksig V2SchemeConstants, V3SchemeConstants, SourceStampConstants, ApkSigningBlockUtils).
V2_BLOCK_ID = 0x7109871A
V3_BLOCK_ID = 0xF05368C0
V31_BLOCK_ID = 0x1B93AD61
VERITY_PADDING_BLOCK_ID = 0x42726577
STAMP_V1_BLOCK_ID = 0x2B09189E
STAMP_V2_BLOCK_ID = 0x6DFF800D
# Written by apksigner for the dependency-info metadata of Play; seen in real APKs.
DEPENDENCY_INFO_BLOCK_ID = 0x504B4453

KNOWN_BLOCK_NAMES = {
    V2_BLOCK_ID: "v2",
    V3_BLOCK_ID: "v3",
    V31_BLOCK_ID: "v3.1",
    VERITY_PADDING_BLOCK_ID: "verity-padding",
    STAMP_V1_BLOCK_ID: "stamp-v1",
    STAMP_V2_BLOCK_ID: "stamp",
    DEPENDENCY_INFO_BLOCK_ID: "dependency-info",
}

PAGE = 4096  # ANDROID_COMMON_PAGE_ALIGNMENT_BYTES: verity needs the block page-aligned
DEFAULT_MAX_BLOCK_SIZE = 64 * 1024 * 1024  # apkscan bound; real blocks are kilobytes


class SignatureNotFound(Exception):
    """No usable block of the requested scheme (the reason says why, as apksig words it)."""


class BlockTooLarge(Exception):
    """The block is well framed but larger than apkscan is willing to load."""


@dataclass(frozen=True)
class SigningBlock:
    offset: int  # file offset of the block's first byte (its leading size field)
    size: int  # total bytes, including the leading size field and the footer
    pairs: tuple[tuple[int, bytes], ...]  # (id, value) pairs parsed in order
    pairs_error: str | None = None  # first framing error; pairs after it are unreachable

    def find(self, block_id: int) -> bytes:
        """The value of the first pair with this id. Like apksig, a malformed pair met before
        the wanted id hides everything after it."""
        for ident, value in self.pairs:
            if ident == block_id:
                return value
        if self.pairs_error:
            raise SignatureNotFound(self.pairs_error)
        raise SignatureNotFound(f"No APK Signature Scheme block in APK Signing Block with ID: {block_id:#x}")

    def ids(self) -> tuple[int, ...]:
        return tuple(ident for ident, _ in self.pairs)


def locate(read_at, cd_offset: int, cd_size: int, eocd_offset: int,
           max_size: int = DEFAULT_MAX_BLOCK_SIZE) -> SigningBlock:
    """Find and parse the APK Signing Block. `read_at(offset, n) -> bytes` reads the file.

    Raises SignatureNotFound (no block, or a malformed frame) or BlockTooLarge."""
    if cd_offset + cd_size != eocd_offset:
        raise SignatureNotFound(
            "ZIP Central Directory is not immediately followed by End of Central Directory. "
            f"CD end: {cd_offset + cd_size}, EoCD start: {eocd_offset}")
    if cd_offset < MIN_SIZE:
        raise SignatureNotFound(f"APK too small for APK Signing Block. ZIP Central Directory offset: {cd_offset}")
    footer = read_at(cd_offset - FOOTER_SIZE, FOOTER_SIZE)
    if len(footer) != FOOTER_SIZE or footer[8:] != MAGIC:
        raise SignatureNotFound("No APK Signing Block before ZIP Central Directory")
    size_in_footer = struct.unpack_from("<Q", footer)[0]
    if size_in_footer < FOOTER_SIZE or size_in_footer > 0x7FFFFFFF - 8:
        raise SignatureNotFound(f"APK Signing Block size out of range: {size_in_footer}")
    total = size_in_footer + 8
    offset = cd_offset - total
    if offset < 0:
        raise SignatureNotFound(f"APK Signing Block offset out of range: {offset}")
    if total > max_size:
        raise BlockTooLarge(f"APK Signing Block of {total} bytes exceeds the {max_size}-byte limit")
    data = read_at(offset, total)
    if len(data) != total:
        raise SignatureNotFound("APK Signing Block truncated")
    size_in_header = struct.unpack_from("<Q", data)[0]
    if size_in_header != size_in_footer:
        raise SignatureNotFound(
            f"APK Signing Block sizes in header and footer do not match: {size_in_header} vs {size_in_footer}")
    pairs, error = _parse_pairs(memoryview(data)[8:total - FOOTER_SIZE])
    return SigningBlock(offset=offset, size=total, pairs=pairs, pairs_error=error)


def damaged_block_ids(read_at, cd_offset: int, max_size: int = DEFAULT_MAX_BLOCK_SIZE) -> tuple[int, ...] | None:
    """For a file where ``locate`` found no usable block: None when no APK Signing Block footer
    (its magic) ends before the central directory at all, else the ids of the pairs readable in
    the region the footer's size frames (possibly none). Android ignores such a block; apkscan
    reports it, so that a signed-then-damaged APK is never taken for an unsigned one."""
    if cd_offset < FOOTER_SIZE:
        return None
    footer = read_at(cd_offset - FOOTER_SIZE, FOOTER_SIZE)
    if len(footer) != FOOTER_SIZE or footer[8:] != MAGIC:
        return None
    size_in_footer = struct.unpack_from("<Q", footer)[0]
    total = size_in_footer + 8
    if size_in_footer < FOOTER_SIZE or total > max_size or total > cd_offset:
        return ()
    data = read_at(cd_offset - total, total)
    if len(data) != total:
        return ()
    pairs, _ = _parse_pairs(memoryview(data)[8:total - FOOTER_SIZE])
    return tuple(ident for ident, _ in pairs)


def _parse_pairs(region: memoryview) -> tuple[tuple[tuple[int, bytes], ...], str | None]:
    pairs: list[tuple[int, bytes]] = []
    pos, end, count = 0, len(region), 0
    while pos < end:
        count += 1
        if end - pos < 8:
            return tuple(pairs), f"Insufficient data to read size of APK Signing Block entry #{count}"
        length = struct.unpack_from("<Q", region, pos)[0]
        pos += 8
        if length < 4 or length > 0x7FFFFFFF:
            return tuple(pairs), f"APK Signing Block entry #{count} size out of range: {length}"
        if length > end - pos:
            return tuple(pairs), (f"APK Signing Block entry #{count} size out of range: {length}, "
                                  f"available: {end - pos}")
        ident = struct.unpack_from("<I", region, pos)[0]
        pairs.append((ident, bytes(region[pos + 4:pos + length])))
        pos += length
    return tuple(pairs), None


def build(pairs: list[tuple[int, bytes]], pad_to_page: bool = True) -> bytes:
    """Serialize an APK Signing Block. With `pad_to_page` a verity padding pair makes the block
    a multiple of 4096 bytes, as apksigner does (needed for the verity digest and fs-verity)."""
    body = b"".join(u64(4 + len(value)) + u32(ident) + value for ident, value in pairs)
    total = 8 + len(body) + FOOTER_SIZE
    if pad_to_page and total % PAGE:
        padding = PAGE - total % PAGE
        if padding < 12:  # smallest possible pair: uint64 length + uint32 id
            padding += PAGE
        body += u64(padding - 8) + u32(VERITY_PADDING_BLOCK_ID) + bytes(padding - 12)
        total += padding
    return u64(total - 8) + body + u64(total - 8) + MAGIC
