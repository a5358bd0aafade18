"""JSON, JSONL and text reports: the contract of issue 2, streaming, determinism, plain vs terminal text."""
from __future__ import annotations

import io
import json
import re
from dataclasses import replace

import pytest

import report_samples as samples
from apkscan.model import RISK_LEVELS, VERDICTS
from apkscan.report import ReportMeta, get_format, render, summarize
from apkscan.report.base import utc_now_iso

META = ReportMeta(rules_sha256="ab" * 32, ioc_version="iocs-2026-07", case="VA-01", examiner="Trần Thị B",
                  scanned_at="2026-07-01T08:00:00Z")

RESULT_KEYS = {"input", "status", "error", "app", "signing", "identity", "findings", "risk", "verdict"}


def test_json_document_follows_the_contract():
    doc = json.loads(render("json", samples.batch(), META))
    assert doc["tool"] == {"name": "apkscan", "version": META.tool_version, "rules_sha256": "ab" * 32, "ioc_version": "iocs-2026-07"}
    assert doc["scanned_at"] == "2026-07-01T08:00:00Z"
    assert len(doc["results"]) == 5
    for result in doc["results"]:
        assert RESULT_KEYS <= set(result)
        assert set(result["input"]) >= {"path", "size", "md5", "sha1", "sha256"}
        assert result["status"] in ("ok", "error") and result["verdict"] in VERDICTS
        assert 0 <= result["risk"]["score"] <= 100 and result["risk"]["level"] in RISK_LEVELS
        assert set(result["app"]) >= {"package", "label", "labels", "version_code", "version_name", "min_sdk",
                                      "target_sdk", "permissions", "components"}
        assert set(result["signing"]) >= {"verified", "schemes", "signers", "issues"}
        assert set(result["identity"]) >= {"claimed", "trusted", "reasons"}
        for finding in result["findings"]:
            assert set(finding) >= {"id", "severity", "title", "evidence", "source"}
    fake, genuine, clean, bidi, error = doc["results"]
    assert (fake["verdict"], genuine["verdict"], clean["verdict"], error["verdict"]) == ("fake", "genuine", "clean", "error")
    assert error["error"] == {"code": "NOT_A_ZIP", "message": "no ZIP end-of-central-directory record"}
    assert fake["signing"]["signers"][0]["cert_sha256"] == "3f" * 32
    # why: every point of the score is accounted for by a factor (the score stops at 100)
    for result in (fake, genuine, bidi):
        assert min(100, sum(f["points"] for f in result["risk"]["factors"])) == result["risk"]["score"]
    assert genuine["risk"]["factors"][0]["id"] == "PERM_CAMERA" and genuine["risk"]["verdict_basis"] == "identity"
    assert doc["summary"]["verdicts"] == {"genuine": 1, "fake": 1, "malicious": 1, "suspicious": 0, "clean": 1, "error": 1}
    assert doc["summary"]["errors"] == 1 and doc["summary"]["error_codes"] == {"NOT_A_ZIP": 1}
    assert doc["summary"]["highest_level"] == "critical"
    assert (doc["case"], doc["examiner"]) == ("VA-01", "Trần Thị B")


def test_json_keeps_vietnamese_readable_and_is_strict_json():
    text = render("json", samples.batch(), META)
    assert "Định danh điện tử" in text  # not \u escapes
    json.loads(text, parse_constant=lambda c: pytest.fail(f"non-standard JSON constant {c}"))


def test_same_results_give_the_same_json_except_timestamps():
    later = replace(META, scanned_at=utc_now_iso())
    first = json.loads(render("json", samples.batch(), META))
    # Same facts, findings produced in another order, other timings: what a second run looks like.
    shuffled = [replace(r, findings=tuple(reversed(r.findings)), elapsed_ms=(r.elapsed_ms or 0) + 11) for r in samples.batch()]
    second = json.loads(render("json", shuffled, later))

    def strip(doc):
        doc = dict(doc)
        doc.pop("scanned_at")
        doc["results"] = [{k: v for k, v in r.items() if k not in ("elapsed_ms", "findings")} for r in doc["results"]]
        return doc

    assert strip(first) == strip(second)
    assert [sorted(f["id"] for f in r["findings"]) for r in first["results"]] == \
           [sorted(f["id"] for f in r["findings"]) for r in second["results"]]
    assert render("json", samples.batch(), META) == render("json", samples.batch(), META)


