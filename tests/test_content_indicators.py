"""Network indicators from DEX strings, native libraries and assets; matching against sourced IOCs."""
from __future__ import annotations

import hashlib
import json

import pytest

from apkscan.analyzers import indicators, iocs
from apkscan.analyzers.indicators import Collected, extract_from_bytes, extract_from_text
from apkscan.analyzers.iocs import ioc_set_version, load_iocs
from content_kit import apk_bytes, dex, elf, ids, run_content, write_apk

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1"  # 9 digits ":" 35 characters (made up)


def by_id(findings, fid):
    return [f for f in findings if f.id == fid]


def test_ioc_set_is_curated_from_the_intel_with_sources(shared_dir):
    loaded = load_iocs()
    assert ioc_set_version().startswith("vn-gov-impersonation@")
    intel = json.loads((shared_dir / "intel" / "iocs.json").read_text(encoding="utf-8"))
    domains = {x["value"].lower() for x in intel if x["type"] == "domain"}
    assert set(loaded.domains) == domains
    assert {x["value"].lower() for x in intel if x["type"] == "sha256"} == set(loaded.sha256)
    assert all(ind.source.startswith("http") for ind in loaded.domains.values())
    doc = json.loads((iocs.ioc_dir() / "vn-gov-impersonation.json").read_text(encoding="utf-8"))
    assert doc["curated_from"]["sha256"] == hashlib.sha256((shared_dir / "intel" / "iocs.json").read_bytes()).hexdigest()


def test_domain_ip_url_matches_in_dex_strings(tmp_path):
    apk = write_apk(tmp_path, {"classes.dex": dex("https://appfreelancer-87696.web.app/#/login", "sock.vnsame.vip:8081",
                                                  "http://45.76.234.141/vn.apk", "https://api.example.com/v1")})
    found = run_content(apk)
    url = by_id(found, "IOC_URL_MATCH")
    assert len(url) == 1 and url[0].evidence["indicator"] == "https://appfreelancer-87696.web.app/#/login"
    assert url[0].path == "classes.dex" and "Zimperium" in url[0].evidence["source"]
    domains = {f.evidence["indicator"] for f in by_id(found, "IOC_DOMAIN_MATCH")}
    assert {"sock.vnsame.vip", "appfreelancer-87696.web.app"} <= domains
    assert "api.example.com" not in domains
    ip = by_id(found, "IOC_IP_MATCH")
    assert [f.evidence["indicator"] for f in ip] == ["45.76.234.141"]
    assert all(f.severity == "high" for f in by_id(found, "IOC_DOMAIN_MATCH"))


def test_subdomain_of_an_ioc_matches_but_parent_does_not(tmp_path):
    apk = write_apk(tmp_path, {"assets/cfg.txt": b"host=cdn.vneid.bzgo.cc\nother=bzgo.cc\n"})
    hits = by_id(run_content(apk), "IOC_DOMAIN_MATCH")
    assert [(f.evidence["indicator"], f.evidence["found"]) for f in hits] == [("vneid.bzgo.cc", ["cdn.vneid.bzgo.cc"])]
    assert hits[0].path == "assets/cfg.txt"


def test_low_confidence_feed_gives_medium_severity(tmp_path):
    low = next(ind for ind in load_iocs().domains.values() if ind.confidence == "low")
    apk = write_apk(tmp_path, {"lib/arm64-v8a/libnet.so": elf(f"https://{low.value}/api")})
    hit = by_id(run_content(apk), "IOC_DOMAIN_MATCH")
    assert hit and hit[0].severity == "medium" and hit[0].evidence["confidence"] == "low"
    assert hit[0].path == "lib/arm64-v8a/libnet.so"


