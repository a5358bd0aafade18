"""Hand-built ScanResults shaped like the pipeline's, for the report and scoring tests.

They mirror the factory's sample families (threat-brief.md section 3): a GoldDigger-like fake
VNeID, a genuine VNeID signed by the enrolled key, a benign app, an input that is not a ZIP, and a
label hiding a bidi override. Findings carry the ids and evidence shapes the analyzers emit.
"""
from __future__ import annotations

from apkscan.model import (
    AppFacts,
    Component,
    Finding,
    Identity,
    InputInfo,
    IntentFilter,
    Risk,
    ScanError,
    ScanResult,
    Signer,
    SigningIssue,
    SigningResult,
)
from apkscan.samples.png import icon_png
from apkscan.scoring import assess

FAKE_CERT = Signer(
    cert_sha256="3f" * 32, cert_sha1="a1" * 20,
    subject="CN=Bo Cong An, O=VNeID, C=VN", issuer="CN=Bo Cong An, O=VNeID, C=VN",
    serial="5a17c0de", not_before="2024-01-01T00:00:00Z", not_after="2049-01-01T00:00:00Z",
    key_algorithm="RSA", key_bits=2048,
)
GENUINE_CERT = Signer(
    cert_sha256="9c" * 32, cert_sha1="77" * 20,
    subject="CN=apkscan TEST stand-in for VNeID, O=apkscan test keys", issuer="CN=apkscan TEST stand-in for VNeID, O=apkscan test keys",
    serial="01", not_before="2021-09-10T00:00:00Z", not_after="2051-09-10T00:00:00Z",
    key_algorithm="EC", key_bits=256,
)


def _scored(result: ScanResult, hint: str | None) -> ScanResult:
    a = assess(result.findings, identity=result.identity, signing=result.signing, status=result.status, identity_hint=hint)
    return ScanResult(**{**result.__dict__, "risk": a.risk, "verdict": a.verdict})


def fake_vneid() -> ScanResult:
    accessibility = Component(
        kind="service", name="com.vnid.gov.service.TouchAccessibilityService", exported=True,
        permission="android.permission.BIND_ACCESSIBILITY_SERVICE",
        intent_filters=(IntentFilter(actions=("android.accessibilityservice.AccessibilityService",)),),
        meta_data={"android.accessibilityservice": "@xml/accessibility_config"},
    )
    sms_receiver = Component(
        kind="receiver", name="com.vnid.gov.SmsReceiver", exported=True,
        intent_filters=(IntentFilter(actions=("android.provider.Telephony.SMS_RECEIVED",), priority=999),),
    )
    main = Component(
        kind="activity", name="com.vnid.gov.GoldActivity", exported=True,
        intent_filters=(IntentFilter(actions=("android.intent.action.MAIN",), categories=("android.intent.category.LAUNCHER",)),),
    )
    findings = (
        Finding("IMPERSONATION_LABEL", "high", "Name imitates a protected app: VNeID",
                {"label": "VNeID", "claimed": "vneid", "package": "com.vnid.gov"}, "identity",
                title_vi="Tên hiển thị bắt chước một ứng dụng được bảo vệ: VNeID"),
        Finding("COMP_ACCESSIBILITY_SERVICE", "high", "Accessibility service can read and control the screen",
                {"component": "com.vnid.gov.service.TouchAccessibilityService", "canPerformGestures": True}, "components",
                title_vi="Dịch vụ trợ năng có thể đọc và điều khiển màn hình"),
        Finding("PERM_RECEIVE_SMS", "high", "Receives text messages (OTP interception)",
                {"permission": "android.permission.RECEIVE_SMS"}, "permissions"),
        Finding("PERM_READ_SMS", "high", "Reads text messages", {"permission": "android.permission.READ_SMS"}, "permissions"),
        Finding("PERM_SYSTEM_ALERT_WINDOW", "medium", "Draws over other apps (overlay)",
                {"permission": "android.permission.SYSTEM_ALERT_WINDOW"}, "permissions"),
        Finding("COMP_SMS_RECEIVER_HIGH_PRIORITY", "high", "SMS receiver with raised priority",
                {"component": "com.vnid.gov.SmsReceiver", "priority": 999}, "components"),
        Finding("YARA_VIRBOX_PROTECTOR", "high", "Virbox protector libraries", {"rule": "virbox_apk", "strings": ["libv++.so", "libsandhook.so"]},
                "yara", path="lib/arm64-v8a/libv++.so"),
        Finding("YARA_GOLDDIGGER_GOLDACTIVITY", "critical", "GoldDigger class GoldActivity", {"rule": "golddigger_goldactivity", "strings": ["GoldActivity"]},
                "yara", path="classes.dex"),
        Finding("IOC_DOMAIN", "high", "Known attacker domain", {"domain": "vneid.bzgo.cc", "source": "Zimperium 2024-09-Gigabud"}, "ioc",
                path="classes.dex"),
        Finding("PERM_INTERNET", "info", "Internet access", {"permission": "android.permission.INTERNET"}, "permissions"),
    )
    result = ScanResult(
        input=InputInfo("samples/fake-vneid-golddigger.apk", 48213, "0" * 32, "1" * 40, "ab" * 32),
        status="ok",
        app=AppFacts(
            package="com.vnid.gov", label="VNeID", labels={"": "VNeID", "vi": "Định danh điện tử"},
            version_code=211, version_name="2.1.1", min_sdk=23, target_sdk=33,
            permissions=("android.permission.INTERNET", "android.permission.RECEIVE_SMS", "android.permission.READ_SMS",
                         "android.permission.SYSTEM_ALERT_WINDOW"),
            components=(main, accessibility, sms_receiver), launcher_activity="com.vnid.gov.GoldActivity",
            icon_path="res/mipmap/ic_launcher.png",
        ),
        signing=SigningResult(verified=True, schemes=("v2",), signers=(FAKE_CERT,), blocks_present=("v1", "v2")),
        identity=Identity(claimed="vneid", trusted=None, reasons=("label 'VNeID' equals the protected label of vneid",
                                                                   "package com.vnid.gov is not com.vnid"),
                          similarity=1.0, certificate_enrolled=False),
        findings=findings,
        elapsed_ms=41,
    )
    return _scored(result, "fake")


