"""YARA scan plans (yara_engine.RuleSet.plan): fewer bytes and rules per entry, the same matches."""
from __future__ import annotations

import re

import pytest
from content_kit import dex, elf, run_content, write_apk

from apkscan.analyzers import yara_engine
from apkscan.analyzers.dex_strings import parse_dex_strings, string_data_span
from apkscan.analyzers.yara_scan import YaraAnalyzer
from apkscan.config import ScanConfig

RULE_RE = re.compile(r"^rule\s+(\w+)\s*\{(.*?)^\}", re.DOTALL | re.MULTILINE)
KIND_EQ = re.compile(r'entry_kind\s*==\s*"(\w+)"')
KIND_NE = re.compile(r'entry_kind\s*!=\s*"(\w+)"')


def builtin_rules() -> dict[str, tuple[str, str]]:
    """rule name -> (meta block, condition) from the pack's source."""
    out = {}
    for path in yara_engine.pack_dir().glob("*.yar"):
        for name, body in RULE_RE.findall(path.read_text(encoding="utf-8")):
            meta = body.split("strings:")[0].split("condition:")[0]
            out[name] = (meta, body.split("condition:", 1)[1])
    return out


def test_every_builtin_rule_declares_the_kinds_its_condition_accepts():
    rules = builtin_rules()
    assert len(rules) == len(yara_engine.rule_catalogue())
    for name, (meta, condition) in rules.items():
        declared = re.search(r'kinds\s*=\s*"([^"]*)"', meta)
        assert declared, f"{name}: no kinds meta"
        kinds = set(declared.group(1).split())
        eq, ne = set(KIND_EQ.findall(condition)), set(KIND_NE.findall(condition))
        expected = eq if eq else set(yara_engine.KINDS) - ne
        assert kinds == expected, (name, kinds, expected)
        scoped = re.search(r'dex_scope\s*=\s*"strings"', meta) is not None
        assert scoped == ("dex" in kinds), f"{name}: DEX rules of the pack only look for string-table strings"


def test_plans_run_only_the_files_that_can_match():
    plans = {k: yara_engine.load_rules().plan(k) for k in yara_engine.KINDS}
    assert [s.part for s in plans["dex"]] == ["dex_strings"]
    elf_files = {f.rsplit("/", 1)[-1] for s in plans["elf"] for f in s.files}
    assert elf_files == {"hooking.yar", "protectors.yar", "vn_banks.yar"}
    assert {f.rsplit("/", 1)[-1] for s in plans["asset"] for f in s.files} == {"vn_banks.yar"}
    assert "packers.yar" in {f.rsplit("/", 1)[-1] for s in plans["entry_names"] for f in s.files}
    assert all(s.part == "all" for k in yara_engine.KINDS if k != "dex" for s in plans[k])


def test_string_data_span_holds_every_string_and_little_else():
    from apkscan.samples.bulk import bulk_dex_groups
    from apkscan.samples.dex import build_dex

    data = build_dex(bulk_dex_groups("t", "com.example.app", 600_000, 1)[0])
    span = string_data_span(data)
    assert span is not None
    region = data[span[0]:span[1]]
    table = parse_dex_strings(data)
    assert table.ok and len(table.strings) > 1000
    for s in table.strings[::37]:
        assert s.encode("utf-8") in region
    assert len(region) < len(data) / 4
    assert string_data_span(b"not a dex") is None
    broken = bytearray(data)
    broken[0x3C:0x40] = (len(data) - 4).to_bytes(4, "little")  # string_ids table past the end
    assert string_data_span(bytes(broken)) is None


def _whole_pack(ruleset: yara_engine.RuleSet) -> yara_engine.RuleSet:
    """The same rules without plans: every kind scanned with the whole pack over whole entries."""
    return yara_engine.RuleSet(ruleset.rules, ruleset.sha256, ruleset.files, ruleset.from_cache,
                               ruleset.sources, {"*": ()})


def test_plans_find_what_the_whole_pack_finds(sample_set, monkeypatch):
    from apkscan.analyzers import yara_scan

    samples = sorted(sample_set[0].glob("*.apk"))
    assert len(samples) >= 10
    real = yara_engine.load_rules()

    def findings():
        out = {}
        for path in samples:
            found = run_content(path, analyzers=[YaraAnalyzer()], real_manifest=True)
            out[path.name] = sorted((f.id, f.path, f.evidence.get("entry_kind")) for f in found)
        return out

    planned = findings()
    monkeypatch.setattr(yara_scan, "load_rules", lambda dirs=(): _whole_pack(real))
    assert findings() == planned
    assert sum(1 for v in planned.values() for f in v if f[0].startswith("YARA_")) >= 5


def test_user_rules_without_metas_see_the_whole_dex(tmp_path):
    user = tmp_path / "rules"
    user.mkdir()
    # the DEX magic lies in the header, outside the string data the pack's DEX rules get
    (user / "magic.yar").write_text(
        'rule dex_magic { meta: id = "USER_DEX_MAGIC" severity = "info" condition: entry_kind == "dex" '
        'and uint32(0) == 0x0a786564 }\n'
        'rule any_kind { meta: id = "USER_MARKER" severity = "info" strings: $m = "user-marker-7" condition: $m }\n')
    apk = write_apk(tmp_path, {"classes.dex": dex("hello"), "lib/arm64-v8a/libx.so": elf("user-marker-7"),
                               "assets/a.txt": b"user-marker-7"})
    found = run_content(apk, config=ScanConfig(rules_dirs=(str(user),)))
    hits = sorted((f.id, f.path) for f in found if f.id.startswith("YARA_USER"))
    assert hits == [("YARA_USER_DEX_MAGIC", "classes.dex"), ("YARA_USER_MARKER", "assets/a.txt"),
                    ("YARA_USER_MARKER", "lib/arm64-v8a/libx.so")]


def test_offsets_in_evidence_are_offsets_in_the_entry(tmp_path):
    data = dex("SettingSafePwdActivity", "isHaveSendMsg", "ShowBankDF")
    found = run_content(write_apk(tmp_path, {"classes.dex": data}), analyzers=[YaraAnalyzer()])
    hit = next(f for f in found if f.id == "YARA_GIGABUD_A")
    for s in hit.evidence["strings"]:
        assert data[s["offset"]:s["offset"] + len(s["data"])].decode() == s["data"]


@pytest.mark.parametrize("kind", yara_engine.KINDS)
def test_a_plan_failure_falls_back_to_the_whole_pack(kind, monkeypatch):
    ruleset = yara_engine.load_rules()
    fresh = yara_engine.RuleSet(ruleset.rules, ruleset.sha256, ruleset.files, ruleset.from_cache, ruleset.sources)

    def broken(rules, files):
        raise yara_engine.RulesError("cannot compile a subset")

    monkeypatch.setattr(yara_engine, "_plans", broken)
    (step,) = fresh.plan(kind)
    assert step.rules is ruleset.rules and step.part == "all"
