"""Short fuzzing of the resources.arsc reader: real tables mutated. Construction raises ArscError
or nothing; every lookup returns; and a damaged table next to a sound manifest never costs the
app's facts (Android installs apps whose resources it cannot fully read)."""
from __future__ import annotations

import sys
import zipfile
from io import BytesIO

from conftest import ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(ROOT / "fuzz"))
import fuzz_targets as ft  # noqa: E402

TABLES = ft.seeds("arsc")
_apk = zipfile.ZipFile(BytesIO(ft.factory_apk("benign-notes")))
PAIR = (_apk.read("AndroidManifest.xml"), _apk.read("resources.arsc"))


def test_seeds_are_real_tables():
    assert len(TABLES) >= 2
    for data in TABLES:
        assert data[:2] == b"\x02\x00"  # RES_TABLE_TYPE
        ft.check_arsc(data)
    ft.check_arsc(PAIR[1], PAIR[0])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.sampled_from(range(len(TABLES))), ops=ft.mutation_ops(max_ops=5))
def test_mutated_table_never_crashes(seed, ops):
    ft.check_arsc(ft.mutate(TABLES[seed], ops))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=ft.mutation_ops(max_ops=5))
def test_damaged_table_does_not_hide_the_app(ops):
    ft.check_arsc(ft.mutate(PAIR[1], ops), manifest=PAIR[0])
