"""Hostile input through the whole pipeline (issue 9): every file of ../shared/corpus/malformed
gets a result from ``scan_file`` (``ok`` with the tamper findings its trick implies, or ``error``
with a clear code) in under 10 s and 500 MB; an APK Android installs is still analysed; and
scanning hostile APKs writes nothing anywhere (entry names never become file paths).

Expectations are derived from each row's ``trick`` text and ``android_installer_believed``.
"""
from __future__ import annotations

import gc
import json
import os
import re
import resource
import sys
import tempfile
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import SHARED, read_jsonl

from apkscan.archive import ANOMALY_IDS
from apkscan.config import ScanConfig
from apkscan.findings_catalog import default_catalog
from apkscan.manifest.facts import validate_package_name
from apkscan.model import SEVERITY_RANK
from apkscan.samples.build import Factory
from apkscan.samples.zipwriter import ZipEntry, write_zip
from apkscan.scan import scan_file

MAX_SECONDS = 10.0
MAX_BYTES = 500 << 20


@dataclass(frozen=True)
class Expect:
    status: str
    findings: frozenset = frozenset()  # ids that must be reported (status ok)
    code: str = ""  # ScanError code (status error)


def ok(*ids: str) -> Expect:
    return Expect("ok", frozenset(ids))


def error(code: str) -> Expect:
    return Expect("error", code=code)


# trick (regex over the row's "trick") -> what the pipeline must say
TRICKS = [
    (r"LFH compression method .* = 0x1337, CD = 8", ok("ZIP_LFH_CD_MISMATCH")),
    (r"LFH compression method .* = 0 \(STORED\), CD = 8", ok("ZIP_LFH_CD_MISMATCH")),
    (r"two AndroidManifest\.xml entries", ok("ZIP_DUPLICATE_ENTRY")),
    (r"^0-byte file", error("EMPTY")),
    (r"bit 0 \(encrypted\) set", ok("ZIP_ENCRYPTED_FLAG")),
    (r"EOCD comment of 65535 bytes", ok("ZIP_EOCD_COMMENT")),
    (r"LFH compressed/uncompressed sizes .* set to 0", ok("ZIP_LFH_CD_MISMATCH")),
    (r"traversal names", ok("ZIP_NAME_TRAVERSAL")),
    (r"plain text", error("NOT_A_ZIP")),
    (r"junk bytes prepended; all ZIP offsets adjusted", ok("ZIP_DATA_BEFORE_FIRST_ENTRY")),
    (r"CD claims .* uncompressed size 0x7FFFFFF0", ok("ZIP_LFH_CD_MISMATCH", "ZIP_INFLATED_SIZE_MISMATCH")),
    (r"first half of a valid APK", error("TRUNCATED")),
    (r"zero entries", error("EMPTY")),
    (r"inflates to 1 GiB", ok("ZIP_HIGH_COMPRESSION_RATIO", "ZIP_LIMIT_EXCEEDED")),
    # ResXMLTree::setTo does not check the header's chunk type: Android reads the manifest, tools choke.
    (r"header corrupted \(axml-bad-chunk-type\)", ok("AXML_HEADER_TAMPERED")),
    # ResStringPool::setTo refuses an offset table larger than the chunk: the APK cannot be installed.
    (r"header corrupted \(axml-stringpool-count-huge\)", error("MANIFEST_REJECTED")),
]


def expectation(trick: str) -> Expect:
    found = [exp for pattern, exp in TRICKS if re.search(pattern, trick)]
    assert len(found) == 1, f"no unique expectation for trick {trick!r}: add one to TRICKS"
    return found[0]


def _rows() -> list[dict]:
    path = SHARED / "corpus" / "malformed" / "expected.jsonl"
    return read_jsonl(path) if path.exists() else []


def _maxrss_bytes() -> int:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss if sys.platform == "darwin" else rss * 1024


def measured_scan(path: Path):
    """scan_file with its wall time, Python heap peak (tracemalloc) and process RSS growth."""
    gc.collect()
    rss_before = _maxrss_bytes()
    tracemalloc.start()
    started = time.monotonic()
    try:
        result = scan_file(str(path), ScanConfig())
    finally:
        elapsed = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return result, elapsed, peak, _maxrss_bytes() - rss_before


