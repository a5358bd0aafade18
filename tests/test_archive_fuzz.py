"""Mutated small ZIPs: whatever the bytes, the archive API raises ArchiveError and nothing else
(and never INTERNAL, which would be a bug of ours rather than a property of the input). The
contract itself is the fuzz target's (fuzz/fuzz_targets.py check_archive); this runs it on small
hand-built ZIPs with mutations aimed at the headers and the central directory tail."""
from __future__ import annotations

import sys

from conftest import ROOT
from hypothesis import given, settings
from hypothesis import strategies as st
from zip_kit import DEX, MANIFEST, Member, build_zip

from apkscan.archive import Limits

sys.path.insert(0, str(ROOT / "fuzz"))
import fuzz_targets as ft  # noqa: E402

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


@settings(max_examples=200, deadline=None)
@given(base=st.sampled_from(range(len(BASES))), mutations=st.lists(mutation, min_size=1, max_size=4))
def test_only_archive_errors_escape(base, mutations):
    ft.check_archive(ft.mutate(BASES[base], mutations), LIMITS)
