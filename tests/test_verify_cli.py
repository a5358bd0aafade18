"""`apkscan verify`: the JSON contract of issue 4 (one object per input: path, verified, schemes,
signers, lineage, issues{name,message,scheme}, warnings), exit codes, SDK ranges and v4 taken from
the apksig corpus, readable text, and the same verdict as `apkscan scan`'s signing section."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from apkscan.cli import cli
from conftest import read_jsonl

RECORD_KEYS = {"path", "verified", "schemes", "signers", "lineage", "issues", "warnings"}
SIGNER_KEYS = {"cert_sha256", "cert_sha1", "subject", "issuer", "serial", "not_before", "not_after",
               "key_algorithm", "key_bits"}
IDSIG_APK = "v31-rsa-2048_2-tgt-10000-dev-release.apk"


def _run(*args):
    return CliRunner().invoke(cli, ["verify", *map(str, args)])


def _json(*args):
    res = _run("--format", "json", *args)
    assert res.exception is None or isinstance(res.exception, SystemExit), res.output
    return res.exit_code, json.loads(res.output)


@pytest.fixture(scope="module")
def corpus_rows(signing_corpus):
    return {row["file"]: row for row in read_jsonl(signing_corpus / "expected.jsonl")}


def _first(rows, good: bool):
    """A corpus APK apksig verifies (good) or refuses by default, with apksigner's signers."""
    for name, row in sorted(rows.items()):
        if row["default"]["verified"] is good and not row["caveats"] and row["apksigner_31"]["verdict"] != "exception":
            return name, row
    raise AssertionError("no such corpus row")


def test_json_shape_and_exit_codes(signing_corpus, corpus_rows):
    good, good_row = _first(corpus_rows, True)
    bad, bad_row = _first(corpus_rows, False)
    code, records = _json(signing_corpus / good, signing_corpus / bad)
    assert code == 1  # one of them does not verify
    assert isinstance(records, list) and [r["path"] for r in records] == [str(signing_corpus / n) for n in (good, bad)]
    ok, ko = records
    for rec in records:
        assert set(rec) == RECORD_KEYS
        for item in rec["issues"] + rec["warnings"]:
            assert set(item) == {"name", "message", "scheme"} and item["name"].isupper() and item["message"]
    assert ok["verified"] is True and ok["issues"] == []
    assert ok["schemes"] == good_row["apksigner_31"]["verified_schemes"]
    assert sorted(s["cert_sha256"] for s in ok["signers"]) == sorted(good_row["apksigner_31"]["signers_cert_sha256"])
    assert all(set(s) == SIGNER_KEYS for s in ok["signers"])
    assert ko["verified"] is False and ko["issues"] and ko["signers"] == []
    if bad_row["default"]["issue"] and bad_row["default"]["issue"].isupper():
        assert bad_row["default"]["issue"] in {i["name"] for i in ko["issues"]}
    code, only_good = _json(signing_corpus / good)
    assert code == 0 and only_good[0]["verified"] is True


def _range_flip(rows, default: bool, option: str):
    """A corpus APK whose `ranges` entry (only `option` given) flips apksig's default verdict."""
    for name, row in sorted(rows.items()):
        if row["default"]["verified"] is not default or row["caveats"]:
            continue
        for rng in row["ranges"]:
            given = {k for k in ("min_sdk", "max_sdk") if rng[k] is not None}
            if given == {option} and rng["verified"] is (not default):
                return name, rng
    raise AssertionError(f"no corpus range flips {default} with {option} alone")


@pytest.mark.parametrize("default, option", [(True, "min_sdk"), (False, "min_sdk"), (False, "max_sdk")])
def test_sdk_range_changes_the_verdict(signing_corpus, corpus_rows, default, option):
    name, rng = _range_flip(corpus_rows, default, option)
    path = signing_corpus / name
    code, (plain,) = _json(path)
    assert plain["verified"] is default and code == (0 if default else 1)
    flag = "--min-sdk" if option == "min_sdk" else "--max-sdk"
    code, (ranged,) = _json(path, flag, rng[option])
    assert ranged["verified"] is rng["verified"], (name, rng, ranged["issues"])
    assert code == (0 if rng["verified"] else 1)
    if rng["issue"]:
        assert rng["issue"] in {i["name"] for i in ranged["issues"]}


