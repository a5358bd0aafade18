"""Find the APKs to scan among the paths a user gives: files and directories, recognised by content."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

APK_SUFFIXES = (".apk", ".apks", ".xapk", ".apkm")
_ZIP_LOCAL_MAGIC = b"PK\x03\x04"
_ZIP_EOCD_MAGIC = b"PK\x05\x06"
_DEX_MAGIC = b"dex\n"
_TAIL = 65535 + 22  # largest EOCD record with comment (APPNOTE 4.3.16)


@dataclass(frozen=True)
class Candidate:
    path: str
    explicit: bool  # named on the command line: scanned (or reported as error) whatever it holds


def looks_like_apk(path: str | os.PathLike) -> bool:
    """A ZIP (possibly with a prepended DEX, the Janus trick) whose central directory names
    AndroidManifest.xml. Reads at most the first 4 bytes and the last 64 KiB."""
    try:
        with open(path, "rb") as f:
            head = f.read(4)
            if head not in (_ZIP_LOCAL_MAGIC, _DEX_MAGIC) and not head.startswith(b"PK"):
                # data may precede the archive; fall through to the tail check only for .apk names
                if not str(path).lower().endswith(APK_SUFFIXES):
                    return False
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - _TAIL))
            tail = f.read()
    except OSError:
        return False
    if _ZIP_EOCD_MAGIC not in tail:
        return False
    # Cheap and tolerant: the name appears in the central directory at the tail for all but huge
    # archives; for those, accept the ZIP and let the scanner decide.
    return b"AndroidManifest.xml" in tail or size > _TAIL or str(path).lower().endswith(APK_SUFFIXES)


def _walk(root: Path) -> Iterator[str]:
    # followlinks=False: a symlink loop in seized data must not hang the walk
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        for name in sorted(filenames):
            full = os.path.join(dirpath, name)
            if os.path.islink(full) or not os.path.isfile(full):
                continue
            if name.lower().endswith(APK_SUFFIXES) or looks_like_apk(full):
                yield full


def discover(paths: Iterable[str | os.PathLike]) -> list[Candidate]:
    """Expand files and directories (recursively) into APK candidates, in a stable order, without
    duplicates. Files named explicitly are always kept; inside directories only APKs recognised by
    extension or content are."""
    seen: set[str] = set()
    found: list[Candidate] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            items = [(f, False) for f in _walk(p)]
        else:
            items = [(str(p), True)]
        for item, explicit in items:
            key = os.path.realpath(item)
            if key in seen:
                continue
            seen.add(key)
            found.append(Candidate(item, explicit))
    return found