def test_sha256_of_inner_file_matches(tmp_path, monkeypatch):
    payload = b"inner payload bytes" * 10
    digest = hashlib.sha256(payload).hexdigest()
    real = load_iocs()
    fake = indicators.Indicator("sha256", digest, "TestFamily", "test campaign", "https://example.org/report")
    patched = indicators.IocSet(real.version, real.domains, real.ips, {**real.sha256, digest: fake}, real.urls,
                                real.filenames)
    monkeypatch.setattr(indicators, "load_iocs", lambda folder=None: patched)
    found = run_content(write_apk(tmp_path, {"assets/blob.bin": payload}))
    hit = by_id(found, "IOC_SHA256_MATCH")
    assert [(f.path, f.evidence["sha256"], f.severity) for f in hit] == [("assets/blob.bin", digest, "critical")]


def _with_hashes(monkeypatch, listed: dict[str, str]) -> None:
    """The real IOC set with ``listed`` ({sha256: file kind}) as its only sha256 indicators."""
    real = load_iocs()
    table = {d: indicators.Indicator("sha256", d, "TestFamily", "c", "https://example.org/r", file=kind)
             for d, kind in listed.items()}
    monkeypatch.setattr(indicators, "load_iocs", lambda folder=None: indicators.IocSet(
        real.version, real.domains, real.ips, table, real.urls, real.filenames))


def test_apk_sample_hashes_match_nested_apks_only(tmp_path, monkeypatch):
    """APK-sample hashes (``file: apk``, all of the curated set) are looked for in inner files that
    are APKs, a DEX/APK polyglot included, and not in other inner files, which are not hashed."""
    nested = apk_bytes({"classes.dex": dex("payload")})
    polyglot = dex("janus") + nested
    blob = b"not an apk" * 50
    sha = {name: hashlib.sha256(data).hexdigest() for name, data in
           (("nested", nested), ("polyglot", polyglot), ("blob", blob))}
    _with_hashes(monkeypatch, {d: "apk" for d in sha.values()})
    found = run_content(write_apk(tmp_path, {"assets/a.bin": nested, "assets/b.dex": polyglot, "assets/c.bin": blob}))
    assert sorted((f.path, f.evidence["sha256"]) for f in by_id(found, "IOC_SHA256_MATCH")) == [
        ("assets/a.bin", sha["nested"]), ("assets/b.dex", sha["polyglot"])]
    _with_hashes(monkeypatch, {sha["blob"]: "any"})
    found = run_content(write_apk(tmp_path, {"assets/c.bin": blob}, name="any.apk"))
    assert [f.path for f in by_id(found, "IOC_SHA256_MATCH")] == ["assets/c.bin"]


def test_curated_sha256_indicators_are_apk_sample_hashes():
    listed = load_iocs().sha256.values()
    assert listed and {ind.file for ind in listed} == {"apk"}
    assert load_iocs().inner_hash_kinds == {"apk"}


def test_sha256_of_the_apk_itself_matches(tmp_path, monkeypatch):
    data = apk_bytes({"classes.dex": dex("x")})
    digest = hashlib.sha256(data).hexdigest()
    real = load_iocs()
    fake = indicators.Indicator("sha256", digest, "TestFamily", "c", "https://example.org/r")
    patched = indicators.IocSet(real.version, real.domains, real.ips, {digest: fake}, real.urls, real.filenames)
    monkeypatch.setattr(indicators, "load_iocs", lambda folder=None: patched)
    path = tmp_path / "a.apk"
    path.write_bytes(data)
    hit = by_id(run_content(path), "IOC_SHA256_MATCH")
    assert [(f.path, f.evidence["file"]) for f in hit] == [("", "(the APK)")]


def test_apk_file_names_reported_by_police(tmp_path):
    apk = write_apk(tmp_path, {"assets/SBV.apk": b"not really an apk"}, name="EVNCPC.apk")
    hits = by_id(run_content(apk), "IOC_FILENAME_MATCH")
    assert sorted((f.path, f.evidence["indicator"]) for f in hits) == [("", "EVNCPC.apk"), ("assets/SBV.apk", "SBV.apk")]
    assert all(f.evidence["family"] == "RedHook" for f in hits)


