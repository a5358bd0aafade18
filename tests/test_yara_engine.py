"""YARA engine: compile + disk cache keyed by the rule files, user rule folders, externals, limits."""
from __future__ import annotations

import time

import pytest

from apkscan.analyzers import yara_engine
from apkscan.analyzers.yara_scan import YaraConsumer
from apkscan.archive import Limits
from apkscan.config import ScanConfig
from content_kit import dex, elf, run_content, write_apk

EXTERNALS_RULE = """
rule user_externals
{
    meta:
        id = "USER_PKG_AND_ENTRY"
        severity = "low"
        description = "user rule"
    strings:
        $a = "marker-string"
    condition:
        $a and package == "com.example.target" and entry_kind == "asset" and entry_name == "assets/m.txt"
}
"""


@pytest.fixture()
def cache_home(tmp_path, monkeypatch):
    monkeypatch.setenv("APKSCAN_CACHE_DIR", str(tmp_path / "cache"))
    yara_engine._memo.clear()
    yield tmp_path / "cache" / "yara"
    yara_engine._memo.clear()


def test_rules_sha256_covers_names_and_contents(tmp_path):
    base = yara_engine.rules_sha256()
    assert len(base) == 64 and base == yara_engine.rules_sha256()
    user = tmp_path / "rules"
    user.mkdir()
    (user / "u.yar").write_text(EXTERNALS_RULE)
    with_user = yara_engine.rules_sha256([str(user)])
    assert with_user != base
    (user / "u.yar").write_text(EXTERNALS_RULE.replace("marker-string", "other-marker"))
    assert yara_engine.rules_sha256([str(user)]) not in (base, with_user)


def test_compiled_rules_are_saved_then_loaded_from_the_cache(cache_home):
    first = yara_engine.load_rules()
    assert not first.from_cache
    saved = list(cache_home.glob("*.yarc"))
    assert len(saved) == 1
    yara_engine._memo.clear()
    second = yara_engine.load_rules()
    assert second.from_cache and second.sha256 == first.sha256
    assert {r.identifier for r in second.rules} == {r.identifier for r in first.rules}
    # loading is much cheaper than compiling
    yara_engine._memo.clear()
    t0 = time.perf_counter()
    yara_engine.load_rules()
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    yara_engine._compile(yara_engine.rule_files())
    compile_s = time.perf_counter() - t0
    assert load_s < compile_s


def test_a_corrupt_cache_file_is_recompiled(cache_home):
    yara_engine.load_rules()
    target = next(cache_home.glob("*.yarc"))
    target.write_bytes(b"not yara")
    yara_engine._memo.clear()
    again = yara_engine.load_rules()
    assert not again.from_cache
    assert target.read_bytes()[:4] == b"YARA"


def test_unwritable_cache_only_costs_compile_time(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("APKSCAN_CACHE_DIR", str(blocker))  # a file where the folder should be
    yara_engine._memo.clear()
    try:
        assert len(list(yara_engine.load_rules().rules)) > 10
    finally:
        yara_engine._memo.clear()


def test_user_rules_see_externals(tmp_path, cache_home):
    user = tmp_path / "rules"
    user.mkdir()
    (user / "u.yar").write_text(EXTERNALS_RULE)
    apk = write_apk(tmp_path, {"assets/m.txt": b"xx marker-string xx", "assets/n.txt": b"marker-string"})
    config = ScanConfig(rules_dirs=(str(user),))
    hits = [f for f in run_content(apk, package="com.example.target", config=config) if f.id == "YARA_USER_PKG_AND_ENTRY"]
    assert [f.path for f in hits] == ["assets/m.txt"]
    assert hits[0].severity == "low" and hits[0].evidence["namespace"] == "user1/u.yar"
    assert not [f for f in run_content(apk, package="com.other", config=config) if f.id == "YARA_USER_PKG_AND_ENTRY"]


def test_broken_user_rules_give_a_finding_not_a_crash(tmp_path, cache_home):
    user = tmp_path / "rules"
    user.mkdir()
    (user / "bad.yar").write_text("rule broken { condition: nosuchthing }")
    with pytest.raises(yara_engine.RulesError):
        yara_engine.load_rules([str(user)])
    findings = run_content(write_apk(tmp_path, {"classes.dex": dex("a")}), config=ScanConfig(rules_dirs=(str(user),)))
    assert [f.id for f in findings if f.source == "yara"] == ["YARA_RULES_UNAVAILABLE"]
    with pytest.raises(yara_engine.RulesError):
        yara_engine.rules_sha256([str(tmp_path / "missing")])


def test_slow_rule_times_out_and_is_reported(tmp_path, cache_home):
    user = tmp_path / "rules"
    user.mkdir()
    (user / "slow.yar").write_text(
        "rule slow { condition: entry_kind == \"asset\" and "
        "for all i in (0..filesize-1) : ( for all j in (0..100000) : (uint8(i) != 0xFF) ) }")
    apk = write_apk(tmp_path, {"assets/big.bin": b"a" * 200_000})
    t0 = time.perf_counter()
    config = ScanConfig(rules_dirs=(str(user),), limits=Limits(yara_timeout_s=1))
    findings = run_content(apk, config=config)
    assert time.perf_counter() - t0 < 5
    timeout = [f for f in findings if f.id == "YARA_TIMEOUT"]
    assert timeout and timeout[0].evidence == {"entries": ["assets/big.bin"], "timeout_s": 1}


def test_oversized_entries_are_skipped_and_reported(tmp_path):
    from apkscan.analyzers.base import ScanContext
    from apkscan.archive import open_archive
    from apkscan.model import AppFacts, SigningResult

    apk = write_apk(tmp_path, {"lib/arm64-v8a/libbig.so": elf("Virbox Protector") + b"\0" * 5000})
    with open_archive(str(apk)) as arc:
        ctx = ScanContext(path=str(apk), archive=arc, facts=AppFacts(), signing=SigningResult(verified=None),
                          config=ScanConfig())
        consumer = YaraConsumer(ctx)
        consumer.max_bytes = 1024
        arc.for_each_entry([consumer])
        findings = consumer.finish()
    assert "YARA_VIRBOX_PROTECTOR_ELF" not in {f.id for f in findings}
    skipped = next(f for f in findings if f.id == "YARA_ENTRY_SKIPPED")
    assert skipped.evidence["entries"][0]["entry"] == "lib/arm64-v8a/libbig.so"


def test_catalogue_exposes_every_rule_for_explain():
    cat = yara_engine.rule_catalogue()
    assert cat["YARA_GOLDDIGGER_GOLDACTIVITY"]["rule"] == "golddigger_goldactivity"
    assert all(m["title_vi"] and m["severity"] for m in cat.values())
