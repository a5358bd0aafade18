"""Corrupted binary manifests: what Android tolerates is read (and reported), what it refuses is
MANIFEST_REJECTED, and no byte pattern costs unbounded time or memory.

The mutations are applied to a real manifest from the malformed corpus, the way packers do
(ResXMLTree rules: AOSP libs/androidfw/ResourceTypes.cpp)."""
from __future__ import annotations

import struct
import time
import tracemalloc
import zipfile

import pytest
from conftest import read_jsonl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_manifest_kit import (
    CLEAN_POLITEDROID,
    DictArchive,
    chunk_type,
    element_ranges,
    join,
    pad_node_header,
    read_manifest,
    repack,
    replace_utf16,
    split,
    string_pool_strings,
    swap_attributes,
    unknown_chunk,
)

from apkscan.archive import open_archive
from apkscan.manifest import ManifestError, extract_facts
from apkscan.model import AppFacts


@pytest.fixture(scope="module")
def base_apk(malformed_corpus):
    return malformed_corpus / CLEAN_POLITEDROID


@pytest.fixture(scope="module")
def base_manifest(base_apk):
    return read_manifest(base_apk)


@pytest.fixture(scope="module")
def base_facts(base_apk):
    with open_archive(base_apk) as arc:
        return extract_facts(arc)


def facts_of(tmp_path, base_apk, manifest: bytes, name: str = "m.apk", method: int = zipfile.ZIP_DEFLATED) -> AppFacts:
    path = repack(base_apk, tmp_path / name, manifest, method)
    with open_archive(path) as arc:
        return extract_facts(arc)


def rejected(tmp_path, base_apk, manifest: bytes) -> ManifestError:
    with pytest.raises(ManifestError) as info:
        facts_of(tmp_path, base_apk, manifest)
    assert info.value.code == "MANIFEST_REJECTED"
    return info.value


def codes(facts: AppFacts) -> set[str]:
    return {p.split(":", 1)[0] for p in facts.manifest_problems}


def same_app(a: AppFacts, b: AppFacts) -> bool:
    return (a.package, a.label, a.version_code, a.min_sdk, a.permissions, a.components, a.launcher_activity) == (
        b.package, b.label, b.version_code, b.min_sdk, b.permissions, b.components, b.launcher_activity)


# --- the malformed corpus -------------------------------------------------------------------

def test_corpus_bad_chunk_type_is_read_like_the_clean_app(malformed_corpus, base_facts):
    expected = {r["file"]: r for r in read_jsonl(malformed_corpus / "expected.jsonl")}
    assert "axml-bad-chunk-type" in expected["axml-bad-chunk-type__resigned.apk"]["trick"]
    with open_archive(malformed_corpus / "axml-bad-chunk-type__resigned.apk") as arc:
        facts = extract_facts(arc)
    assert same_app(facts, base_facts)
    assert facts.package == "com.politedroid" and facts.components
    assert codes(facts) == {"AXML_HEADER_TYPE"}
    assert base_facts.manifest_problems == ()


def test_corpus_string_pool_count_huge_is_rejected_quickly_and_without_allocating(malformed_corpus):
    tracemalloc.start()
    started = time.perf_counter()
    with open_archive(malformed_corpus / "axml-stringpool-count-huge__resigned.apk") as arc, \
            pytest.raises(ManifestError) as info:
        extract_facts(arc)
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert info.value.code == "MANIFEST_REJECTED"
    assert "string pool" in info.value.message and "268435455" in info.value.message
    assert elapsed < 1.0
    assert peak < 8 << 20  # the declared 1 GiB offset table is never materialised


def test_every_malformed_corpus_file_gets_facts_or_a_manifest_error(malformed_corpus):
    from apkscan.archive import ArchiveError

    outcomes = {}
    for row in read_jsonl(malformed_corpus / "expected.jsonl"):
        started = time.perf_counter()
        try:
            with open_archive(malformed_corpus / row["file"]) as arc:
                outcomes[row["file"]] = extract_facts(arc).package
        except (ArchiveError, ManifestError) as exc:
            outcomes[row["file"]] = exc.code
        assert time.perf_counter() - started < 5
    assert outcomes["axml-stringpool-count-huge__resigned.apk"] == "MANIFEST_REJECTED"
    assert outcomes["axml-bad-chunk-type__resigned.apk"] == "com.politedroid"
    assert outcomes["zipbomb-1GiB-zeros__resigned.apk"] == "com.politedroid"


