"""Short fuzzing of the DEX string-table reader: real DEX files mutated, with the header fields
it trusts (string_ids_size/off, type_ids_size/off) forced to hostile values. It never raises and
stays within its string and byte bounds."""
from __future__ import annotations

import struct
import sys

from conftest import ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(ROOT / "fuzz"))
import fuzz_targets as ft  # noqa: E402
from apkscan.analyzers.dex_strings import parse_dex_strings  # noqa: E402

DEXES = ft.seeds("dex_strings")
HEADER_FIELDS = (0x38, 0x3C, 0x40, 0x44)  # string_ids_size, string_ids_off, type_ids_size, type_ids_off


def test_seeds_are_real_dex_files():
    assert len(DEXES) >= 2
    for data in DEXES:
        table = parse_dex_strings(data)
        assert table.ok and table.strings and table.type_descriptors, table.problems


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.sampled_from(range(len(DEXES))), ops=ft.mutation_ops(max_ops=5, header_bias=0x70))
def test_mutated_dex_never_crashes(seed, ops):
    ft.check_dex_strings(ft.mutate(DEXES[seed], ops))


@settings(max_examples=200, deadline=None)
@given(seed=st.sampled_from(range(len(DEXES))),
       fields=st.lists(st.tuples(st.sampled_from(HEADER_FIELDS), st.sampled_from(ft.INTERESTING) | st.integers(0, (1 << 32) - 1)),
                       min_size=1, max_size=4))
def test_hostile_header_counts_and_offsets(seed, fields):
    buf = bytearray(DEXES[seed])
    for offset, value in fields:
        struct.pack_into("<I", buf, offset, value & 0xFFFFFFFF)
    ft.check_dex_strings(bytes(buf))


def test_overlapping_strings_are_bounded():
    """Every string id pointing at one long string: the scan budget stops the quadratic blow-up."""
    data = bytearray(DEXES[-1])
    count, ids_off = struct.unpack_from("<II", data, 0x38)
    first = struct.unpack_from("<I", data, ids_off)[0]
    for i in range(count):
        struct.pack_into("<I", data, ids_off + 4 * i, first)
    table = parse_dex_strings(bytes(data), scan_budget=4 * len(data))
    assert len(table.strings) == count
