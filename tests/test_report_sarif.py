"""SARIF 2.1.0 output, validated against the official schema in ../shared/schemas."""
from __future__ import annotations

import json
from dataclasses import replace

import pytest

import report_samples as samples
from apkscan.model import Finding
from apkscan.report import ReportMeta, render
from apkscan.report.sarif import artifact_uri

jsonschema = pytest.importorskip("jsonschema")

META = ReportMeta(rules_sha256="cd" * 32, ioc_version="iocs-2026-07", scanned_at="2026-07-01T08:00:00Z")


@pytest.fixture(scope="module")
def validator(shared_dir):
    schema = json.loads((shared_dir / "schemas" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def dropper_result():
    base = samples.fake_vneid()
    nested = Finding("PAYLOAD_EMBEDDED_APK", "high", "A second APK is hidden inside the app",
                     {"entry": "assets/update.apk", "sha256": "ee" * 32}, "payloads", path="assets/update.apk")
    inner = Finding("YARA_SMS_OTP_HARVESTING", "high", "Reads incoming SMS", {"rule": "sms_otp_harvesting"}, "yara",
                    path="assets/update.apk!classes.dex")
    return replace(base, input=replace(base.input, path="/cases/VA 01/dropper.apk", sha256="ff" * 32),
                   findings=base.findings + (nested, inner))


def sarif(results, meta=META):
    return json.loads(render("sarif", results, meta))


def test_output_is_valid_sarif_2_1_0(validator):
    doc = sarif(samples.batch() + [dropper_result()])
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]
    assert doc["version"] == "2.1.0"


def test_validator_rejects_a_broken_document(validator):
    """The schema check is real: a result without a message is refused."""
    doc = sarif([samples.fake_vneid()])
    del doc["runs"][0]["results"][0]["message"]
    assert list(validator.iter_errors(doc))


def test_one_rule_per_finding_id_with_help_text():
    doc = sarif(samples.batch())
    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    assert len(ids) == len(set(ids))
    finding_ids = {f.id for r in samples.batch() for f in r.findings}
    assert finding_ids <= set(ids)
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    for rule in rules:
        assert rule["shortDescription"]["text"] and rule["help"]["text"]
    verdict_rule = next(r for r in rules if r["id"] == "VERDICT_FAKE")
    assert "What to do:" in verdict_rule["help"]["text"]  # catalogue advice reaches the help text
    assert verdict_rule["properties"]["title_vi"].startswith("Giả mạo")


def test_levels_follow_severity():
    run = sarif([samples.fake_vneid()])["runs"][0]
    level = {r["ruleId"]: r["level"] for r in run["results"]}
    assert level["YARA_GOLDDIGGER_GOLDACTIVITY"] == "error"  # critical
    assert level["PERM_READ_SMS"] == "error"  # high
    assert level["PERM_SYSTEM_ALERT_WINDOW"] == "warning"  # medium
    assert level["PERM_INTERNET"] == "note"  # info
    assert level["VERDICT_FAKE"] == "error"  # risk critical
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert rules["YARA_GOLDDIGGER_GOLDACTIVITY"]["properties"]["security-severity"] == "9.5"


def test_artifacts_carry_hashes_and_nested_files_point_to_their_parent():
    result = dropper_result()
    run = sarif([result])["runs"][0]
    artifacts = run["artifacts"]
    root = artifacts[0]
    assert root["location"]["uri"] == "file:///cases/VA%2001/dropper.apk"
    assert root["hashes"] == {"md5": result.input.md5, "sha-1": result.input.sha1, "sha-256": result.input.sha256}
    assert root["length"] == result.input.size and root["properties"]["verdict"] == "fake"
    by_rule = {r["ruleId"]: r for r in run["results"]}
    loc = by_rule["YARA_SMS_OTP_HARVESTING"]["locations"][0]["physicalLocation"]["artifactLocation"]
    dex = artifacts[loc["index"]]
    assert dex["location"]["uri"] == "classes.dex"
    apk = artifacts[dex["parentIndex"]]
    assert apk["location"]["uri"] == "assets/update.apk" and apk["parentIndex"] == 0
    payload_loc = by_rule["PAYLOAD_EMBEDDED_APK"]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert payload_loc["index"] == dex["parentIndex"]  # the same artifact, listed once


def test_unanalysable_inputs_are_notifications_not_results():
    run = sarif(samples.batch())["runs"][0]
    invocation = run["invocations"][0]
    assert invocation["executionSuccessful"] is False
    (note,) = invocation["toolExecutionNotifications"]
    assert note["descriptor"]["id"] == "ERROR_NOT_A_ZIP" and note["level"] == "error"
    assert run["tool"]["driver"]["notifications"][note["descriptor"]["index"]]["id"] == "ERROR_NOT_A_ZIP"
    error_artifact = run["artifacts"][note["locations"][0]["physicalLocation"]["artifactLocation"]["index"]]
    assert error_artifact["hashes"]["sha-256"] == samples.not_a_zip().input.sha256
    assert sarif([samples.genuine_vneid()])["runs"][0]["invocations"][0]["executionSuccessful"] is True


def test_run_carries_rules_hash_and_summary():
    run = sarif(samples.batch())["runs"][0]
    assert run["tool"]["driver"]["properties"]["rules_sha256"] == "cd" * 32
    assert run["properties"]["summary"]["verdicts"]["fake"] == 1
    assert run["invocations"][0]["startTimeUtc"] == "2026-07-01T08:00:00Z"


def test_fingerprints_are_stable_across_runs():
    a = sarif(samples.batch())["runs"][0]["results"]
    b = sarif(list(reversed(samples.batch())))["runs"][0]["results"]
    assert sorted(r["partialFingerprints"]["apkscanFinding/v1"] for r in a if "apkscanFinding/v1" in r["partialFingerprints"]) == \
           sorted(r["partialFingerprints"]["apkscanFinding/v1"] for r in b if "apkscanFinding/v1" in r["partialFingerprints"])


@pytest.mark.parametrize("path, uri", [
    ("samples/a b.apk", "samples/a%20b.apk"),
    ("/abs/x#1.apk", "file:///abs/x%231.apk"),
    ("C:\\cases\\x.apk", "file:///C:/cases/x.apk"),
])
def test_artifact_uris_are_uri_references(path, uri):
    assert artifact_uri(path) == uri
