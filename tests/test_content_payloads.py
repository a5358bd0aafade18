"""Hidden payloads: nested APK/DEX/JAR/ZIP by content, recursion with path attribution, encrypted
blobs, dynamic code loading."""
from __future__ import annotations

import gzip
import hashlib
import io
import zipfile
from dataclasses import replace

import pytest

from apkscan.analyzers.indicators import IndicatorAnalyzer
from apkscan.analyzers.payloads import PayloadAnalyzer, classify_zip, shannon_entropy
from apkscan.analyzers.yara_scan import YaraAnalyzer
from apkscan.archive import Limits
from apkscan.config import ScanConfig
from apkscan.model import InputInfo, ScanResult
from content_kit import apk_bytes, dex, elf, run_content, write_apk


def noise(n: int, seed: str = "x") -> bytes:
    """Deterministic incompressible bytes (SHA-256 counter stream), like encrypted data."""
    out = bytearray()
    i = 0
    while len(out) < n:
        out += hashlib.sha256(f"{seed}{i}".encode()).digest()
        i += 1
    return bytes(out[:n])


def zip_of(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


def recursive_runner(tmp_path, config: ScanConfig | None = None):
    """analyze_nested(bytes, display_path, depth) as a pipeline would provide it: the content
    analyzers on the nested bytes, with the same recursion."""
    counter = iter(range(1000))

    def analyze_nested(data: bytes, display_path: str, depth: int):
        path = tmp_path / f"nested{next(counter)}.apk"  # fixed names: entry names never become paths
        path.write_bytes(data)
        analyzers = [YaraAnalyzer(), IndicatorAnalyzer(), PayloadAnalyzer(analyze_nested)]
        return run_content(path, config=config, depth=depth, analyzers=analyzers)

    return analyze_nested


def run_recursive(tmp_path, apk, config: ScanConfig | None = None, **kw):
    analyzers = [YaraAnalyzer(), IndicatorAnalyzer(), PayloadAnalyzer(recursive_runner(tmp_path, config))]
    return run_content(apk, config=config, analyzers=analyzers, **kw)


def by_id(findings, fid):
    return [f for f in findings if f.id == fid]


def test_nested_apk_is_analysed_and_findings_are_attributed_by_path(tmp_path):
    inner = apk_bytes({"classes.dex": dex("l0df2aae4$jntm", "I676efb5b_03", "https://vneid.bzgo.cc/")})
    outer = write_apk(tmp_path, {"classes.dex": dex("hello"), "assets/update.dat": inner})
    found = run_recursive(tmp_path, outer)
    emb = by_id(found, "PAYLOAD_EMBEDDED_APK")
    assert [(f.path, f.evidence["kind"]) for f in emb] == [("assets/update.dat", "apk")]
    assert by_id(found, "YARA_GIGABUD_D_STUB")[0].path == "assets/update.dat!classes.dex"
    ioc = by_id(found, "IOC_DOMAIN_MATCH")[0]
    assert ioc.path == "assets/update.dat!classes.dex" and ioc.evidence["indicator"] == "vneid.bzgo.cc"


def test_recursion_stops_at_the_depth_limit(tmp_path):
    level3 = apk_bytes({"classes.dex": dex("l0df2aae4$jntm", "I676efb5b_03")})
    level2 = apk_bytes({"assets/c.apk": level3})
    level1 = apk_bytes({"assets/b.apk": level2})
    outer = write_apk(tmp_path, {"assets/a.apk": level1})
    config = ScanConfig(limits=Limits(max_depth=2))
    found = run_recursive(tmp_path, outer, config=config)
    apks = sorted(f.path for f in by_id(found, "PAYLOAD_EMBEDDED_APK"))
    assert apks == ["assets/a.apk", "assets/a.apk!assets/b.apk", "assets/a.apk!assets/b.apk!assets/c.apk"]
    limit = by_id(found, "PAYLOAD_DEPTH_LIMIT")
    assert [f.path for f in limit] == ["assets/a.apk!assets/b.apk!assets/c.apk"]
    assert not by_id(found, "YARA_GIGABUD_D_STUB")  # level 3 was not opened
    deeper = run_recursive(tmp_path, outer, config=ScanConfig(limits=Limits(max_depth=3)))
    assert by_id(deeper, "YARA_GIGABUD_D_STUB")[0].path == "assets/a.apk!assets/b.apk!assets/c.apk!classes.dex"


def test_pipeline_scan_nested_results_are_reattributed(tmp_path):
    """The pipeline's ctx.cache["scan_nested"](bytes, entry) -> ScanResult contract."""
    inner = apk_bytes({"classes.dex": dex("x")})
    calls = []

    def scan_nested(data: bytes, entry_name: str):
        calls.append((entry_name, hashlib.sha256(data).hexdigest()))
        path = tmp_path / "n.apk"
        path.write_bytes(data)
        found = [replace(f, path=f.path) for f in run_content(path, depth=1)]
        from apkscan.model import Finding
        found.append(Finding(id="PERM_READ_SMS", severity="high", title="t", source="permissions"))
        return ScanResult(input=InputInfo(entry_name, len(data), sha256=calls[-1][1]), status="ok",
                          findings=tuple(found), verdict="malicious")

    outer = write_apk(tmp_path, {"res/raw/u.bin": inner})
    found = run_content(outer, cache={"scan_nested": scan_nested})
    assert calls == [("res/raw/u.bin", hashlib.sha256(inner).hexdigest())]
    perm = by_id(found, "PERM_READ_SMS")
    assert [f.path for f in perm] == ["res/raw/u.bin"]
    emb = by_id(found, "PAYLOAD_EMBEDDED_APK")[0]
    assert emb.evidence["nested"]["verdict"] == "malicious"


def test_real_pipeline_recursion(tmp_path):
    """apkscan.scan end to end on the factory's dropper: the payload APK in assets is scanned by the
    whole pipeline and every nested finding points inside it."""
    from apkscan.samples import build
    from apkscan.scan import scan_file

    index = build.build_all(tmp_path / "samples", only=["fake-vneid-bankbot-dropper"])
    sample = index["samples"][0]
    entry = next(iter(sample["expected"]["nested"]))
    result = scan_file(str(tmp_path / "samples" / sample["file"]))
    assert result.status == "ok", result.error
    emb = [f for f in result.findings if f.id == "PAYLOAD_EMBEDDED_APK"]
    assert [f.path for f in emb] == [entry]
    assert emb[0].evidence["nested"]["status"] == "ok"
    nested = [f for f in result.findings if f.path.startswith(entry + "!")]
    assert {f.source for f in nested} >= {"indicators"}
    assert any(f.id == "IOC_DOMAIN_MATCH" and f.evidence["indicator"] == "evn-ctdl.cc" for f in nested)


def test_a_failing_nested_analysis_does_not_stop_the_outer_scan(tmp_path):
    def broken(data, display, depth):
        raise RuntimeError("nested parser blew up")

    outer = write_apk(tmp_path, {"assets/x.apk": apk_bytes({"classes.dex": dex("a")}), "classes.dex": dex("DexClassLoader")})
    found = run_content(outer, analyzers=[PayloadAnalyzer(broken)])
    err = by_id(found, "PAYLOAD_NESTED_ERROR")
    assert err and "blew up" in err[0].evidence["error"] and err[0].path == "assets/x.apk"
    assert by_id(found, "PAYLOAD_EMBEDDED_APK")


@pytest.mark.parametrize("name", ["assets/icon.png", "res/raw/config.json", "assets/x"])
def test_hidden_dex_is_recognised_by_content(tmp_path, name):
    found = run_content(write_apk(tmp_path, {name: dex("payload", classes=("com.hidden.Loader",))}))
    hit = by_id(found, "PAYLOAD_HIDDEN_DEX")
    assert [f.path for f in hit] == [name]
    assert "Lcom/hidden/Loader;" in hit[0].evidence["classes_sample"]


def test_archive_kinds():
    assert classify_zip(zip_of({"AndroidManifest.xml": b"x", "classes.dex": b"dex"}))[0] == "apk"
    assert classify_zip(zip_of({"classes.dex": dex("a")}))[0] == "dex_container"
    assert classify_zip(zip_of({"META-INF/MANIFEST.MF": b"m", "a/B.class": b"\xca\xfe"}))[0] == "jar"
    assert classify_zip(zip_of({"data/level1.json": b"{}"}))[0] == "zip"
    assert classify_zip(b"PK\x03\x04" + noise(100)) == ("zip", [])  # garbage after the magic: no crash


def test_dex_archive_jar_and_zip_findings(tmp_path):
    found = run_recursive(tmp_path, write_apk(tmp_path, {
        "assets/plugin.jar": zip_of({"classes.dex": dex("l0df2aae4$jntm", "I676efb5b_03")}),
        "assets/lib.jar": zip_of({"META-INF/MANIFEST.MF": b"Manifest-Version: 1.0\n", "a/B.class": b"\xca\xfe\xba\xbe"}),
        "assets/levels.zip": zip_of({"level1.json": b"{}"}),
    }))
    kinds = {f.path: f.id for f in found if f.id.startswith("PAYLOAD_EMBEDDED")}
    assert kinds == {"assets/plugin.jar": "PAYLOAD_EMBEDDED_DEX_ARCHIVE", "assets/lib.jar": "PAYLOAD_EMBEDDED_JAR",
                     "assets/levels.zip": "PAYLOAD_EMBEDDED_ZIP"}
    # the DEX inside the JAR (no manifest: every entry of a container is looked at) is analysed
    assert by_id(found, "YARA_GIGABUD_D_STUB")[0].path == "assets/plugin.jar!classes.dex"


def test_encrypted_blob_versus_known_formats(tmp_path):
    png = b"\x89PNG\r\n\x1a\n" + noise(20000, "png")
    found = run_content(write_apk(tmp_path, {
        "assets/payload.bin": noise(50000),
        "assets/image.png": png,
        "assets/data.gz": gzip.compress(noise(20000, "gz")),
        "assets/readme.txt": ("Định danh điện tử " * 2000).encode(),
        "assets/small.bin": noise(1000, "small"),
    }))
    blobs = by_id(found, "PAYLOAD_ENCRYPTED_BLOB")
    assert [f.path for f in blobs] == ["assets/payload.bin"]
    assert blobs[0].evidence["entropy"] > 7.9 and blobs[0].evidence["size"] == 50000


def test_entropy_measure():
    assert shannon_entropy(b"") == 0.0
    assert shannon_entropy(b"a" * 1000) == 0.0
    assert abs(shannon_entropy(bytes(range(256)) * 16) - 8.0) < 1e-9


def test_elf_outside_lib_is_reported(tmp_path):
    found = run_content(write_apk(tmp_path, {"assets/libhidden.so": elf("x"), "lib/arm64-v8a/libok.so": elf("y")}))
    assert [f.path for f in by_id(found, "PAYLOAD_HIDDEN_ELF")] == ["assets/libhidden.so"]


@pytest.mark.parametrize("strings,extra,severity", [
    (("Ldalvik/system/DexClassLoader;",), {}, "low"),
    (("Ldalvik/system/InMemoryDexClassLoader;",), {}, "medium"),
    (("Ldalvik/system/DexFile;", "loadDex"), {}, "medium"),
    (("Ldalvik/system/DexClassLoader;",), {"assets/enc.dat": noise(10000)}, "high"),
])
def test_dynamic_code_loading_severity(tmp_path, strings, extra, severity):
    found = run_content(write_apk(tmp_path, {"classes.dex": dex(*strings), **extra}))
    hit = by_id(found, "PAYLOAD_DYNAMIC_CODE_LOADING")
    assert [(f.severity, f.path) for f in hit] == [(severity, "classes.dex")]


def test_loaddex_word_alone_is_not_dynamic_loading(tmp_path):
    assert not by_id(run_content(write_apk(tmp_path, {"classes.dex": dex("loadDex")})), "PAYLOAD_DYNAMIC_CODE_LOADING")


def test_factory_dropper_payload_is_found_and_analysed(tmp_path):
    from apkscan.samples import build

    index = build.build_all(tmp_path / "samples", only=["fake-vneid-bankbot-dropper"])
    sample = index["samples"][0]
    nested_entry = next(iter(sample["expected"]["nested"]))
    found = run_recursive(tmp_path, tmp_path / "samples" / sample["file"], package=sample["package"])
    assert by_id(found, "PAYLOAD_EMBEDDED_APK")[0].path == nested_entry
    nested_iocs = {f.evidence["indicator"] for f in found if f.id == "IOC_DOMAIN_MATCH" and f.path.startswith(nested_entry + "!")}
    outer_iocs = {f.evidence["indicator"] for f in found if f.id == "IOC_DOMAIN_MATCH" and "!" not in f.path}
    assert set(sample["expected"]["iocs"]) <= nested_iocs | outer_iocs
    assert nested_iocs  # the payload's own C2 is attributed to the payload


def test_payload_size_cap_uses_declared_size(tmp_path):
    config = ScanConfig(limits=Limits(max_entry_size=4096))
    found = run_content(write_apk(tmp_path, {"assets/big.bin": noise(100_000)}), config=config)
    assert not by_id(found, "PAYLOAD_ENCRYPTED_BLOB")  # the archive refused to inflate it; no crash
