"""The fuzz targets: one function per parser, with the contract it must keep on ANY bytes.

Shared by the atheris harnesses in this folder (long runs, coverage-guided) and by the short
hypothesis runs in ``tests/test_fuzz_*.py`` (CI). Each ``check_*`` either returns normally or
raises ``AssertionError``/an unexpected exception, which is then a bug to fix: the documented
refusals (``ArchiveError``, ``ManifestError``, ``ArscError``, ``SignatureNotFound``...) are
caught here, everything else escapes on purpose.

``seeds(target)`` gives real inputs to mutate: the shared corpus (``../shared``, or
``$APKSCAN_SHARED``) when present, and APKs built by the project's factory (apkscan.samples).
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
import time
import zipfile
from functools import lru_cache
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python fuzz/fuzz_x.py` from a checkout
    sys.path.insert(0, str(ROOT))
SHARED = Path(os.environ.get("APKSCAN_SHARED", ROOT.parent / "shared"))

TARGETS = ("archive", "manifest", "arsc", "signing_block", "dex_strings", "scan")

# Per-input time bound: every target is linear in its input; seconds mean a hang or a blow-up.
MAX_SECONDS = 5.0


def _imports() -> dict:
    """The modules and names the targets use, by name. Imported lazily (not at module level) so
    that the atheris harness can import them under atheris.instrument_imports()."""
    from apkscan.analyzers import dex_strings  # noqa: F401 - every name here is returned by locals()
    from apkscan.archive import ANOMALY_IDS, ArchiveError, Limits, open_archive  # noqa: F401
    from apkscan.config import ScanConfig
    from apkscan.manifest import ManifestError, extract_facts, parse_xml_resource
    from apkscan.manifest.arsc import ArscError, ResourceTable
    from apkscan.manifest.problems import ProblemLog
    from apkscan.manifest.resources import Resolver
    from apkscan.scan import scan_file
    from apkscan.signing import block, v2, v3

    return locals()


# Small limits: a mutated 10 KB APK must not be allowed to inflate gigabytes.
def fuzz_limits():
    from apkscan.archive import Limits

    return Limits(max_entry_size=4 << 20, max_total_uncompressed=16 << 20, ratio_min_size=64 << 10,
                  cache_total_max=8 << 20, payload_max_bytes=4 << 20, yara_max_entry_bytes=4 << 20,
                  strings_max_entry_bytes=4 << 20, max_depth=1)


class _Timer:
    def __enter__(self):
        self.start = time.monotonic()
        return self

    def __exit__(self, *exc):
        elapsed = time.monotonic() - self.start
        if exc[0] is None:
            assert elapsed < MAX_SECONDS, f"one input took {elapsed:.1f}s"


# -- bytes on disk: the archive API takes a path ------------------------------------------------

class ScratchFile:
    """One private file rewritten for every input (memfd on Linux: no disk I/O)."""

    def __init__(self) -> None:
        self._fd = None
        self._dir = None
        if hasattr(os, "memfd_create"):
            try:
                self._fd = os.memfd_create("apkscan-fuzz")
                self.path = f"/proc/self/fd/{self._fd}"
                return
            except OSError:
                self._fd = None
        self._dir = tempfile.TemporaryDirectory(prefix="apkscan-fuzz-")
        self.path = os.path.join(self._dir.name, "input.apk")

    def write(self, data: bytes) -> str:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            os.pwrite(self._fd, data, 0)
        else:
            with open(self.path, "wb") as f:
                f.write(data)
        return self.path


_scratch: ScratchFile | None = None


def scratch() -> ScratchFile:
    global _scratch
    if _scratch is None:
        _scratch = ScratchFile()
    return _scratch


# -- targets -------------------------------------------------------------------------------------

class Sink:
    """An entry-pass consumer that wants everything (exercises for_each_entry); a member that
    cannot be read must be reported to it as an ArchiveError."""

    def feed(self, offset, chunk):
        pass

    def finish(self):
        pass

    def wants(self, entry):
        return True

    def consume(self, entry, data):
        pass

    def entry_error(self, entry, error):
        from apkscan.archive import ArchiveError

        assert isinstance(error, ArchiveError), error


def check_archive(data: bytes, limits=None) -> None:
    """open_archive / read / stream / for_each_entry raise ArchiveError only, never INTERNAL;
    every anomaly is a catalogued id with a message and serialises to JSON. ``limits`` default
    to fuzz_limits()."""
    m = _imports()
    ArchiveError = m["ArchiveError"]
    path = scratch().write(data)
    with _Timer():
        try:
            arc = m["open_archive"](path, limits or fuzz_limits())
        except ArchiveError as err:
            assert err.code != "INTERNAL", err
            return
        with arc:
            for entry in arc.entries + arc.hidden_entries:
                try:
                    arc.read(entry)
                except ArchiveError as err:
                    assert err.code != "INTERNAL", err
            for name in ("AndroidManifest.xml", "", "\udcff"):  # by name, also absent/unencodable
                try:
                    arc.read(name, max_size=4096)
                except ArchiveError as err:
                    assert err.code != "INTERNAL", err
            arc.for_each_entry([Sink()])
            assert arc.stream([Sink()])["sha256"]
            assert arc.consumer_errors == [], arc.consumer_errors
            for a in arc.anomalies:
                assert a.id in m["ANOMALY_IDS"] and a.message, a
            json.dumps([a.to_dict() for a in arc.anomalies])  # evidence goes straight into JSON/SARIF


class MemoryArchive:
    """The two members the manifest stage reads, without a ZIP around them."""

    def __init__(self, members: dict[str, bytes]) -> None:
        self.members = members

    def entry(self, name):
        return name if name in self.members else None

    def read(self, entry, max_size=None):
        data = self.members[entry]
        if max_size is not None and len(data) > max_size:
            from apkscan.archive import ArchiveError

            raise ArchiveError("LIMIT_EXCEEDED", f"{entry}: {len(data)} bytes")
        return data


MANIFEST_ERROR_CODES = {"MANIFEST_MISSING", "MANIFEST_REJECTED", "LIMIT_EXCEEDED"}


def check_manifest(data: bytes, arsc: bytes | None = None) -> None:
    """Binary XML decoding (AndroidManifest.xml, res/xml): AppFacts or ManifestError."""
    m = _imports()
    members = {"AndroidManifest.xml": data, "res/xml/x.xml": data}
    if arsc is not None:
        members["resources.arsc"] = arsc
    archive = MemoryArchive(members)
    with _Timer():
        try:
            facts = m["extract_facts"](archive)
        except m["ManifestError"] as err:
            assert err.code in MANIFEST_ERROR_CODES and err.message, (err.code, err.message)
        else:
            json.dumps(facts.to_dict())
            assert facts.manifest_xml is None or isinstance(facts.manifest_xml, str)
        m["parse_xml_resource"](archive, "res/xml/x.xml")  # None or an element, never raises


def check_arsc(data: bytes, manifest: bytes | None = None) -> None:
    """resources.arsc indexing and lookups: ArscError at construction only. With ``manifest``
    (a sound one), a damaged table must not cost the app: the facts are still read."""
    m = _imports()
    log = m["ProblemLog"]()
    if manifest is not None:
        with _Timer():
            facts = m["extract_facts"](MemoryArchive({"AndroidManifest.xml": manifest, "resources.arsc": data}))
        assert facts.package, "a damaged resources.arsc hid the package name"
        json.dumps(facts.to_dict())
    with _Timer():
        try:
            table = m["ResourceTable"](data, log)
        except m["ArscError"]:
            return
        resolver = m["Resolver"](table, log)
        asked = 0
        for pid, pkg in list(table.packages.items())[:4]:
            for type_id, chunks in list(pkg.types.items())[:16]:
                count = max((c[3] for c in chunks), default=0)
                for entry in range(min(count, 32)):
                    res_id = ((pid & 0xFF) << 24) | ((type_id & 0xFF) << 16) | entry
                    table.values(res_id)
                    table.values(res_id, default_locale_only=True)
                    table.name(res_id)
                    resolver.ref_name(res_id)
                    resolver.files(res_id)
                    resolver.default_file(res_id)
                    resolver.localized(0x01, res_id, None)  # TYPE_REFERENCE
                    resolver.text(0x01, res_id, None)
                    asked += 1
        for res_id in (0, 0x7F000000, 0x7F010000, 0x7FFFFFFF, 0xFFFFFFFF, 0x01010000):
            table.values(res_id)
            resolver.ref_name(res_id)
        log.rendered()


def check_signing_block(data: bytes) -> None:
    """APK Signing Block framing (block.locate) and v2/v3/v3.1 signer blocks (parse)."""
    m = _imports()
    block, v2, v3 = m["block"], m["v2"], m["v3"]

    def read_at(offset: int, n: int) -> bytes:
        return data[offset:offset + n] if offset >= 0 else b""

    with _Timer():
        try:
            found = block.locate(read_at, len(data), 0, len(data), max_size=4 << 20)
        except (block.SignatureNotFound, block.BlockTooLarge):
            return
        for ident in found.ids()[:8]:
            try:
                value = found.find(ident)
            except block.SignatureNotFound:
                continue
            if ident == block.V2_BLOCK_ID:
                results = [v2.parse(value, 24, 0x7FFFFFFF, v2.supported_scheme_names(0x7FFFFFFF), {3})]
            elif ident in (block.V3_BLOCK_ID, block.V31_BLOCK_ID):
                scheme = "v3" if ident == block.V3_BLOCK_ID else "v3.1"
                results = [v3.parse(value, scheme, 28, 0x7FFFFFFF), v3.parse(value, scheme, 33, 33, 33)]
            else:
                continue
            for result in results:
                for issue in result.all_errors() + result.all_warnings():
                    assert issue.name != "UNEXPECTED_EXCEPTION", issue


def check_dex_strings(data: bytes) -> None:
    """The DEX string-table reader never raises and stays within its bounds."""
    m = _imports()
    ds = m["dex_strings"]
    with _Timer():
        result = ds.parse_dex_strings(data, max_strings=50_000)
    assert len(result.strings) <= 50_000
    assert all(isinstance(s, str) for s in result.strings[:1000])
    assert len(result.type_descriptors) <= 65536


def check_scan(data: bytes) -> None:
    """The whole pipeline: a ScanResult, never INTERNAL (a bug caught by the last line of defence)."""
    m = _imports()
    path = scratch().write(data)
    config = m["ScanConfig"](limits=fuzz_limits())
    with _Timer():
        result = m["scan_file"](path, config, display_path="fuzz.apk")
    assert result.status in ("ok", "error")
    if result.status == "error":
        assert result.error is not None and result.error.code not in ("INTERNAL", "MEMORY"), result.error
        assert result.error.message
    json.dumps(result.to_dict())
    if result.signing is not None:
        for issue in result.signing.issues:
            assert not issue.message.startswith(("AttributeError", "TypeError", "IndexError", "KeyError",
                                                  "ValueError", "struct.error", "ZeroDivisionError")), issue


def apk_with_member(base: bytes, name: str, data: bytes) -> bytes:
    """``base`` (an unsigned APK) with member ``name`` replaced by ``data`` (stored, so mutations
    reach the parsers instead of breaking the deflate stream)."""
    from apkscan.samples.zipwriter import ZipEntry, write_zip

    with zipfile.ZipFile(BytesIO(base)) as z:
        entries = [ZipEntry(i.filename, data if i.filename == name else z.read(i.filename),
                            compress=i.compress_type == 8 and i.filename != name) for i in z.infolist()]
    if name not in {e.name for e in entries}:
        entries.append(ZipEntry(name, data, compress=False))
    return write_zip(entries)


MEMBERS = ("AndroidManifest.xml", "resources.arsc", "classes.dex", "res/xml/accessibility_config.xml")


def check_scan_member(name: str, data: bytes, recipe: str = "fake-vneid-gigabud") -> None:
    """The whole pipeline on a factory APK one of whose members is ``data``."""
    check_scan(apk_with_member(factory_apk(recipe, sign=False), name, data))


CHECKS = {
    "archive": check_archive,
    "manifest": check_manifest,
    "arsc": check_arsc,
    "signing_block": check_signing_block,
    "dex_strings": check_dex_strings,
    "scan": check_scan,
}


# -- structured mutations (hypothesis) -----------------------------------------------------------

# Values that hit bounds checks: zero, one, sign bits, all-ones, typical header sizes.
INTERESTING = (0, 1, 2, 4, 8, 16, 0x1C, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF,
               0x7FFFFFFF, 0x80000000, 0xFFFFFFFF)


def mutate(data: bytes, ops) -> bytes:
    """Apply ``ops`` [(kind, position, blob, number)]; positions wrap around the data."""
    buf = bytearray(data)
    for kind, pos, blob, number in ops:
        if not buf:
            break
        pos %= len(buf)
        if kind == "set":
            buf[pos:pos + len(blob)] = blob
        elif kind == "insert":
            buf[pos:pos] = blob
        elif kind == "delete":
            del buf[pos:pos + 1 + number % 64]
        elif kind == "truncate":
            del buf[pos:]
        elif kind == "flip":
            buf[pos] ^= 1 << (number % 8)
        elif kind == "u16":
            buf[pos:pos + 2] = (number & 0xFFFF).to_bytes(2, "little")
        elif kind == "copy":  # duplicate a slice elsewhere (repeated chunks, overlapping records)
            start = number % len(buf)
            buf[pos:pos] = buf[start:start + 1 + len(blob) * 32]
        else:
            buf[pos:pos + 4] = (number & 0xFFFFFFFF).to_bytes(4, "little")
    return bytes(buf)


def mutation_ops(max_ops: int = 4, header_bias: int = 512):
    """A hypothesis strategy for ``mutate``: half the positions fall in the first
    ``header_bias`` bytes, where the headers, counts and offsets live."""
    from hypothesis import strategies as st

    op = st.tuples(
        st.sampled_from(["set", "insert", "delete", "truncate", "flip", "u16", "u32", "copy"]),
        st.one_of(st.integers(0, header_bias), st.integers(0, 1 << 24)),
        st.binary(min_size=1, max_size=8),
        st.one_of(st.sampled_from(INTERESTING), st.integers(0, 0xFFFFFFFF)),
    )
    return st.lists(op, min_size=1, max_size=max_ops)


# -- seeds ---------------------------------------------------------------------------------------

@lru_cache(maxsize=None)
def factory_apk(recipe: str = "benign-notes", sign: bool = True) -> bytes:
    from apkscan.samples.build import Factory

    return Factory(sign=sign).apk(recipe)


def _corpus_apks() -> list[bytes]:
    names = [("malformed", "eocd-comment-65535__v1.apk"), ("malformed", "badpack-lfh-method-bogus__v1.apk"),
             ("signing", "golden-aligned-v1v2v3-lineage-out.apk"), ("signing", "v31-rsa-2048_2-tgt-33-1-tgt-28.apk"),
             ("signing", "stamp-lineage-valid.apk"), ("signing", "v2-only-with-ecdsa-sha256-p256.apk")]
    out = []
    for folder, name in names:
        path = SHARED / "corpus" / folder / name
        if path.is_file():
            out.append(path.read_bytes())
    return out


def _member(apk: bytes, name: str) -> bytes | None:
    try:
        with zipfile.ZipFile(BytesIO(apk)) as z:
            return z.read(name)
    except Exception:  # noqa: BLE001 - a seed source that zipfile cannot read is skipped
        return None


def _signing_block(apk: bytes) -> bytes | None:
    from apkscan.signing import block

    try:
        eocd = apk.rindex(b"PK\x05\x06")
        cd_size, cd_offset = int.from_bytes(apk[eocd + 12:eocd + 16], "little"), int.from_bytes(apk[eocd + 16:eocd + 20], "little")
        found = block.locate(lambda o, n: apk[o:o + n], cd_offset, cd_size, eocd)
    except Exception:  # noqa: BLE001 - an APK without a block gives no seed
        return None
    return apk[found.offset:cd_offset]


@lru_cache(maxsize=None)
def seeds(target: str) -> tuple[bytes, ...]:
    """Valid inputs of that target (small first), from the factory and the corpus."""
    apks = [factory_apk("benign-notes"), factory_apk("vneid-reference-rotated")] + _corpus_apks()
    if target in ("archive", "scan"):
        return tuple(sorted(apks[:4], key=len))
    if target in MEMBERS:  # the members of the scan_member target's base APK
        found = _member(factory_apk("fake-vneid-gigabud", sign=False), target)
        return (found,) if found else ()
    member = {"manifest": "AndroidManifest.xml", "arsc": "resources.arsc", "dex_strings": "classes.dex"}.get(target)
    if member:
        found = [m for m in (_member(a, member) for a in apks) if m]
        return tuple(dict.fromkeys(sorted(found, key=len)))
    if target == "signing_block":
        return tuple(dict.fromkeys(b for b in (_signing_block(a) for a in apks) if b))
    raise KeyError(target)


def manifest_resources() -> bytes | None:
    """The resources.arsc that goes with the first manifest seed (labels, icons resolve)."""
    return _member(factory_apk("benign-notes"), "resources.arsc")
