"""Reports of real scans: factory-built APKs through apkscan.scan.scan_file.

Reproducibility (issue 7 item 5): scanning the same files twice gives the same JSON apart from
timestamps. The SARIF of a real batch validates; the HTML of a real batch embeds the icons read
from the APKs and renders cleanly in Chromium.
"""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

import report_browser as browser
from apkscan.config import ScanConfig
from apkscan.report import ReportMeta, render
from apkscan.samples.build import build_all
from apkscan.scan import scan_file
from apkscan.trust import enroll
from conftest import require_tool

RECIPES = ["vneid-reference", "fake-vneid-golddigger", "fake-vneid-label-zero-width", "benign-vneid-guide", "benign-sms-app"]
META = ReportMeta(rules_sha256="0f" * 32, ioc_version="test", case="VA-TEST", examiner="Lê Văn C",
                  scanned_at="2026-07-01T08:00:00Z", lang="vi")


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    out = tmp_path_factory.mktemp("samples")
    build_all(out, only=RECIPES)
    trust_file = out / "trust.json"
    enroll(out / "vneid-reference.apk", "vneid", trust_file)
    (out / "notes.apk").write_text("this is not an APK\n", encoding="utf-8")
    paths = [str(out / f"{r}.apk") for r in RECIPES] + [str(out / "notes.apk")]
    config = ScanConfig(trust_files=(str(trust_file),))
    return paths, config


def scan_all(paths, config):
    return [scan_file(p, config) for p in paths]


def test_same_files_give_the_same_json_apart_from_timestamps(batch):
    paths, config = batch
    first = json.loads(render("json", scan_all(paths, config), META))
    second = json.loads(render("json", scan_all(paths, config), replace(META, scanned_at="2026-07-02T09:30:00Z")))
    assert first["scanned_at"] != second["scanned_at"]
    for doc in (first, second):
        doc.pop("scanned_at")
        for result in doc["results"]:
            result.pop("elapsed_ms")
    assert first == second
    verdicts = {Path(r["input"]["path"]).stem: r["verdict"] for r in first["results"]}
    assert verdicts == {"vneid-reference": "genuine", "fake-vneid-golddigger": "fake", "fake-vneid-label-zero-width": "fake",
                        "benign-vneid-guide": "clean", "benign-sms-app": "clean", "notes": "error"}


def test_sarif_of_real_scans_is_valid(batch, shared_dir):
    jsonschema = pytest.importorskip("jsonschema")
    paths, config = batch
    doc = json.loads(render("sarif", scan_all(paths, config), META))
    schema = json.loads((shared_dir / "schemas" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    errors = list(jsonschema.validators.validator_for(schema)(schema).iter_errors(doc))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]
    run = doc["runs"][0]
    assert {r["ruleId"] for r in run["results"]} >= {"VERDICT_FAKE", "COMBO_ACCESSIBILITY_SMS"}
    assert run["invocations"][0]["toolExecutionNotifications"][0]["descriptor"]["id"] == "ERROR_NOT_A_ZIP"


def test_text_report_of_real_scans(batch):
    paths, config = batch
    text = render("text", scan_all(paths, config), replace(META, lang="en"))
    rows = {Path(line.split()[0]).name: line for line in text.splitlines()[2:-2] if line.strip()}
    assert "Genuine" in rows["vneid-reference.apk"] and "com.vnid" in rows["vneid-reference.apk"]
    assert "Fake" in rows["fake-vneid-golddigger.apk"]
    assert "<U+200B>" in rows["fake-vneid-label-zero-width.apk"]  # the hidden character is shown
    assert "NOT_A_ZIP" in rows["notes.apk"]


def test_html_of_real_scans_embeds_icons_and_renders(batch, tmp_path):
    require_tool("chromium", "chromium-browser")
    paths, config = batch
    html = render("html", scan_all(paths, config), META)
    assert html.count('src="data:image/png;base64,') == len(RECIPES)  # every built APK has a PNG icon
    page = tmp_path / "real-batch-vi.html"
    page.write_text(html, encoding="utf-8")
    run = browser.render(page)
    (tmp_path / "real-batch-vi.png").write_bytes(run.screenshot)
    assert run.problems() == []
    assert [u for u in run.requests if not u.startswith(("file://", "data:"))] == []
    colours, not_background = browser.colour_stats(run.screenshot)
    assert colours > 20 and not_background > 0.05
