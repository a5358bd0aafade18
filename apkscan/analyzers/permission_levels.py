"""Refresh the protection levels of ``signatures/permissions.json`` from the AOSP platform
manifest, keeping the hand-written fraud entries.

The levels come from AOSP ``frameworks/base/core/res/AndroidManifest.xml`` per API level, as
extracted by https://github.com/U039b/aosp_permissions_extraction and shipped with androguard
(``androguard/core/api_specific_resources/aosp_permissions/permissions_<API>.json``). Run after
upgrading androguard to a release that knows a newer Android:

    python -m apkscan.analyzers.permission_levels [signatures/permissions.json]
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def _androguard_levels() -> tuple[list[int], dict[str, list[tuple[int, str, str]]]]:
    import androguard

    base = Path(androguard.__file__).parent / "core" / "api_specific_resources" / "aosp_permissions"
    apis = sorted(int(p.stem.split("_")[1]) for p in base.glob("permissions_*.json"))
    levels: dict[str, list[tuple[int, str, str]]] = {}
    for api in apis:
        data = json.loads((base / f"permissions_{api}.json").read_text(encoding="utf-8"))["permissions"]
        for name, v in data.items():
            levels.setdefault(name, []).append((api, v.get("protectionLevel") or "normal", v.get("permissionGroup") or ""))
    return apis, levels


def refresh(path: Path) -> int:
    doc = json.loads(path.read_text(encoding="utf-8"))
    apis, levels = _androguard_levels()
    latest = apis[-1]
    old = doc.get("permissions", {})
    perms: dict[str, dict] = {}
    for name in sorted(set(levels) | set(old)):
        hist = levels.get(name)
        entry: dict = {}
        if hist:
            entry = {"protection_level": hist[-1][1], "first_seen_api": hist[0][0]}
            if hist[-1][0] != latest:
                entry["last_seen_api"] = hist[-1][0]
            changes, prev = [], None
            for api, lvl, _ in hist:
                if lvl != prev:
                    changes.append([api, lvl])
                    prev = lvl
            if len(changes) > 1:
                entry["protection_history"] = changes
            group = hist[-1][2]
            if group and group != "android.permission-group.UNDEFINED":
                entry["group"] = group
        else:
            entry = {"protection_level": None, "note": "not declared by any platform manifest in the extraction"}
        if "fraud" in old.get(name, {}):
            entry["fraud"] = old[name]["fraud"]
        perms[name] = entry
    doc["permissions"] = perms
    doc["api_level"] = latest
    doc["count"] = len(perms)
    doc.setdefault("source", {})["api_levels"] = apis
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return len(perms)


if __name__ == "__main__":  # pragma: no cover - maintenance command
    from apkscan.datafiles import signatures_dir

    target = Path(sys.argv[1]) if len(sys.argv) > 1 else signatures_dir() / "permissions.json"
    print(f"{refresh(target)} permissions written to {target}")
