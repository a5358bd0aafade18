"""Permissions, components and combinations on the factory's APKs (apkscan.samples): real
binary manifests, resources and res/xml configs, read through the real archive and manifest code."""
from __future__ import annotations

import json
from contextlib import contextmanager

import pytest

from apkscan.analyzers.base import ScanContext
from apkscan.analyzers.combinations import CombinationsAnalyzer
from apkscan.analyzers.components import ComponentsAnalyzer
from apkscan.analyzers.permissions import PermissionsAnalyzer
from apkscan.archive import open_archive
from apkscan.config import ScanConfig
from apkscan.manifest import extract_facts
from apkscan.model import SEVERITY_RANK
from apkscan.samples.build import build_all
from apkscan.signing import verify_apk


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    out = tmp_path_factory.mktemp("samples")
    index = build_all(out)
    return out, {s["recipe"]: s for s in index["samples"]}


@contextmanager
def context(path):
    with open_archive(str(path)) as arc:
        facts = extract_facts(arc)
        yield ScanContext(path=str(path), archive=arc, facts=facts, signing=verify_apk(str(path)), config=ScanConfig())


def findings_of(samples, recipe):
    out, index = samples
    with context(out / index[recipe]["file"]) as ctx:
        found = []
        for analyzer in (PermissionsAnalyzer(), ComponentsAnalyzer(), CombinationsAnalyzer()):
            found.extend(analyzer.analyze(ctx))
    return {f.id: f for f in found}, found


BANKER_KIT = ["fake-vneid-golddigger", "fake-vneid-gigabud", "fake-vneid-redhook", "fake-vssid", "fake-etax",
              "fake-evn", "fake-dichvucong", "fake-vneid-label-vneld", "bankbot-payload"]


@pytest.mark.parametrize("recipe", BANKER_KIT)
def test_banker_kit_fakes_are_flagged_for_the_right_reasons(samples, recipe):
    by_id, found = findings_of(samples, recipe)
    for fid in ("COMBO_ACCESSIBILITY_SMS", "COMBO_ACCESSIBILITY_OVERLAY", "COMBO_SMS_RECEIVER_NOT_SMS_APP",
                "COMP_ACCESSIBILITY_READS_SCREEN", "COMP_ACCESSIBILITY_GESTURES", "COMP_SMS_RECEIVER_HIGH_PRIORITY",
                "PERM_READ_SMS", "PERM_SYSTEM_ALERT_WINDOW", "COMP_NSC_USER_CA", "COMP_CLEARTEXT_TRAFFIC"):
        assert fid in by_id, (recipe, fid)
    a11y = by_id["COMP_ACCESSIBILITY_SERVICE"].evidence
    assert a11y["config"].startswith("res/xml/") and a11y["canRetrieveWindowContent"] is True
    assert a11y["event_types"] == ["typeAllMask"] and a11y["packageNames"] == "all apps"
    assert by_id["COMP_SMS_RECEIVER_HIGH_PRIORITY"].evidence["priority"] >= 999
    combo = by_id["COMBO_ACCESSIBILITY_SMS"]
    assert combo.severity == "critical"
    facts = combo.evidence["capabilities"]
    assert any("accessibility service" in f for f in facts["accessibility"])
    assert "permission android.permission.READ_SMS" in facts["sms_read"]
    for f in found:
        assert f.title and f.title_vi and f.description and f.description_vi, f.id


@pytest.mark.parametrize("recipe", ["fake-vneid-redhook", "fake-vneid-gigabud", "fake-etax"])
def test_screen_capture_fakes(samples, recipe):
    by_id, _ = findings_of(samples, recipe)
    assert "COMP_MEDIA_PROJECTION_SERVICE" in by_id and "COMBO_SCREEN_CAPTURE_NETWORK" in by_id
    assert "permission android.permission.INTERNET" in by_id["COMBO_SCREEN_CAPTURE_NETWORK"].evidence["capabilities"]["network"]


@pytest.mark.parametrize("recipe", ["fake-vneid-golddigger", "fake-evn"])
def test_notification_listener_fakes(samples, recipe):
    by_id, _ = findings_of(samples, recipe)
    assert "COMP_NOTIFICATION_LISTENER" in by_id


def test_bankbot_payload_device_admin_policies(samples):
    by_id, _ = findings_of(samples, "bankbot-payload")
    admin = by_id["COMP_DEVICE_ADMIN"].evidence
    assert admin["policies"] == ["disable-keyguard-features", "force-lock", "reset-password", "wipe-data"]
    assert "wipe-data" in admin["destructive_policies"]
    assert "COMBO_DEVICE_ADMIN_ACCESSIBILITY" in by_id


def test_dropper_asks_to_install_packages(samples):
    by_id, _ = findings_of(samples, "fake-vneid-bankbot-dropper")
    assert by_id["PERM_REQUEST_INSTALL_PACKAGES"].severity == "high"
    assert not any(fid.startswith("COMBO_") for fid in by_id)


def test_trojanised_genuine_package_shows_its_injected_components(samples):
    by_id, _ = findings_of(samples, "vneid-repackaged-trojanised")
    assert {"COMBO_ACCESSIBILITY_SMS", "COMP_SMS_RECEIVER_HIGH_PRIORITY", "COMP_ACCESSIBILITY_READS_SCREEN"} <= set(by_id)
    assert by_id["COMP_ACCESSIBILITY_SERVICE"].evidence["service"] == "com.vnid.inject.HookService"


BENIGN = ["benign-accessibility-helper", "benign-sms-app", "benign-vneid-guide", "benign-notes",
          "benign-flashlight-legacy", "vneid-reference"]


@pytest.mark.parametrize("recipe", BENIGN)
def test_benign_apps_stay_below_high(samples, recipe):
    _, found = findings_of(samples, recipe)
    worst = max((SEVERITY_RANK[f.severity] for f in found), default=0)
    assert worst <= SEVERITY_RANK["medium"], [(f.id, f.severity) for f in found]
    assert not any(f.id.startswith("COMBO_") for f in found)


def test_accessibility_helper_is_reported_with_its_harmless_config(samples):
    by_id, found = findings_of(samples, "benign-accessibility-helper")
    assert list(by_id) == ["COMP_ACCESSIBILITY_SERVICE"]
    ev = by_id["COMP_ACCESSIBILITY_SERVICE"].evidence
    assert ev["event_types"] == ["typeWindowStateChanged"]
    assert ev["canRetrieveWindowContent"] is False and ev["canPerformGestures"] is False


def test_sms_app_is_recognised_as_a_messaging_app(samples):
    by_id, _ = findings_of(samples, "benign-sms-app")
    assert list(by_id) == ["PERM_SMS_APP_ROLE"]
    assert "android.permission.READ_SMS" in by_id["PERM_SMS_APP_ROLE"].evidence["permissions"]


def test_guide_and_reference_have_no_fraud_capabilities(samples):
    assert findings_of(samples, "benign-vneid-guide")[0] == {}
    by_id, _ = findings_of(samples, "vneid-reference")
    assert list(by_id) == ["PERM_CAMERA"]  # the CCCD QR scanner


def test_findings_serialise(samples):
    _, found = findings_of(samples, "fake-vneid-redhook")
    json.dumps([f.to_dict() for f in found], ensure_ascii=False)
