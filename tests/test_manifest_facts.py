"""Facts from APKs built by the project's factory (apkscan/samples): every recipe's declared
manifest comes back out, and a probe recipe exercises Android's defaults (exported, launcher
aliases, disabled components, inherited permissions, flags, res/xml configs, icons)."""
from __future__ import annotations

import copy

import pytest

from apkscan.archive import open_archive
from apkscan.manifest import extract_facts, parse_xml_resource
from apkscan.samples.build import Factory, buildable_ids
from apkscan.samples.manifest_writer import full_class_name

ANDROID = "{http://schemas.android.com/apk/res/android}"
SMS_RECEIVED = "android.provider.Telephony.SMS_RECEIVED"

PROBE = {
    "id": "manifest-probe",
    "package": "org.example.probe",
    "version_code": 7,
    "version_name": "7.0",
    "min_sdk": 21,
    "target_sdk": 30,
    "labels": {"": "Probe", "vi": "Thăm dò", "fr": "Sonde"},
    "strings": {"targets": {"": "com.vnid,com.bank.app"}, "home": {"": "VNeID", "vi": "VNeID Việt Nam"}},
    "icon": {"seed": "manifest-probe", "colour": "#00695c"},
    "permissions": ["android.permission.RECEIVE_SMS", "android.permission.INTERNET", "android.permission.RECEIVE_SMS"],
    "declared_permissions": [{"name": "org.example.probe.C2D", "protection_level": "signature"},
                             {"name": "org.example.probe.OPEN", "protection_level": "dangerous"}],
    "queries": ["com.vnid", "com.bank.app"],
    "application": {
        "name": ".App",
        "debuggable": True,
        "allowBackup": False,
        "usesCleartextTraffic": True,
        "network_security_config": {"cleartext": True, "trust_user_cas": True, "domains": ["c2.example"]},
        "attrs": {"android:permission": "org.example.probe.C2D"},
        "meta_data": [{"name": "channel", "value": "sideload"}, {"name": "build", "value": 42}],
    },
    "components": [
        {"kind": "activity", "name": ".Main", "launcher": True, "enabled": False},
        {"kind": "activity-alias", "name": ".Alias", "target": ".Main", "launcher": True, "label": "@string/home"},
        {"kind": "activity", "name": "org.example.other.Deep", "exported": True,
         "intent_filters": [{"actions": ["android.intent.action.VIEW"], "categories": ["android.intent.category.BROWSABLE"],
                             "data": [{"scheme": "vneid", "host": "login"}]}]},
        {"kind": "service", "name": ".Acc", "exported": False, "permission": "android.permission.BIND_ACCESSIBILITY_SERVICE",
         "intent_filters": [{"actions": ["android.accessibilityservice.AccessibilityService"]}],
         "meta_data": [{"name": "android.accessibilityservice", "resource": "@xml/acc"}]},
        {"kind": "service", "name": "Rec", "foreground_service_type": "mediaProjection|dataSync"},
        {"kind": "receiver", "name": ".Sms",
         "intent_filters": [{"actions": [SMS_RECEIVED], "priority": 999}]},
        {"kind": "receiver", "name": ".Admin", "exported": True, "permission": "android.permission.BIND_DEVICE_ADMIN",
         "intent_filters": [{"actions": ["android.app.action.DEVICE_ADMIN_ENABLED"]}],
         "meta_data": [{"name": "android.app.device_admin", "resource": "@xml/admin"}]},
        {"kind": "provider", "name": ".Files", "attrs": {"android:authorities": "org.example.probe.files"}},
    ],
    "xml_resources": {
        "acc": {"tag": "accessibility-service", "attrs": {
            "android:accessibilityEventTypes": {"hex": -1},
            "android:canRetrieveWindowContent": True,
            "android:canPerformGestures": True,
            "android:packageNames": "@string/targets"}},
        "admin": {"tag": "device-admin", "children": [{"tag": "uses-policies", "children": [
            {"tag": "force-lock"}, {"tag": "wipe-data"}, {"tag": "reset-password"}]}]},
    },
}


