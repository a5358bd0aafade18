"""Permissions catalogue, component analysis and combinations on manifests built in the test
(the factory-built samples are exercised in test_fraud_samples.py)."""
from __future__ import annotations

import json

import pytest

from apkscan.analyzers import combinations, components, permissions
from apkscan.analyzers.capabilities import build as build_caps
from apkscan.analyzers.fraud_findings import catalogue as finding_catalogue
from apkscan.analyzers.resource_xml import Node, to_node
from apkscan.datafiles import signatures_dir
from apkscan.model import AppFacts, Component, IntentFilter

P = "android.permission."


def comp(kind, name, *, actions=(), categories=(), permission=None, exported=True, meta=None, priority=None,
         attributes=None, enabled=True, data=()):
    filters = (IntentFilter(tuple(actions), tuple(categories), tuple(data), priority),) if actions else ()
    return Component(kind, name, exported, permission=permission, enabled=enabled, intent_filters=filters,
                     attributes=attributes or {}, meta_data=meta or {})


LAUNCHER = comp("activity", "com.x.Main", actions=["android.intent.action.MAIN"],
                categories=["android.intent.category.LAUNCHER"])


def reader(files):
    def read(ref):
        if ref in files:
            node = files[ref]
            if isinstance(node, Exception):
                return None, "res/xml/x.xml", str(node)
            return node, f"res/xml/{ref[5:]}.xml", None
        return None, None, f"resource {ref} is not in the APK's resource table"
    return read


def ids(findings):
    return [f.id for f in findings]


# ---------------------------------------------------------------- catalogue

REQUIRED = ["READ_SMS", "RECEIVE_SMS", "SEND_SMS", "RECEIVE_MMS", "BIND_ACCESSIBILITY_SERVICE",
            "BIND_NOTIFICATION_LISTENER_SERVICE", "BIND_DEVICE_ADMIN", "SYSTEM_ALERT_WINDOW",
            "REQUEST_INSTALL_PACKAGES", "QUERY_ALL_PACKAGES", "READ_CONTACTS", "READ_CALL_LOG",
            "READ_PHONE_STATE", "READ_PHONE_NUMBERS", "CALL_PHONE", "CAMERA", "RECORD_AUDIO",
            "FOREGROUND_SERVICE_MEDIA_PROJECTION", "RECEIVE_BOOT_COMPLETED",
            "REQUEST_IGNORE_BATTERY_OPTIMIZATIONS", "USE_FULL_SCREEN_INTENT", "WRITE_SETTINGS", "BIND_VPN_SERVICE"]


def test_catalogue_covers_the_fraud_relevant_permissions_in_both_languages():
    cat = permissions.catalogue()
    for short in REQUIRED:
        info = cat.get(P + short)
        assert info is not None, short
        assert info.severity in ("low", "medium", "high", "critical"), short
        assert info.reason and info.reason_vi and info.title_vi, short
        assert info.protection_level, short


def test_protection_levels_come_from_the_platform_manifest_with_source():
    data = json.loads((signatures_dir() / "permissions.json").read_text(encoding="utf-8"))
    assert "frameworks/base/core/res/AndroidManifest.xml" in data["source"]["protection_levels"]
    assert data["api_level"] >= 34
    cat = permissions.catalogue()
    assert len(cat.permissions) > 900  # every platform permission, not a hand-picked list
    assert cat.get(P + "READ_SMS").protection_level == "dangerous"
    assert cat.get(P + "BIND_ACCESSIBILITY_SERVICE").protection_level == "signature"
    assert "appop" in cat.get(P + "SYSTEM_ALERT_WINDOW").protection_level
    assert cat.get(P + "INTERNET").protection_level.startswith("normal")
    assert cat.get(P + "INSTALL_PACKAGES").system_only
    assert not cat.get(P + "SYSTEM_ALERT_WINDOW").system_only  # the user grants it through app-ops


def test_every_emitted_id_has_bilingual_text_and_perm_entries_match_the_catalogue():
    entries = finding_catalogue()
    for fid, entry in entries.items():
        for key in ("title", "title_vi", "description", "description_vi", "advice", "advice_vi"):
            assert entry.get(key), (fid, key)
        assert fid.split("_", 1)[0] in ("PERM", "COMP", "COMBO", "IMPERSONATION"), fid
    for info in permissions.catalogue().permissions.values():
        if info.finding:
            e = entries[info.finding]
            assert (e["severity"], e["title"], e["title_vi"], e["description_vi"]) == (
                info.severity, info.title, info.title_vi, info.reason_vi)