class RecordingStream(io.StringIO):
    """Remembers what had been written each time the writer flushed."""

    def __init__(self):
        super().__init__()
        self.flushed: list[str] = []

    def flush(self):
        self.flushed.append(self.getvalue())
        super().flush()


def test_jsonl_streams_each_result_as_it_is_added_then_a_summary():
    stream = RecordingStream()
    writer = get_format("jsonl").writer(stream, META)
    batch = samples.batch()
    writer.add(batch[0])
    assert json.loads(stream.flushed[-1].splitlines()[-1])["input"]["path"] == batch[0].input.path
    for r in batch[1:]:
        writer.add(r)
    assert len(stream.getvalue().splitlines()) == len(batch)  # nothing but results so far
    writer.close()
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["type"] for line in lines] == ["result"] * 5 + ["summary"]
    assert all(RESULT_KEYS <= set(line) for line in lines[:-1])
    assert lines[-1]["summary"] == summarize(batch)
    assert lines[-1]["tool"]["rules_sha256"] == "ab" * 32
    assert writer.results == []  # streaming keeps counts, not every result


def test_extra_summary_values_are_merged():
    stream = io.StringIO()
    writer = get_format("json").writer(stream, META)
    writer.add(samples.benign_notes())
    writer.close({"wall_time_s": 1.5})
    assert json.loads(stream.getvalue())["summary"]["wall_time_s"] == 1.5


def test_empty_run_still_writes_a_valid_report():
    for name in ("json", "jsonl", "sarif", "text", "html"):
        out = render(name, [], META)
        assert out.strip(), name
    assert json.loads(render("json", [], META))["summary"]["total"] == 0


def test_text_is_plain_when_not_a_terminal():
    text = render("text", samples.batch(), META)
    assert "\x1b[" not in text
    lines = text.splitlines()
    assert lines[0].split() == ["FILE", "PACKAGE", "LABEL", "VERDICT", "RISK", "TOP", "REASONS"]
    fake = next(line for line in lines if "fake-vneid" in line)
    assert "com.vnid.gov" in fake and "Fake" in fake and "100 critical" in fake
    # a fake's impersonation evidence leads its reasons, heaviest first
    reasons = fake.split("100 critical", 1)[1].strip().split("; ")
    assert reasons[0] == "Pretends to be a government app and asks to control the screen"
    error = next(line for line in lines if "not-zip-text" in line)
    assert "NOT_A_ZIP: no ZIP end-of-central-directory record" in error
    # invisible characters are shown, never passed to the terminal
    bidi = next(line for line in lines if "DIeNV" in line)
    assert "<U+202E>" in bidi and "<U+200B>" in bidi and "\u202e" not in text and "\u200b" not in text
    assert lines[-2] == "5 file(s): 1 Genuine, 1 Fake, 1 Malicious, 1 Clean, 1 Not analysed"
    assert lines[-1].startswith("apkscan ") and "rules sha256" in lines[-1]


def test_text_columns_line_up_with_wide_characters():
    text = render("text", [samples.benign_notes(), samples.genuine_vneid()], META)
    from apkscan.report.text import display_width

    rows = [line for line in text.splitlines()[2:4]]
    # the VERDICT column starts at the same display column in both rows despite CJK in the label
    starts = [display_width(row[: row.index(word)]) for row, word in zip(rows, ("Clean", "Genuine"))]
    assert starts[0] == starts[1]


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_text_on_a_terminal_is_coloured_and_shortened(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    out = FakeTerminal()
    long = replace(samples.fake_vneid(), input=replace(samples.fake_vneid().input, path="/evidence/" + "x" * 80 + ".apk"))
    fmt = get_format("text")(out, META)
    fmt.add(long)
    fmt.finish()
    text = out.getvalue()
    assert "\x1b[35;1m" in text  # fake in magenta
    assert "…" in text and "x" * 80 not in text


def test_text_in_vietnamese():
    text = render("text", samples.batch(), replace(META, lang="vi"))
    assert text.splitlines()[0].split()[:4] == ["TỆP", "GÓI", "TÊN", "KẾT"]
    assert "Giả mạo" in text and "nghiêm trọng" in text
    assert "Giả danh ứng dụng của cơ quan nhà nước" in text  # a combination's Vietnamese title


def test_unknown_format_and_language_are_refused():
    with pytest.raises(KeyError):
        get_format("pdf")
    with pytest.raises(ValueError):
        ReportMeta(lang="fr")


def test_scanned_at_is_utc_iso8601():
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", utc_now_iso())