def build(tmp_path, recipe: dict, name: str = "probe.apk"):
    data = Factory({recipe["id"]: recipe}, sign=False).apk(recipe["id"])
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.fixture(scope="module")
def probe(tmp_path_factory):
    path = build(tmp_path_factory.mktemp("probe"), PROBE)
    arc = open_archive(path)
    yield arc, extract_facts(arc)
    arc.close()


def component(facts, name):
    return next(c for c in facts.components if c.name == name)


def test_identity_versions_sdks_labels(probe):
    _arc, facts = probe
    assert (facts.package, facts.version_code, facts.version_name) == ("org.example.probe", 7, "7.0")
    assert (facts.min_sdk, facts.target_sdk, facts.max_sdk) == (21, 30, None)
    assert facts.label == "Probe"
    assert dict(facts.labels) == PROBE["labels"]
    assert facts.manifest_problems == ()


def test_permissions_declared_permissions_queries(probe):
    _arc, facts = probe
    assert facts.permissions == ("android.permission.RECEIVE_SMS", "android.permission.INTERNET")
    assert [dict(p) for p in facts.declared_permissions] == [
        {"name": "org.example.probe.C2D", "protectionLevel": "signature"},
        {"name": "org.example.probe.OPEN", "protectionLevel": "dangerous"},
    ]
    assert facts.queries == ("com.vnid", "com.bank.app")


def test_components_follow_androids_defaults(probe):
    _arc, facts = probe
    pkg = PROBE["package"]
    assert [c.name for c in facts.components] == [full_class_name(pkg, c["name"]) for c in PROBE["components"]]
    main = component(facts, f"{pkg}.Main")
    assert main.enabled is False and main.exported is True and main.exported_explicit is None  # filter, target 30
    alias = component(facts, f"{pkg}.Alias")
    assert alias.kind == "activity-alias" and alias.attributes["targetActivity"] == f"{pkg}.Main"
    assert facts.launcher_activity == f"{pkg}.Alias"  # the disabled activity is not the launcher
    # the home screen shows the launcher's own label, not the application's
    assert facts.application["launcher_labels"] == {"": "VNeID", "vi": "VNeID Việt Nam"}
    assert alias.attributes["label"] == "VNeID"
    deep = component(facts, "org.example.other.Deep")
    assert deep.intent_filters[0].data == ({"scheme": "vneid", "host": "login"},)
    assert deep.intent_filters[0].categories == ("android.intent.category.BROWSABLE",)
    acc = component(facts, f"{pkg}.Acc")
    assert acc.exported is False and acc.permission == "android.permission.BIND_ACCESSIBILITY_SERVICE"
    assert acc.meta_data == {"android.accessibilityservice": "@xml/acc"}
    rec = component(facts, f"{pkg}.Rec")  # "Rec" without a dot gets the package too
    assert rec.attributes["foregroundServiceType"] == "dataSync|mediaProjection"
    assert rec.exported is False and rec.permission == "org.example.probe.C2D"  # inherited from <application>
    sms = component(facts, f"{pkg}.Sms")
    assert sms.exported is True and sms.exported_explicit is None
    assert sms.intent_filters[0].actions == (SMS_RECEIVED,) and sms.intent_filters[0].priority == 999
    files = component(facts, f"{pkg}.Files")
    assert files.kind == "provider" and files.exported is False  # providers: exported only below API 17
    assert files.attributes["authorities"] == "org.example.probe.files"


