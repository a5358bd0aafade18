"""Recipe (plain dict) -> AndroidManifest.xml element tree, and JSON element trees -> res/xml trees.

Element and attribute names follow https://developer.android.com/guide/topics/manifest/manifest-intro;
components whose name starts with "." are relative to the package, as aapt writes them out in full.
"""
from __future__ import annotations

from typing import Any

from apkscan.samples.android_attrs import FOREGROUND_SERVICE_TYPES, PROTECTION_LEVELS
from apkscan.samples.axml import Element, Hex, Value

COMPONENT_TAGS = ("activity", "activity-alias", "service", "receiver", "provider")


def full_class_name(package: str, name: str) -> str:
    if name.startswith("."):
        return package + name
    if "." not in name:
        return f"{package}.{name}"
    return name


def json_value(v: Any) -> Value:
    """JSON attribute values: str, bool, int, {"hex": n}; "@type/name" strings become references."""
    if isinstance(v, (str, bool, int)):
        return v
    if isinstance(v, dict) and set(v) == {"hex"}:
        return Hex(int(v["hex"]))
    raise ValueError(f"unsupported attribute value in recipe: {v!r}")


def element_from_json(node: dict) -> Element:
    """``{"tag": ..., "attrs": {...}, "children": [...]}`` -> Element."""
    return Element(node["tag"], {k: json_value(v) for k, v in node.get("attrs", {}).items()},
                   [element_from_json(c) for c in node.get("children", [])], node.get("text"))


def _intent_filter(f: dict) -> Element:
    attrs: dict[str, Value] = {}
    if f.get("priority") is not None:
        attrs["android:priority"] = int(f["priority"])
    children = [Element("action", {"android:name": a}) for a in f.get("actions", [])]
    children += [Element("category", {"android:name": c}) for c in f.get("categories", [])]
    children += [Element("data", {f"android:{k}": v for k, v in d.items()}) for d in f.get("data", [])]
    return Element("intent-filter", attrs, children)


def _meta_data(m: dict) -> Element:
    attrs: dict[str, Value] = {"android:name": m["name"]}
    if "resource" in m:
        attrs["android:resource"] = m["resource"]
    else:
        attrs["android:value"] = json_value(m["value"])
    return Element("meta-data", attrs)


def _component(package: str, c: dict) -> Element:
    kind = c["kind"]
    if kind not in COMPONENT_TAGS:
        raise ValueError(f"unknown component kind {kind!r}")
    attrs: dict[str, Value] = {"android:name": full_class_name(package, c["name"])}
    if kind == "activity-alias":
        attrs["android:targetActivity"] = full_class_name(package, c["target"])
    if "exported" in c:
        attrs["android:exported"] = bool(c["exported"])
    if c.get("permission"):
        attrs["android:permission"] = c["permission"]
    if "enabled" in c:
        attrs["android:enabled"] = bool(c["enabled"])
    if c.get("label"):
        attrs["android:label"] = c["label"]
    if c.get("foreground_service_type"):
        mask = 0
        for t in c["foreground_service_type"].split("|"):
            mask |= FOREGROUND_SERVICE_TYPES[t]
        attrs["android:foregroundServiceType"] = Hex(mask)
    for k, v in c.get("attrs", {}).items():
        attrs[k] = json_value(v)
    children = []
    if c.get("launcher"):
        children.append(_intent_filter({"actions": ["android.intent.action.MAIN"],
                                         "categories": ["android.intent.category.LAUNCHER"]}))
    children += [_intent_filter(f) for f in c.get("intent_filters", [])]
    children += [_meta_data(m) for m in c.get("meta_data", [])]
    return Element(kind, attrs, children)


def manifest_tree(r: dict, label_ref: str | None, icon_ref: str | None) -> Element:
    package = r["package"]
    root_attrs: dict[str, Value] = {
        "android:versionCode": int(r.get("version_code", 1)),
        "android:versionName": str(r.get("version_name", "1.0")),
        "package": package,
    }
    if r.get("compile_sdk"):
        root_attrs["android:compileSdkVersion"] = int(r["compile_sdk"])
        root_attrs["platformBuildVersionCode"] = int(r["compile_sdk"])
    if r.get("split"):
        root_attrs["split"] = r["split"]
        root_attrs["configForSplit"] = ""
    children = []
    sdk: dict[str, Value] = {}
    if r.get("min_sdk"):
        sdk["android:minSdkVersion"] = int(r["min_sdk"])
    if r.get("target_sdk"):
        sdk["android:targetSdkVersion"] = int(r["target_sdk"])
    if sdk:
        children.append(Element("uses-sdk", sdk))
    for p in r.get("permissions", []):
        if isinstance(p, str):
            children.append(Element("uses-permission", {"android:name": p}))
        else:
            attrs: dict[str, Value] = {"android:name": p["name"]}
            if "max_sdk" in p:
                attrs["android:maxSdkVersion"] = int(p["max_sdk"])
            children.append(Element("uses-permission", attrs))
    for p in r.get("declared_permissions", []):
        children.append(Element("permission", {"android:name": p["name"], "android:protectionLevel":
                                                Hex(PROTECTION_LEVELS[p.get("protection_level", "normal")])}))
    if r.get("queries"):
        children.append(Element("queries", {}, [Element("package", {"android:name": q}) for q in r["queries"]]))

    app = r.get("application", {})
    app_attrs: dict[str, Value] = {}
    if label_ref is not None:
        app_attrs["android:label"] = label_ref
    if icon_ref is not None:
        app_attrs["android:icon"] = icon_ref
        app_attrs["android:roundIcon"] = icon_ref
    if app.get("name"):
        app_attrs["android:name"] = full_class_name(package, app["name"])
    for key in ("allowBackup", "debuggable", "usesCleartextTraffic", "extractNativeLibs", "hasCode",
                "supportsRtl"):
        if key in app:
            app_attrs[f"android:{key}"] = bool(app[key])
    if app.get("network_security_config"):
        app_attrs["android:networkSecurityConfig"] = "@xml/network_security_config"
    for k, v in app.get("attrs", {}).items():
        app_attrs[k] = json_value(v)
    comps = [_component(package, c) for c in r.get("components", [])]
    comps += [_meta_data(m) for m in app.get("meta_data", [])]
    children.append(Element("application", app_attrs, comps))
    return Element("manifest", root_attrs, children)


def network_security_config_tree(cfg: dict) -> Element:
    """``{"cleartext": bool, "trust_user_cas": bool, "domains": [...]}`` -> <network-security-config>
    (https://developer.android.com/privacy-and-security/security-config)."""
    anchors = [Element("certificates", {"src": "system"})]
    if cfg.get("trust_user_cas"):
        anchors.append(Element("certificates", {"src": "user"}))
    base = Element("base-config", {"cleartextTrafficPermitted": "true" if cfg.get("cleartext") else "false"},
                   [Element("trust-anchors", {}, anchors)])
    children = [base]
    if cfg.get("domains"):
        children.append(Element("domain-config", {"cleartextTrafficPermitted": "true"},
                                [Element("domain", {"includeSubdomains": "true"}, text=d) for d in cfg["domains"]]))
    return Element("network-security-config", {}, children)
