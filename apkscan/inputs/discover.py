"""Find what to scan among the paths a user gives, recognised by content, as officers get them:

- single APK files (any name; a ZIP whose central directory names AndroidManifest.xml);
- `adb pull` folders: ``<package>/base.apk`` with ``split_*.apk`` beside it -> one app;
- XAPK / APKS / APKM bundles (a ZIP of APKs) -> one app, base plus splits;
- ZIP archives of evidence holding APKs -> each APK inside (or each bundle inside).
"""
from __future__ import annotations

import os
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

APK_SUFFIXES = (".apk", ".apks", ".xapk", ".apkm")
BUNDLE_SUFFIXES = (".apks", ".xapk", ".apkm")
_ZIP_EOCD_MAGIC = b"PK\x05\x06"
_TAIL = 65535 + 22  # largest EOCD record with comment (APPNOTE 4.3.16)


@dataclass(frozen=True)
class Candidate:
    """One app to analyse. ``kind``: ``apk`` (path is the APK), ``split_dir`` (path is base.apk,
    ``splits`` the split APK paths), ``bundle`` (path is an XAPK/APKS/APKM), ``zip_member`` (path is
    an evidence ZIP, ``member`` the APK or bundle inside it)."""

    path: str
    explicit: bool = False
    kind: str = "apk"
    splits: tuple[str, ...] = ()
    member: str | None = None

    @property
    def display_path(self) -> str:
        return f"{self.path}!{self.member}" if self.member else self.path


def _tail(path: str | os.PathLike) -> tuple[bytes, int] | None:
    """The last 64 KiB of a regular file (a device, FIFO or socket is never read: /dev/zero would
    never end and a FIFO would block)."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - _TAIL))
            return f.read(_TAIL), size
    except OSError:
        return None


def looks_like_apk(path: str | os.PathLike) -> bool:
    """A ZIP (data may precede it: the Janus trick) whose central directory names
    AndroidManifest.xml. Reads only the last 64 KiB."""
    got = _tail(path)
    if got is None:
        return False
    tail, size = got
    if _ZIP_EOCD_MAGIC not in tail:
        return False
    # The central directory of an APK below 64 KiB of names sits in this tail; a larger one is
    # accepted as a ZIP when named like an APK, and the scanner decides.
    return b"AndroidManifest.xml" in tail or (size > _TAIL and str(path).lower().endswith(APK_SUFFIXES))


def _zip_names(path: str) -> list[str] | None:
    try:
        with zipfile.ZipFile(path) as z:
            return z.namelist()
    except Exception:  # not a ZIP the stdlib reads: leave it to the APK reader
        return None


def classify_zip(path: str) -> str | None:
    """'apk', 'bundle' or 'evidence_zip' for a ZIP, None otherwise. Reads the central directory
    only (names), never the entries."""
    got = _tail(path)
    if got is None or _ZIP_EOCD_MAGIC not in got[0]:
        return None
    names = _zip_names(path)
    if names is None:
        # The stdlib refuses this ZIP (tricks Android tolerates): let the APK reader judge it.
        return "apk" if looks_like_apk(path) else None
    if "AndroidManifest.xml" in names:
        return "apk"
    apks = [n for n in names if n.lower().endswith(APK_SUFFIXES) and not n.endswith("/")]
    if not apks:
        # APKs renamed inside the evidence ZIP (e.g. a Zalo download kept as "file_123.bin")
        return "evidence_zip" if _evidence_members(path) and not path.lower().endswith(BUNDLE_SUFFIXES) \
            else None
    bundle_markers = {"manifest.json", "info.json", "toc.pb", "meta.sai_v2.json"}
    top_level_apks = [n for n in apks if "/" not in n or n.startswith("splits/")]
    if path.lower().endswith(BUNDLE_SUFFIXES) or (bundle_markers & set(names) and top_level_apks):
        return "bundle"
    return "evidence_zip"


# First entries that mark a ZIP as an APK (aapt/apkbuilder/bundletool order, JAR signing first)
_APK_FIRST_ENTRIES = ("AndroidManifest.xml", "META-INF/", "classes.dex", "resources.arsc", "res/", "assets/", "lib/")


def _member_is_apk(z: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    """Recognise an APK inside an evidence ZIP by content, whatever its name: it starts with a
    local file header whose entry name is one an APK starts with. Reads ~100 bytes of it."""
    if info.file_size < 30:
        return False
    try:
        with z.open(info) as f:
            head = f.read(30 + 64)
    except Exception:  # encrypted, damaged, unsupported method: not recognisable
        return False
    if head[:4] != b"PK\x03\x04":
        return False
    name_len = int.from_bytes(head[26:28], "little")
    first = head[30:30 + min(name_len, 64)].decode("utf-8", "replace")
    return first.startswith(_APK_FIRST_ENTRIES)


def _evidence_members(path: str) -> list[Candidate]:
    out = []
    try:
        with zipfile.ZipFile(path) as z:
            for info in sorted(z.infolist(), key=lambda i: i.filename):
                if info.is_dir():
                    continue
                if info.filename.lower().endswith(APK_SUFFIXES) or _member_is_apk(z, info):
                    out.append(Candidate(path, False, "zip_member", member=info.filename))
    except Exception:  # the archive became unreadable: the scan of the file itself reports it
        return [Candidate(path, True, "apk")]
    return out


def _split_dir(dirpath: str, filenames: list[str]) -> Candidate | None:
    if "base.apk" not in filenames:
        return None
    splits = tuple(os.path.join(dirpath, n) for n in sorted(filenames)
                   if n.startswith("split_") and n.endswith(".apk"))
    return Candidate(os.path.join(dirpath, "base.apk"), False, "split_dir" if splits else "apk", splits=splits)


def _classify_file(path: str, explicit: bool) -> list[Candidate]:
    kind = classify_zip(path)
    if kind == "bundle":
        return [Candidate(path, explicit, "bundle")]
    if kind == "evidence_zip":
        return _evidence_members(path)
    if kind == "apk" or explicit:
        return [Candidate(path, explicit, "apk")]
    return []


def _walk(root: Path) -> Iterator[Candidate]:
    # followlinks=False: a symlink loop in seized data must not hang the walk
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        files = sorted(n for n in filenames
                       if not os.path.islink(os.path.join(dirpath, n)) and os.path.isfile(os.path.join(dirpath, n)))
        app = _split_dir(dirpath, files)
        in_app = set()
        if app is not None:
            yield app
            in_app = {"base.apk", *(os.path.basename(s) for s in app.splits)}
        for name in files:
            if name in in_app:
                continue
            # A file named like an APK is reported even when it is not one (a broken or
            # disguised sample is evidence too); other files only when their content says APK.
            yield from _classify_file(os.path.join(dirpath, name), explicit=name.lower().endswith(APK_SUFFIXES))


def discover(paths: Iterable[str | os.PathLike]) -> list[Candidate]:
    """Expand files and directories (recursively) into candidates, in a stable order, without
    duplicates. Files named explicitly are always kept (an unreadable one is reported as an error)."""
    seen: set[tuple[str, str | None]] = set()
    found: list[Candidate] = []
    for raw in paths:
        p = Path(raw)
        items = _walk(p) if p.is_dir() else _classify_file(str(p), explicit=True)
        for cand in items:
            key = (os.path.realpath(cand.path), cand.member)
            if key in seen:
                continue
            seen.add(key)
            found.append(cand)
    return found
