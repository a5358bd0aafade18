"""The bundled sample set: every recipe builds, deterministically and fast, and independent tools
accept the result (Debian aapt, dexdump, apksigner; androguard; the project's YARA rules)."""
from __future__ import annotations

import hashlib
import io
import json
import re
import subprocess
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from apkscan.model import VERDICTS
from conftest import require_tool
from apkscan.samples.build import build_all, buildable_ids
from apkscan.samples.recipes import load_all, load_recipes
from apkscan.samples.testkeys import load_test_key


def key_algorithm(key) -> str:
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    if isinstance(key.private_key, rsa.RSAPrivateKey):
        return f"RSA{key.private_key.key_size}"[:3] if key.private_key.key_size == 2048 else "RSA-other"
    if isinstance(key.private_key, ec.EllipticCurvePrivateKey):
        return "EC" if key.private_key.curve.name == "secp256r1" else "EC-other"
    return "other"

try:
    from loguru import logger

    logger.remove()  # androguard logs every chunk at DEBUG
except Exception:
    pass

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def recipes():
    return load_all()


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("samples")
    started = time.monotonic()
    index = build_all(out)
    return out, index, time.monotonic() - started


@pytest.fixture(scope="module")
def by_id(built):
    out, index, _ = built
    return {s["recipe"]: (out / s["file"], s) for s in index["samples"]}


def _run(args, **kw):
    return subprocess.run(args, capture_output=True, timeout=120, **kw)


# --- the set itself ----------------------------------------------------------------------------

