"""Decoded AndroidManifest.xml (+ resources) -> model.AppFacts.

Structure as AOSP ``ParsingPackageUtils`` reads it: the first start tag must be <manifest>
with a valid ``package``; <uses-sdk>, <uses-permission*>, <permission>, <queries> and the FIRST
<application> are direct children of <manifest> (Android skips a second <application>, and
components anywhere else); components are direct children of <application>.
"""
from __future__ import annotations

from typing import Any

from apkscan.manifest.attrs import AttrView, raw_string
from apkscan.manifest.binxml import XmlDocument, XmlElement
from apkscan.manifest.components import (
    COMPONENT_TAGS,
    ComponentContext,
    build_class_name,
    is_launcher,
    read_component,
    read_meta_data,
)
from apkscan.manifest.icon import pick_icon
from apkscan.manifest.problems import BinaryXmlRejected, ProblemLog
from apkscan.manifest.render import to_element, to_text
from apkscan.manifest.resources import Resolver
from apkscan.manifest.restypes import (
    TYPE_DYNAMIC_REFERENCE,
    TYPE_REFERENCE,
    TYPE_STRING,
)
from apkscan.manifest.values import Values
from apkscan.model import AppFacts, Component

PERMISSION_TAGS = ("uses-permission", "uses-permission-sdk-23", "uses-permission-sdk-m")
CUR_DEVELOPMENT = 10000  # Build.VERSION_CODES.CUR_DEVELOPMENT, what a codename SDK means


def validate_package_name(name: str) -> str | None:
    """ApkLiteParseUtils.validateName(name, requireSeparator=true, requireFilename=true)."""
    has_sep = False
    front = True
    for c in name:
        if "a" <= c <= "z" or "A" <= c <= "Z":
            front = False
            continue
        if not front and ("0" <= c <= "9" or c == "_"):
            continue
        if c == ".":
            has_sep = True
            front = True
            continue
        return f"bad character {c!r}"
    if len(name.encode("utf-8")) > 255:
        return "longer than a file name may be"
    return None if has_sep else "must have at least one '.' separator"


def _sdk(values: Values, attr) -> int | None:
    if attr is None:
        return None
    if attr.vtype == TYPE_STRING:
        text = values.text(attr)
        if text is not None and text.strip().isdigit():
            return int(text.strip())
        return CUR_DEVELOPMENT if text else None  # a codename: a preview SDK
    return values.integer(attr)


