"""Hidden payloads: code shipped as data, encrypted blobs, and dynamic code loading.

Assets and res/raw entries are recognised by content, not name:
  DEX magic            -> PAYLOAD_HIDDEN_DEX
  ZIP local header     -> APK (has AndroidManifest.xml), DEX container (classes*.dex), JAR, ZIP;
                          analysed recursively through the pipeline's ``analyze_nested`` callback
                          up to ScanConfig.max_depth, findings attributed "assets/x.apk!classes.dex"
  ELF magic            -> PAYLOAD_HIDDEN_ELF (native code outside lib/, as packers do)
  unknown, high entropy-> PAYLOAD_ENCRYPTED_BLOB (encrypted or custom-compressed data)
and DEX code that loads code at run time (DexClassLoader, InMemoryDexClassLoader, DexFile.loadDex)
gives PAYLOAD_DYNAMIC_CODE_LOADING.
"""
from __future__ import annotations

import io
import math
import zipfile
from dataclasses import replace
from typing import Any, Callable

from apkscan.analyzers.content_findings import (
    apk_path,
    declared_size,
    display_base,
    entry_path,
    is_asset,
    is_classes_dex,
    is_dir_entry,
    is_raw_resource,
    limit,
    make_finding,
    printable,
)
from apkscan.analyzers.dex_strings import dex_strings_for, is_dex
from apkscan.analyzers.base import EntryPassAnalyzer
from apkscan.model import Finding

SOURCE = "payloads"

# The pipeline's recursion, either of:
#   ctx.cache["scan_nested"](data, entry_name) -> ScanResult | None   (apkscan.scan; None = too deep)
#   analyze_nested(data, display_path, depth) -> list[Finding]
# Findings come back relative to the nested APK; they are re-attributed "<entry>!<path>".
AnalyzeNested = Callable[[bytes, str, int], "list[Finding]"]
SCAN_NESTED_KEY = "scan_nested"