def test_build_is_fast_and_index_is_complete(built, recipes):
    out, index, elapsed = built
    assert elapsed < 10, f"building the sample set took {elapsed:.1f}s"
    ids = buildable_ids(recipes)
    assert [s["recipe"] for s in index["samples"]] == ids
    on_disk = json.loads((out / "index.json").read_text(encoding="utf-8"))
    assert on_disk == index
    for s in index["samples"]:
        data = (out / s["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == s["sha256"] and len(data) == s["size"]
        assert s["expected"]["verdict"] in VERDICTS, s["recipe"]
        assert s["package"] == recipes[s["recipe"]]["package"]


def test_same_recipes_give_the_same_bytes(built, tmp_path):
    _, first, _ = built
    second = build_all(tmp_path)
    assert [(s["file"], s["sha256"]) for s in second["samples"]] == [(s["file"], s["sha256"]) for s in first["samples"]]


def test_issue_coverage(recipes):
    """The samples issue 3 asks for exist with the verdicts a good scanner must reach."""
    built_ids = set(load_recipes())
    want = {
        "vneid-reference": "genuine", "vneid-reference-rotated": "genuine",
        "fake-vneid-golddigger": "fake", "fake-vneid-gigabud": "fake", "fake-vneid-redhook": "fake",
        "fake-vneid-bankbot-dropper": "fake", "bankbot-payload": "malicious",
        "vneid-repackaged-foreign-key": "fake", "vneid-repackaged-trojanised": "fake",
        "fake-vssid": "fake", "fake-etax": "fake", "fake-dichvucong": "fake", "fake-evn": "fake",
        "fake-vneid-label-vneld": "fake", "fake-vneid-label-vnneid": "fake", "fake-vneid-label-cyrillic": "fake",
        "fake-vneid-label-no-diacritics": "fake",
        "benign-vneid-guide": "clean", "benign-accessibility-helper": "clean", "benign-sms-app": "clean",
    }
    for rid, verdict in want.items():
        assert rid in built_ids and recipes[rid]["expected"]["verdict"] == verdict, rid
    assert recipes["vneid-reference"]["package"] == "com.vnid"
    assert recipes["vneid-repackaged-foreign-key"]["package"] == "com.vnid"
    assert recipes["vneid-repackaged-foreign-key"]["signing"]["key"] != recipes["vneid-reference"]["signing"]["key"]
    assert recipes["fake-vneid-label-cyrillic"]["labels"][""] == "VN\u0435ID"
    assert recipes["benign-vneid-guide"]["permissions"] == ["android.permission.INTERNET"]
    assert recipes["vneid-reference-rotated"]["signing"]["lineage"][0] == recipes["vneid-reference"]["signing"]["key"]


def test_test_keys_say_they_are_test_keys(recipes):
    names = {r["signing"]["key"] for r in recipes.values() if r.get("signing")}
    algos = set()
    for name in names:
        key = load_test_key(name)
        subject = key.certificate.subject.rfc4514_string()
        assert name.startswith("TEST-ONLY-") and "TEST KEY" in subject and name in subject
        assert key.certificate.not_valid_after_utc.year >= 2060
        algos.add(key_algorithm(key))
    assert {"RSA", "EC"} <= algos


def test_iocs_in_fakes_are_real_iocs(recipes, by_id, shared_dir):
    """Every IOC a recipe promises is in the shared threat-intel file and really inside the APK
    (DEX strings, assets, res/xml, or a nested APK)."""
    known = {x["value"] for x in json.loads((shared_dir / "intel" / "iocs.json").read_text(encoding="utf-8"))}
    checked = 0
    for rid, (path, _) in by_id.items():
        iocs = recipes[rid]["expected"].get("iocs", [])
        if not iocs:
            continue
        blob = _all_content(path.read_bytes())
        for ioc in iocs:
            assert ioc in known, f"{rid}: {ioc} is not in iocs.json"
            assert ioc.encode() in blob, f"{rid}: {ioc} not found in the APK"
            checked += 1
    assert checked >= 20


def _all_content(apk: bytes, depth: int = 0) -> bytes:
    z = zipfile.ZipFile(io.BytesIO(apk))
    parts = []
    for name in z.namelist():
        data = z.read(name)
        parts.append(data)
        if depth < 2 and data[:4] == b"PK\x03\x04":
            parts.append(_all_content(data, depth + 1))
    return b"\n".join(parts)


def test_family_tells_are_where_the_brief_says(by_id, recipes):
    def names(rid):
        return set(zipfile.ZipFile(by_id[rid][0]).namelist())

    gd = names("fake-vneid-golddigger")
    assert {"lib/arm64-v8a/libstrategy.so", "lib/arm64-v8a/libv++_64.so", "lib/arm64-v8a/libsandhook.so"} <= gd
    assert b"Lcom/vneid/dinhdanh/GoldActivity;" in zipfile.ZipFile(by_id["fake-vneid-golddigger"][0]).read("classes.dex")
    gb = names("fake-vneid-gigabud")
    assert {"lib/arm64-v8a/libv++.so", "lib/arm64-v8a/libsandhook.so", "classes2.dex"} <= gb
    assert b"Virbox Protector" in zipfile.ZipFile(by_id["fake-vneid-gigabud"][0]).read("lib/arm64-v8a/libv++.so")
    # the dropper carries the payload APK byte for byte
    dropper = zipfile.ZipFile(by_id["fake-vneid-bankbot-dropper"][0])
    assert dropper.read("assets/vneid_update.apk") == by_id["bankbot-payload"][0].read_bytes()
    # look-alikes copy the genuine icon; the label tricks carry a near-copy
    ref_icon = zipfile.ZipFile(by_id["vneid-reference"][0]).read("res/mipmap-xxhdpi-v4/ic_launcher.png")
    assert zipfile.ZipFile(by_id["fake-vneid-golddigger"][0]).read("res/mipmap-xxhdpi-v4/ic_launcher.png") == ref_icon
    near = zipfile.ZipFile(by_id["fake-vneid-label-vneld"][0]).read("res/mipmap-xxhdpi-v4/ic_launcher.png")
    assert near != ref_icon and len(near) == pytest.approx(len(ref_icon), abs=40)
    assert zipfile.ZipFile(by_id["benign-vneid-guide"][0]).read("res/mipmap-xxhdpi-v4/ic_launcher.png") != ref_icon


# --- independent parsers -----------------------------------------------------------------------

def test_aapt_badging_reads_package_and_label(by_id, recipes):
    aapt = require_tool("aapt")

    def badging(rid):
        out = _run([aapt, "dump", "badging", str(by_id[rid][0])])
        return rid, out

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(badging, sorted(by_id)))
    for rid, out in results:
        text = out.stdout.decode("utf-8")
        assert out.returncode == 0, (rid, out.stderr)
        r = recipes[rid]
        assert re.search(rf"^package: name='{re.escape(r['package'])}' versionCode='{r.get('version_code', 1)}'", text, re.MULTILINE), rid
        assert f"application-label:'{r['labels']['']}'" in text, rid
        if "vi" in r["labels"] and not r.get("label_literal"):
            assert f"application-label-vi:'{r['labels']['vi']}'" in text, rid


def test_androguard_parses_every_sample(by_id, recipes):
    from androguard.core.apk import APK

    for rid, (path, _) in sorted(by_id.items()):
        r = recipes[rid]
        apk = APK(str(path))
        assert apk.is_valid_APK() and apk.get_package() == r["package"], rid
        assert apk.get_app_name() == r["labels"][""], rid
        wanted = {p if isinstance(p, str) else p["name"] for p in r.get("permissions", [])}
        assert set(apk.get_permissions()) == wanted, rid
        launcher = [c for c in r["components"] if c.get("launcher")][0]["name"]
        assert apk.get_main_activity() == (r["package"] + launcher if launcher.startswith(".") else launcher), rid


def test_foreground_service_and_accessibility_config_decode(by_id):
    from androguard.core.apk import APK

    apk = APK(str(by_id["fake-vneid-redhook"][0]))
    ns = "{http://schemas.android.com/apk/res/android}"
    types = {s.get(ns + "name"): s.get(ns + "foregroundServiceType") for s in apk.get_android_manifest_xml().iter("service")}
    assert types["com.vn.dinhdanh.vneid.capture.ScreenCaptureService"] == "0x00000020"  # mediaProjection
    res = apk.get_android_resources()
    ref = [m.get(ns + "resource") for m in apk.get_android_manifest_xml().iter("meta-data")
           if m.get(ns + "name") == "android.accessibilityservice"][0]
    path = res.get_resolved_res_configs(int(ref[1:], 16))[0][1]
    assert path == "res/xml/accessibility_config.xml"
    from androguard.core.axml import AXMLPrinter

    cfg = AXMLPrinter(apk.get_file(path)).get_xml_obj()
    assert cfg.tag == "accessibility-service" and cfg.get(ns + "canRetrieveWindowContent") == "true"


def test_dexdump_accepts_every_dex(by_id, tmp_path):
    dexdump = require_tool("dexdump")
    jobs = []
    for rid, (path, _) in sorted(by_id.items()):
        z = zipfile.ZipFile(path)
        for name in z.namelist():
            if re.fullmatch(r"classes\d*\.dex", name):
                target = tmp_path / f"{rid}-{name}"
                target.write_bytes(z.read(name))
                jobs.append(target)
    assert len(jobs) >= len(by_id)
    with ThreadPoolExecutor(4) as pool:
        outs = list(pool.map(lambda p: (p, _run([dexdump, str(p)])), jobs))
    for p, out in outs:
        assert out.returncode == 0, (p.name, out.stderr.decode()[-500:])


# --- signatures --------------------------------------------------------------------------------

def _apksigner_sign(apksigner: str, src: Path, dst: Path, r: dict, workdir: Path) -> None:
    """Test-only fallback while the factory's own signer is absent: sign with Debian apksigner."""
    from cryptography.hazmat.primitives import serialization

    def files(name):
        k = load_test_key(name)
        pk8, pem = workdir / f"{name}.pk8", workdir / f"{name}.pem"
        pk8.write_bytes(k.private_key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                                    serialization.NoEncryption()))
        pem.write_bytes(k.certificate.public_bytes(serialization.Encoding.PEM))
        return ["--key", str(pk8), "--cert", str(pem)]

    s = r["signing"]
    schemes = set(s.get("schemes", ["v1", "v2", "v3"]))
    args = [apksigner, "sign", "--min-sdk-version", str(r.get("min_sdk", 1))]
    for v in ("v1", "v2", "v3"):
        args += [f"--{v}-signing-enabled", "true" if v in schemes else "false"]
    if s.get("lineage"):
        old, new = s["lineage"]
        lineage = workdir / f"{r['id']}.lineage"
        subprocess.run([apksigner, "rotate", "--out", str(lineage), "--old-signer", *files(old), "--new-signer",
                        *files(new)], check=True, capture_output=True)
        args += files(old) + ["--next-signer"] + files(new) + ["--lineage", str(lineage)]
    else:
        args += files(s["key"])
    subprocess.run(args + ["--out", str(dst), str(src)], check=True, capture_output=True, timeout=120)


