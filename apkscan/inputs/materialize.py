"""Lay a candidate out as local files for the scanner: APKs inside bundles and evidence ZIPs are
copied, size-capped, into a private temporary directory under generated names (entry names never
become file paths), and removed afterwards."""
from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import zipfile
import zlib
from dataclasses import dataclass
from typing import Iterator

from apkscan.inputs.discover import Candidate

_COPY_CHUNK = 1 << 20


class InputError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class LocalApp:
    base: str
    splits: tuple[str, ...]
    display_path: str
    split_names: tuple[str, ...] = ()  # how each split is named in reports


def _copy_member(z: zipfile.ZipFile, name: str, target: str, max_size: int) -> None:
    info = z.getinfo(name)
    if info.file_size > max_size:
        raise InputError("LIMIT_EXCEEDED", f"{name}: {info.file_size} bytes exceeds the {max_size}-byte limit")
    copied = 0
    with z.open(info) as src, open(target, "wb") as dst:
        while chunk := src.read(_COPY_CHUNK):
            copied += len(chunk)
            if copied > max_size:  # the declared size lied (zip bomb)
                raise InputError("LIMIT_EXCEEDED", f"{name}: inflates past the {max_size}-byte limit")
            dst.write(chunk)


def _pick_base(apks: list[str]) -> str:
    for preferred in ("base.apk", "base-master.apk"):
        for n in apks:
            if n.rsplit("/", 1)[-1] == preferred:
                return n
    non_split = [n for n in apks if not n.rsplit("/", 1)[-1].startswith(("split_", "config.", "base-"))]
    return (non_split or apks)[0]


@contextlib.contextmanager
def _private_dir() -> Iterator[str]:
    tmp = tempfile.mkdtemp(prefix="apkscan-")
    os.chmod(tmp, 0o700)
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _bundle_layout(zip_path: str, inner: str | None, tmp: str, display: str, max_size: int) -> LocalApp:
    try:
        with zipfile.ZipFile(zip_path) as z:
            apks = sorted(n for n in z.namelist() if n.lower().endswith(".apk") and not n.endswith("/"))
            if not apks:
                raise InputError("BAD_BUNDLE", "bundle holds no APK")
            base = _pick_base(apks)
            splits = [n for n in apks if n != base]
            base_path = os.path.join(tmp, "base.apk")
            _copy_member(z, base, base_path, max_size)
            split_paths = []
            for i, name in enumerate(splits):
                target = os.path.join(tmp, f"split-{i:04d}.apk")
                _copy_member(z, name, target, max_size)
                split_paths.append(target)
            return LocalApp(base_path, tuple(split_paths), f"{display}!{base}", tuple(splits))
    except InputError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, RuntimeError, NotImplementedError, EOFError,
            zlib.error, ValueError) as exc:
        raise InputError("BAD_BUNDLE", f"cannot read bundle: {exc}") from exc


@contextlib.contextmanager
def local_app(cand: Candidate, max_size: int) -> Iterator[LocalApp]:
    if cand.kind == "apk":
        yield LocalApp(cand.path, (), cand.path)
        return
    if cand.kind == "split_dir":
        yield LocalApp(cand.path, cand.splits, cand.path, tuple(os.path.basename(s) for s in cand.splits))
        return
    with _private_dir() as tmp:
        if cand.kind == "bundle":
            yield _bundle_layout(cand.path, None, tmp, cand.path, max_size)
            return
        if cand.kind == "zip_member":
            member_path = os.path.join(tmp, "member.bin")
            try:
                with zipfile.ZipFile(cand.path) as z:
                    _copy_member(z, cand.member, member_path, max_size)
            except InputError:
                raise
            except Exception as exc:
                raise InputError("BAD_EVIDENCE_ZIP", f"cannot read {cand.member}: {exc}") from exc
            if cand.member.lower().endswith((".apks", ".xapk", ".apkm")):
                inner = os.path.join(tmp, "bundle")
                os.mkdir(inner, 0o700)
                yield _bundle_layout(member_path, None, inner, cand.display_path, max_size)
            else:
                yield LocalApp(member_path, (), cand.display_path)
            return
        raise InputError("BAD_INPUT", f"unknown input kind {cand.kind}")
