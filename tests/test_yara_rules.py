"""The YARA rule pack: every rule fires on an APK carrying its tell and stays silent on benign ones."""
from __future__ import annotations

import json
import re

import pytest

from apkscan.analyzers import yara_engine
from apkscan.model import SEVERITY_RANK
from content_kit import dex, elf, ids, run_content, write_apk, yara_ids

BANKS = ["com.vcb", "com.vietinbank.ipay", "com.vnpay.bidv", "vn.com.techcombank.bb.app", "com.tpb.mb.gprsandroid",
         "com.mbmobile"]

# rule id -> (entries, run_content keyword arguments)
TRIGGERS = {
    "YARA_VIRBOX_PROTECTOR_LIBS": ({"lib/arm64-v8a/libv++.so": elf("x"), "lib/arm64-v8a/libsandhook.so": elf("y")}, {}),
    "YARA_VIRBOX_PROTECTOR_ELF": ({"lib/arm64-v8a/libx.so": elf("Virbox Protector", "init")}, {}),
    "YARA_VIRBOX_STUB_DEX": ({"classes.dex": dex("a", classes=("virbox.StubApp",))}, {}),
    "YARA_PACKER_JIAGU": ({"assets/libjiagu.so": elf("j"), "classes.dex": dex("stub")}, {}),
    "YARA_PACKER_BANGCLE": ({"lib/armeabi-v7a/libsecexe.so": elf("b")}, {}),
    "YARA_PACKER_IJIAMI": ({"assets/ijiami.dat": b"\x01" * 64}, {}),
    "YARA_PACKER_TENCENT": ({"lib/armeabi/libshell.so": elf("t")}, {}),
    "YARA_PACKER_BAIDU_ALIBABA": ({"lib/arm64-v8a/libbaiduprotect.so": elf("b")}, {}),
    "YARA_PACKER_DEXPROTECTOR": ({"assets/dp.arm.so.dat": b"\x02" * 64, "assets/dp.mp3": b"ID3\x03"}, {}),
    "YARA_GOLDDIGGER_GOLDACTIVITY": ({"classes.dex": dex("x", classes=("com.vneid.dinhdanh.GoldActivity",))}, {}),
    "YARA_GOLDFACTORY_LIBSTRATEGY": ({"lib/arm64-v8a/libstrategy.so": elf("AccessibilityNodeInfo")}, {}),
    "YARA_GIGABUD_A": ({"classes.dex": dex("SettingSafePwdActivity", "isHaveSendMsg", "ShowBankDF")}, {}),
    "YARA_GIGABUD_SCREEN_UPLOAD": ({"classes.dex": dex("startUploadScreenRecord", "onScreenDataEncoded", "x/user-bank-pwd")}, {}),
    "YARA_GIGABUD_D_STUB": ({"classes.dex": dex("l0df2aae4$jntm", "I676efb5b_03")}, {}),
    "YARA_GIGABUD_BANKCARD": ({"classes.dex": dex("BankCardInfo(bankCardNum=", "getBankCardNum", "SendMsgInfo")}, {}),
    "YARA_REDHOOK_SCREEN_WEBSOCKET": ({"classes.dex": dex("createScreenCaptureIntent", "wss://c2.example.net/ws",
                                                          classes=("com.x.Svc",),
                                                          superclass="android.accessibilityservice.AccessibilityService")}, {}),
    "YARA_DROPPER_INSTALLS_APK": ({"classes.dex": dex("application/vnd.android.package-archive", "update.apk", "getAssets")}, {}),
    "YARA_SMS_OTP_HARVESTING": ({"classes.dex": dex("android.provider.Telephony.SMS_RECEIVED", "getMessageBody",
                                                    "Ma OTP cua ban", "Lokhttp3/OkHttpClient;")}, {}),
    "YARA_VN_BANK_TARGET_LIST": ({"assets/targets.json": json.dumps(BANKS).encode()}, {}),
    "YARA_HOOKING_FRAMEWORK": ({"lib/arm64-v8a/libfrida-gadget.so": elf("frida")}, {}),
    "YARA_HOOKING_IN_BANKING_APP": ({"lib/arm64-v8a/libdobby.so": elf("DobbyHook")}, {"package": "com.vietinbank.ipay"}),
}

