"""Content digests of the APK Signing Block schemes, computed while the archive streams the file.

The signed content is three sections: the ZIP entries (everything before the APK Signing Block),
the Central Directory, and the End of Central Directory whose "CD offset" field is rewritten to
point at the signing block's start (so that inserting the block does not change the digest).

* CHUNKED_SHA256/512: each section is cut into 1 MiB chunks; digest = H(0x5a || u32 chunk count ||
  H(0xa5 || u32 chunk length || chunk)...). (apksig ApkSigningBlockUtils.computeOneMbChunkContentDigests)
* VERITY_CHUNKED_SHA256: fs-verity Merkle tree of SHA-256 over 4 KiB blocks of the three sections
  concatenated, 8 zero bytes of salt; digest = root || u64 length. (apksig VerityTreeBuilder)
* v4 (.idsig): the same tree over the whole file, without salt; digest = root.

`ContentDigester` and `VerityTree` are consumers for `Archive.stream()` (feed(offset, chunk),
finish()), so the file is read once for the hashes and every digest.
"""
from __future__ import annotations

import hashlib
import struct

from apkscan.signing.algorithms import CHUNKED_SHA256, CHUNKED_SHA512, VERITY_CHUNKED_SHA256

CHUNK = 1024 * 1024
VERITY_BLOCK = 4096
_HASHLIB = {CHUNKED_SHA256: "sha256", CHUNKED_SHA512: "sha512"}


def modified_eocd(eocd: bytes, signing_block_offset: int) -> bytes:
    """The EOCD as digested: its Central Directory offset (bytes 16..20) set to the start of the
    APK Signing Block (apksig ZipUtils.setZipEocdCentralDirectoryOffset)."""
    if len(eocd) < 22:
        raise ValueError("EOCD shorter than 22 bytes")
    return eocd[:16] + struct.pack("<I", signing_block_offset & 0xFFFFFFFF) + eocd[20:]


class _Section:
    """1 MiB chunk digests of one byte range [start, end) of the file, fed in order."""

    __slots__ = ("start", "end", "pos", "algs", "current", "chunk_end", "digests", "broken")

    def __init__(self, start: int, end: int, algs: tuple[str, ...], digests: dict[str, list[bytes]]) -> None:
        self.start, self.end, self.pos = start, end, start
        self.algs = algs
        self.current = None
        self.chunk_end = start
        self.digests = digests
        self.broken = False

    def feed(self, offset: int, chunk: memoryview) -> None:
        lo = max(offset, self.start)
        hi = min(offset + len(chunk), self.end)
        if lo >= hi or self.broken:
            return
        if lo != self.pos:  # a gap or a replay: the stream was not sequential
            self.broken = True
            return
        data = chunk[lo - offset:hi - offset]
        while len(data):
            if self.current is None:
                size = min(CHUNK, self.end - self.pos)
                prefix = b"\xa5" + struct.pack("<I", size)
                self.current = []
                for alg in self.algs:
                    h = hashlib.new(_HASHLIB[alg])
                    h.update(prefix)
                    self.current.append(h)
                self.chunk_end = self.pos + size
            n = min(self.chunk_end - self.pos, len(data))
            piece = data[:n]
            for h in self.current:
                h.update(piece)
            self.pos += n
            data = data[n:]
            if self.pos == self.chunk_end:
                for alg, h in zip(self.algs, self.current, strict=True):
                    self.digests[alg].append(h.digest())
                self.current = None

    @property
    def complete(self) -> bool:
        return not self.broken and self.pos == self.end


def chunked_digest_of_bytes(alg: str, data: bytes) -> list[bytes]:
    """1 MiB chunk digests of an in-memory section (the EOCD, or content when signing)."""
    out: list[bytes] = []
    for i in range(0, len(data), CHUNK):
        piece = data[i:i + CHUNK]
        h = hashlib.new(_HASHLIB[alg])
        h.update(b"\xa5" + struct.pack("<I", len(piece)))
        h.update(piece)
        out.append(h.digest())
    return out


def _top(alg: str, chunk_digests: list[bytes]) -> bytes:
    h = hashlib.new(_HASHLIB[alg])
    h.update(b"\x5a" + struct.pack("<I", len(chunk_digests)))
    for d in chunk_digests:
        h.update(d)
    return h.digest()