def test_permission_findings():
    found = permissions.analyze_permissions([P + "READ_SMS", P + "INTERNET", P + "INSTALL_PACKAGES",
                                             P + "MANAGE_USB", P + "NOT_A_THING", "com.vendor.perm.X"])
    by_id = {f.id: f for f in found}
    assert by_id["PERM_READ_SMS"].severity == "high"
    assert by_id["PERM_READ_SMS"].title_vi and by_id["PERM_READ_SMS"].evidence["permission"] == P + "READ_SMS"
    assert "PERM_INTERNET" not in by_id
    assert [p["permission"] for p in by_id["PERM_SYSTEM_ONLY"].evidence["permissions"]] == [P + "MANAGE_USB"]
    assert by_id["PERM_UNKNOWN_PLATFORM"].evidence["permissions"] == [P + "NOT_A_THING"]


# ---------------------------------------------------------------- components

A11Y_FULL = Node("accessibility-service", {
    "canRetrieveWindowContent": True, "canPerformGestures": True,
    "accessibilityEventTypes": "typeWindowStateChanged|typeViewTextChanged|typeWindowContentChanged",
    "accessibilityFlags": "flagRequestFilterKeyEvents|flagReportViewIds",
    "packageNames": "com.vietinbank.ipay, com.VCB"})


def a11y_service(ref="@xml/a11y"):
    return comp("service", "com.x.Acc", actions=["android.accessibilityservice.AccessibilityService"],
                permission=P + "BIND_ACCESSIBILITY_SERVICE", meta={"android.accessibilityservice": ref})


def test_accessibility_service_configuration_is_read():
    facts = AppFacts(package="com.x", components=(LAUNCHER, a11y_service()))
    rep = components.build_report(facts, reader({"@xml/a11y": A11Y_FULL}))
    (svc,) = rep.accessibility
    assert svc.can_retrieve_window_content and svc.can_perform_gestures and svc.can_filter_key_events
    assert svc.package_names == ("com.vietinbank.ipay", "com.VCB")
    assert set(svc.event_types) == {"typeWindowStateChanged", "typeViewTextChanged", "typeWindowContentChanged"}
    found = components.report_findings(rep)
    assert set(ids(found)) >= {"COMP_ACCESSIBILITY_SERVICE", "COMP_ACCESSIBILITY_READS_SCREEN",
                               "COMP_ACCESSIBILITY_GESTURES", "COMP_ACCESSIBILITY_KEY_EVENTS",
                               "COMP_ACCESSIBILITY_TARGETS_APPS"}
    ev = next(f for f in found if f.id == "COMP_ACCESSIBILITY_SERVICE").evidence
    assert ev["config"] == "res/xml/a11y.xml" and ev["canRetrieveWindowContent"] is True


def test_accessibility_config_as_compiled_integers():
    # aapt compiles flag attributes to integers: typeAllMask = 0xffffffff, flags 0x20 = filter keys
    cfg = Node("accessibility-service", {"accessibilityEventTypes": 0xFFFFFFFF, "accessibilityFlags": 0x20,
                                         "canRetrieveWindowContent": -1})
    rep = components.build_report(AppFacts(components=(a11y_service(),)), reader({"@xml/a11y": cfg}))
    (svc,) = rep.accessibility
    assert svc.event_types == ("typeAllMask",) and svc.can_filter_key_events and svc.can_retrieve_window_content
    assert not svc.can_perform_gestures and svc.watches_all_apps


def test_a_minimal_helper_service_is_reported_without_the_dangerous_extras():
    cfg = Node("accessibility-service", {"accessibilityEventTypes": "typeViewClicked"})
    rep = components.build_report(AppFacts(components=(LAUNCHER, a11y_service())), reader({"@xml/a11y": cfg}))
    assert ids(components.report_findings(rep)) == ["COMP_ACCESSIBILITY_SERVICE"]


def test_unreadable_accessibility_config_is_a_finding_not_a_crash():
    rep = components.build_report(AppFacts(components=(a11y_service("@xml/missing"),)), reader({}))
    found = components.report_findings(rep)
    assert "COMP_ACCESSIBILITY_CONFIG_UNREADABLE" in ids(found)
    bad = components.build_report(AppFacts(components=(a11y_service(),)),
                                  reader({"@xml/a11y": ValueError("Corrupt XML binary file")}))
    assert "Corrupt" in bad.accessibility[0].config_problem