def test_application_attributes_and_resource_files(probe):
    arc, facts = probe
    app = facts.application
    assert app["name"] == "org.example.probe.App"
    assert (app["debuggable"], app["allowBackup"], app["usesCleartextTraffic"]) == (True, False, True)
    assert app["permission"] == "org.example.probe.C2D"
    assert app["networkSecurityConfig"] == "res/xml/network_security_config.xml"
    assert app["meta_data"] == {"channel": "sideload", "build": "42"}
    assert facts.resource_files == {
        "@xml/acc": "res/xml/acc.xml",
        "@xml/admin": "res/xml/admin.xml",
        "@xml/network_security_config": "res/xml/network_security_config.xml",
    }
    for entry in facts.resource_files.values():
        assert arc.entry(entry) is not None
    assert facts.icon_path == "res/mipmap-xxhdpi-v4/ic_launcher.png" and arc.entry(facts.icon_path)
    assert app["icon"] == facts.icon_path
    assert 'android:name="org.example.probe.Alias"' in facts.manifest_xml
    assert "<queries>" in facts.manifest_xml and "@xml/acc" in facts.manifest_xml


def test_xml_resources_for_analyzers(probe):
    arc, facts = probe
    acc = parse_xml_resource(arc, facts.resource_files["@xml/acc"])
    assert acc.tag == "accessibility-service"
    assert acc.get(ANDROID + "canRetrieveWindowContent") == "true"
    assert acc.get(ANDROID + "canPerformGestures") == "true"
    assert int(acc.get(ANDROID + "accessibilityEventTypes"), 16) == 0xFFFFFFFF
    assert acc.get(ANDROID + "packageNames") == "com.vnid,com.bank.app"  # @string reference resolved
    admin = parse_xml_resource(arc, facts.resource_files["@xml/admin"])
    assert [p.tag for p in admin.find("uses-policies")] == ["force-lock", "wipe-data", "reset-password"]
    nsc = parse_xml_resource(arc, facts.application["networkSecurityConfig"])
    assert [c.get("src") for c in nsc.iter("certificates")] == ["system", "user"]
    assert [d.text for d in nsc.iter("domain")] == ["c2.example"]
    assert parse_xml_resource(arc, "res/xml/absent.xml") is None
    assert parse_xml_resource(arc, "classes.dex") is None  # not binary XML: refused, not raised


@pytest.mark.parametrize("target, exported_sms, exported_provider, problem", [
    (16, True, True, False),  # old apps: providers exported by default
    (31, False, False, True),  # API 31+: intent filters no longer export; Android 12 refuses the omission
])
def test_exported_defaults_depend_on_target_sdk(tmp_path, target, exported_sms, exported_provider, problem):
    recipe = copy.deepcopy(PROBE)
    recipe["target_sdk"] = target
    recipe["min_sdk"] = min(target, 16)
    with open_archive(build(tmp_path, recipe)) as arc:
        facts = extract_facts(arc)
    pkg = PROBE["package"]
    assert component(facts, f"{pkg}.Sms").exported is exported_sms
    assert component(facts, f"{pkg}.Files").exported is exported_provider
    assert any(p.startswith("MANIFEST_EXPORTED_MISSING") and f"{pkg}.Sms" in p
               for p in facts.manifest_problems) is problem


def test_raw_label_utf8_pool_and_no_launcher(tmp_path):
    recipe = copy.deepcopy(PROBE)
    recipe.update(label_literal=True, axml_utf8=True)
    recipe["components"] = [c for c in recipe["components"] if c["kind"] != "activity-alias"]
    with open_archive(build(tmp_path, recipe)) as arc:
        facts = extract_facts(arc)
    assert facts.labels == {"": "Probe"} and facts.label == "Probe"  # the manifest carries the text itself
    assert facts.launcher_activity is None  # the only launcher activity is disabled: a hidden icon
    assert facts.permissions == ("android.permission.RECEIVE_SMS", "android.permission.INTERNET")