@pytest.fixture(scope="module")
def signed(by_id, recipes, tmp_path_factory):
    """The built APKs if the factory signed them, else copies signed by apksigner (test only)."""
    if all(s["signed"] for _, s in by_id.values()):
        return {rid: p for rid, (p, _) in by_id.items()}
    apksigner = require_tool("apksigner")
    work = tmp_path_factory.mktemp("apksigner")
    out = {}

    def sign(rid):
        dst = work / f"{rid}.apk"
        _apksigner_sign(apksigner, by_id[rid][0], dst, recipes[rid], work)
        return rid, dst

    with ThreadPoolExecutor(2) as pool:
        out.update(pool.map(sign, sorted(by_id)))
    return out


def test_apksigner_verifies_every_sample(signed, recipes):
    apksigner = require_tool("apksigner")

    def verify(rid):
        # apksigner skips JAR verification when minSdk >= 24; with v1 present ask for the API 18+ view
        # (SHA-256 JAR digests, which the signer picks from minSdk 18, verify from there).
        v1 = "v1" in recipes[rid]["signing"].get("schemes", [])
        return rid, [_run([apksigner, "verify", "-v", "--print-certs"] + (["--min-sdk-version", "18"] if v1 else [])
                          + [str(signed[rid])])]

    with ThreadPoolExecutor(4) as pool:  # JVM start-up waits more than it computes
        results = list(pool.map(verify, sorted(signed)))
    for rid, runs in results:
        texts = [out.stdout.decode() for out in runs]
        for out, text in zip(runs, texts):
            assert out.returncode == 0 and text.startswith("Verifies"), (rid, text, out.stderr.decode())
        s = recipes[rid]["signing"]
        for v, label in (("v1", "v1 scheme (JAR signing)"), ("v2", "v2 scheme (APK Signature Scheme v2)"),
                         ("v3", "v3 scheme (APK Signature Scheme v3)")):
            verified = any(f"Verified using {label}: true" in t for t in texts)
            assert verified == (v in s.get("schemes", [])), (rid, v, texts)
        digest = hashlib.sha256(load_test_key(s["key"]).certificate_der).hexdigest()
        assert f"certificate SHA-256 digest: {digest}" in texts[0], (rid, texts[0])