def test_sms_receivers_priority_and_the_default_sms_app_rule():
    spy = comp("receiver", "com.x.SmsSpy", actions=["android.provider.Telephony.SMS_RECEIVED"], priority=2147483647)
    facts = AppFacts(components=(LAUNCHER, spy), permissions=(P + "RECEIVE_SMS",))
    rep = components.build_report(facts, reader({}))
    assert rep.sms_receivers[0]["priority"] == 2147483647 and not rep.is_sms_app
    assert {"COMP_SMS_RECEIVER", "COMP_SMS_RECEIVER_HIGH_PRIORITY"} <= set(ids(components.report_findings(rep)))
    combos = combinations.evaluate(build_caps(facts, rep), rep)
    assert "COMBO_SMS_RECEIVER_NOT_SMS_APP" in ids(combos)

    messenger = AppFacts(permissions=(P + "RECEIVE_SMS", P + "READ_SMS", P + "SEND_SMS"), components=(
        LAUNCHER,
        comp("receiver", "m.SmsDeliver", actions=["android.provider.Telephony.SMS_DELIVER"],
             permission=P + "BROADCAST_SMS"),
        comp("receiver", "m.MmsDeliver", actions=["android.provider.Telephony.WAP_PUSH_DELIVER"],
             permission=P + "BROADCAST_WAP_PUSH"),
        comp("service", "m.Respond", actions=["android.intent.action.RESPOND_VIA_MESSAGE"],
             permission=P + "SEND_RESPOND_VIA_MESSAGE"),
        comp("activity", "m.Compose", actions=["android.intent.action.SENDTO"], data=({"scheme": "smsto"},)),
        comp("receiver", "m.Incoming", actions=["android.provider.Telephony.SMS_RECEIVED"], priority=0),
    ))
    rep = components.build_report(messenger, reader({}))
    assert rep.is_sms_app
    assert "COMBO_SMS_RECEIVER_NOT_SMS_APP" not in ids(combinations.evaluate(build_caps(messenger, rep), rep))


def test_device_admin_notification_listener_boot_projection_vpn():
    admin_xml = Node("device-admin", {}, (Node("uses-policies", {}, (Node("wipe-data"), Node("force-lock"),
                                                                     Node("watch-login"))),))
    facts = AppFacts(package="com.x", application={}, components=(
        LAUNCHER,
        comp("receiver", "com.x.Admin", actions=["android.app.action.DEVICE_ADMIN_ENABLED"],
             permission=P + "BIND_DEVICE_ADMIN", meta={"android.app.device_admin": "@xml/admin"}),
        comp("service", "com.x.Notif", actions=["android.service.notification.NotificationListenerService"],
             permission=P + "BIND_NOTIFICATION_LISTENER_SERVICE"),
        comp("receiver", "com.x.Boot", actions=["android.intent.action.BOOT_COMPLETED"]),
        comp("service", "com.x.Rec", attributes={"foregroundServiceType": 0x20 | 0x1}, exported=False),
        comp("service", "com.x.Rec2", attributes={"foregroundServiceType": "dataSync|mediaProjection"}, exported=False),
        comp("service", "com.x.Loc", attributes={"foregroundServiceType": "location"}, exported=False),
        comp("service", "com.x.Vpn", actions=["android.net.VpnService"], permission=P + "BIND_VPN_SERVICE"),
    ))
    rep = components.build_report(facts, reader({"@xml/admin": admin_xml}))
    assert rep.device_admins[0]["policies"] == ["force-lock", "watch-login", "wipe-data"]
    assert [s["service"] for s in rep.media_projection_services] == ["com.x.Rec", "com.x.Rec2"]
    found = components.report_findings(rep)
    admin = next(f for f in found if f.id == "COMP_DEVICE_ADMIN")
    assert admin.evidence["destructive_policies"] == ["force-lock", "wipe-data"]
    assert {"COMP_NOTIFICATION_LISTENER", "COMP_BOOT_RECEIVER", "COMP_MEDIA_PROJECTION_SERVICE",
            "COMP_VPN_SERVICE"} <= set(ids(found))
    # the exported boot receiver has no permission: reported; protected services are not
    exported = next(f for f in found if f.id == "COMP_EXPORTED_UNPROTECTED").evidence["components"]
    assert [c["name"] for c in exported] == ["com.x.Boot"]


def test_hidden_launcher():
    hidden = AppFacts(components=(a11y_service(),))
    rep = components.build_report(hidden, reader({"@xml/a11y": A11Y_FULL}))
    assert "COMP_HIDDEN_LAUNCHER" in ids(components.report_findings(rep))
    disabled = AppFacts(components=(comp("activity-alias", "com.x.Alias", actions=["android.intent.action.MAIN"],
                                         categories=["android.intent.category.LAUNCHER"], enabled=False),
                                    a11y_service()))
    rep = components.build_report(disabled, reader({"@xml/a11y": A11Y_FULL}))
    hid = next(f for f in components.report_findings(rep) if f.id == "COMP_HIDDEN_LAUNCHER")
    assert hid.evidence["disabled_launchers"] == ["com.x.Alias"]
    # a keyboard-like plug-in without icon and without spying components is not "hidden"
    plain = AppFacts(components=(comp("service", "com.x.Ime", permission=P + "BIND_INPUT_METHOD"),))
    assert "COMP_HIDDEN_LAUNCHER" not in ids(components.report_findings(components.build_report(plain, reader({}))))