# --- tolerated by Android: read, and reported --------------------------------------------------

def test_unknown_top_level_chunk_is_skipped(tmp_path, base_apk, base_manifest, base_facts):
    ftype, chunks = split(base_manifest)
    assert chunk_type(chunks[0]) == 0x0001
    facts = facts_of(tmp_path, base_apk, join([chunks[0], unknown_chunk(0x0777)] + chunks[1:], ftype))
    assert same_app(facts, base_facts)
    assert "AXML_UNKNOWN_CHUNK" in codes(facts)


def test_unknown_node_inside_the_element_stream_is_skipped(tmp_path, base_apk, base_manifest, base_facts):
    ftype, chunks = split(base_manifest)
    first_element = next(i for i, c in enumerate(chunks) if chunk_type(c) == 0x0102)
    junk = unknown_chunk(0x0150, body=bytes(16), header_size=16)
    facts = facts_of(tmp_path, base_apk, join(chunks[:first_element + 1] + [junk] + chunks[first_element + 1:], ftype))
    assert same_app(facts, base_facts)
    assert "AXML_UNKNOWN_CHUNK" in codes(facts)


def test_padded_node_headers_are_read_where_androguard_loses_the_elements(tmp_path, base_apk, base_manifest, base_facts):
    from androguard.core.axml import AXMLPrinter

    ftype, chunks = split(base_manifest)
    padded = join([pad_node_header(c) if chunk_type(c) in range(0x100, 0x105) else c for c in chunks], ftype)
    facts = facts_of(tmp_path, base_apk, padded)
    assert same_app(facts, base_facts)
    assert "AXML_NODE_HEADER_SIZE" in codes(facts)
    # the reason apkscan decodes binary XML itself: androguard skips every such node
    ag = AXMLPrinter(padded).get_xml_obj()
    assert ag is None or len(list(ag.iter())) < len(base_facts.components)


def test_file_header_size_and_trailing_bytes_are_tolerated(tmp_path, base_apk, base_manifest, base_facts):
    ftype, chunks = split(base_manifest)
    facts = facts_of(tmp_path, base_apk, join(chunks, ftype, header_pad=bytes(8)) + b"TRAILING-DATA")
    assert same_app(facts, base_facts)
    assert {"AXML_HEADER_SIZE", "AXML_TRAILING_DATA"} <= codes(facts)


def test_renamed_attribute_string_is_read_by_resource_id(tmp_path, base_apk, base_manifest, base_facts):
    assert "versionCode" in string_pool_strings(base_manifest)
    facts = facts_of(tmp_path, base_apk, replace_utf16(base_manifest, "versionCode", "hiddenField"))
    assert facts.version_code == base_facts.version_code == 4
    assert "AXML_ATTR_NAME_MISMATCH" in codes(facts)
    assert 'android:versionCode="4"' in facts.manifest_xml


def test_unsorted_attribute_ids_hide_an_attribute_from_android(tmp_path, base_apk, base_manifest, base_facts):
    ftype, chunks = split(base_manifest)
    root = next(i for i, c in enumerate(chunks) if chunk_type(c) == 0x0102)
    chunks[root] = swap_attributes(chunks[root], 0, 1)  # versionName before versionCode
    facts = facts_of(tmp_path, base_apk, join(chunks, ftype))
    # RetrieveAttributes merges over ids sorted ascending: versionCode is skipped
    assert base_facts.version_code == 4 and facts.version_code is None
    assert facts.version_name == base_facts.version_name
    assert "AXML_ATTRS_UNSORTED" in codes(facts)


def test_resource_map_removed_android_sees_no_android_attributes(tmp_path, base_apk, base_manifest, base_facts):
    ftype, chunks = split(base_manifest)
    res_map = next(i for i, c in enumerate(chunks) if chunk_type(c) == 0x0180)
    chunks[res_map] = struct.pack("<H", 0x0999) + chunks[res_map][2:]
    facts = facts_of(tmp_path, base_apk, join(chunks, ftype))
    assert facts.package == base_facts.package  # "package" is read by name
    assert facts.permissions == () and base_facts.permissions  # TypedArray finds no android:name
    assert [c.name for c in facts.components] == [c.name for c in base_facts.components]
    assert {"AXML_ATTR_WITHOUT_ID", "AXML_UNKNOWN_CHUNK"} <= codes(facts)