# Near misses: benign apps that share part of a tell. Each must stay silent.
NEAR_MISSES = {
    "sandhook without libv++": {"lib/arm64-v8a/libsandhook.so": elf("SandHook")},
    "class named GoldActivityHelper": {"classes.dex": dex("x", classes=("com.shop.GoldActivityHelper",))},
    "two Gigabud strings only": {"classes.dex": dex("SettingSafePwdActivity", "ShowBankDF")},
    "SMS app without OTP or network": {"classes.dex": dex("android.provider.Telephony.SMS_RECEIVED", "getMessageBody",
                                                          "Conversations")},
    "wallet listing four banks": {"assets/banks.json": json.dumps(BANKS[:4]).encode()},
    "screen share without accessibility": {"classes.dex": dex("createScreenCaptureIntent", "wss://meet.example.org/s")},
    "installer without APK name": {"classes.dex": dex("application/vnd.android.package-archive", "getAssets")},
    "libstrategy as text in an asset": {"assets/readme.txt": b"see libstrategy.so docs\n"},
    "frida in a non-bank app is only medium": {"lib/arm64-v8a/libfrida-gadget.so": elf("frida")},
}


def pack_rule_ids() -> set[str]:
    return set(yara_engine.rule_catalogue())


def test_every_rule_has_a_trigger_test():
    assert pack_rule_ids() == set(TRIGGERS)


def test_rules_carry_complete_meta():
    rules = yara_engine.load_rules().rules
    seen = set()
    for rule in rules:
        meta = rule.meta
        missing = [k for k in yara_engine.REQUIRED_META if not str(meta.get(k, "")).strip()]
        assert not missing, f"{rule.identifier} lacks meta {missing}"
        assert re.fullmatch(r"YARA_[A-Z0-9_]+", meta["id"]), meta["id"]
        assert meta["severity"] in SEVERITY_RANK
        assert meta["id"] not in seen, f"duplicate id {meta['id']}"
        seen.add(meta["id"])
        assert re.search(r"https?://|\[S\d+\]", meta["reference"]), f"{rule.identifier}: reference names no source"
        assert meta["description_vi"] != meta["description"]


@pytest.mark.parametrize("rule_id", sorted(TRIGGERS))
def test_rule_fires_on_its_tell(tmp_path, rule_id):
    entries, kwargs = TRIGGERS[rule_id]
    findings = run_content(write_apk(tmp_path, entries), **kwargs)
    assert rule_id in yara_ids(findings)
    hit = next(f for f in findings if f.id == rule_id)
    assert hit.title and hit.title_vi and hit.description_vi
    assert hit.evidence["family"] and hit.evidence["reference"]


@pytest.mark.parametrize("name", sorted(NEAR_MISSES))
def test_near_misses_stay_silent(tmp_path, name):
    findings = run_content(write_apk(tmp_path, NEAR_MISSES[name]))
    found = {f.id: f for f in findings if f.source == "yara"}
    if name.startswith("frida"):
        assert set(found) == {"YARA_HOOKING_FRAMEWORK"}
    else:
        assert not found, f"{name}: {sorted(found)}"


def test_goldactivity_found_in_manifest_text(tmp_path):
    xml = '<manifest package="com.x"><application><activity android:name="com.x.GoldActivity"/></application></manifest>'
    findings = run_content(write_apk(tmp_path, {"classes.dex": dex("a")}), manifest_xml=xml)
    hits = [f for f in findings if f.id == "YARA_GOLDDIGGER_GOLDACTIVITY"]
    assert [f.path for f in hits] == ["AndroidManifest.xml"]
    assert hits[0].evidence["entry_kind"] == "manifest"


def test_dex_hidden_in_assets_is_scanned_as_dex(tmp_path):
    findings = run_content(write_apk(tmp_path, {"assets/update.bin": dex("l0df2aae4$jntm", "I676efb5b_03")}))
    hit = next(f for f in findings if f.id == "YARA_GIGABUD_D_STUB")
    assert hit.path == "assets/update.bin" and hit.evidence["entry_kind"] == "dex"