def test_sdk_range_picks_the_signer_of_those_platforms(signing_corpus):
    """v3.1 rotation (apksig verifyV31_rotationTarget34): Android 13+ sees the rotated key, older
    platforms the original one, which heads the lineage."""
    path = signing_corpus / "v31-rsa-2048_2-tgt-34-1-tgt-28.apk"
    code, (newest,) = _json(path)
    assert code == 0 and newest["schemes"] == ["v1", "v2", "v3", "v3.1"]
    code, (older,) = _json(path, "--min-sdk", 24, "--max-sdk", 32)
    assert code == 0 and "v3.1" not in older["schemes"]
    assert newest["signers"][0]["cert_sha256"] == newest["lineage"][-1]["cert_sha256"]
    assert older["signers"][0]["cert_sha256"] == newest["lineage"][0]["cert_sha256"] != newest["signers"][0]["cert_sha256"]
    res = _run(path, "--min-sdk", 30, "--max-sdk", 20)
    assert res.exit_code == 2 and "--min-sdk" in res.output  # a usage error, not a verdict


def test_max_sdk_below_the_apks_min_sdk_is_not_a_verdict(signing_corpus):
    """The APK cannot be installed on any platform asked about: nothing checked (null), exit 1."""
    code, (rec,) = _json(signing_corpus / "v2-only-targetSandboxVersion-3.apk", "--max-sdk", 24)  # minSdk 28
    assert code == 1 and rec["verified"] is None
    assert [i["name"] for i in rec["issues"]] == ["INVALID_SDK_RANGE"]


def test_idsig_from_the_corpus(signing_corpus):
    apk, idsig = signing_corpus / IDSIG_APK, signing_corpus / (IDSIG_APK + ".idsig")
    code, (rec,) = _json(apk, "--idsig", idsig)
    assert code == 0 and rec["verified"] is True and "v4" in rec["schemes"]
    assert len(rec["lineage"]) == 2 and rec["signers"][0]["cert_sha256"] == rec["lineage"][-1]["cert_sha256"]
    code, (plain,) = _json(apk)
    assert code == 0 and "v4" not in plain["schemes"]
    # the same .idsig does not sign another APK's content
    other = signing_corpus / "v31-rsa-2048_2-tgt-34-1-tgt-28.apk"
    code, (wrong,) = _json(other, "--idsig", idsig)
    assert code == 1 and wrong["verified"] is False
    assert any(i["scheme"] == "v4" for i in wrong["issues"])
    res = _run(apk, other, "--idsig", idsig)
    assert res.exit_code == 2  # one .idsig, one APK


def test_text_output_is_readable(signing_corpus, corpus_rows):
    good, _ = _first(corpus_rows, True)
    bad, _ = _first(corpus_rows, False)
    _, records = _json(signing_corpus / good, signing_corpus / bad)
    res = _run(signing_corpus / good, signing_corpus / bad)
    assert res.exit_code == 1
    text = res.output
    assert f"{signing_corpus / good}: VERIFIED (schemes: {', '.join(records[0]['schemes'])})" in text
    assert f"{signing_corpus / bad}: DOES NOT VERIFY" in text
    for signer in records[0]["signers"]:
        assert f"certificate SHA-256: {signer['cert_sha256']}" in text and signer["subject"] in text
    first_issue = records[1]["issues"][0]
    assert f"ERROR {first_issue['name']} [{first_issue['scheme'] or '-'}]: {first_issue['message']}" in text
    assert "{" not in text.splitlines()[0]  # text, not JSON


def test_scan_signing_section_is_the_same_verdict(signing_corpus, sample_set, tmp_path):
    folder, _ = sample_set
    paths = [folder / "vneid-reference-rotated.apk", folder / "vneid-repackaged-foreign-key.apk",
             signing_corpus / "debuggable-boolean.apk", signing_corpus / "v2-only-with-rsa-pss-sha256-2048-sig-does-not-verify.apk"]
    _, verified = _json(*paths)
    report = tmp_path / "scan.json"
    res = CliRunner().invoke(cli, ["scan", "-j", "0", "--no-progress", "--format", "json", "-o", str(report),
                                   *map(str, paths)])
    assert res.exit_code in (0, 1), res.output
    scanned = {r["input"]["path"]: r for r in json.loads(report.read_text())["results"]}
    for rec in verified:
        signing = scanned[rec["path"]]["signing"]
        assert signing["verified"] == rec["verified"], rec["path"]
        assert signing["schemes"] == rec["schemes"] and signing["signers"] == rec["signers"]
        assert signing["lineage"] == rec["lineage"]
        assert [i["name"] for i in signing["issues"]] == [i["name"] for i in rec["issues"]]
    assert {r["verified"] for r in verified} == {True, False}  # both verdicts compared