def genuine_vneid() -> ScanResult:
    result = ScanResult(
        input=InputInfo("samples/vneid-reference.apk", 30511, "2" * 32, "3" * 40, "cd" * 32),
        status="ok",
        app=AppFacts(
            package="com.vnid", label="VNeID", labels={"": "VNeID", "vi": "VNeID"}, version_code=2111, version_name="2.1.11",
            min_sdk=21, target_sdk=34,
            permissions=("android.permission.INTERNET", "android.permission.CAMERA", "android.permission.POST_NOTIFICATIONS"),
            components=(Component(kind="activity", name="com.vnid.MainActivity", exported=True,
                                  intent_filters=(IntentFilter(actions=("android.intent.action.MAIN",),
                                                               categories=("android.intent.category.LAUNCHER",)),)),),
            launcher_activity="com.vnid.MainActivity", icon_path="res/mipmap/ic_launcher.png",
        ),
        signing=SigningResult(verified=True, schemes=("v2", "v3"), signers=(GENUINE_CERT,), blocks_present=("v2", "v3")),
        identity=Identity(claimed="vneid", trusted="vneid", reasons=("verified signer is enrolled for vneid",),
                          similarity=1.0, certificate_enrolled=True),
        findings=(Finding("PERM_CAMERA", "low", "Uses the camera", {"permission": "android.permission.CAMERA"}, "permissions"),),
        elapsed_ms=17,
    )
    return _scored(result, "genuine")


def benign_notes() -> ScanResult:
    result = ScanResult(
        input=InputInfo("samples/notes.apk", 12000, "4" * 32, "5" * 40, "ef" * 32),
        status="ok",
        app=AppFacts(package="org.example.notes", label="Ghi chú 笔记", labels={"": "Ghi chú 笔记"}, version_code=3,
                     version_name="1.2", min_sdk=24, target_sdk=34, permissions=()),
        signing=SigningResult(verified=True, schemes=("v2",), signers=(FAKE_CERT,), blocks_present=("v2",)),
        elapsed_ms=5,
    )
    return _scored(result, None)


def bidi_label() -> ScanResult:
    """A label whose RIGHT-TO-LEFT OVERRIDE makes 'VNeID' display differently, and a script tag."""
    result = ScanResult(
        input=InputInfo("samples/<script>alert(1)</script>.apk", 9000, "6" * 32, "7" * 40, "12" * 32),
        status="ok",
        app=AppFacts(package="com.example.\u202eDIeNV", label="VNe\u200bID<script>alert('x')</script>", permissions=("android.permission.READ_SMS",)),
        signing=SigningResult(verified=False, issues=(SigningIssue("V2_SIG_DIDNT_VERIFY", "v2 signature did not verify", "v2"),),
                              blocks_present=("v2",), extracted_certificates=(GENUINE_CERT,)),
        identity=Identity(claimed="vneid", reasons=("label folds to 'vneid'",), similarity=0.93, certificate_enrolled=False),
        findings=(
            Finding("IMPERSONATION_LABEL_CONFUSABLE", "high", "Name imitates VNeID with invisible characters",
                    {"label": "VNe\u200bID<script>alert('x')</script>", "skeleton": "vneid"}, "identity"),
            Finding("PERM_READ_SMS", "high", "Reads text messages", {"permission": "android.permission.READ_SMS"}, "permissions"),
            Finding("SIG_V2_DIDNT_VERIFY", "high", "The v2 signature does not verify", {"scheme": "v2"}, "signing"),
        ),
        elapsed_ms=9,
    )
    return _scored(result, None)


def not_a_zip() -> ScanResult:
    return ScanResult(
        input=InputInfo("samples/not-zip-text.apk", 120, "8" * 32, "9" * 40, "34" * 32),
        status="error",
        error=ScanError("NOT_A_ZIP", "no ZIP end-of-central-directory record"),
        verdict="error",
        risk=Risk(),
        elapsed_ms=1,
    )


def batch() -> list[ScanResult]:
    return [fake_vneid(), genuine_vneid(), benign_notes(), bidi_label(), not_a_zip()]


def icons() -> dict[str, bytes]:
    """Icons by input SHA-256, as the pipeline would hand them to the HTML report."""
    return {
        fake_vneid().input.sha256: icon_png("vneid", "#c8102e"),
        genuine_vneid().input.sha256: icon_png("vneid", "#c8102e"),
        benign_notes().input.sha256: icon_png("notes", "#2a7ab0"),
    }