# --- the project's YARA rules fire on the families they describe --------------------------------

def test_yara_rules_match_expected_findings(by_id, recipes):
    import yara
    from androguard.core.axml import AXMLPrinter

    files = sorted((ROOT / "signatures" / "yara").glob("*.yar"))
    assert files, "signatures/yara has no rules"

    rules = yara.compile(filepaths={p.stem: str(p) for p in files},
                         externals={"entry_kind": "", "entry_name": "", "package": "", "label": ""})

    def rule_ids(path: Path, r: dict) -> set[str]:
        z = zipfile.ZipFile(path)
        ext = {"package": r["package"], "label": r["labels"][""]}
        pieces = [("entry_names", "", ("\n" + "\n".join(z.namelist()) + "\n").encode())]
        for name in z.namelist():
            data = z.read(name)
            if data[:4] == b"dex\n":
                pieces.append(("dex", name, data))
            elif data[:4] == b"\x7fELF":
                pieces.append(("elf", name, data))
            elif name == "AndroidManifest.xml":
                pieces.append(("manifest", name, AXMLPrinter(data).get_xml()))
        found = set()
        for kind, name, data in pieces:
            for m in rules.match(data=data, externals={**ext, "entry_kind": kind, "entry_name": name}):
                found.add(m.meta.get("id", m.rule))
        return found

    for rid, (path, _) in sorted(by_id.items()):
        r = recipes[rid]
        got = rule_ids(path, r)
        for fid in r["expected"].get("findings", []):
            if fid.startswith("YARA_"):
                assert fid in got, (rid, fid, got)
        if r["expected"]["verdict"] in ("clean", "genuine"):
            assert not got, (rid, got)


# --- the command line --------------------------------------------------------------------------

def test_cli_build_writes_index(tmp_path):
    from click.testing import CliRunner

    from apkscan.cli.samples import samples_group

    res = CliRunner().invoke(samples_group, ["build", str(tmp_path / "out"), "--only", "vneid-reference",
                                             "--only", "benign-notes"])
    assert res.exit_code == 0, res.output
    index = json.loads((tmp_path / "out" / "index.json").read_text(encoding="utf-8"))
    assert [s["recipe"] for s in index["samples"]] == ["vneid-reference", "benign-notes"]
    bad = CliRunner().invoke(samples_group, ["build", str(tmp_path / "x"), "--only", "../etc"])
    assert bad.exit_code == 1 and "recipe" in bad.output


# --- the test-key generator runs on every supported Python (setup.cfg: >=3.10) -------------------

def test_generated_test_key_on_python_without_datetime_utc(monkeypatch):
    """generate_test_key (the tool that made samples_meta/keys) with ``datetime.UTC`` removed, as on
    Python 3.10: it must use datetime.timezone.utc, and the certificate starts 2020-01-01 UTC."""
    import datetime

    from cryptography import x509

    from apkscan.samples.testkeys import generate_test_key

    monkeypatch.delattr(datetime, "UTC", raising=False)
    pem = generate_test_key("TEST-ONLY-probe", "ec")
    cert = x509.load_pem_x509_certificate(pem[pem.index(b"-----BEGIN CERTIFICATE-----"):])
    start = datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)
    assert cert.not_valid_before_utc == start
    assert cert.not_valid_after_utc == start + datetime.timedelta(days=365 * 50)
    assert b"PRIVATE KEY" in pem and b"TEST key" in pem