def test_adaptive_icon_xml_leads_to_the_foreground_bitmap(tmp_path):
    """An icon with only an anydpi <adaptive-icon>: the bitmap is its foreground drawable."""
    from apkscan.samples.arsc import ResourceTable
    from apkscan.samples.axml import Element, encode_xml
    from apkscan.samples.png import icon_png
    from apkscan.samples.zipwriter import default_entry, write_zip

    table = ResourceTable("org.example.adaptive")
    table.add_string("app_name", {"": "Adaptive"})
    table.add_file("mipmap", "ic_launcher", {"anydpi-v26": "res/mipmap-anydpi-v26/ic_launcher.xml"})
    table.add_file("drawable", "ic_fg", {"mdpi": "res/drawable-mdpi/ic_fg.png", "xxxhdpi": "res/drawable-xxxhdpi/ic_fg.png"})
    table.add_file("drawable", "ic_bg", {"": "res/drawable/ic_bg.xml"})
    adaptive = Element("adaptive-icon", {}, [Element("background", {"android:drawable": "@drawable/ic_bg"}),
                                             Element("foreground", {"android:drawable": "@drawable/ic_fg"})])
    manifest = Element("manifest", {"package": "org.example.adaptive"}, [
        Element("application", {"android:label": "@string/app_name", "android:icon": "@mipmap/ic_launcher"})])
    entries = [
        default_entry("AndroidManifest.xml", encode_xml(manifest, table.id_of)),
        default_entry("res/mipmap-anydpi-v26/ic_launcher.xml", encode_xml(adaptive, table.id_of, utf8=True)),
        default_entry("res/drawable-mdpi/ic_fg.png", icon_png("fg", None, 48)),
        default_entry("res/drawable-xxxhdpi/ic_fg.png", icon_png("fg", None, 192)),
        default_entry("res/drawable/ic_bg.xml", encode_xml(Element("vector", {}), table.id_of)),
        default_entry("resources.arsc", table.encode()),
    ]
    path = tmp_path / "adaptive.apk"
    path.write_bytes(write_zip(entries))
    with open_archive(path) as arc:
        facts = extract_facts(arc)
    assert facts.label == "Adaptive"
    assert facts.icon_path == "res/drawable-xxxhdpi/ic_fg.png"
    assert facts.min_sdk is None and facts.target_sdk is None  # no <uses-sdk>: not declared


def test_every_factory_recipe_reads_back(tmp_path):
    factory = Factory(sign=False)
    checked = 0
    for rid in buildable_ids(factory.recipes):
        recipe = factory.recipes[rid]
        if recipe.get("split"):
            continue
        path = tmp_path / f"{rid}.apk"
        path.write_bytes(factory.apk(rid))
        with open_archive(path) as arc:
            facts = extract_facts(arc)
        pkg = recipe["package"]
        assert facts.package == pkg, rid
        assert facts.manifest_problems == (), rid
        if recipe.get("labels") and not recipe.get("label_literal"):
            # recipes use resource qualifiers ("zh-rTW"), facts use locale tags as aapt prints them ("zh-TW")
            assert facts.labels == {k.replace("-r", "-"): v for k, v in recipe["labels"].items()}, rid
        expected_perms = list(dict.fromkeys(p if isinstance(p, str) else p["name"] for p in recipe.get("permissions", [])))
        assert list(facts.permissions) == expected_perms, rid
        names = [full_class_name(pkg, c["name"]) for c in recipe.get("components", [])]
        assert [c.name for c in facts.components] == names, rid
        app_permission = recipe.get("application", {}).get("attrs", {}).get("android:permission")
        for spec, comp in zip(recipe.get("components", []), facts.components):
            if "exported" in spec:
                assert comp.exported is bool(spec["exported"]), (rid, comp.name)
            assert comp.permission == (spec.get("permission") or app_permission), (rid, comp.name)
        launchers = [full_class_name(pkg, c["name"]) for c in recipe.get("components", [])
                     if c.get("launcher") and c.get("enabled", True)]
        assert facts.launcher_activity == (launchers[0] if launchers else None), rid
        if recipe.get("icon"):
            assert facts.icon_path == "res/mipmap-xxhdpi-v4/ic_launcher.png", rid
        checked += 1
    assert checked >= 15