class FactsBuilder:
    def __init__(self, archive, doc: XmlDocument, resolver: Resolver, log: ProblemLog) -> None:
        self.archive = archive
        self.doc = doc
        self.resolver = resolver
        self.log = log
        self.values = Values(doc.strings, resolver)
        self.resource_files: dict[str, str] = {}

    def build(self) -> AppFacts:
        root = self.doc.root
        if root.name != "manifest":
            raise BinaryXmlRejected(f"the root element is <{root.name}>, not <manifest> (Android: \"No <manifest> tag\")")
        manifest = AttrView(root, self.log)
        package_attr = manifest.plain_attr("package")
        package = raw_string(package_attr, self.doc.strings) if package_attr is not None else None
        if not package:
            raise BinaryXmlRejected("<manifest> has no package attribute (Android: \"<manifest> does not specify package\")")
        if package != "android":
            why = validate_package_name(package)
            if why:
                raise BinaryXmlRejected(f"invalid manifest package {package!r}: {why}")
        version_code = self.values.integer(manifest.get("versionCode"))
        major = self.values.integer(manifest.get("versionCodeMajor"))
        if major and version_code is not None:
            version_code = (major << 32) | (version_code & 0xFFFFFFFF)
        version_name = self.values.text(manifest.get("versionName"))

        min_sdk = target_sdk = max_sdk = None
        permissions: list[str] = []
        declared: list[dict[str, Any]] = []
        queries: list[str] = []
        application: XmlElement | None = None
        for el in root.children:
            tag = el.name
            if tag == "uses-sdk":
                view = AttrView(el, self.log)
                min_sdk = _sdk(self.values, view.get("minSdkVersion")) if view.get("minSdkVersion") else min_sdk
                target_sdk = _sdk(self.values, view.get("targetSdkVersion")) if view.get("targetSdkVersion") else target_sdk
                max_sdk = _sdk(self.values, view.get("maxSdkVersion")) if view.get("maxSdkVersion") else max_sdk
            elif tag in PERMISSION_TAGS:
                name = self.values.text(AttrView(el, self.log).get("name"))
                if name and name not in permissions:
                    permissions.append(name)
            elif tag == "permission":
                declared.append(self._declared_permission(el))
            elif tag == "queries":
                for child in el.children:
                    if child.name == "package":
                        name = self.values.text(AttrView(child, self.log).get("name"))
                        if name and name not in queries:
                            queries.append(name)
            elif tag == "application":
                if application is None:
                    application = el
                else:
                    self.log.add("MANIFEST_SECOND_APPLICATION",
                                 f"a second <application> at 0x{el.offset:x} is ignored by Android (with its {len(el.children)} children)")
        effective_target = target_sdk if target_sdk is not None else (min_sdk if min_sdk is not None else 1)

        app_info: dict[str, Any] = {}
        components: list[Component] = []
        labels: dict[str, str] = {}
        icon_attr = None
        launcher: Component | None = None
        if application is not None:
            app_view = AttrView(application, self.log)
            ctx = ComponentContext(package, effective_target, self.values, self.resolver, self.log,
                                   app_permission=self.values.text(app_view.get("permission")),
                                   resource_files=self.resource_files)
            app_enabled = self.values.boolean(app_view.get("enabled")) is not False
            for child in application.children:
                if child.name in COMPONENT_TAGS:
                    component = read_component(child, ctx)
                    if component is not None:
                        components.append(component)
            app_info = self._application(app_view, package)
            app_info["meta_data"] = read_meta_data(application, ctx)
            label_attr = app_view.get("label")
            if label_attr is not None:
                labels = self.resolver.localized(label_attr.vtype, label_attr.vdata, self.doc.strings)
                if not labels and label_attr.vtype in (TYPE_REFERENCE, TYPE_DYNAMIC_REFERENCE):
                    self.log.add("ARSC_UNRESOLVED", f"application label {self.resolver.ref_name(label_attr.vdata)} cannot be resolved")
            if app_enabled:
                launcher = next((c for c in components if c.enabled and is_launcher(c)), None)
            launcher_view = self._launcher_view(application, launcher, package)
            icon_attr = (launcher_view.get("icon") if launcher_view else None) or app_view.get("icon") or app_view.get("roundIcon")
            launcher_label = launcher_view.get("label") if launcher_view else None
            if launcher_label is not None:  # what the home screen shows under the icon, per locale
                app_info["launcher_labels"] = self.resolver.localized(launcher_label.vtype, launcher_label.vdata,
                                                                      self.doc.strings)
        icon_path, icon_xml = (None, None)
        if icon_attr is not None and icon_attr.vtype in (TYPE_REFERENCE, TYPE_DYNAMIC_REFERENCE):
            icon_path, icon_xml = pick_icon(self.archive, self.resolver, icon_attr.vdata)
        if application is not None and "icon" in app_info:
            app_info["icon"] = icon_path or icon_xml or app_info["icon"]
        label = labels.get("") if "" in labels else (labels.get("vi") or next(iter(labels.values()), None))
        if application is not None:
            app_info["label"] = label
        manifest_xml = self._manifest_text()
        self.doc.report_bad_strings()
        return AppFacts(
            package=package,
            label=label,
            labels=labels,
            version_code=version_code,
            version_name=version_name,
            min_sdk=min_sdk,
            target_sdk=target_sdk,
            max_sdk=max_sdk,
            permissions=tuple(permissions),
            declared_permissions=tuple(declared),
            components=tuple(components),
            launcher_activity=launcher.name if launcher else None,
            application=app_info,
            queries=tuple(queries),
            icon_path=icon_path,
            resource_files=dict(self.resource_files),
            manifest_xml=manifest_xml,
            manifest_problems=self.log.rendered(),
        )

    def _declared_permission(self, el: XmlElement) -> dict[str, Any]:
        view = AttrView(el, self.log)
        entry: dict[str, Any] = {"name": self.values.text(view.get("name"))}
        level = view.get("protectionLevel")
        entry["protectionLevel"] = self.values.python(level) if level is not None else "normal"
        group = view.get("permissionGroup")
        if group is not None:
            entry["permissionGroup"] = self.values.text(group)
        return entry

    def _application(self, view: AttrView, package: str) -> dict[str, Any]:
        info: dict[str, Any] = {}
        for key, attr in view.visible():
            if key == "networkSecurityConfig":
                ref = self.values.ref_name(attr)
                path = self.resolver.default_file(attr.vdata) if ref else None
                if ref and path:
                    self.resource_files.setdefault(ref, path)
                info[key] = path or ref
            elif key in ("name", "backupAgent", "manageSpaceActivity", "appComponentFactory"):
                info[key] = build_class_name(package, self.values.text(attr))
            else:
                info[key] = self.values.python(attr)
        return info

    def _launcher_view(self, application: XmlElement, launcher: Component | None, package: str) -> AttrView | None:
        """Attributes of the launcher activity's element (its own icon and label win on the home screen)."""
        if launcher is None:
            return None
        for child in application.children:
            if child.name in ("activity", "activity-alias"):
                view = AttrView(child, ProblemLog())  # its problems were recorded when it was read
                if build_class_name(package, self.values.text(view.get_lenient("name"))) == launcher.name:
                    return view
        return None

    def _manifest_text(self) -> str | None:
        try:
            return to_text(to_element(self.doc, self.resolver))
        except Exception as exc:  # noqa: BLE001 - the text is for people and YARA; facts stand without it
            self.log.add("AXML_RENDER_FAILED", f"manifest could not be rendered as text: {exc}")
            return None
