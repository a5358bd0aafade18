"""Short fuzzing of the APK Signing Block parser (framing, id-value pairs) and the v2/v3/v3.1
signer-block parsers behind it: real blocks (factory, apksig corpus) mutated. ``locate`` raises
SignatureNotFound/BlockTooLarge only; scheme parsing reports issues, never raises."""
from __future__ import annotations

import struct
import sys

from conftest import ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(ROOT / "fuzz"))
import fuzz_targets as ft  # noqa: E402
from apkscan.signing import block  # noqa: E402

BLOCKS = ft.seeds("signing_block")


def _pair_region(data: bytes) -> tuple[int, int]:
    """(start, end) of the id-value pairs inside a block: where mutations matter most."""
    return 8, len(data) - block.FOOTER_SIZE


def test_seeds_are_real_blocks():
    assert len(BLOCKS) >= 2
    for data in BLOCKS:
        assert data.endswith(block.MAGIC)
        found = block.locate(lambda o, n: data[o:o + n], len(data), 0, len(data))
        assert block.V2_BLOCK_ID in found.ids() or block.V3_BLOCK_ID in found.ids()
        ft.check_signing_block(data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.sampled_from(range(len(BLOCKS))), ops=ft.mutation_ops(max_ops=4, header_bias=1024))
def test_mutated_block_never_crashes(seed, ops):
    ft.check_signing_block(ft.mutate(BLOCKS[seed], ops))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.sampled_from(range(len(BLOCKS))), ops=ft.mutation_ops(max_ops=4, header_bias=1024))
def test_mutated_scheme_block_with_intact_framing(seed, ops):
    """Keep the block's framing valid and mutate inside one pair's value, so the mutations reach
    the signer parsers (signed data, certificates, digests, lineage) rather than the frame."""
    data = BLOCKS[seed]
    found = block.locate(lambda o, n: data[o:o + n], len(data), 0, len(data))
    pairs = [(ident, ft.mutate(value, ops) if ident in (block.V2_BLOCK_ID, block.V3_BLOCK_ID,
                                                         block.V31_BLOCK_ID) else value)
             for ident, value in found.pairs]
    ft.check_signing_block(block.build(pairs, pad_to_page=False))


def test_length_fields_at_their_limits():
    data = BLOCKS[0]
    start, end = _pair_region(data)
    for value in (0, 3, 4, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFFFFFFFFFF, end - start, end - start - 8):
        ft.check_signing_block(data[:start] + struct.pack("<Q", value) + data[start + 8:])
        ft.check_signing_block(struct.pack("<Q", value) + data[8:])
        ft.check_signing_block(data[:-24] + struct.pack("<Q", value) + data[-16:])