def test_websocket_telegram_firebase_and_ip_literals(tmp_path):
    apk = write_apk(tmp_path, {
        "classes.dex": dex("wss://skt.example.xyz/socket", TOKEN, "https://api.telegram.org/bot", "103.9.76.10:8888",
                           "https://demo-app.firebaseio.com", "4.1.2.0", "192.168.1.1:80"),
    })
    found = run_content(apk)
    ws = by_id(found, "STR_WEBSOCKET_ENDPOINT")[0]
    assert ws.evidence["endpoints"] == ["wss://skt.example.xyz/socket"] and ws.path == "classes.dex"
    tg = by_id(found, "STR_TELEGRAM_BOT_TOKEN")[0]
    assert tg.evidence["tokens"] == ["123456789:AAHd...w1"]
    assert tg.evidence["token_sha256"] == [hashlib.sha256(TOKEN.encode()).hexdigest()]
    assert TOKEN not in json.dumps(tg.to_dict())
    assert by_id(found, "STR_TELEGRAM_BOT_API")
    assert by_id(found, "STR_FIREBASE_ENDPOINT")[0].evidence["hosts"] == ["demo-app.firebaseio.com"]
    assert by_id(found, "STR_HARDCODED_IP")[0].evidence["ips"] == ["103.9.76.10"]  # not versions, not private


def test_benign_app_has_no_ioc_or_alarm(tmp_path):
    apk = write_apk(tmp_path, {"classes.dex": dex("https://vneid.gov.vn/api", "com.google.android.gms", "1.2.3.4.5",
                                                  "Định danh điện tử"),
                               "assets/licenses.txt": b"Apache License 2.0 http://www.apache.org/licenses/\n"})
    found = run_content(apk)
    assert {f.id for f in found if f.source == "indicators"} == {"STR_NETWORK_ENDPOINTS"}
    listed = by_id(found, "STR_NETWORK_ENDPOINTS")[0].evidence
    assert listed["hosts"] == ["vneid.gov.vn", "www.apache.org"]


def test_extractors_agree_on_text_and_bytes():
    text = "x https://a.example.org:8443/p?q=1 y\n45.76.234.141\nwss://b.example.net/ws\n" + TOKEN
    a, b = Collected(), Collected()
    extract_from_text(text, "p", a)
    extract_from_bytes(text.encode(), "p", b)
    assert dict(a.urls) == dict(b.urls)
    assert dict(a.url_hosts) == dict(b.url_hosts)
    assert dict(a.ips) == dict(b.ips) and dict(a.tokens) == dict(b.tokens)


def test_collected_values_are_bounded():
    c = Collected()
    blob = "\n".join(f"https://h{i}.example.com/" for i in range(indicators.MAX_UNIQUE + 500))
    extract_from_text(blob, "classes.dex", c)
    assert len(c.urls) == indicators.MAX_UNIQUE


def test_scanning_a_large_native_library_is_fast():
    import os
    import time

    blob = os.urandom(8 << 20) + b"\0https://sock.vnsame.vip:8081/x\0"
    c = Collected()
    t0 = time.perf_counter()
    extract_from_bytes(blob, "lib/arm64-v8a/libbig.so", c)
    assert time.perf_counter() - t0 < 1.5  # ~30 MB/s here; the old per-pattern scan took 2.3 s
    assert "sock.vnsame.vip" in c.url_hosts


def test_factory_samples_match_their_recipe_iocs(tmp_path_factory):
    from apkscan.samples import build
    out = tmp_path_factory.mktemp("samples")
    samples = build.build_all(out)["samples"]
    checked = 0
    for s in samples:
        expected = set(s["expected"].get("iocs") or [])
        nested = s["expected"].get("nested")
        if not expected or nested:
            continue  # nested payload IOCs need the pipeline's recursion (test_content_payloads)
        found = run_content(out / s["file"], package=s["package"])
        got = set()
        for f in found:
            if f.id.startswith("IOC_"):
                got.add(f.evidence["indicator"])
                got.update(f.evidence.get("found", ()))
        assert expected <= got, f"{s['file']}: missing {sorted(expected - got)}"
        checked += 1
    assert checked >= 3
    genuine = [s for s in samples if s["expected"].get("verdict") == "genuine"]
    for s in genuine:
        assert not {i for i in ids(run_content(out / s["file"])) if i.startswith("IOC_")}