def test_matches_name_entries_and_offsets(tmp_path):
    findings = run_content(write_apk(tmp_path, {"lib/arm64-v8a/libv.so": elf("Virbox Protector"),
                                                "lib/armeabi-v7a/libv.so": elf("Virbox Protector")}))
    hits = sorted(f.path for f in findings if f.id == "YARA_VIRBOX_PROTECTOR_ELF")
    assert hits == ["lib/arm64-v8a/libv.so", "lib/armeabi-v7a/libv.so"]
    strings = next(f for f in findings if f.id == "YARA_VIRBOX_PROTECTOR_ELF").evidence["strings"]
    assert strings[0]["data"] == "Virbox Protector" and strings[0]["offset"] > 0


# --- the project's sample set -------------------------------------------------------------------
@pytest.fixture(scope="module")
def factory_samples(tmp_path_factory):
    from apkscan.samples import build
    out = tmp_path_factory.mktemp("samples")
    index = build.build_all(out)
    return out, index["samples"]


def test_factory_fakes_get_the_findings_their_recipe_expects(factory_samples):
    out, samples = factory_samples
    checked = 0
    for s in samples:
        expected = {i for i in (s["expected"].get("findings") or []) if i.startswith("YARA_")}
        if not expected:
            continue
        got = yara_ids(run_content(out / s["file"], package=s["package"], label=s["label"] or ""))
        assert expected <= got, f"{s['file']}: missing {sorted(expected - got)}"
        checked += 1
    assert checked >= 2


def test_factory_genuine_and_benign_samples_have_no_yara_findings(factory_samples):
    out, samples = factory_samples
    benign = [s for s in samples if s["expected"].get("verdict") in ("genuine", "clean", "benign")]
    assert benign
    for s in benign:
        found = yara_ids(run_content(out / s["file"], package=s["package"], label=s["label"] or ""))
        assert not found, f"{s['file']}: {sorted(found)}"


def test_corpus_apks_have_no_yara_findings(signing_corpus):
    from apkscan.archive import ArchiveError

    apks = sorted(signing_corpus.glob("*.apk"))
    scanned = 0
    for apk in apks:
        try:
            findings = run_content(apk)
        except ArchiveError:
            continue  # not an archive this layer opens; the archive tests cover those
        scanned += 1
        found = {f.id for f in findings if f.source == "yara"}
        assert not found, f"{apk.name}: {sorted(found)}"
    assert scanned > 300


def test_malicious_fakes_fire_distinct_family_rules(factory_samples):
    out, samples = factory_samples
    by_recipe = {s["recipe"]: s for s in samples}
    wanted = {"fake-vneid-redhook": "YARA_REDHOOK_SCREEN_WEBSOCKET",
              "fake-vneid-bankbot-dropper": "YARA_DROPPER_INSTALLS_APK",
              "fake-vneid-golddigger": "YARA_GOLDDIGGER_GOLDACTIVITY"}
    present = {k: v for k, v in wanted.items() if k in by_recipe}
    assert present
    for recipe, rule_id in present.items():
        s = by_recipe[recipe]
        assert rule_id in ids(run_content(out / s["file"], package=s["package"])), recipe


def test_manifest_text_rules_on_factory_samples(factory_samples):
    """The decoded manifest (apkscan.manifest) is scanned as entry_kind "manifest"."""
    out, samples = factory_samples
    by_recipe = {s["recipe"]: s for s in samples}
    wanted = {"fake-vneid-gigabud": "YARA_VIRBOX_STUB_DEX", "fake-vneid-golddigger": "YARA_GOLDDIGGER_GOLDACTIVITY"}
    for recipe, rule_id in wanted.items():
        if recipe not in by_recipe:
            continue
        found = run_content(out / by_recipe[recipe]["file"], real_manifest=True)
        assert "AndroidManifest.xml" in {f.path for f in found if f.id == rule_id}, recipe
