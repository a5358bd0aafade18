"""Archive.stream (one sequential pass, hashes, chunk consumers) and Archive.for_each_entry."""
from __future__ import annotations

import hashlib
import os
import tracemalloc
import zlib

import pytest
from zip_kit import DEX, MANIFEST, Member, build_zip, deflate, write

import apkscan.archive.archive as archive_module
from apkscan.archive import ArchiveError, Limits, open_archive


class Recorder:
    def __init__(self):
        self.sha = hashlib.sha256()
        self.offsets: list[tuple[int, int]] = []
        self.finished = 0

    def feed(self, offset, chunk):
        assert isinstance(chunk, memoryview)
        self.offsets.append((offset, len(chunk)))
        self.sha.update(chunk)

    def finish(self):
        self.finished += 1


class Exploding(Recorder):
    def feed(self, offset, chunk):
        if offset:
            raise RuntimeError("boom")
        super().feed(offset, chunk)


@pytest.fixture()
def big_zip(tmp_path):
    members = [Member("AndroidManifest.xml", MANIFEST), Member("classes.dex", DEX * 200, method=0)]
    members += [Member(f"assets/r{i}.bin", os.urandom(700_000), method=8) for i in range(5)]
    return write(tmp_path, build_zip(members))


def test_stream_hashes_and_feeds_every_byte_once(big_zip):
    data = open(big_zip, "rb").read()
    good, bad = Recorder(), Exploding()
    with open_archive(big_zip) as arc:
        hashes = arc.stream([bad, good])
        assert hashes == arc.hashes == {
            "md5": hashlib.md5(data).hexdigest(),
            "sha1": hashlib.sha1(data).hexdigest(),
            "sha256": hashlib.sha256(data).hexdigest(),
        }
        assert [c for c, _ in arc.consumer_errors] == [bad]
    assert good.sha.hexdigest() == hashlib.sha256(data).hexdigest()
    assert good.finished == 1 and bad.finished == 0
    expected_offset = 0
    for offset, n in good.offsets:
        assert offset == expected_offset and 0 < n <= 1 << 20
        expected_offset += n
    assert expected_offset == len(data) and len(good.offsets) > 3
    assert all(n == 1 << 20 for _, n in good.offsets[:-1])  # deterministic 1 MiB chunk boundaries


def test_stream_memory_is_constant(tmp_path):
    payload = os.urandom(1 << 20) * 40
    path = write(tmp_path, build_zip([Member("big.bin", payload, method=0)]))
    with open_archive(path) as arc:
        tracemalloc.start()
        arc.stream([Recorder()])
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert arc.hashes["sha256"] == hashlib.sha256(open(path, "rb").read()).hexdigest()
    assert peak < 6 << 20, f"stream peaked at {peak >> 20} MiB for a 40 MiB file"


class Wanting:
    def __init__(self, prefix, with_errors=True):
        self.prefix = prefix
        self.got: dict[str, bytes] = {}
        self.errors: dict[str, str] = {}
        if not with_errors:
            self.entry_error = None  # type: ignore[assignment]
            del self.entry_error

    def wants(self, entry):
        return entry.name.startswith(self.prefix)

    def consume(self, entry, data):
        assert entry.name not in self.got
        self.got[entry.name] = data

    def entry_error(self, entry, error):
        assert isinstance(error, ArchiveError)
        self.errors[entry.name] = error.code


def test_for_each_entry_inflates_once_and_survives_bad_entries(tmp_path, monkeypatch):
    bomb = deflate(b"\0" * (40 << 20), 9)
    members = [
        Member("AndroidManifest.xml", MANIFEST),
        Member("assets/bomb.bin", payload=bomb, cd={"usize": 40 << 20, "crc": 0}, lfh={"usize": 40 << 20, "crc": 0}),
        Member("assets/corrupt.bin", payload=b"\xff" * 64, cd={"usize": 100, "csize": 64}, lfh={"usize": 100, "csize": 64}),
        Member("assets/ok.txt", b"fine" * 1000),
        Member("classes.dex", DEX, method=0),
    ]
    path = write(tmp_path, build_zip(members))
    calls = []
    real = archive_module.inflate_range
    monkeypatch.setattr(archive_module, "inflate_range", lambda *a, **k: calls.append(a[1]) or real(*a, **k))

    class Raising(Wanting):
        def consume(self, entry, data):
            raise ValueError("consumer bug")

    assets, everything, quiet, raising = Wanting("assets/"), Wanting(""), Wanting("assets/", False), Raising("classes")
    with open_archive(path) as arc:
        done = arc.for_each_entry([assets, everything, quiet, raising])
        assert done == 3
        assert everything.got == {"AndroidManifest.xml": MANIFEST, "assets/ok.txt": b"fine" * 1000, "classes.dex": DEX}
        assert set(assets.got) == {"assets/ok.txt"}
        assert assets.errors == {"assets/bomb.bin": "LIMIT_EXCEEDED", "assets/corrupt.bin": "BAD_ENTRY"}
        assert everything.errors == assets.errors
        assert set(quiet.got) == {"assets/ok.txt"}
        assert {"ZIP_LIMIT_EXCEEDED", "ZIP_CORRUPT_DATA"} <= set(arc.anomaly_ids)
        assert [c for c, _ in arc.consumer_errors] == [raising]
        assert len(calls) == len(set(calls)) == 4  # each deflated entry inflated once for all consumers


def test_for_each_entry_does_not_cache_big_entries(tmp_path, monkeypatch):
    big = os.urandom(200_000)
    path = write(tmp_path, build_zip([Member("small", MANIFEST), Member("big", big)]))
    calls = []
    real = archive_module.inflate_range
    monkeypatch.setattr(archive_module, "inflate_range", lambda *a, **k: calls.append(a[1]) or real(*a, **k))
    with open_archive(path, Limits(cache_entry_max=100_000)) as arc:
        arc.for_each_entry([Wanting("")])
        assert len(calls) == 2
        assert arc.read("small") == MANIFEST and len(calls) == 2  # cached
        assert arc.read("big") == big and len(calls) == 3  # not cached: inflated again
        assert zlib.crc32(big) == arc.entry("big").crc32