class VerityTree:
    """fs-verity style Merkle tree root of SHA-256 over 4 KiB blocks, built while streaming.

    Only the leaf level is kept while streaming (32 bytes per 4 KiB: 0.8% of the input)."""

    def __init__(self, salt: bytes | None) -> None:
        self.salt = salt or b""
        self.leaves = bytearray()
        self.carry = bytearray()
        self.length = 0

    def _hash(self, block) -> bytes:
        h = hashlib.sha256(self.salt)
        h.update(block)
        return h.digest()

    def update(self, data) -> None:
        data = memoryview(data)
        self.length += len(data)
        if self.carry:
            need = VERITY_BLOCK - len(self.carry)
            self.carry += data[:need]
            data = data[need:]
            if len(self.carry) < VERITY_BLOCK:
                return
            self.leaves += self._hash(self.carry)
            self.carry = bytearray()
        full = len(data) - len(data) % VERITY_BLOCK
        salt = self.salt
        leaves = self.leaves
        sha256 = hashlib.sha256
        for i in range(0, full, VERITY_BLOCK):
            h = sha256(salt)
            h.update(data[i:i + VERITY_BLOCK])
            leaves += h.digest()
        if full < len(data):
            self.carry += data[full:]

    def tree_levels(self) -> list[bytes]:
        """All levels, bottom (leaf hashes) first, each zero-padded to 4 KiB."""
        leaves = bytes(self.leaves)
        if self.carry or self.length == 0:
            # the last partial data block is zero-padded to 4 KiB, as fs-verity does
            leaves += self._hash(bytes(self.carry).ljust(VERITY_BLOCK, b"\0"))
        levels = [_pad_page(leaves)]
        while len(levels[-1]) > VERITY_BLOCK:
            level = levels[-1]
            up = b"".join(self._hash(level[i:i + VERITY_BLOCK]) for i in range(0, len(level), VERITY_BLOCK))
            levels.append(_pad_page(up))
        return levels

    def root(self) -> bytes:
        return self._hash(self.tree_levels()[-1][:VERITY_BLOCK])

    def serialized_tree(self) -> bytes:
        """The tree as stored in a v4 signature file: top level first."""
        return b"".join(reversed(self.tree_levels()))


def _pad_page(data: bytes) -> bytes:
    rest = len(data) % VERITY_BLOCK
    return data + bytes(VERITY_BLOCK - rest) if rest else data


class ContentDigester:
    """Consumer for Archive.stream(): computes the requested content digests of the signed
    content in one sequential pass. `results` maps digest algorithm -> digest after finish()."""

    def __init__(self, algorithms, signing_block_offset: int, cd_offset: int, eocd_offset: int,
                 eocd: bytes) -> None:
        self.algorithms = frozenset(algorithms)
        chunked = tuple(sorted(a for a in self.algorithms if a in _HASHLIB))
        self._chunk_digests: dict[str, list[bytes]] = {a: [] for a in chunked}
        self._sections = [
            _Section(0, signing_block_offset, chunked, self._chunk_digests),
            _Section(cd_offset, eocd_offset, chunked, self._chunk_digests),
        ] if chunked else []
        self._eocd = modified_eocd(eocd, signing_block_offset)
        self._verity = VerityTree(bytes(8)) if VERITY_CHUNKED_SHA256 in self.algorithms else None
        self._verity_pos = 0
        self._verity_ranges = ((0, signing_block_offset), (cd_offset, eocd_offset))
        self._verity_broken = False
        self.signing_block_offset = signing_block_offset
        self.results: dict[str, bytes] = {}
        self.finished = False

    def feed(self, offset: int, chunk) -> None:
        chunk = memoryview(chunk)
        for section in self._sections:
            section.feed(offset, chunk)
        if self._verity is not None:
            self._feed_verity(offset, chunk)

    def _feed_verity(self, offset: int, chunk: memoryview) -> None:
        for start, end in self._verity_ranges:
            lo, hi = max(offset, start), min(offset + len(chunk), end)
            if lo >= hi:
                continue
            logical = lo if start == 0 else self.signing_block_offset + (lo - start)
            if logical != self._verity_pos:
                self._verity_broken = True
                return
            self._verity.update(chunk[lo - offset:hi - offset])
            self._verity_pos += hi - lo

    def finish(self) -> None:
        if self.finished:
            return
        self.finished = True
        if any(not s.complete for s in self._sections):
            return  # incomplete stream: no digest, so nothing can verify
        for alg, digests in self._chunk_digests.items():
            self.results[alg] = _top(alg, digests + chunked_digest_of_bytes(alg, self._eocd))
        if self._verity is not None and not self._verity_broken:
            cd_len = self._verity_ranges[1][1] - self._verity_ranges[1][0]
            if self._verity_pos == self.signing_block_offset + cd_len:
                self._verity.update(self._eocd)
                self.results[VERITY_CHUNKED_SHA256] = self._verity.root() + struct.pack("<Q", self._verity.length)


class WholeFileVerity:
    """Consumer for Archive.stream(): the v4 Merkle tree over the entire file (no salt)."""

    def __init__(self) -> None:
        self.tree = VerityTree(None)
        self.pos = 0
        self.broken = False
        self.finished = False

    def feed(self, offset: int, chunk) -> None:
        if offset != self.pos:
            self.broken = True
            return
        self.tree.update(chunk)
        self.pos += len(chunk)

    def finish(self) -> None:
        self.finished = True


def content_digests_of_bytes(algorithms, before_block: bytes, central_directory: bytes, eocd: bytes) -> dict[str, bytes]:
    """The content digests of an APK held in memory (used by the signer). `eocd` must already
    point at the signing block offset (= len(before_block))."""
    out: dict[str, bytes] = {}
    for alg in algorithms:
        if alg in _HASHLIB:
            chunks = []
            for section in (before_block, central_directory, eocd):
                chunks += chunked_digest_of_bytes(alg, section)
            out[alg] = _top(alg, chunks)
        elif alg == VERITY_CHUNKED_SHA256:
            tree = VerityTree(bytes(8))
            for section in (before_block, central_directory, eocd):
                tree.update(section)
            out[alg] = tree.root() + struct.pack("<Q", tree.length)
    return out