def test_second_application_is_ignored_like_android(tmp_path, base_apk, base_manifest, base_facts):
    ftype, chunks = split(base_manifest)
    app_index = string_pool_strings(base_manifest).index("application")
    [(first, last)] = element_ranges(chunks, app_index)
    decoy = chunks[first:last + 1]
    facts = facts_of(tmp_path, base_apk, join(chunks[:last + 1] + decoy + chunks[last + 1:], ftype))
    assert facts.components == base_facts.components
    assert "MANIFEST_SECOND_APPLICATION" in codes(facts)


def test_unreadable_string_is_null_for_android_and_reported(tmp_path, base_apk, base_manifest, base_facts):
    text = "android.permission.READ_CALENDAR"
    needle = struct.pack("<H", len(text)) + text.encode("utf-16-le")
    assert base_manifest.count(needle) == 1 and text in base_facts.permissions
    broken = base_manifest.replace(needle, struct.pack("<H", 0x7FFF) + text.encode("utf-16-le"))  # runs past the pool
    facts = facts_of(tmp_path, base_apk, broken)
    assert text not in facts.permissions and len(facts.permissions) == len(base_facts.permissions) - 1
    assert "AXML_BAD_STRING" in codes(facts)

# --- refused by Android: MANIFEST_REJECTED with the reason -------------------------------------

@pytest.mark.parametrize("count", [0x7FFFFFFF, 0xFFFFFFFF, 0x80000000])
def test_huge_string_count_is_rejected(tmp_path, base_apk, base_manifest, count):
    data = bytearray(base_manifest)
    struct.pack_into("<I", data, 8 + 8, count)
    error = rejected(tmp_path, base_apk, bytes(data))
    assert str(count) in error.message


def test_truncated_last_node_is_rejected(tmp_path, base_apk, base_manifest):
    cut = base_manifest[:-12]
    data = bytearray(cut)
    struct.pack_into("<I", data, 4, len(cut))
    assert "Corrupt XML" in rejected(tmp_path, base_apk, bytes(data)).message


def test_declared_size_beyond_the_data_is_rejected(tmp_path, base_apk, base_manifest):
    data = bytearray(base_manifest)
    struct.pack_into("<I", data, 4, len(base_manifest) + 4)
    assert "larger than the data" in rejected(tmp_path, base_apk, bytes(data)).message


def test_misaligned_chunk_is_rejected(tmp_path, base_apk, base_manifest):
    ftype, chunks = split(base_manifest)
    pool = bytearray(chunks[0] + b"\x00")
    struct.pack_into("<I", pool, 4, len(pool))
    assert "aligned" in rejected(tmp_path, base_apk, join([bytes(pool)] + chunks[1:], ftype)).message


def test_root_that_is_not_manifest_is_rejected(tmp_path, base_apk, base_manifest):
    assert "<manifesx>" in rejected(tmp_path, base_apk, replace_utf16(base_manifest, "manifest", "manifesx")).message


def test_invalid_package_name_is_rejected(tmp_path, base_apk, base_manifest):
    error = rejected(tmp_path, base_apk, replace_utf16(base_manifest, "com.politedroid", "com.polite/roid"))
    assert "package" in error.message and "/" in error.message


def test_missing_manifest_entry(tmp_path, base_apk):
    path = tmp_path / "no-manifest.apk"
    with zipfile.ZipFile(base_apk) as zin, zipfile.ZipFile(path, "w") as zout:
        for info in zin.infolist():
            if info.filename != "AndroidManifest.xml":
                zout.writestr(info.filename, zin.read(info.filename))
    with open_archive(path) as arc, pytest.raises(ManifestError) as info:
        extract_facts(arc)
    assert info.value.code == "MANIFEST_MISSING"


# --- fuzzing: any bytes -> AppFacts or ManifestError, fast -------------------------------------

