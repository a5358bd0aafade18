"""`apkscan explain ID`: every id a report can show is explained, in English and Vietnamese."""
from __future__ import annotations

import json

from click.testing import CliRunner

from apkscan.archive.errors import ERROR_CODES
from apkscan.cli.explain import explain_command
from apkscan.findings_catalog import default_catalog, error_finding_id, full_catalog
from apkscan.manifest import problems
from apkscan.scoring import default_model


def run(*args):
    return CliRunner().invoke(explain_command, list(args))


def test_explains_a_finding_with_weight_advice_and_combinations():
    result = run("PERM_READ_SMS")
    assert result.exit_code == 0, result.output
    out = result.output
    entry = default_catalog().get("PERM_READ_SMS")
    weight = default_model().weight("PERM_READ_SMS", entry.severity)[0]
    assert out.startswith(f"PERM_READ_SMS: {entry.title}")
    assert f"Severity: {entry.severity}" in out and f"Risk weight: {weight} points" in out
    assert entry.description in out and entry.advice in out
    assert "BOOST_IMPERSONATION_SMS" in out  # the combinations it takes part in


def test_vietnamese_explanation():
    result = run("PERM_READ_SMS", "--lang", "vi")
    entry = default_catalog().get("PERM_READ_SMS")
    assert result.exit_code == 0
    assert entry.title_vi in result.output and "Mức độ: cao" in result.output and "Cần làm gì" in result.output


def test_ids_are_case_insensitive_and_error_codes_resolve():
    result = run("not_a_zip")
    assert result.exit_code == 0 and result.output.startswith("ERROR_NOT_A_ZIP:")
    assert "Risk weight: 0 points" in result.output


def test_combinations_and_yara_rules_are_explained():
    combo = run("BOOST_IMPERSONATION_ACCESSIBILITY", "--lang", "vi")
    assert combo.exit_code == 0
    assert "cộng thêm 40 điểm" in combo.output and "claims_protected_app" in combo.output
    yara_ids = [i for i in full_catalog().ids() if i not in default_catalog()]
    assert yara_ids, "the YARA rules' findings are explained too"
    out = run(yara_ids[0])
    assert out.exit_code == 0 and "yara rule" in out.output


def test_json_output():
    data = json.loads(run("IOC_SHA256_MATCH", "--format", "json").output)
    assert data["weight"] == 100 and data["kind"] == "finding" and data["title_vi"]


def test_unknown_id_is_a_usage_error_with_suggestions():
    result = run("PERM_READ_SMSS")
    assert result.exit_code == 2
    assert "PERM_READ_SMS" in result.output and "--list" in result.output


def test_list_names_every_id():
    out = run("--list").output
    listed = {line.split("\t")[0] for line in out.splitlines()}
    assert set(full_catalog().ids()) | {c.id for c in default_model().combinations} == listed


def test_every_error_code_the_scanner_can_report_is_explained():
    codes = set(ERROR_CODES) | {problems.MANIFEST_MISSING, problems.MANIFEST_REJECTED, problems.LIMIT_EXCEEDED}
    codes |= {"TIMEOUT", "CRASH", "MEMORY"}  # batch workers (apkscan/batch/workers.py, scan.py)
    missing = sorted(c for c in codes if error_finding_id(c) not in default_catalog())
    assert missing == []
