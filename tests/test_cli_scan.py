"""The `apkscan scan` contract: JSON/JSONL fields, exit codes, bad inputs never stop the run."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from apkscan.cli import cli

RESULT_KEYS = {"input", "status", "error", "app", "signing", "identity", "findings", "risk", "verdict"}
APP_KEYS = {"package", "label", "labels", "version_code", "version_name", "min_sdk", "target_sdk",
            "permissions", "components"}
SIGNER_KEYS = {"cert_sha256", "cert_sha1", "subject", "issuer", "serial", "not_before", "not_after",
               "key_algorithm", "key_bits"}


def run(*args):
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def golden(signing_corpus):
    return signing_corpus / "golden-aligned-v1v2v3-out.apk"


def test_json_contract_on_real_apk(golden, tmp_path):
    out = tmp_path / "r.json"
    code, _ = run("scan", str(golden), "--format", "json", "-o", str(out), "--jobs", "0")
    doc = json.loads(out.read_text())
    assert set(doc) >= {"tool", "scanned_at", "results", "summary"}
    assert set(doc["tool"]) >= {"name", "version", "rules_sha256"}
    assert doc["scanned_at"].endswith("Z")
    (res,) = doc["results"]
    assert set(res) >= RESULT_KEYS
    assert res["status"] == "ok" and res["error"] is None
    assert set(res["input"]) == {"path", "size", "md5", "sha1", "sha256"}
    import hashlib
    data = golden.read_bytes()
    assert res["input"]["sha256"] == hashlib.sha256(data).hexdigest()
    assert res["input"]["md5"] == hashlib.md5(data).hexdigest()
    assert res["input"]["size"] == len(data)
    assert set(res["app"]) >= APP_KEYS
    assert res["app"]["package"]
    assert res["signing"]["verified"] is True
    assert set(res["signing"]["schemes"]) >= {"v2", "v3"}
    for s in res["signing"]["signers"]:
        assert set(s) >= SIGNER_KEYS
    assert set(res["identity"]) >= {"claimed", "trusted", "reasons"}
    for f in res["findings"]:
        assert set(f) >= {"id", "severity", "title", "evidence", "source"}
    assert 0 <= res["risk"]["score"] <= 100
    assert res["verdict"] in {"genuine", "fake", "malicious", "suspicious", "clean"}
    assert code == 0


def test_bad_inputs_reported_and_run_goes_on(golden, malformed_corpus, tmp_path):
    not_zip = malformed_corpus / "not-zip-text.apk"
    truncated = malformed_corpus / "truncated-half__v1.apk"
    code, out = run("scan", str(not_zip), str(golden), str(truncated), "--format", "jsonl", "--jobs", "2")
    lines = [json.loads(line) for line in out.splitlines() if line.strip()]
    results = [r for r in lines if "status" in r]
    by_path = {r["input"]["path"]: r for r in results}
    assert by_path[str(golden)]["status"] == "ok"
    for bad in (not_zip, truncated):
        r = by_path[str(bad)]
        assert r["status"] == "error" and r["verdict"] == "error"
        assert r["error"]["code"] and r["error"]["message"]
        assert "Traceback" not in r["error"]["message"]
        assert r["input"]["sha256"]  # an unreadable input is still identified
    assert code == 3  # inputs failed, nothing reached --fail-on


def test_usage_error_exit_2(golden):
    assert run("scan", str(golden), "--format", "nope")[0] == 2
    assert run("scan")[0] == 2


def test_directory_scan_recognises_apks_by_content(signing_corpus, tmp_path):
    src = signing_corpus / "golden-aligned-v1v2v3-out.apk"
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "evidence.bin").write_bytes(src.read_bytes())  # no .apk extension
    (tmp_path / "notes.txt").write_text("not an apk")
    code, out = run("scan", str(tmp_path), "--format", "jsonl", "--jobs", "0")
    paths = [json.loads(l)["input"]["path"] for l in out.splitlines() if '"status"' in l]
    assert paths == [str(tmp_path / "sub" / "evidence.bin")]


def test_python_dash_m_and_version():
    out = subprocess.run([sys.executable, "-m", "apkscan", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and "apkscan" in out.stdout


def test_environment_errors_exit_2_without_traceback(golden, tmp_path):
    not_a_db = tmp_path / "notes.txt"
    not_a_db.write_text("this is not sqlite " * 100)
    for args in (["scan", str(golden), "-o", str(tmp_path / "missing" / "r.json")],
                 ["scan", str(golden), "--db", str(not_a_db)],
                 ["scan", str(golden), "--resume"]):
        res = CliRunner().invoke(cli, args)
        assert res.exit_code == 2, (args, res.output)
        assert "Traceback" not in res.output
    bad_trust = tmp_path / "trust.json"
    bad_trust.write_text("{not json")
    res = CliRunner().invoke(cli, ["scan", str(golden), "--trust", str(bad_trust)])
    assert res.exit_code == 2 and "trust file not usable" in res.output


def test_devices_and_fifos_are_never_read(tmp_path):
    import os
    fifo = tmp_path / "pipe.apk"
    os.mkfifo(fifo)
    code, out = run("scan", "/dev/zero", str(fifo), "--format", "jsonl", "--jobs", "0")
    results = [json.loads(l) for l in out.splitlines() if '"status"' in l]
    assert {r["error"]["code"] for r in results} == {"NOT_A_FILE"}
    assert code == 3


def test_parallel_json_is_in_input_order_and_reproducible(sample_set, tmp_path):
    folder, _ = sample_set
    docs = []
    for i in range(2):
        out = tmp_path / f"r{i}.json"
        run("scan", str(folder), "--format", "json", "-o", str(out), "--jobs", "2")
        doc = json.loads(out.read_text())
        for r in doc["results"]:
            r.pop("elapsed_ms")
        doc.pop("scanned_at")
        docs.append(doc)
    assert docs[0] == docs[1]
    paths = [r["input"]["path"] for r in docs[0]["results"]]
    assert paths == sorted(paths)


def test_fail_on_levels(sample_set):
    folder, _ = sample_set
    benign = str(folder / "benign-notes.apk")        # risk none
    helper = str(folder / "benign-accessibility-helper.apk")  # risk low
    fake = str(folder / "fake-vneid-gigabud.apk")    # risk critical
    assert run("scan", benign, helper, "--fail-on", "low", "--jobs", "0")[0] == 1
    assert run("scan", benign, "--fail-on", "low", "--jobs", "0")[0] == 0
    assert run("scan", fake, "--fail-on", "none", "--jobs", "0")[0] == 0
    assert run("scan", fake, "--fail-on", "critical", "--jobs", "0")[0] == 1
    assert run("scan", helper, "--fail-on", "critical", "--jobs", "0")[0] == 0


def test_scan_prints_nothing_but_the_report(golden):
    res = CliRunner(mix_stderr=False).invoke(cli, ["scan", str(golden), "--format", "json", "--jobs", "0"]) \
        if "mix_stderr" in CliRunner.__init__.__code__.co_varnames else CliRunner().invoke(
            cli, ["scan", str(golden), "--format", "json", "--jobs", "0"])
    json.loads(res.stdout)  # stdout is exactly the JSON document: no library printed into it
    assert not getattr(res, "stderr", "")


def test_text_report_carries_rules_hash_and_ioc_version(golden):
    from apkscan.analyzers.iocs import ioc_set_version
    from apkscan.analyzers.yara_engine import rules_sha256

    code, out = run("scan", str(golden), "--jobs", "0")
    assert rules_sha256() in out and ioc_set_version() in out
