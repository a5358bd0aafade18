"""<application> children -> model.Component, with Android's exported defaults.

Rules from AOSP ``ParsingPackageUtils`` / ``ParsedActivityUtils`` / ``ParsedProviderUtils``:
class names are completed with the package (``.Main`` and ``Main`` both become
``pkg.Main``); a component without android:permission takes the application's; exported
defaults to "has an intent filter" for activities, services and receivers (apps targeting
API 31+ must say it explicitly, Android 12 refuses to install them otherwise) and to
"targetSdk < 17" for providers.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from apkscan.manifest.attrs import AttrView
from apkscan.manifest.binxml import XmlElement
from apkscan.manifest.problems import ProblemLog
from apkscan.manifest.resources import Resolver
from apkscan.manifest.values import Values
from apkscan.model import Component, IntentFilter

COMPONENT_TAGS = ("activity", "activity-alias", "service", "receiver", "provider")
_OWN = {"name", "exported", "permission", "enabled"}
S_API = 31  # Build.VERSION_CODES.S
JB_MR1_API = 17  # providers stopped being exported by default


def build_class_name(package: str, name: str | None) -> str | None:
    """ParsingUtils.buildClassName."""
    if not name:
        return None
    if name.startswith("."):
        return package + name
    if "." not in name:
        return f"{package}.{name}"
    return name


@dataclass
class ComponentContext:
    package: str
    target_sdk: int  # effective
    values: Values
    resolver: Resolver
    log: ProblemLog
    app_permission: str | None = None
    resource_files: dict[str, str] = field(default_factory=dict)


def read_meta_data(parent: XmlElement, ctx: ComponentContext) -> dict[str, str]:
    out: dict[str, str] = {}
    for el in parent.children:
        if el.name != "meta-data":
            continue
        view = AttrView(el, ctx.log)
        name = ctx.values.text(view.get("name"))
        if not name or name in out:
            continue
        resource = view.get("resource")
        if resource is not None:
            ref = ctx.values.ref_name(resource)
            if ref is not None:
                path = ctx.resolver.default_file(resource.vdata)
                if path:
                    ctx.resource_files.setdefault(ref, path)
                out[name] = ref
                continue
            value = ctx.values.python(resource)
        else:
            attr = view.get("value")
            value = ctx.values.python(attr) if attr is not None else None
        if value is None:
            value = ""
        out[name] = str(value).lower() if isinstance(value, bool) else str(value)
        if len(out) >= 256:
            break
    return out


def read_intent_filter(el: XmlElement, ctx: ComponentContext) -> IntentFilter:
    actions: list[str] = []
    categories: list[str] = []
    data: list[dict[str, str]] = []
    view = AttrView(el, ctx.log)
    priority = ctx.values.integer(view.get("priority"))
    for child in el.children[:1024]:
        cview = AttrView(child, ctx.log)
        if child.name in ("action", "category"):
            name = ctx.values.text(cview.get("name"))
            if name is not None:
                (actions if child.name == "action" else categories).append(name)
        elif child.name == "data":
            entry = {key: str(ctx.values.python(attr)) for key, attr in cview.visible()}
            if entry:
                data.append(entry)
    return IntentFilter(tuple(actions), tuple(categories), tuple(data), priority)


def read_component(el: XmlElement, ctx: ComponentContext) -> Component | None:
    kind = el.name or ""
    view = AttrView(el, ctx.log)
    name_attr = view.get("name")
    if name_attr is None and view.get_lenient("name") is not None:
        name_attr = view.get_lenient("name")
    name = build_class_name(ctx.package, ctx.values.text(name_attr))
    if not name:
        ctx.log.add("MANIFEST_COMPONENT_NO_NAME", f"<{kind}> at 0x{el.offset:x} has no android:name; Android refuses the package")
        return None
    filters = tuple(read_intent_filter(child, ctx) for child in el.children if child.name == "intent-filter")
    explicit = ctx.values.boolean(view.get("exported"))
    if explicit is not None:
        exported = explicit
    elif kind == "provider":
        exported = ctx.target_sdk < JB_MR1_API
    else:
        exported = bool(filters) and ctx.target_sdk < S_API
        if filters and ctx.target_sdk >= S_API:
            ctx.log.add("MANIFEST_EXPORTED_MISSING",
                        f"<{kind} {name}> has intent filters but no android:exported while targeting API "
                        f"{ctx.target_sdk}: Android 12+ refuses to install it, older Android exports it")
    permission = ctx.values.text(view.get("permission")) or ctx.app_permission
    enabled = ctx.values.boolean(view.get("enabled"))
    attributes: dict[str, Any] = {}
    for key, attr in view.visible():
        if key in _OWN:
            continue
        value = ctx.values.python(attr)
        if key == "targetActivity" and isinstance(value, str):
            value = build_class_name(ctx.package, value)
        attributes[key] = value
    return Component(
        kind=kind,
        name=name,
        exported=exported,
        exported_explicit=explicit,
        permission=permission,
        enabled=True if enabled is None else enabled,
        intent_filters=filters,
        attributes=attributes,
        meta_data=read_meta_data(el, ctx),
    )


def is_launcher(component: Component) -> bool:
    return component.kind in ("activity", "activity-alias") and any(
        "android.intent.action.MAIN" in f.actions and "android.intent.category.LAUNCHER" in f.categories
        for f in component.intent_filters)
