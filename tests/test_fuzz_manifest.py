"""Short fuzzing of the binary XML decoder (AndroidManifest.xml and res/xml files): real manifests
from the corpus and the factory, mutated. Whatever the bytes, ``extract_facts`` returns AppFacts or
raises ManifestError, and ``parse_xml_resource`` returns an element or None, within a time bound.
The same targets run for hours under atheris: ``python fuzz/fuzz_manifest.py`` (docs/fuzzing.md)."""
from __future__ import annotations

import sys

from conftest import ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(ROOT / "fuzz"))
import fuzz_targets as ft  # noqa: E402

MANIFESTS = ft.seeds("manifest")
RESOURCES = ft.manifest_resources()


def test_seeds_are_real_manifests():
    assert len(MANIFESTS) >= 2  # the factory's, plus the corpus's when ../shared is present
    for data in MANIFESTS:
        assert data[:2] == b"\x03\x00"  # RES_XML_TYPE
        ft.check_manifest(data, RESOURCES)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.sampled_from(range(len(MANIFESTS))), ops=ft.mutation_ops(), with_resources=st.booleans())
def test_mutated_manifest_never_crashes(seed, ops, with_resources):
    ft.check_manifest(ft.mutate(MANIFESTS[seed], ops), RESOURCES if with_resources else None)


@settings(max_examples=100, deadline=None)
@given(data=st.binary(max_size=2048))
def test_random_bytes_as_manifest(data):
    ft.check_manifest(b"\x03\x00\x08\x00" + data)


def test_tampered_namespace_uri_still_renders():
    """Found by fuzzing: a namespace URI that lxml refuses (here one with a space, under another
    prefix) made parse_xml_resource raise and the manifest text vanish (AXML_RENDER_FAILED), which
    hides the manifest from YARA; Android does not validate namespace URIs."""
    from apkscan.manifest import extract_facts, parse_xml_resource

    base = next(m for m in MANIFESTS if b"\x07\x07android\x00" in m)  # UTF-8 string pool
    broken = base.replace(b"\x07\x07android\x00", b"\x07\x07androix\x00", 1)
    broken = broken.replace(b"http://schemas.android.com/apk/res/android",
                            b"h tp://schemas.android.com/apk/res/android", 1)
    archive = ft.MemoryArchive({"AndroidManifest.xml": broken, "res/xml/x.xml": broken})
    facts = extract_facts(archive)
    assert facts.package and facts.manifest_xml and "<manifest" in facts.manifest_xml
    assert not any(p.startswith("AXML_RENDER_FAILED") for p in facts.manifest_problems)
    assert parse_xml_resource(archive, "res/xml/x.xml") is not None


def test_attribute_name_ending_in_newline_still_renders():
    """Found by atheris (fuzz/fuzz_manifest.py): an attribute name string ending in a newline
    passed the name check (regex "$" matches before a final newline) and lxml refused it, so the
    manifest text vanished from the report and from YARA's view."""
    from apkscan.manifest import extract_facts, parse_xml_resource

    base = next(m for m in MANIFESTS if b"\x18\x18platformBuildVersionCode\x00" in m)
    broken = base.replace(b"\x18\x18platformBuildVersionCode\x00", b"\x18\x18platformBuildVersionCod\n\x00", 1)
    archive = ft.MemoryArchive({"AndroidManifest.xml": broken, "res/xml/x.xml": broken})
    facts = extract_facts(archive)
    assert facts.package and facts.manifest_xml and "platformBuildVersionCod_=" in facts.manifest_xml
    assert not any(p.startswith("AXML_RENDER_FAILED") for p in facts.manifest_problems)
    assert parse_xml_resource(archive, "res/xml/x.xml") is not None