DEFAULT_MAX_PAYLOAD_BYTES = 256 << 20
ENTROPY_SAMPLE = 256 << 10  # bytes of a blob measured
MIN_BLOB_BYTES = 4096
ENTROPY_THRESHOLD = 7.9  # bits per byte; deflate/AES output is ~7.99, text and code far below
MAX_BLOB_FINDINGS = 10
MAX_ZIP_NAMES = 10_000

ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
ELF_MAGIC = b"\x7fELF"
# Formats that are high-entropy by design and harmless in assets (magic at offset 0 unless noted).
KNOWN_COMPRESSED = (
    b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"RIFF", b"\x1f\x8b", b"7z\xbc\xaf", b"\xfd7zXZ", b"BZh",
    b"\x28\xb5\x2f\xfd", b"OggS", b"ID3", b"fLaC", b"wOFF", b"wOF2", b"OTTO", b"\x00\x01\x00\x00",
    b"%PDF", b"Rar!", b"\x00\x00\x00\x1cftyp", b"\x00\x00\x00\x18ftyp", b"\x00\x00\x00\x20ftyp",
    b"SQLite format 3", b"\x1aE\xdf\xa3", b"ktx", b"\xabKTX",
)
MP3_FRAME_SYNC = (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2", b"\xff\xfa")
DEX_LOADER_STRINGS = {
    "Ldalvik/system/InMemoryDexClassLoader;": "InMemoryDexClassLoader",
    "Ldalvik/system/DexClassLoader;": "DexClassLoader",
    "loadDex": "DexFile.loadDex",
}
DEXFILE_TYPE = "Ldalvik/system/DexFile;"


def byte_histogram(data: bytes) -> list[int]:
    """Count of each byte value. Pillow (a dependency, for icons) counts them in one C pass: the
    histogram of a one-row 8-bit greyscale image, ~50x faster than 256 bytes.count passes."""
    try:
        from PIL import Image

        return Image.frombytes("L", (len(data), 1), bytes(data)).histogram()
    except (ImportError, ValueError, MemoryError):
        return [data.count(b.to_bytes(1, "little")) for b in range(256)]


def shannon_entropy(data: bytes) -> float:
    """Bits per byte over ``data`` (at most ENTROPY_SAMPLE bytes are passed)."""
    n = len(data)
    if not n:
        return 0.0
    ent = 0.0
    for c in byte_histogram(data):
        if c:
            p = c / n
            ent -= p * math.log2(p)
    return ent


def is_known_media(head: bytes) -> bool:
    if head.startswith(KNOWN_COMPRESSED) or head.startswith(MP3_FRAME_SYNC):
        return True
    return head[4:8] == b"ftyp" or head[4:8] == b"TFL3"  # MP4/3GP family, TensorFlow Lite model


def classify_zip(data: bytes) -> tuple[str, list[str]]:
    """("apk" | "dex_container" | "jar" | "zip", first entry names) from the central directory."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = [i.filename for i in zf.infolist()[:MAX_ZIP_NAMES]]
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError, RuntimeError, IndexError):
        return "zip", []
    if "AndroidManifest.xml" in names:
        kind = "apk"
    elif any(is_classes_dex(n.rsplit("/", 1)[-1]) or n.endswith(".dex") for n in names):
        kind = "dex_container"
    elif "META-INF/MANIFEST.MF" in names or any(n.endswith(".class") for n in names):
        kind = "jar"
    else:
        kind = "zip"
    return kind, names


ZIP_FINDING = {"apk": "PAYLOAD_EMBEDDED_APK", "dex_container": "PAYLOAD_EMBEDDED_DEX_ARCHIVE",
               "jar": "PAYLOAD_EMBEDDED_JAR", "zip": "PAYLOAD_EMBEDDED_ZIP"}


class PayloadConsumer:
    """Entry consumer for Archive.for_each_entry; ``finish()`` returns the PAYLOAD_* findings and
    those of nested payloads. Without a recursion callback nested archives are reported only."""

    name = SOURCE

    def __init__(self, ctx: Any, analyze_nested: AnalyzeNested | None = None) -> None:
        self.ctx = ctx
        cache = getattr(ctx, "cache", None)
        if cache is None:
            cache = {}
        self.analyze_nested = analyze_nested
        self.scan_nested = cache.get(SCAN_NESTED_KEY) if analyze_nested is None else None
        self.max_bytes = int(limit(ctx, "payload_max_bytes", DEFAULT_MAX_PAYLOAD_BYTES))
        self.max_depth = int(getattr(getattr(ctx, "config", None), "max_depth", 3) or 0)
        self.depth = int(getattr(ctx, "depth", 0) or 0)
        # In a plain ZIP/JAR (no manifest) any entry may be the payload, not only assets.
        archive = getattr(ctx, "archive", None)
        has_manifest = False
        try:
            has_manifest = archive is not None and archive.entry("AndroidManifest.xml") is not None
        except Exception:  # noqa: BLE001 - a damaged archive just means "look at everything"
            has_manifest = False
        self.container_mode = archive is not None and not has_manifest
        self.findings: list[Finding] = []
        self.blobs: list[dict[str, Any]] = []
        self.loaders: dict[str, set[str]] = {}
        self.payload_found = False
        self._piece: list[Any] | None = None  # [entry, first ENTROPY_SAMPLE bytes, size so far]

    # -- entry consumer protocol -----------------------------------------------------------
    def wants(self, entry: Any) -> bool:
        if is_dir_entry(entry):
            return False
        name = entry.name
        if is_classes_dex(name):
            return True
        if not (is_asset(name) or is_raw_resource(name) or self.container_mode):
            return False
        return declared_size(entry) <= self.max_bytes

    def consume(self, entry: Any, data: bytes) -> None:
        name = entry.name
        path = entry_path(self.ctx, name)
        if is_classes_dex(name):  # the app's own (or a container's own) code
            self._dex_loaders(path, data)
            return
        head = bytes(data[:32])
        if is_dex(head):
            self.payload_found = True
            table = dex_strings_for(self.ctx.cache, path, data)
            if not is_classes_dex(name):
                self.findings.append(make_finding("PAYLOAD_HIDDEN_DEX", SOURCE, {
                    "entry": name, "size": len(data), "dex_version": table.version,
                    "strings": len(table.strings), "classes_sample": list(table.type_descriptors[:10])}, path))
            self._dex_loaders(path, data)
        elif head.startswith(ZIP_MAGICS):
            self._nested_archive(name, path, data)
        else:
            self._other(name, path, data[:ENTROPY_SAMPLE], len(data))

    def _other(self, name: str, path: str, start: bytes, size: int) -> None:
        """Neither DEX nor ZIP: ELF, or maybe an encrypted blob. ``start``: the first
        ENTROPY_SAMPLE bytes (or all), ``size``: the whole entry's."""
        head = bytes(start[:32])
        if head.startswith(ELF_MAGIC):
            self.payload_found = True
            self.findings.append(make_finding("PAYLOAD_HIDDEN_ELF", SOURCE, {"entry": name, "size": size}, path))
        elif size >= MIN_BLOB_BYTES and not is_known_media(head):
            entropy = shannon_entropy(bytes(start[:ENTROPY_SAMPLE]))
            if entropy >= ENTROPY_THRESHOLD:
                self.blobs.append({"entry": name, "path": path, "size": size, "entropy": round(entropy, 3),
                                   "head": printable(head[:16], 16)})

    # -- big entries in pieces (Archive.for_each_entry): same results as consume() ----------------
    def takes_pieces(self, entry: Any, head: bytes) -> bool:
        """Only what the start of the entry decides: code and archives are read whole."""
        magic = bytes(head[:8])
        return not (is_classes_dex(entry.name) or is_dex(magic) or magic.startswith(ZIP_MAGICS))

    def consume_piece(self, entry: Any, piece: bytes) -> None:
        if self._piece is None or self._piece[0] is not entry:
            self._piece = [entry, bytes(piece[:ENTROPY_SAMPLE]), 0]
        self._piece[2] += len(piece)

    def end_entry(self, entry: Any) -> None:
        state, self._piece = self._piece, None
        if state is not None and state[0] is entry:
            self._other(entry.name, entry_path(self.ctx, entry.name), state[1], state[2])

    def entry_error(self, entry: Any, error: Exception) -> None:
        self._piece = None

    # -- pieces ------------------------------------------------------------------------------
    def _dex_loaders(self, path: str, data: bytes) -> None:
        table = dex_strings_for(self.ctx.cache, path, data)
        present = set(table.strings)
        for marker, api in DEX_LOADER_STRINGS.items():
            if marker == "loadDex" and DEXFILE_TYPE not in present:
                continue  # "loadDex" counts only with the DexFile class referenced
            if marker in present:
                self.loaders.setdefault(api, set()).add(path)

    def _nested_archive(self, name: str, path: str, data: bytes) -> None:
        kind, names = classify_zip(data)
        self.payload_found = self.payload_found or kind in ("apk", "dex_container")
        evidence: dict[str, Any] = {"entry": name, "kind": kind, "size": len(data), "entries": len(names),
                                    "sample_entries": names[:10]}
        nested: list[Finding] = []
        if self.depth + 1 > self.max_depth:
            nested.append(make_finding("PAYLOAD_DEPTH_LIMIT", SOURCE, {"entry": name, "max_depth": self.max_depth}, path))
        else:
            try:
                nested = self._recurse(name, data, evidence)
            except Exception as e:  # noqa: BLE001 - a nested payload must not stop the outer scan
                nested = [make_finding("PAYLOAD_NESTED_ERROR", SOURCE,
                                       {"entry": name, "error": f"{type(e).__name__}: {e}"[:300]}, path)]
        self.findings.append(make_finding(ZIP_FINDING[kind], SOURCE, evidence, path))
        self.findings.extend(nested)

    def _recurse(self, name: str, data: bytes, evidence: dict[str, Any]) -> list[Finding]:
        """Run the pipeline on the nested bytes; its findings re-attributed under ``name``."""
        path = entry_path(self.ctx, name)
        if self.scan_nested is not None:
            result = self.scan_nested(bytes(data), name)
            if result is None:
                return [make_finding("PAYLOAD_DEPTH_LIMIT", SOURCE, {"entry": name, "max_depth": self.max_depth}, path)]
            evidence["nested"] = {"status": result.status, "verdict": result.verdict,
                                  "risk": result.risk.to_dict(), "sha256": result.input.sha256,
                                  "package": result.app.package if result.app else None}
            if result.status != "ok":
                err = result.error.to_dict() if result.error else {}
                return [make_finding("PAYLOAD_NESTED_ERROR", SOURCE, {"entry": name, "error": err}, path)]
            found = list(result.findings)
        elif self.analyze_nested is not None:
            found = list(self.analyze_nested(bytes(data), f"{display_base(self.ctx)}!{name}", self.depth + 1) or ())
        else:
            return []
        return [replace(f, path=f"{path}!{f.path}" if f.path else path) for f in found]

    def finish(self) -> list[Finding]:
        out = list(self.findings)
        for blob in self.blobs[:MAX_BLOB_FINDINGS]:
            path = blob.pop("path")
            out.append(make_finding("PAYLOAD_ENCRYPTED_BLOB", SOURCE, blob, path))
        if len(self.blobs) > MAX_BLOB_FINDINGS:
            out.append(make_finding("PAYLOAD_ENCRYPTED_BLOB", SOURCE,
                                    {"omitted": len(self.blobs) - MAX_BLOB_FINDINGS}, apk_path(self.ctx)))
        if self.loaders:
            apis = sorted(self.loaders)
            # loading code from memory, or next to a payload the app carries, is what droppers
            # and packers do; a bare DexClassLoader is also used by plugin frameworks
            if self.payload_found or self.blobs:
                severity = "high"
            elif "InMemoryDexClassLoader" in apis or "DexFile.loadDex" in apis:
                severity = "medium"
            else:
                severity = "low"
            locations = sorted({p for ps in self.loaders.values() for p in ps})
            out.append(make_finding("PAYLOAD_DYNAMIC_CODE_LOADING", SOURCE, {
                "apis": apis, "locations": locations,
                "with_embedded_payload": bool(self.payload_found or self.blobs)}, locations[0], severity=severity))
        return out


class PayloadAnalyzer(EntryPassAnalyzer):
    name = SOURCE

    def __init__(self, analyze_nested: AnalyzeNested | None = None) -> None:
        self.analyze_nested = analyze_nested

    def make_consumer(self, ctx: Any):
        return PayloadConsumer(ctx, self.analyze_nested)