def test_cleartext_and_user_ca_trust():
    nsc = Node("network-security-config", {}, (
        Node("base-config", {"cleartextTrafficPermitted": "true"}, (
            Node("trust-anchors", {}, (Node("certificates", {"src": "system"}), Node("certificates", {"src": "user"}))),)),
    ))
    facts = AppFacts(application={"networkSecurityConfig": "@xml/nsc"}, components=(LAUNCHER,))
    rep = components.build_report(facts, reader({"@xml/nsc": nsc}))
    assert rep.cleartext["element"] == "base-config"
    assert rep.user_ca["element"] == "base-config"
    assert {"COMP_CLEARTEXT_TRAFFIC", "COMP_NSC_USER_CA"} <= set(ids(components.report_findings(rep)))

    debug_only = Node("network-security-config", {}, (
        Node("debug-overrides", {}, (Node("trust-anchors", {}, (Node("certificates", {"src": "user"}),)),)),))
    rep = components.build_report(AppFacts(application={"networkSecurityConfig": "@xml/nsc"}),
                                  reader({"@xml/nsc": debug_only}))
    assert rep.user_ca is None  # debug-overrides only apply to debuggable builds
    rep = components.build_report(AppFacts(application={"networkSecurityConfig": "@xml/nsc", "debuggable": True}),
                                  reader({"@xml/nsc": debug_only}))
    assert rep.user_ca["element"] == "debug-overrides"
    rep = components.build_report(AppFacts(application={"usesCleartextTraffic": "true"}), reader({}))
    assert rep.cleartext == {"source": "android:usesCleartextTraffic", "value": True}


def test_to_node_accepts_elementtree():
    import xml.etree.ElementTree as ET
    root = ET.fromstring('<accessibility-service xmlns:android="http://schemas.android.com/apk/res/android" '
                         'android:canPerformGestures="true" android:packageNames="a.b"/>')
    node = to_node(root)
    assert node.tag == "accessibility-service" and node.attrs["canPerformGestures"] == "true"


# ---------------------------------------------------------------- combinations

@pytest.mark.parametrize("perms_, comps, expected", [
    ([P + "READ_SMS"], [a11y_service()], "COMBO_ACCESSIBILITY_SMS"),
    ([P + "SYSTEM_ALERT_WINDOW"], [a11y_service()], "COMBO_ACCESSIBILITY_OVERLAY"),
    ([P + "SYSTEM_ALERT_WINDOW", P + "RECEIVE_SMS"], [], "COMBO_OVERLAY_SMS"),
    ([P + "INTERNET", P + "FOREGROUND_SERVICE_MEDIA_PROJECTION"], [], "COMBO_SCREEN_CAPTURE_NETWORK"),
    ([], [a11y_service(), comp("receiver", "com.x.Admin", permission=P + "BIND_DEVICE_ADMIN")],
     "COMBO_DEVICE_ADMIN_ACCESSIBILITY"),
])
def test_combinations_fire_and_name_their_facts(perms_, comps, expected):
    facts = AppFacts(permissions=tuple(perms_), components=(LAUNCHER, *comps))
    rep = components.build_report(facts, reader({"@xml/a11y": A11Y_FULL}))
    found = {f.id: f for f in combinations.evaluate(build_caps(facts, rep), rep)}
    assert expected in found
    facts_listed = [fact for lst in found[expected].evidence["capabilities"].values() for fact in lst]
    assert facts_listed and all(isinstance(x, str) for x in facts_listed)


def test_no_combination_for_single_capabilities():
    facts = AppFacts(permissions=(P + "INTERNET", P + "CAMERA"), components=(LAUNCHER,))
    rep = components.build_report(facts, reader({}))
    assert combinations.evaluate(build_caps(facts, rep), rep) == []


def test_protection_levels_agree_with_the_aosp_extraction(tmp_path):
    """The catalogue is what permission_levels.refresh writes from the AOSP data for its API level."""
    from apkscan.analyzers.permission_levels import _androguard_levels, refresh

    data = json.loads((signatures_dir() / "permissions.json").read_text(encoding="utf-8"))
    apis, levels = _androguard_levels()
    api = data["api_level"]
    if api not in apis:
        pytest.skip(f"installed androguard has no AOSP data for API {api}")
    for name, entry in data["permissions"].items():
        at_api = [lvl for a, lvl, _ in levels.get(name, ()) if a <= api]
        if entry["protection_level"] is not None and not entry.get("last_seen_api"):
            assert at_api and at_api[-1] == entry["protection_level"], name
    copy = tmp_path / "permissions.json"
    copy.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    refresh(copy)
    refreshed = json.loads(copy.read_text(encoding="utf-8"))["permissions"]
    assert all(refreshed[n].get("fraud") == e.get("fraud") for n, e in data["permissions"].items())
