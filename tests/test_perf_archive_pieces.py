"""Archive.for_each_entry hands big entries out in pieces: same bytes, same anomalies, bounded memory."""
from __future__ import annotations

import hashlib
import os
import random
import tracemalloc
import zlib

import pytest
from zip_kit import MANIFEST, Member, build_zip, write

import apkscan.archive.archive as archive_module
from apkscan.archive import ArchiveError, Limits, open_archive


def soup(n: int, seed: int = 1) -> bytes:
    """Text-like filler that deflates about 3:1 (far from the zip-bomb ratio). A 256 KiB block is
    repeated: deflate only looks 32 KiB back, so the repeats compress no better."""
    rng = random.Random(seed)
    words = [bytes(rng.choice(b"abcdefghij klmnop") for _ in range(rng.randrange(2, 9))) for _ in range(400)]
    block = bytearray()
    while len(block) < 256 << 10:
        block += rng.choice(words) + rng.randbytes(1)
    return (bytes(block) * (n // len(block) + 1))[:n]


class WholeOnly:
    """A consumer without the piece methods: always gets whole entries."""

    def __init__(self):
        self.whole: dict[str, bytes] = {}
        self.errors: dict[str, str] = {}

    def wants(self, entry):
        return not entry.name.endswith(".xml")

    def consume(self, entry, data):
        self.whole[entry.name] = data

    def entry_error(self, entry, error):
        assert isinstance(error, ArchiveError)
        self.errors[entry.name] = error.code


class Taker(WholeOnly):
    """Takes pieces (only when ``accept(head)``), records what it got."""

    def __init__(self, accept=lambda head: True):
        super().__init__()
        self.accept = accept
        self.pieces: dict[str, list[bytes]] = {}
        self.heads: dict[str, int] = {}
        self.ended: list[str] = []

    def takes_pieces(self, entry, head):
        self.heads[entry.name] = len(head)
        return self.accept(head)

    def consume_piece(self, entry, piece):
        self.pieces.setdefault(entry.name, []).append(bytes(piece))

    def end_entry(self, entry):
        self.ended.append(entry.name)


@pytest.fixture()
def small_threshold(monkeypatch):
    monkeypatch.setattr(archive_module, "STREAM_MIN", 1 << 20)
    monkeypatch.setattr(archive_module, "HEAD_MIN", 256 << 10)


@pytest.fixture()
def apk(tmp_path):
    big = soup(3 << 20)
    stored = os.urandom(3 << 20)
    members = [
        Member("AndroidManifest.xml", MANIFEST),
        Member("assets/big.bin", big),
        Member("assets/stored.bin", stored, method=0),
        Member("assets/small.txt", b"small" * 100),
        Member("assets/corrupt.bin", payload=b"\xff" * 4096, cd={"usize": 3 << 20, "csize": 4096},
               lfh={"usize": 3 << 20, "csize": 4096}),
        Member("assets/badcrc.bin", big[:2 << 20], cd={"crc": 1}, lfh={"crc": 1}),
    ]
    return write(tmp_path, build_zip(members)), {"assets/big.bin": big, "assets/stored.bin": stored,
                                                 "assets/small.txt": b"small" * 100, "assets/badcrc.bin": big[:2 << 20]}


def test_big_entries_come_in_pieces_with_the_same_bytes(small_threshold, apk):
    path, content = apk
    taker = Taker()
    with open_archive(path) as arc:
        assert arc.for_each_entry([taker]) == 4
        piece_ids = sorted(arc.anomaly_ids)
    assert set(taker.pieces) == {"assets/big.bin", "assets/stored.bin", "assets/badcrc.bin"}
    for name, pieces in taker.pieces.items():
        assert b"".join(pieces) == content[name]
        assert all(len(p) <= archive_module.PIECE for p in pieces[1:])
        assert taker.heads[name] >= archive_module.HEAD_MIN  # consumers decide on at least this much
    assert taker.whole == {"assets/small.txt": content["assets/small.txt"]}  # small: whole, as before
    assert sorted(taker.ended) == sorted(taker.pieces)
    assert taker.errors == {"assets/corrupt.bin": "BAD_ENTRY"}
    # the same tamper evidence as reading every entry whole
    with open_archive(path) as arc:
        for e in arc.entries:
            try:
                arc.read(e)
            except ArchiveError:
                pass
        assert sorted(arc.anomaly_ids) == piece_ids
    assert {"ZIP_CORRUPT_DATA", "ZIP_CRC_MISMATCH"} <= set(piece_ids)


def test_one_consumer_needing_the_whole_entry_gets_it_for_everyone(small_threshold, apk):
    path, content = apk
    picky = Taker(accept=lambda head: not head.startswith(b"\xff"))  # stand-in for "a DEX: read it whole"
    whole = WholeOnly()
    with open_archive(path) as arc:
        arc.for_each_entry([picky, whole])
    assert picky.pieces == {} and picky.ended == []
    for name in ("assets/big.bin", "assets/stored.bin"):
        assert picky.whole[name] == whole.whole[name] == content[name]
    declining = Taker(accept=lambda head: False)
    with open_archive(path) as arc:
        arc.for_each_entry([declining, Taker()])
    assert declining.whole["assets/big.bin"] == content["assets/big.bin"] and declining.pieces == {}


def test_limits_stop_a_streamed_entry_like_a_whole_one(small_threshold, tmp_path):
    data = soup(3 << 20, seed=2)
    path = write(tmp_path, build_zip([Member("AndroidManifest.xml", MANIFEST), Member("assets/a.bin", data)]))
    taker = Taker()
    with open_archive(path, Limits(max_entry_size=2 << 20)) as arc:
        arc.for_each_entry([taker])
        assert taker.errors == {"assets/a.bin": "LIMIT_EXCEEDED"}
        assert "ZIP_LIMIT_EXCEEDED" in arc.anomaly_ids
        assert sum(map(len, taker.pieces.get("assets/a.bin", []))) <= 2 << 20
        assert "assets/a.bin" not in taker.ended  # partial pieces end with entry_error, not end_entry
        again = Taker()
        arc.for_each_entry([again])  # the failure is remembered: not inflated a second time
        assert again.errors == {"assets/a.bin": "LIMIT_EXCEEDED"} and again.pieces == {}


def test_streaming_keeps_memory_at_a_few_pieces(tmp_path):
    size = 48 << 20  # over STREAM_MIN (16 MiB)
    data = soup(size, seed=3)
    path = write(tmp_path, build_zip([Member("AndroidManifest.xml", MANIFEST), Member("assets/big.bin", data)]))
    want = hashlib.sha256(data).hexdigest()
    del data

    class Hasher:
        def __init__(self):
            self.h = hashlib.sha256()

        def wants(self, entry):
            return entry.name == "assets/big.bin"

        def takes_pieces(self, entry, head):
            return True

        def consume_piece(self, entry, piece):
            self.h.update(piece)

        def end_entry(self, entry):
            pass

    hasher = Hasher()
    with open_archive(path) as arc:
        tracemalloc.start()
        arc.for_each_entry([hasher])
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert hasher.h.hexdigest() == want
    assert peak < 16 << 20, peak  # whole, the entry alone would be 48 MiB (96 while joining)


def test_content_analyzers_give_the_same_findings_in_pieces_and_whole(tmp_path, monkeypatch):
    from content_kit import elf, run_content, write_apk

    blob = os.urandom(2 << 20)
    lib = elf("https://c2.example-bad.xyz:8443/gate", "103.9.76.10:8888") + soup(2 << 20) + b"\0wss://x.example.net/s\0"
    apk = write_apk(tmp_path, {"assets/blob.dat": blob, "lib/arm64-v8a/libbig.so": lib,
                               "assets/SBV.apk.bin": b"plain text " * 100})

    def run():
        found = run_content(apk)
        return sorted((f.id, f.path, repr(sorted(f.evidence.items()))) for f in found)

    whole = run()
    monkeypatch.setattr(archive_module, "STREAM_MIN", 64 << 10)
    monkeypatch.setattr(archive_module, "HEAD_MIN", 512 << 10)
    # YARA reads whole entries (it does not take pieces); without it the others get pieces
    from apkscan.analyzers.indicators import IndicatorAnalyzer
    from apkscan.analyzers.payloads import PayloadAnalyzer

    calls = []
    real = archive_module.Archive._stream_entry
    monkeypatch.setattr(archive_module.Archive, "_stream_entry", lambda self, e, w: calls.append(e.name) or real(self, e, w))
    pieces = sorted((f.id, f.path, repr(sorted(f.evidence.items())))
                    for f in run_content(apk, analyzers=[IndicatorAnalyzer(), PayloadAnalyzer()]))
    assert {"assets/blob.dat", "lib/arm64-v8a/libbig.so"} <= set(calls)
    assert pieces == [w for w in whole if not w[0].startswith("YARA_")]
    assert any(w[0] == "PAYLOAD_ENCRYPTED_BLOB" for w in pieces)
    assert any(w[0] == "STR_WEBSOCKET_ENDPOINT" for w in pieces)


def test_crc_of_pieces_matches_zlib(small_threshold, apk):
    path, content = apk
    with open_archive(path) as arc:
        e = arc.entry("assets/big.bin")
        crc = 0
        for piece in arc._pieces(e, arc.limits.max_entry_size):
            crc = zlib.crc32(piece, crc)
        assert crc == e.crc32 == zlib.crc32(content["assets/big.bin"])