@pytest.fixture(scope="module", autouse=True)
def _warm(tmp_path_factory):
    """Load the YARA rules, catalogues and identities once (a full scan of a factory APK), so the
    per-file budget measures the file, not the process start-up."""
    path = tmp_path_factory.mktemp("warm") / "benign-notes.apk"
    path.write_bytes(Factory().apk("benign-notes"))
    assert scan_file(str(path), ScanConfig()).status == "ok"


@pytest.mark.parametrize("row", _rows(), ids=lambda r: r["file"])
def test_malformed_file_gets_a_bounded_result(malformed_corpus, row):
    expect = expectation(row["trick"])
    result, elapsed, heap_peak, rss_growth = measured_scan(malformed_corpus / row["file"])

    assert elapsed < MAX_SECONDS, f"{row['file']} took {elapsed:.1f}s"
    assert heap_peak < MAX_BYTES, f"{row['file']}: Python heap peaked at {heap_peak >> 20} MiB"
    assert rss_growth < MAX_BYTES, f"{row['file']}: RSS grew by {rss_growth >> 20} MiB"
    json.dumps(result.to_dict())  # what the CLI prints must serialise
    assert result.input.sha256 == row["sha256"], "the report must identify the file it analysed"

    if expect.status == "error":
        assert result.status == "error", f"expected error {expect.code}, got ok with {[f.id for f in result.findings]}"
        assert result.error.code == expect.code, result.error
        assert len(result.error.message) > 10
        assert result.verdict == "error"
        return

    assert result.status == "ok", f"expected analysis, got {result.error}"
    got = {f.id for f in result.findings}
    assert expect.findings <= got, f"missing {sorted(expect.findings - got)}; got {sorted(got)}"
    catalog = default_catalog()
    for finding in result.findings:
        if finding.id in expect.findings:
            assert finding.evidence, f"{finding.id} carries no evidence"
            entry = catalog.get(finding.id)
            if finding.id.startswith("ZIP_"):
                assert entry is not None, f"{finding.id} is not in signatures/findings/archive.json"
                assert finding.title_vi and finding.description_vi, finding.id
    assert result.risk.score > 0, "the trick itself is evidence and must count"


def test_every_trick_the_corpus_holds_has_an_expectation(malformed_corpus):
    rows = _rows()
    assert {r["file"] for r in rows} == {p.name for p in malformed_corpus.glob("*.apk")}
    for row in rows:
        expectation(row["trick"])


ACCEPTED = [r for r in _rows() if r.get("android_installer_believed") == "accepted"]


@pytest.mark.parametrize("row", ACCEPTED, ids=lambda r: r["file"])
def test_trick_android_accepts_does_not_hide_the_app(malformed_corpus, row):
    """Android installs it, so the analysis must see the app Android sees: package, components,
    and the signer apksigner verified."""
    from androguard.core.axml import AXMLPrinter

    from apkscan.archive import open_archive

    path = malformed_corpus / row["file"]
    result = scan_file(str(path), ScanConfig())
    assert result.status == "ok", result.error
    assert result.app.package and validate_package_name(result.app.package) is None, result.app.package
    with open_archive(path) as arc:  # an independent binary-XML decoder as the reference
        reference = AXMLPrinter(arc.read("AndroidManifest.xml")).get_xml_obj()
    assert result.app.package == reference.get("package")
    declared = {el.get("{http://schemas.android.com/apk/res/android}name")
                for tag in ("activity", "service", "receiver", "provider") for el in reference.iter(tag)}
    assert declared and {c.name.rsplit(".", 1)[-1] for c in result.app.components} >= {
        d.rsplit(".", 1)[-1] for d in declared if d}
    expected_signers = set(row["apksigner_31"]["signers_cert_sha256"])
    if row["apksigner_31"]["verdict"] == "verifies":
        assert result.signing.verified is True, result.signing.issues
        assert {s.cert_sha256 for s in result.signing.signers} == expected_signers
    tricks = [f for f in result.findings if f.source == "archive"]
    assert tricks and all(f.title and f.title_vi for f in tricks)


@pytest.mark.parametrize("row", [r for r in _rows() if r["apksigner_31"]["verdict"] == "verifies"],
                         ids=lambda r: r["file"])
