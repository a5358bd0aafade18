"""The HTML report as a document: self-contained, escaped, complete, in English and Vietnamese."""
from __future__ import annotations

import base64
import re
from dataclasses import replace
from html.parser import HTMLParser

import pytest

import report_samples as samples
from apkscan.report import ReportMeta, render
from apkscan.report.html import icon_data_uri, image_mime

META_VI = ReportMeta(rules_sha256="ef" * 32, ioc_version="iocs-2026-07", case="VA-2026-001",
                     examiner="Nguyễn Văn An", lang="vi", scanned_at="2026-07-01T08:00:00Z", icons=samples.icons())
META_EN = replace(META_VI, lang="en")


class Page(HTMLParser):
    """Collects what a browser would fetch or run, ids and links."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.feed(html.replace("<wbr>", ""))  # line-break hints inside identifiers are not text

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)

    def all(self, tag):
        return [attrs for t, attrs in self.tags if t == tag]

    @property
    def plain(self) -> str:
        return " ".join(" ".join(self.text).split())


@pytest.fixture(scope="module")
def vi_batch():
    return render("html", samples.batch(), META_VI)


@pytest.fixture(scope="module")
def en_single():
    return render("html", [samples.fake_vneid()], META_EN)


def test_self_contained_no_script_no_external_reference(vi_batch):
    page = Page(vi_batch)
    assert not page.all("script") and not page.all("link") and not page.all("iframe")
    for tag, attrs in page.tags:
        for name, value in attrs.items():
            if name in ("src", "href", "action", "data", "poster"):
                assert value.startswith(("#", "data:image/")), (tag, name, value[:60])
    assert not re.search(r"url\(|@import", vi_batch)
    csp = next(a["content"] for a in page.all("meta") if a.get("http-equiv") == "Content-Security-Policy")
    assert "default-src 'none'" in csp and "script-src" not in csp


def test_hostile_strings_are_escaped_and_invisible_characters_shown(vi_batch):
    assert "<script>alert" not in vi_batch
    assert "&lt;script&gt;alert(&#39;x&#39;)" in vi_batch
    assert "\u202e" not in vi_batch and "\u200b" not in vi_batch
    assert 'class="cp"' in vi_batch and "U+202E" in vi_batch and "U+200B" in vi_batch


def test_batch_has_a_summary_linking_to_every_app(vi_batch):
    page = Page(vi_batch)
    ids = {a["id"] for _, a in page.tags if "id" in a}
    links = {a["href"][1:] for a in page.all("a") if a.get("href", "").startswith("#")}
    apps = {f"app-{i}" for i in range(1, 6)}
    assert apps <= ids and apps <= links and "summary" in ids and links <= ids


def test_single_app_has_no_summary_table(en_single):
    assert 'id="summary"' not in en_single and 'id="app-1"' in en_single


def test_vietnamese_report_is_in_vietnamese_with_the_official_advice(vi_batch):
    page = Page(vi_batch)
    assert page.all("html")[0]["lang"] == "vi"
    text = page.plain
    for phrase in (
        "Khuyến cáo chính thức",
        "Chỉ cài đặt VNeID từ App Store hoặc CH Play",
        "Cơ quan Công an không bao giờ gọi điện thoại, nhắn tin hay liên hệ qua mạng xã hội",
        "kích hoạt tài khoản định danh điện tử",
        "1900.0368",
        "Giả mạo", "Chính thức", "Độc hại", "Không phân tích được",
        "Lý do của kết luận", "Chữ ký số và chứng thư", "Quyền truy cập theo mức độ", "Thành phần theo mức độ",
        "Kết quả khớp luật YARA", "Dấu hiệu nhận biết", "Tệp và giá trị băm", "Thông tin lưu giữ chứng cứ",
        "Tự nhận là VNeID nhưng không được ký bằng chứng thư tin cậy",
        "Chưa có chứng thư tin cậy nào được đăng ký cho VNeID",
        "Không phải tệp APK: tệp không phải là kho nén ZIP",
    ):
        assert phrase in text, phrase
    # no English UI label leaks into the Vietnamese page
    for english in ("Why this verdict", "Chain of custody", "Permissions by severity", "Official advice", "Signer 1"):
        assert english not in text, english


def test_english_report(en_single):
    text = Page(en_single).plain
    for phrase in ("Fake", "Why this verdict", "Presents itself as VNeID but is not signed by its trusted certificate",
                   "Install VNeID only from the App Store or CH Play", "1900.0368", "Chain of custody"):
        assert phrase in text, phrase


def test_evidence_sections_are_filled(vi_batch):
    text = Page(vi_batch).plain
    fake = samples.fake_vneid()
    # certificate evidence, hashes and identity reasons
    assert fake.signing.signers[0].cert_sha256 in vi_batch and "CN=Bo Cong An, O=VNeID, C=VN" in text
    assert fake.input.sha256 in vi_batch and fake.input.md5 in vi_batch and fake.input.sha1 in vi_batch
    assert "package com.vnid.gov is not com.vnid" in text
    # YARA matches with where they matched, indicators with their evidence
    assert "YARA_GOLDDIGGER_GOLDACTIVITY" in re.sub(r"<wbr>", "", vi_batch) and "vneid.bzgo.cc" in text
    # a Vietnamese label by locale
    assert "Định danh điện tử" in text


def test_permissions_and_components_are_ordered_by_severity(en_single):
    html = re.sub(r"<wbr>", "", en_single)
    section = html[html.index("Permissions by severity"):html.index("Components by severity")]
    order = [p for p in ("READ_SMS", "RECEIVE_SMS", "SYSTEM_ALERT_WINDOW", "INTERNET") if p in section]
    positions = [section.index(f"android.permission.{p}") for p in order]
    assert order == ["READ_SMS", "RECEIVE_SMS", "SYSTEM_ALERT_WINDOW", "INTERNET"] and positions == sorted(positions)
    comps = html[html.index("Components by severity"):html.index("YARA rule matches")]
    assert comps.index("GoldActivity") < comps.index("SmsReceiver")  # critical (YARA names it) before high


def test_chain_of_custody_block(vi_batch):
    custody = vi_batch[vi_batch.index('id="custody"'):]
    for value in ("apkscan", META_VI.tool_version, "ef" * 32, "iocs-2026-07", "2026-07-01T08:00:00Z",
                  "VA-2026-001", "Nguyễn Văn An", "Chữ ký của giám định viên"):
        assert value in custody, value


def test_icon_is_embedded_as_data_uri(en_single):
    icon = samples.icons()[samples.fake_vneid().input.sha256]
    assert f'src="data:image/png;base64,{base64.b64encode(icon).decode()}"' in en_single


def test_only_real_images_become_icons():
    assert image_mime(b"\x89PNG\r\n\x1a\n....") == "image/png"
    assert image_mime(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "image/webp"
    assert icon_data_uri(b"<vector xmlns:android=...>") is None  # XML drawables are not images
    assert icon_data_uri(b"<svg onload=alert(1)>") is None
    assert icon_data_uri(b"\x89PNG\r\n\x1a\n" + b"\0" * (600 * 1024)) is None  # too large


def test_print_stylesheet(vi_batch):
    assert "@media print" in vi_batch and "@page" in vi_batch
    assert "break-before: page" in vi_batch  # each app of a batch starts a page


def test_score_table_explains_the_score(en_single):
    text = Page(en_single).plain
    assert "How the risk score was computed" in text
    assert "BOOST_IMPERSONATION_ACCESSIBILITY" in re.sub(r"<wbr>", "", en_single)
    assert "present together:" in text and "severity critical" in text


def test_report_without_icons_or_meta_values():
    html = render("html", [samples.benign_notes()], ReportMeta(lang="en"))
    text = Page(html).plain
    assert "(not given)" in text and "Clean" in text and "data:image" not in html