@pytest.fixture(scope="module")
def base_files(base_apk):
    with zipfile.ZipFile(base_apk) as z:
        return {n: z.read(n) for n in z.namelist() if not n.startswith("META-INF/")}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzzed_manifests_never_escape_or_hang(base_files, data):
    manifest = bytearray(base_files["AndroidManifest.xml"])
    for _ in range(data.draw(st.integers(1, 12), label="mutations")):
        pos = data.draw(st.integers(0, len(manifest) - 1), label="pos")
        manifest[pos] = data.draw(st.integers(0, 255), label="byte")
    if data.draw(st.booleans(), label="truncate"):
        manifest = manifest[: data.draw(st.integers(0, len(manifest)), label="length")]
    files = dict(base_files, **{"AndroidManifest.xml": bytes(manifest)})
    started = time.perf_counter()
    try:
        facts = extract_facts(DictArchive(files))
        assert isinstance(facts, AppFacts)
        facts.to_dict()
    except ManifestError as exc:
        assert exc.code == "MANIFEST_REJECTED" and exc.message
    assert time.perf_counter() - started < 2


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzzed_resource_tables_never_escape(base_files, data):
    arsc = bytearray(base_files["resources.arsc"])
    for _ in range(data.draw(st.integers(1, 12), label="mutations")):
        pos = data.draw(st.integers(0, len(arsc) - 1), label="pos")
        arsc[pos] = data.draw(st.integers(0, 255), label="byte")
    files = dict(base_files, **{"resources.arsc": bytes(arsc)})
    facts = extract_facts(DictArchive(files))
    assert facts.package == "com.politedroid"  # the table only feeds labels and icons


# --- adversarial sizes: bounded work whatever the counts say -----------------------------------

def test_overlapping_strings_cannot_force_quadratic_decoding():
    from apkscan.manifest.stringpool import StringPool

    n = 20000  # UTF-16 pool where string i starts at code unit i and runs to the single NUL at the end
    units = [n - i for i in range(n)] + [0, 0]
    strings = struct.pack(f"<{len(units)}H", *units)
    offsets = struct.pack(f"<{n}I", *(2 * i for i in range(n)))
    size = 28 + len(offsets) + len(strings)
    size += (-size) % 4
    pool_bytes = struct.pack("<HHIIIIII", 1, 28, size, n, 0, 0, 28 + len(offsets), 0) + offsets + strings
    pool_bytes += bytes(size - len(pool_bytes))
    pool = StringPool(pool_bytes, 0, len(pool_bytes))
    assert pool.get(n - 2) is not None and pool.get(0) is not None  # each one is a valid string
    started = time.perf_counter()
    decoded = [pool.get(i) for i in range(n)]
    assert time.perf_counter() - started < 2
    assert sum(len(s) for s in decoded if s) < 8 * len(pool_bytes) + (2 << 20)  # not n*n/2 = 2e8 characters
    assert any("budget" in why for why in pool.bad.values())


def test_deep_nesting_and_attribute_floods_stay_bounded(tmp_path, base_apk, base_manifest, base_facts):
    ftype, chunks = split(base_manifest)
    starts = [i for i, c in enumerate(chunks) if chunk_type(c) == 0x0102]
    root_start, deep_start = starts[0], starts[1]  # <manifest>, <uses-sdk>
    end_tag = chunks[next(i for i, c in enumerate(chunks) if chunk_type(c) == 0x0103)]
    flood = bytearray(chunks[deep_start])
    struct.pack_into("<HH", flood, 16 + 10, 0, 0xFFFF)  # attributeSize 0, attributeCount 65535
    nested = [bytes(flood), end_tag] * 2000 + [chunks[deep_start]] * 30000 + [end_tag] * 30000
    data = join(chunks[:root_start + 1] + nested + chunks[root_start + 1:], ftype)
    started = time.perf_counter()
    facts = facts_of(tmp_path, base_apk, data, method=zipfile.ZIP_STORED)  # deflated, it trips the zip-bomb ratio
    assert time.perf_counter() - started < 10
    assert facts.package == base_facts.package and facts.components == base_facts.components
    assert {"AXML_DEPTH_LIMIT", "AXML_ATTRIBUTE_LAYOUT"} <= codes(facts)


def test_oversized_manifest_is_a_limit_not_a_hang(base_files):
    from apkscan.manifest import MAX_MANIFEST

    ftype, chunks = split(base_files["AndroidManifest.xml"])
    junk = unknown_chunk(0x0777, body=bytes(MAX_MANIFEST))
    files = dict(base_files, **{"AndroidManifest.xml": join([chunks[0], junk] + chunks[1:], ftype)})
    with pytest.raises(ManifestError) as info:
        extract_facts(DictArchive(files))
    assert info.value.code == "LIMIT_EXCEEDED" and "AndroidManifest.xml" in info.value.message