def test_trick_does_not_hide_the_signer(malformed_corpus, row):
    """Where apksigner verifies the APK, the trick must not make apkscan lose the signer: it is
    listed as verified, or (limits reached, manifest refused) at least seen."""
    result = scan_file(str(malformed_corpus / row["file"]), ScanConfig())
    expected = set(row["apksigner_31"]["signers_cert_sha256"])
    if result.status != "ok":
        assert result.error.code == "MANIFEST_REJECTED", result.error
        return
    seen = {s.cert_sha256 for s in result.signing.signers} | {
        s.cert_sha256 for s in result.signing.extracted_certificates}
    assert expected <= seen, f"signer {expected} lost; saw {seen}"
    if result.signing.verified is True:
        assert {s.cert_sha256 for s in result.signing.signers} == expected


def test_zip_finding_severity_follows_android_tolerance():
    """Tricks Android tolerates but analysis tools choke on are evidence of evasion (>= medium);
    every archive anomaly is catalogued with texts in both languages."""
    catalog = default_catalog()
    for anomaly_id in ANOMALY_IDS:
        entry = catalog.get(anomaly_id)
        assert entry is not None and entry.origin == "archive.json", anomaly_id
        for name in ("title", "description", "advice"):
            assert entry.text(name) and entry.text(name, "vi") != entry.text(name), (anomaly_id, name)
    evasion = ("ZIP_LFH_CD_MISMATCH", "ZIP_ENCRYPTED_FLAG", "ZIP_PREPENDED_DEX", "ZIP_UNSUPPORTED_METHOD",
               "ZIP_CD_COUNT_MISMATCH", "ZIP_EOCD_NOT_LAST", "ZIP_DUPLICATE_ENTRY", "ZIP_EOCD_DISK_FIELDS")
    for anomaly_id in evasion:
        assert SEVERITY_RANK[catalog.get(anomaly_id).severity] >= SEVERITY_RANK["medium"], anomaly_id
    for harmless in ("ZIP_EOCD_COMMENT", "ZIP_NAME_BACKSLASH", "ZIP_ZIP64"):
        assert SEVERITY_RANK[catalog.get(harmless).severity] <= SEVERITY_RANK["low"], harmless


def test_stored_apk_as_last_entry_is_not_a_decoy_eocd(tmp_path):
    """A dropper that stores its payload APK last has that APK's EOCD in the outer file's last
    64 KiB; Android never reaches it, so it is no EOCD trick (only a payload finding)."""
    path = tmp_path / "dropper.apk"
    path.write_bytes(Factory().apk("fake-vneid-bankbot-dropper"))
    result = scan_file(str(path), ScanConfig())
    assert result.status == "ok"
    ids = {f.id for f in result.findings}
    assert "PAYLOAD_EMBEDDED_APK" in ids
    assert not {i for i in ids if i.startswith("ZIP_EOCD")}, ids


# -- nothing is written outside the output path ------------------------------------------------

TRAVERSAL_NAMES = ["../../evil", "../../../../../../tmp/apkscan-evil-abs.so", "assets/../../evil.dex",
                   "/tmp/apkscan-evil-absolute", "..\\..\\evil-backslash.so", "lib/arm64-v8a/../../../evil.so"]


def traversal_apk() -> bytes:
    """The factory's benign app plus entries whose names climb out of any extraction folder, one
    of them a whole APK (so the nested-payload scanner runs on a '../' name)."""
    import zipfile
    from io import BytesIO

    factory = Factory(sign=False)
    base = zipfile.ZipFile(BytesIO(factory.apk("benign-notes")))
    entries = [ZipEntry(i.filename, base.read(i.filename), compress=i.compress_type == 8) for i in base.infolist()]
    entries += [ZipEntry(name, b"\x7fELF evil payload " + name.encode()) for name in TRAVERSAL_NAMES]
    entries.append(ZipEntry("assets/../../nested/evil.apk", factory.apk("benign-notes"), compress=False))
    return write_zip(entries)


# audit event -> positions of (path, dir_fd) pairs in its arguments (CPython "Audit events table")
WRITE_EVENTS = {"os.mkdir": ((0, 2),), "os.rename": ((0, 2), (1, 3)), "os.replace": ((0, 2), (1, 3)),
                "os.symlink": ((1, 2),), "os.link": ((1, 3),), "os.truncate": ((0, None),),
                "os.chmod": ((0, 2),), "os.chown": ((0, 3),), "os.remove": ((0, 1),), "os.rmdir": ((0, 1),),
                "os.utime": ((0, 3),), "shutil.rmtree": ((0, 1),), "shutil.copyfile": ((1, None),),
                "shutil.move": ((1, None),), "tempfile.mkstemp": ((0, None),), "tempfile.mkdtemp": ((0, None),)}


