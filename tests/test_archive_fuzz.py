"""Mutated small ZIPs: whatever the bytes, the archive API raises ArchiveError and nothing else
(and never INTERNAL, which would be a bug of ours rather than a property of the input)."""
from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_archive_tricks import DEX, MANIFEST, Member, build_zip

from apkscan.archive import ANOMALY_IDS, ArchiveError, Limits, open_archive

BASES = [
    build_zip([Member("AndroidManifest.xml", MANIFEST), Member("classes.dex", DEX, method=0),
               Member("res/a.txt", b"abc" * 300)]),
    build_zip([Member("a", b"x" * 2000), Member("b", b"y", flags=8,
                                                   descriptor=b"PK\x07\x08" + b"\0" * 12)], comment=b"hi"),
    build_zip([Member("z", b"\0" * 300_000)], zip64=True),
]
LIMITS = Limits(max_entry_size=1 << 20, max_total_uncompressed=4 << 20, ratio_min_size=64 << 10)

mutation = st.tuples(
    st.sampled_from(["set", "insert", "delete", "truncate", "u16", "u32"]),
    st.one_of(st.integers(0, 4000), st.integers(-120, -1)),  # anywhere, or in the CD/EOCD tail
    st.binary(min_size=1, max_size=8),
    st.sampled_from([0, 1, 0x7F, 0xFF, 0xFFFF, 0xFFFFFFFF, 0x80000000, 46, 22]),
)


def mutate(data: bytes, mutations) -> bytes:
    buf = bytearray(data)
    for kind, pos, blob, number in mutations:
        if not buf:
            break
        pos = pos % len(buf)
        if kind == "set":
            buf[pos:pos + len(blob)] = blob
        elif kind == "insert":
            buf[pos:pos] = blob
        elif kind == "delete":
            del buf[pos:pos + len(blob)]
        elif kind == "truncate":
            del buf[pos:]
        elif kind == "u16":
            buf[pos:pos + 2] = (number & 0xFFFF).to_bytes(2, "little")
        else:
            buf[pos:pos + 4] = (number & 0xFFFFFFFF).to_bytes(4, "little")
    return bytes(buf)


class Sink:
    def feed(self, offset, chunk):
        pass

    def finish(self):
        pass

    def wants(self, entry):
        return True

    def consume(self, entry, data):
        pass

    def entry_error(self, entry, error):
        assert isinstance(error, ArchiveError)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(base=st.sampled_from(range(len(BASES))), mutations=st.lists(mutation, min_size=1, max_size=4))
def test_only_archive_errors_escape(tmp_path, base, mutations):
    path = tmp_path / "fuzz.apk"
    path.write_bytes(mutate(BASES[base], mutations))
    try:
        arc = open_archive(path, LIMITS)
    except ArchiveError as err:
        assert err.code != "INTERNAL", err
        return
    with arc:
        for entry in arc.entries + arc.hidden_entries:
            try:
                arc.read(entry)
            except ArchiveError as err:
                assert err.code != "INTERNAL", err
        for name in ("AndroidManifest.xml", "", "\udcff"):
            try:
                arc.read(name, max_size=4096)
            except ArchiveError as err:
                assert err.code != "INTERNAL", err
        arc.for_each_entry([Sink()])
        assert arc.stream([Sink()])["sha256"]
        assert arc.consumer_errors == []
        for a in arc.anomalies:
            assert a.id in ANOMALY_IDS and a.message
            json.dumps(a.to_dict())  # evidence goes straight into JSON/SARIF reports
