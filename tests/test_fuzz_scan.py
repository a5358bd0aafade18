"""Short fuzzing of the whole pipeline: small APKs (factory and corpus) mutated as raw bytes, and
factory APKs with one member (manifest, resources, DEX, res/xml config) mutated and re-zipped.
``scan_file`` must return a result that is ``ok`` or an ``error`` with a clear code, never
INTERNAL (a bug caught by the pipeline's last line of defence), within a time bound."""
from __future__ import annotations

import sys

from conftest import ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(ROOT / "fuzz"))
import fuzz_targets as ft  # noqa: E402

APKS = ft.seeds("scan")[:3]


def test_seeds_scan_ok():
    for data in APKS:
        ft.check_scan(data)
    for name in ft.MEMBERS:
        (seed,) = ft.seeds(name)
        ft.check_scan_member(name, seed)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.sampled_from(range(len(APKS))), ops=ft.mutation_ops(max_ops=4))
def test_mutated_apk_never_crashes_the_scan(seed, ops):
    ft.check_scan(ft.mutate(APKS[seed], ops))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(member=st.sampled_from(ft.MEMBERS), ops=ft.mutation_ops(max_ops=4))
def test_mutated_member_never_crashes_the_scan(member, ops):
    (seed,) = ft.seeds(member)
    ft.check_scan_member(member, ft.mutate(seed, ops))
