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
