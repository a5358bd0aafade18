"""A phone dump as ``adb pull`` of /data/app leaves it, for the batch benchmark.

Layout: ``OUTDIR/<package>/base.apk`` plus, for store-installed apps, the config splits
bundletool makes (``split_config.arm64_v8a.apk`` with the native libraries,
``split_config.xxhdpi.apk`` with density resources, ``split_config.vi.apk`` with the Vietnamese
strings). Most apps are generated benign apps of realistic size (multi-dex code, native
libraries, assets, drawables); the genuine-like VNeID reference is there as a store install, and a
few of the factory's fakes sit beside them as sideloaded single APKs.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import random
import re
from pathlib import Path

from apkscan.samples.build import Factory
from apkscan.samples.recipes import load_all

MB = 1024 * 1024
ON_DISK_RATIO = 0.58  # measured: generated content deflates to about this share inside the APKs
FAKES = ("fake-vneid-gigabud", "fake-vneid-golddigger", "fake-vneid-redhook", "fake-vssid", "fake-etax",
         "fake-vneid-bankbot-dropper", "fake-evn", "fake-dichvucong", "fake-vneid-label-cyrillic")
SPLITS = (("config.arm64_v8a", "split_config.arm64_v8a.apk"), ("config.xxhdpi", "split_config.xxhdpi.apk"),
          ("config.vi", "split_config.vi.apk"))
KEYS = ("TEST-ONLY-phone-dump-dev", "TEST-ONLY-benign-dev-a", "TEST-ONLY-benign-dev-b", "TEST-ONLY-benign-dev-c")
_PACKAGE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")

_VENDORS = ("sunflower", "bluebird", "lotus", "mekong", "saigonsoft", "hanoiapps", "riverstone", "greenleaf",
            "brightpath", "kitestudio", "northwind", "papaya", "orbitlabs", "tidewater", "maplecode")
_APPS = (("notes", "Notes", "Ghi chú"), ("weather", "Weather", "Thời tiết"), ("shop", "Shop", "Mua sắm"),
         ("music", "Music", "Âm nhạc"), ("news", "News", "Tin tức"), ("maps", "Maps", "Bản đồ"),
         ("camera", "Camera", "Máy ảnh"), ("fitness", "Fitness", "Thể dục"), ("recipes", "Recipes", "Nấu ăn"),
         ("translate", "Translate", "Dịch"), ("video", "Video", "Video"), ("reader", "Reader", "Đọc sách"),
         ("taxi", "Taxi", "Gọi xe"), ("food", "Food", "Đồ ăn"), ("chat", "Chat", "Trò chuyện"),
         ("calendar", "Calendar", "Lịch"), ("games", "Puzzle", "Trò chơi ghép hình"), ("learn", "Learn English", "Học tiếng Anh"))
_PERMS = ("android.permission.ACCESS_NETWORK_STATE", "android.permission.CAMERA", "android.permission.ACCESS_FINE_LOCATION",
          "android.permission.ACCESS_COARSE_LOCATION", "android.permission.POST_NOTIFICATIONS", "android.permission.VIBRATE",
          "android.permission.WAKE_LOCK", "android.permission.RECORD_AUDIO", "android.permission.READ_MEDIA_IMAGES",
          "android.permission.FOREGROUND_SERVICE", "android.permission.RECEIVE_BOOT_COMPLETED", "android.permission.USE_BIOMETRIC")


def _generic_recipe(rng: random.Random, seed: int, i: int, size: int, used: set[str]) -> dict:
    vendor = _VENDORS[rng.randrange(len(_VENDORS))]
    slug, title, title_vi = _APPS[rng.randrange(len(_APPS))]
    package = f"com.{vendor}.{slug}"
    n = 2
    while package in used:
        package, n = f"com.{vendor}.{slug}{n}", n + 1
    used.add(package)
    activities = [{"kind": "activity", "name": ".MainActivity", "exported": True, "launcher": True}]
    activities += [{"kind": "activity", "name": f".ui.Screen{k}Activity", "exported": False} for k in range(rng.randrange(2, 6))]
    return {
        "id": f"dump-{seed}-{i:03d}",
        "package": package,
        "version_code": rng.randrange(10, 5000),
        "version_name": f"{rng.randrange(1, 9)}.{rng.randrange(0, 20)}.{rng.randrange(0, 10)}",
        "min_sdk": 24, "target_sdk": 34, "compile_sdk": 34,
        "labels": {"": f"{vendor.title()} {title}", "vi": f"{title_vi} {vendor.title()}"},
        "strings": {"welcome": {"": f"Welcome to {title}", "vi": f"Chào mừng đến với {title_vi}"}},
        "icon": {"seed": package},
        "permissions": ["android.permission.INTERNET"] + sorted(rng.sample(_PERMS, rng.randrange(1, 6))),
        "application": {"name": ".App", "allowBackup": True, "extractNativeLibs": False},
        "components": activities + [
            {"kind": "service", "name": ".push.PushService", "exported": False,
             "intent_filters": [{"actions": ["com.google.firebase.MESSAGING_EVENT"]}]}],
        "bulk": {"dex_bytes": int(size * 0.62)},
        "native_libs": _native_libs(rng, int(size * 0.25)),
        "drawables": {"bg_header": {"qualifiers": ["xxhdpi-v4"], "size": _png_size(int(size * 0.04))}},
        "assets": [{"path": "assets/data/content.bin", "random_bytes": int(size * 0.08), "compressible": 0.6},
                   {"path": "assets/config.json", "text": json.dumps({"app": slug, "api": f"https://api.{vendor}.example.invalid"})}],
        "signing": {"key": KEYS[i % len(KEYS)], "schemes": ["v2", "v3"]},
        "expected": {"verdict": "clean", "identity_claimed": None},
    }


def _native_libs(rng: random.Random, total: int) -> list[dict]:
    names = ["libapp.so", "libcrypto_wrap.so", "libimage.so", "libsqlcipher.so"][: rng.randrange(1, 5)]
    return [{"name": n, "abis": ["arm64-v8a"], "payload_bytes": total // len(names), "compressible": 0.45,
             "strings": [n, "JNI_OnLoad"]} for n in names]


def _png_size(n_bytes: int) -> list[int]:
    side = max(16, int(math.sqrt(max(n_bytes, 1) / 4)))
    return [side, side]


def _with_splits(r: dict) -> list[tuple[str, dict]]:
    """-> [(file name, recipe)] for base.apk and its config splits."""
    common = {k: r[k] for k in ("id", "package", "version_code", "version_name", "min_sdk", "target_sdk", "signing")
              if k in r}
    base = dict(r, native_libs=[], keep_qualifiers=["", "mdpi-v4"])
    out = [("base.apk", base)]
    for split, fname in SPLITS:
        s = dict(common, split=split, application={"hasCode": False})
        if split == "config.arm64_v8a":
            s.update(native_libs=r.get("native_libs", []), keep_qualifiers=[],
                     application={"hasCode": False, "extractNativeLibs": False})
        else:
            q = ["xxhdpi-v4"] if split == "config.xxhdpi" else ["vi"]
            s.update({k: r[k] for k in ("labels", "strings", "icon", "drawables", "xml_resources") if k in r},
                     keep_qualifiers=q)
        out.append((fname, s))
    return out


def _sizes(rng: random.Random, n: int, total: int | None) -> list[int]:
    sizes = [int(math.exp(rng.uniform(math.log(4 * MB), math.log(48 * MB)))) for _ in range(n)]
    if total:
        scale = total / ON_DISK_RATIO / max(1, sum(sizes))
        sizes = [max(256 * 1024, int(s * scale)) for s in sizes]
    return sizes


def build_phone_dump(outdir: str | os.PathLike, n_apps: int, seed: int = 0, total_size_hint: int | None = None) -> dict:
    """Lay out ``n_apps`` installed apps under ``outdir``; write ``outdir/index.json``; return it.
    ``total_size_hint`` (bytes) scales the generated apps so the dump is about that big."""
    if n_apps < 1:
        raise ValueError("n_apps must be >= 1")
    rng = random.Random(seed)
    recipes = load_all()
    n_fakes = min(len(FAKES), max(1, n_apps // 8)) if n_apps >= 2 else 0
    fakes = sorted(rng.sample(FAKES, n_fakes))
    with_reference = n_apps >= 4
    n_generic = n_apps - n_fakes - (1 if with_reference else 0)
    sizes = _sizes(rng, n_generic + n_fakes + (1 if with_reference else 0), total_size_hint)

    plan: list[tuple[dict, bool]] = []  # (recipe, store-installed with splits?)
    used: set[str] = set()
    for i in range(n_generic):
        plan.append((_generic_recipe(rng, seed, i, sizes[i], used), True))
    extra = sizes[n_generic:]
    if with_reference:
        ref = dict(recipes["vneid-reference"], id=f"vneid-reference@dump-{seed}")
        ref["bulk"] = {"dex_bytes": int(extra.pop() * 0.7)}
        plan.append((ref, True))
    for fid in fakes:
        # sideloaded: one APK, padded with ordinary-looking code to a realistic size
        fake = dict(recipes[fid], id=f"{fid}@dump-{seed}", bulk={"dex_bytes": int(extra.pop() * 0.5)})
        plan.append((fake, False))

    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    apps = []
    for r, store in plan:
        pkg = r["package"]
        if not _PACKAGE.match(pkg):
            raise ValueError(f"bad package name {pkg!r}")
        if any(a["package"] == pkg for a in apps):
            continue  # one install per package, as on a phone
        parts = _with_splits(r) if store else [("base.apk", r)]
        factory = Factory({**recipes, **{f"{r['id']}/{fname}": part for fname, part in parts}})
        d = out / pkg
        d.mkdir(exist_ok=True)
        files = []
        for fname, _part in parts:
            data = factory.apk(f"{r['id']}/{fname}")
            (d / fname).write_bytes(data)
            files.append({"file": f"{pkg}/{fname}", "size": len(data), "sha256": hashlib.sha256(data).hexdigest()})
        apps.append({"package": pkg, "recipe": r["id"].split("@")[0], "store_install": store, "files": files,
                     "signed": all(factory.signed.values()), "expected": r.get("expected", {})})
    index = {"about": "phone dump laid out like `adb pull /data/app/...` (base.apk + split_config.*.apk); "
                      "generated by `apkscan samples phone-dump`",
             "seed": seed, "apps": apps, "total_bytes": sum(f["size"] for a in apps for f in a["files"])}
    (out / "index.json").write_text(json.dumps(index, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return index
