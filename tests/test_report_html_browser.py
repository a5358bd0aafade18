"""The HTML report in a real browser: Debian's headless Chromium, over the DevTools protocol.

Checks: no console message, JavaScript exception, CSP violation or failed load; nothing fetched
but the page itself and data: URIs; a screenshot that is not blank (screen and print media);
a PDF from the print stylesheet. Screenshots are kept in $APKSCAN_SCREENSHOT_DIR when it is set
(CI uploads them; people look at them).
"""
from __future__ import annotations

import os
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

import report_browser as browser
import report_samples as samples
from apkscan.report import ReportMeta, render
from conftest import require_tool


@pytest.fixture(scope="module", autouse=True)
def chromium() -> str:
    """Every test here drives Chromium: skipped without it, failed with APKSCAN_REQUIRE_TOOLS=1."""
    return require_tool("chromium", "chromium-browser")


META = ReportMeta(rules_sha256="ef" * 32, ioc_version="iocs-2026-07", case="VA-2026-001", examiner="Nguyễn Văn An",
                  lang="vi", scanned_at="2026-07-01T08:00:00Z", icons=samples.icons())


def keep(path: Path) -> None:
    target = os.environ.get("APKSCAN_SCREENSHOT_DIR")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(target) / path.name)


def load(tmp_path: Path, name: str, html: str, print_media: bool = True) -> browser.PageRun:
    page = tmp_path / f"{name}.html"
    page.write_text(html, encoding="utf-8")
    run = browser.render(page, print_media=print_media)
    for suffix, data in (("screen.png", run.screenshot), ("print.png", run.print_screenshot), ("print.pdf", run.pdf)):
        if data:
            out = tmp_path / f"{name}-{suffix}"
            out.write_bytes(data)
            keep(out)
    return run


def assert_clean_render(run: browser.PageRun, page_uri_prefix: str = "file://") -> None:
    assert run.problems() == []
    external = [u for u in run.requests if not u.startswith((page_uri_prefix, "data:"))]
    assert external == []
    for shot in (run.screenshot, run.print_screenshot):
        colours, not_background = browser.colour_stats(shot)
        assert colours > 20 and not_background > 0.05, (colours, not_background)  # not blank
    assert run.pdf.startswith(b"%PDF-") and run.pdf.count(b"/Type /Page") >= 2  # a batch prints over pages


def test_detector_sees_console_errors_and_outside_requests(tmp_path):
    """Positive control: the checks below would notice a broken page."""
    bad = ("<!doctype html><html><body><h1>x</h1><script>console.error('boom')</script>"
           "<img src='http://example.invalid/a.png'></body></html>")
    run = load(tmp_path, "control", bad, print_media=False)
    assert any("boom" in p for p in run.problems())
    assert any(u.startswith("http://example.invalid") for u in run.requests)
    assert browser.colour_stats(run.screenshot)[1] < 0.05  # nearly white: would fail the blank check


def test_vietnamese_batch_report_renders_cleanly(tmp_path):
    run = load(tmp_path, "report-vi-batch", render("html", samples.batch(), META))
    assert_clean_render(run)


def test_english_single_report_renders_cleanly(tmp_path):
    html = render("html", [samples.fake_vneid()], replace(META, lang="en"))
    run = load(tmp_path, "report-en-single", html)
    assert run.problems() == [] and run.pdf.startswith(b"%PDF-")
    colours, not_background = browser.colour_stats(run.screenshot)
    assert colours > 20 and not_background > 0.05