def _resolve(path, dir_fd) -> str | None:
    if isinstance(path, int):  # an fd: already open, its creation was recorded
        return None
    path = os.fsdecode(path)
    if not os.path.isabs(path) and isinstance(dir_fd, int) and dir_fd >= 0:
        try:
            return os.path.join(os.readlink(f"/proc/self/fd/{dir_fd}"), path)
        except OSError:
            return f"<dir_fd {dir_fd}>/{path}"
    return os.path.abspath(path)


class WriteRecorder:
    """Python audit hook: every open for writing and every file-system change made by this
    process while ``active``. Hooks cannot be removed, so an inactive one costs nothing."""

    def __init__(self) -> None:
        self.active = False
        self.events: list[tuple[str, str]] = []
        sys.addaudithook(self)

    def __call__(self, event: str, args) -> None:
        if not self.active:
            return
        self.active = False  # the hook's own calls (readlink) must not recurse
        try:
            if event == "open":
                path, mode, flags = (list(args) + [None, None, None])[:3]
                writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                    mode is None and isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT))
                if writing and isinstance(path, (str, bytes, os.PathLike)):
                    self.events.append((event, _resolve(path, None)))
            for path_at, fd_at in WRITE_EVENTS.get(event, ()):
                if path_at < len(args) and args[path_at] is not None:
                    dir_fd = args[fd_at] if fd_at is not None and fd_at < len(args) else None
                    resolved = _resolve(args[path_at], dir_fd)
                    if resolved is not None:
                        self.events.append((event, resolved))
        finally:
            self.active = True


def _tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def test_scanning_hostile_apks_writes_nothing(malformed_corpus, tmp_path, monkeypatch):
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    factory_made = inputs / "factory-traversal.apk"
    factory_made.write_bytes(traversal_apk())
    targets = [factory_made] + sorted(malformed_corpus.glob("*.apk"))
    assert (malformed_corpus / "names-traversal__resigned.apk") in targets

    # The working directory sits deep enough that '../../evil' would still land inside tmp_path.
    work = tmp_path / "a" / "b" / "c" / "cwd"
    work.mkdir(parents=True)
    private_tmp = tmp_path / "private-tmp"  # the only place a scan may write (nested payloads)
    private_tmp.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setattr(tempfile, "tempdir", str(private_tmp))
    for var in ("TMPDIR", "TEMP", "TMP"):
        monkeypatch.setenv(var, str(private_tmp))

    scan_file(str(targets[0]), ScanConfig())  # warm-up: rules, catalogues and caches are loaded
    before_tree, before_tmp = _tree(tmp_path), set(os.listdir("/tmp"))
    recorder = WriteRecorder()
    recorder.active = True
    try:
        results = [scan_file(str(p), ScanConfig()) for p in targets]
    finally:
        recorder.active = False

    nested = results[0]
    assert nested.status == "ok" and "ZIP_NAME_TRAVERSAL" in {f.id for f in nested.findings}
    traversal = next(f for f in nested.findings if f.id == "ZIP_NAME_TRAVERSAL")
    assert traversal.evidence["count"] >= 4
    assert "PAYLOAD_EMBEDDED_APK" in {f.id for f in nested.findings}, "the nested scanner did not run"

    outside = [(e, p) for e, p in recorder.events if p != str(private_tmp) and not p.startswith(str(private_tmp) + os.sep)]
    assert outside == [], f"the scan wrote outside its private temporary directory: {outside}"
    assert _tree(tmp_path) == before_tree, sorted(_tree(tmp_path) ^ before_tree)
    assert list(private_tmp.iterdir()) == [], "temporary payload files were left behind"
    # /tmp is shared with other processes: nothing the scan could have named may appear there.
    new_in_tmp = set(os.listdir("/tmp")) - before_tmp
    suspicious = {n for n in new_in_tmp if "evil" in n or n.startswith("apkscan") or n in ("nested", "c")}
    assert not suspicious, suspicious
    for name in ("evil", "evil.dex", "evil.so", "nested"):
        assert not (tmp_path / "a" / name).exists() and not (tmp_path / "a" / "b" / name).exists()
    assert not Path("/data/local/tmp/evil.so").exists()
