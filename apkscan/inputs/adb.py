"""Acquire third-party apps from a connected phone with adb, read-only, as `adb pull` lays them out.

Only query and pull commands are sent (``pm list packages``, ``pm path``, ``getprop``, ``pull``):
nothing is installed, changed or started on the device. Each app's installer is recorded, because
a sideload (from Zalo, a browser or the package installer) rather than Google Play is itself
evidence. Package names from the device are validated before they become folder names.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import re
import subprocess
from dataclasses import dataclass, field

from apkscan.analyzers.installer import PLAY_STORE_INSTALLERS

_PACKAGE_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)+$")
# `pm list packages -f -3 -i` prints: package:<path>=<package>  installer=<installer or null>
_LIST_RE = re.compile(r"^package:(?P<path>\S+?)=(?P<pkg>[^\s=]+)(?:\s+installer=(?P<installer>\S+))?\s*$")
_SPLIT_NAME_RE = re.compile(r"^[A-Za-z0-9_.\-]+\.apk$")



class AdbError(Exception):
    pass


@dataclass
class AcquiredApp:
    package: str
    installer: str | None
    files: list[dict] = field(default_factory=list)  # {remote, local, sha256, size}
    error: str | None = None  # why (part of) this app could not be pulled

    @property
    def sideloaded(self) -> bool:
        return self.installer not in PLAY_STORE_INSTALLERS


class Adb:
    def __init__(self, executable: str = "adb", serial: str | None = None, timeout_s: float = 600):
        self.executable = executable
        self.serial = serial
        self.timeout_s = timeout_s

    def _run(self, *args: str) -> str:
        cmd = [self.executable] + (["-s", self.serial] if self.serial else []) + list(args)
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=self.timeout_s, check=False)
        except FileNotFoundError as exc:
            raise AdbError(f"adb not found ({self.executable}); install Android platform tools") from exc
        except subprocess.TimeoutExpired as exc:
            raise AdbError(f"adb timed out: {' '.join(args)}") from exc
        if proc.returncode != 0:
            raise AdbError(f"adb {' '.join(args)} failed: {proc.stderr.strip() or proc.stdout.strip()}")
        return proc.stdout

    def shell(self, *args: str) -> str:
        return self._run("shell", *args)

    def pull(self, remote: str, local: str) -> None:
        self._run("pull", remote, local)


def parse_package_list(text: str) -> list[tuple[str, str | None]]:
    apps = []
    for line in text.splitlines():
        m = _LIST_RE.match(line.strip())
        if not m or not _PACKAGE_RE.match(m.group("pkg")):
            continue
        installer = m.group("installer")
        apps.append((m.group("pkg"), None if installer in (None, "null") else installer))
    return apps


def parse_pm_path(text: str) -> list[str]:
    return [line.strip()[len("package:"):] for line in text.splitlines() if line.strip().startswith("package:")]


def _sha256(path: str) -> tuple[str, int]:
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


def acquire(outdir: str, adb: Adb) -> dict:
    """Pull every third-party app into ``outdir/apps/<package>/`` and write ``outdir/acquisition.json``.

    ``outdir`` must be new or empty, so that the scan that follows sees only this acquisition.
    A pull that fails is recorded for that app (``error``) and the acquisition goes on."""
    if os.path.isdir(outdir) and os.listdir(outdir):
        raise AdbError(f"{outdir} is not empty: acquire into a new folder so stale files are not mixed in")
    os.makedirs(os.path.join(outdir, "apps"), exist_ok=True)
    started = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    device = {prop: adb.shell("getprop", prop).strip()
              for prop in ("ro.product.manufacturer", "ro.product.model", "ro.build.version.release",
                           "ro.build.version.sdk", "ro.serialno")}
    apps: list[AcquiredApp] = []
    for package, installer in parse_package_list(adb.shell("pm", "list", "packages", "-f", "-3", "-i")):
        app = AcquiredApp(package, installer)
        folder = os.path.join(outdir, "apps", package)
        os.makedirs(folder, exist_ok=True)
        try:
            for remote in parse_pm_path(adb.shell("pm", "path", package)):
                name = os.path.basename(remote)
                if not _SPLIT_NAME_RE.match(name) or name in (".apk", "..apk"):
                    continue  # never let device-supplied names escape the app folder
                local = os.path.join(folder, name)
                adb.pull(remote, local)
                if not os.path.isfile(local):
                    raise AdbError(f"adb pull {remote} produced no file")
                sha, size = _sha256(local)
                app.files.append({"remote": remote, "local": os.path.relpath(local, outdir), "sha256": sha,
                                  "size": size})
        except AdbError as exc:
            app.error = str(exc)
        apps.append(app)
    record = {
        "acquired_at": started,
        "serial": adb.serial,
        "device": device,
        "apps": [{"package": a.package, "installer": a.installer, "sideloaded": a.sideloaded, "files": a.files,
                  "error": a.error} for a in apps],
    }
    with open(os.path.join(outdir, "acquisition.json"), "w", encoding="utf-8") as f:
        json.dump(record, f, indent=2, ensure_ascii=False)
    return record
