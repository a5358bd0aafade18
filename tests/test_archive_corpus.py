"""apkscan.archive against the shared corpus: the hostile files (malformed/) and Android's own
signing test APKs (signing/). Expectations are derived from each file's ``trick`` description."""
from __future__ import annotations

import re
import time
import tracemalloc
import zipfile

import pytest
from conftest import SHARED, read_jsonl

from apkscan.archive import ERROR_CODES, ArchiveError, Limits, open_archive

# trick description (regex) -> ("anomalies", ids that must be present) or ("error", code)
TRICK_EXPECTATIONS = [
    (r"LFH compression method .* = 0x1337, CD = 8", ("anomalies", {"ZIP_LFH_CD_MISMATCH"})),
    (r"LFH compression method .* = 0 \(STORED\), CD = 8", ("anomalies", {"ZIP_LFH_CD_MISMATCH"})),
    (r"two AndroidManifest\.xml entries", ("anomalies", {"ZIP_DUPLICATE_ENTRY"})),
    (r"^0-byte file", ("error", "EMPTY")),
    (r"bit 0 \(encrypted\) set", ("anomalies", {"ZIP_ENCRYPTED_FLAG"})),
    (r"EOCD comment of 65535 bytes", ("anomalies", {"ZIP_EOCD_COMMENT"})),
    (r"LFH compressed/uncompressed sizes .* set to 0", ("anomalies", {"ZIP_LFH_CD_MISMATCH"})),
    (r"traversal names", ("anomalies", {"ZIP_NAME_TRAVERSAL"})),
    (r"plain text", ("error", "NOT_A_ZIP")),
    (r"junk bytes prepended; all ZIP offsets adjusted", ("anomalies", {"ZIP_DATA_BEFORE_FIRST_ENTRY"})),
    (r"CD claims .* uncompressed size 0x7FFFFFF0", ("anomalies", {"ZIP_LFH_CD_MISMATCH", "ZIP_DECLARED_SIZE_OVER_LIMIT",
                                                                        "ZIP_HIGH_COMPRESSION_RATIO"})),
    (r"first half of a valid APK", ("error", "TRUNCATED")),
    (r"zero entries", ("error", "EMPTY")),
    (r"inflates to 1 GiB", ("anomalies", {"ZIP_HIGH_COMPRESSION_RATIO"})),
    (r"binary-XML header corrupted", ("anomalies", set())),  # a clean ZIP: the damage is inside
]

# Anomaly ids that, when present, must show up for these tricks only (no false alarms elsewhere).
TARGETED = {"ZIP_LFH_CD_MISMATCH", "ZIP_DUPLICATE_ENTRY", "ZIP_ENCRYPTED_FLAG", "ZIP_NAME_TRAVERSAL",
            "ZIP_DATA_BEFORE_FIRST_ENTRY", "ZIP_HIGH_COMPRESSION_RATIO", "ZIP_EOCD_COMMENT"}


def _malformed_rows():
    path = SHARED / "corpus" / "malformed" / "expected.jsonl"
    return read_jsonl(path) if path.exists() else []


def expectation(trick: str):
    found = [exp for pattern, exp in TRICK_EXPECTATIONS if re.search(pattern, trick)]
    assert len(found) == 1, f"no unique expectation for trick {trick!r}: add one to TRICK_EXPECTATIONS"
    return found[0]


@pytest.mark.parametrize("row", _malformed_rows(), ids=lambda r: r["file"])
def test_malformed_file(malformed_corpus, row):
    path = malformed_corpus / row["file"]
    kind, expected = expectation(row["trick"])
    tracemalloc.start()
    started = time.monotonic()
    try:
        try:
            arc = open_archive(path, Limits())
        except ArchiveError as err:
            assert kind == "error", f"unexpected refusal {err}"
            assert err.code == expected and err.message
            return
        assert kind == "anomalies", f"opened, expected {expected}"
        with arc:
            got = set(arc.anomaly_ids)
            assert expected <= got, f"missing {expected - got}; got {got}"
            assert not (got & TARGETED) - expected, f"unexpected {(got & TARGETED) - expected}"
            assert all(a.id.startswith("ZIP_") and a.message for a in arc.anomalies)
            if row.get("android_installer_believed") == "accepted":
                rejecting = [a.id for a in arc.anomalies if str(a.evidence.get("android", "")).startswith("rejected")]
                assert not rejecting, f"Android accepts this APK but we say it rejects it: {rejecting}"
            # Every entry either reads or fails with a clear ArchiveError; the bomb is refused.
            outcomes = {}
            for entry in arc.entries:
                try:
                    outcomes[entry.name] = len(arc.read(entry))
                except ArchiveError as err:
                    assert err.code in ERROR_CODES and err.code != "INTERNAL"
                    outcomes[entry.name] = err.code
            if "inflates to 1 GiB" in row["trick"]:
                assert outcomes["assets/zeros.bin"] == "LIMIT_EXCEEDED"
                assert "ZIP_LIMIT_EXCEEDED" in arc.anomaly_ids
            if "0x7FFFFFF0" in row["trick"]:  # the lie is found by inflating: real size kept
                assert outcomes["AndroidManifest.xml"] < 1 << 20
                assert "ZIP_INFLATED_SIZE_MISMATCH" in arc.anomaly_ids
            if arc.entry("AndroidManifest.xml") is not None:
                assert isinstance(outcomes["AndroidManifest.xml"], int), outcomes["AndroidManifest.xml"]
            hashes = arc.stream([])
            assert hashes["sha256"] == row["sha256"]
    finally:
        elapsed = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert elapsed < 10, f"{row['file']} took {elapsed:.1f}s"
    assert peak < 48 << 20, f"{row['file']} peaked at {peak >> 20} MiB"


def test_duplicate_manifest_reads_the_first(malformed_corpus):
    path = malformed_corpus / "duplicate-manifest-first-foreign__v1.apk"
    if not path.exists():
        pytest.skip("corpus file absent")
    with open_archive(path) as arc, zipfile.ZipFile(path) as z:
        infos = [i for i in z.infolist() if i.filename == "AndroidManifest.xml"]
        assert len(infos) == 2
        assert arc.read("AndroidManifest.xml") == z.read(infos[0])
        assert arc.read("AndroidManifest.xml") != z.read(infos[1])


def _signing_rows():
    path = SHARED / "corpus" / "signing" / "expected.jsonl"
    return read_jsonl(path) if path.exists() else []


def test_signing_corpus_manifests(signing_corpus):
    rows = _signing_rows()
    assert len(rows) > 300
    compared = refused = 0
    for row in rows:
        path = signing_corpus / row["file"]
        try:
            with zipfile.ZipFile(path) as z:
                reference = z.read("AndroidManifest.xml") if "AndroidManifest.xml" in z.namelist() else None
        except Exception:  # noqa: BLE001 - zipfile's verdict is only a reference
            reference = "zipfile-failed"
        try:
            arc = open_archive(path)
        except ArchiveError as err:
            assert err.code in {"EMPTY", "BAD_CD"}, f"{row['file']}: {err}"
            assert reference in (None, "zipfile-failed"), f"{row['file']}: zipfile reads it, we refuse: {err}"
            refused += 1
            continue
        with arc:
            assert arc.hashes == {}
            if isinstance(reference, bytes):
                assert arc.read("AndroidManifest.xml") == reference, row["file"]
                compared += 1
            elif reference is None:
                assert arc.entry("AndroidManifest.xml") is None, row["file"]
    assert compared > 300 and refused < 10
