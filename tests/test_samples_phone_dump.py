"""The phone-dump generator: adb-pull layout, config splits that belong to their base APK,
realistic sizes, determinism, and some of the factory's fakes among the apps."""
from __future__ import annotations

import hashlib
import json
import re
import subprocess
import zipfile

import pytest

from apkscan.samples.apk_builder import build_unsigned
from apkscan.samples.phone_dump import build_phone_dump
from conftest import require_tool

MB = 1024 * 1024


@pytest.fixture(scope="module")
def dump(tmp_path_factory):
    out = tmp_path_factory.mktemp("dump")
    return out, build_phone_dump(out, 5, seed=7, total_size_hint=12 * MB)


def test_layout_is_what_adb_pull_leaves(dump):
    out, index = dump
    assert json.loads((out / "index.json").read_text(encoding="utf-8")) == index
    assert len(index["apps"]) == 5
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == sorted(a["package"] for a in index["apps"])
    store = [a for a in index["apps"] if a["store_install"]]
    side = [a for a in index["apps"] if not a["store_install"]]
    assert side and all(a["expected"]["verdict"] == "fake" for a in side)
    assert any(a["package"] == "com.vnid" and a["expected"]["verdict"] == "genuine" for a in store)
    for a in store:
        assert sorted(f["file"].split("/")[1] for f in a["files"]) == [
            "base.apk", "split_config.arm64_v8a.apk", "split_config.vi.apk", "split_config.xxhdpi.apk"]
    for a in side:
        assert [f["file"].split("/")[1] for f in a["files"]] == ["base.apk"]
    for a in index["apps"]:
        for f in a["files"]:
            assert hashlib.sha256((out / f["file"]).read_bytes()).hexdigest() == f["sha256"]
    assert 0.7 * 12 * MB < index["total_bytes"] < 1.3 * 12 * MB


def test_splits_hold_what_bundletool_puts_there(dump):
    out, index = dump
    app = next(a for a in index["apps"] if a["store_install"] and a["package"] != "com.vnid")
    d = out / app["package"]
    base = zipfile.ZipFile(d / "base.apk").namelist()
    assert "classes.dex" in base and not any(n.startswith("lib/") for n in base)
    abi = zipfile.ZipFile(d / "split_config.arm64_v8a.apk").namelist()
    assert any(re.fullmatch(r"lib/arm64-v8a/[^/]+\.so", n) for n in abi) and "classes.dex" not in abi
    dens = zipfile.ZipFile(d / "split_config.xxhdpi.apk").namelist()
    assert "res/mipmap-xxhdpi-v4/ic_launcher.png" in dens and "resources.arsc" in dens
    assert "resources.arsc" in zipfile.ZipFile(d / "split_config.vi.apk").namelist()

    aapt = require_tool("aapt")
    heads = {}
    for name in ("base.apk", "split_config.arm64_v8a.apk", "split_config.xxhdpi.apk", "split_config.vi.apk"):
        res = subprocess.run([aapt, "dump", "badging", str(d / name)], capture_output=True, timeout=60)
        assert res.returncode == 0, (name, res.stderr)
        heads[name] = res.stdout.decode("utf-8").splitlines()[0]
    version = re.search(r"versionCode='(\d+)'", heads["base.apk"]).group(1)
    for name, split in (("split_config.arm64_v8a.apk", "config.arm64_v8a"), ("split_config.vi.apk", "config.vi"),
                        ("split_config.xxhdpi.apk", "config.xxhdpi")):
        assert f"name='{app['package']}'" in heads[name] and f"versionCode='{version}'" in heads[name]
        assert f"split='{split}'" in heads[name]
    # the vi split carries the Vietnamese label under the base APK's resource id
    from androguard.core.apk import APK

    base_apk, vi = APK(str(d / "base.apk")), APK(str(d / "split_config.vi.apk"))
    label_id = int(base_apk.get_android_manifest_xml().find("application").get(
        "{http://schemas.android.com/apk/res/android}label")[1:], 16)
    values = dict((str(c.get_qualifier()), v) for c, v in vi.get_android_resources().get_resolved_res_configs(label_id))
    assert set(values) == {"vi"} and values["vi"]


def test_all_parts_of_an_app_share_one_signer(dump):
    out, index = dump
    apksigner = require_tool("apksigner")
    app = next(a for a in index["apps"] if a["store_install"])
    assert app["signed"], "the factory signs every store-installed app of the dump"
    digests = set()
    for f in app["files"]:
        res = subprocess.run([apksigner, "verify", "--print-certs", str(out / f["file"])], capture_output=True, timeout=60)
        assert res.returncode == 0, (f["file"], res.stdout, res.stderr)
        digests |= set(re.findall(r"certificate SHA-256 digest: ([0-9a-f]{64})", res.stdout.decode()))
    assert len(digests) == 1


def test_same_seed_same_dump(tmp_path):
    a = build_phone_dump(tmp_path / "a", 3, seed=3, total_size_hint=3 * MB)
    b = build_phone_dump(tmp_path / "b", 3, seed=3, total_size_hint=3 * MB)
    c = build_phone_dump(tmp_path / "c", 3, seed=4, total_size_hint=3 * MB)
    files = lambda idx: [(f["file"], f["sha256"]) for app in idx["apps"] for f in app["files"]]
    assert files(a) == files(b)
    assert files(a) != files(c)


def test_bulk_code_is_multidex_and_verifies(tmp_path):
    r = {"id": "bulk-probe", "package": "org.example.bulk", "labels": {"": "Bulk"},
         "components": [{"kind": "activity", "name": ".Main", "exported": True, "launcher": True}],
         "bulk": {"dex_bytes": 10 * MB}}
    z = zipfile.ZipFile(__import__("io").BytesIO(build_unsigned(r, {}, lambda rid: b"")))
    dex = sorted(n for n in z.namelist() if n.endswith(".dex"))
    assert dex == ["classes.dex", "classes2.dex"]
    raw = sum(z.getinfo(n).file_size for n in dex)
    packed = sum(z.getinfo(n).compress_size for n in dex)
    assert 9 * MB < raw < 11.5 * MB and 0.4 < packed / raw < 0.85  # compresses like real DEX, not like zeros
    dexdump = require_tool("dexdump")
    for n in dex:
        (tmp_path / n).write_bytes(z.read(n))
        assert subprocess.run([dexdump, str(tmp_path / n)], capture_output=True, timeout=120).returncode == 0
