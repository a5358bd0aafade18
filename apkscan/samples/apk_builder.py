"""One resolved recipe -> the unsigned APK (ZIP bytes).

Pieces: resources.arsc (labels with default + per-locale values, icon, drawables, res/xml files),
the binary manifest referencing them, classes*.dex (recipe classes + one class per declared
component, so the manifest never names a class the DEX lacks), lib/<abi>/*.so, assets (text,
bytes, or a whole nested APK built from another recipe), launcher icons.

Split APKs (``"split": "config.xxhdpi"``) reuse the same recipe: ``keep_qualifiers`` limits which
resource configurations carry values (every name is still declared, so resource ids match the
base APK's), and ``hasCode: false`` leaves DEX out, as bundletool's config splits do.
"""
from __future__ import annotations

import base64
import functools
import hashlib
import math
import random
from collections.abc import Callable

from apkscan.samples.arsc import ResourceTable
from apkscan.samples.axml import encode_xml
from apkscan.samples.dex import DexClass, build_dex, descriptor
from apkscan.samples.elf import ElfSpec, build_elf
from apkscan.samples.manifest_writer import (
    element_from_json,
    full_class_name,
    manifest_tree,
    network_security_config_tree,
)
from apkscan.samples.png import icon_png, noise_png
from apkscan.samples.zipwriter import ZipEntry, default_entry, write_zip

ICON_SIZES = {"mdpi-v4": 48, "xxhdpi-v4": 144}
DEX_FILE_MAX = 8 * 1024 * 1024  # bulk code is spread over classesN.dex files of at most this

# Framework base classes of manifest components, chosen by the binding permission or the kind.
BASE_BY_PERMISSION = {
    "android.permission.BIND_ACCESSIBILITY_SERVICE": "android.accessibilityservice.AccessibilityService",
    "android.permission.BIND_NOTIFICATION_LISTENER_SERVICE": "android.service.notification.NotificationListenerService",
    "android.permission.BIND_DEVICE_ADMIN": "android.app.admin.DeviceAdminReceiver",
}
BASE_BY_KIND = {
    "activity": "android.app.Activity",
    "service": "android.app.Service",
    "receiver": "android.content.BroadcastReceiver",
    "provider": "android.content.ContentProvider",
}

NestedApk = Callable[[str], bytes]  # recipe id -> signed APK bytes

_WORDS = (b"data", b"config", b"user", b"value", b"token", b"index", b"item", b"layout", b"theme", b"account",
          b"session", b"request", b"response", b"cache", b"image", b"text", b"state", b"event", b"view", b"model")
_VOCAB = [w + b"_" + str(i).encode() + b" " for w in _WORDS for i in range(100)]


_SOUP_SIZE = 1 << 20


@functools.lru_cache(maxsize=1)
def word_soup() -> bytes:
    """1 MiB of words from a 2,000-word vocabulary: text that deflates about 3.5x."""
    rng = random.Random(b"apkscan word soup")
    return b"".join(rng.choices(_VOCAB, k=_SOUP_SIZE // 8 + 8))[:_SOUP_SIZE]


def soup_slice(rng: random.Random, n: int) -> bytes:
    soup, parts = word_soup(), []
    while n > 0:
        k = min(n, 64 * 1024)
        start = rng.randrange(0, len(soup) - k)
        parts.append(soup[start:start + k])
        n -= k
    return b"".join(parts)


def seeded_bytes(seed: str, n: int, compressible: float = 0.0) -> bytes:
    """Deterministic filler: ``compressible`` of it is word soup, the rest random bytes."""
    rng = random.Random(hashlib.sha256(seed.encode()).digest())
    n_text = int(n * compressible)
    return soup_slice(rng, n_text) + rng.randbytes(n - n_text)


def icon_spec(recipe: dict, recipes: dict[str, dict]) -> dict | None:
    """The recipe's icon, following ``copy_of`` to the recipe whose icon it copies."""
    spec = recipe.get("icon")
    seen = set()
    while spec and "copy_of" in spec:
        src = spec["copy_of"]
        if src in seen or src not in recipes:
            raise ValueError(f"{recipe.get('id')}: bad icon copy_of {src!r}")
        seen.add(src)
        perturb = spec.get("perturb", 0)
        spec = dict(recipes[src].get("icon") or {})
        if perturb:
            spec["perturb"] = perturb
    return spec


def _dex_files(r: dict) -> list[tuple[str, bytes]]:
    package = r["package"]
    specs = list(r.get("dex") or [{}])
    declared = set()
    groups: list[list[DexClass]] = []
    for spec in specs:
        group = []
        for c in spec.get("classes", []):
            name = full_class_name(package, c["name"])
            declared.add(descriptor(name))
            payload = seeded_bytes(f"{r['id']}:{name}", c["payload_bytes"]) if c.get("payload_bytes") else b""
            group.append(DexClass(name, c.get("super", "java.lang.Object"), tuple(c.get("strings", [])), payload))
        groups.append(group)
    implied = []
    app = r.get("application", {})
    if app.get("name"):
        implied.append((full_class_name(package, app["name"]), "android.app.Application"))
    for comp in r.get("components", []):
        if comp["kind"] == "activity-alias":
            continue
        base = BASE_BY_PERMISSION.get(comp.get("permission", ""), BASE_BY_KIND[comp["kind"]])
        implied.append((full_class_name(package, comp["name"]), comp.get("super", base)))
    for name, base in implied:
        if descriptor(name) not in declared:
            declared.add(descriptor(name))
            groups[0].append(DexClass(name, base))
    dex_bytes = int(r.get("bulk", {}).get("dex_bytes", 0))
    if dex_bytes:
        from apkscan.samples.bulk import bulk_dex_groups

        n_files = max(1, math.ceil(dex_bytes / DEX_FILE_MAX))
        for i, extra in enumerate(bulk_dex_groups(f"{r['id']}:dex", package, dex_bytes, n_files)):
            if i >= len(groups):
                groups.append([])
                specs.append({})
            groups[i].extend(extra)
    out = []
    for i, (spec, group) in enumerate(zip(specs, groups)):
        entry = "classes.dex" if i == 0 else f"classes{i + 1}.dex"
        out.append((entry, build_dex(group, tuple(spec.get("strings", [])), spec.get("version", "035"))))
    return out


def _asset_bytes(r: dict, a: dict, nested: NestedApk) -> bytes:
    if "text" in a:
        return a["text"].encode("utf-8")
    if "apk" in a:
        return nested(a["apk"])
    if "base64" in a:
        return base64.b64decode(a["base64"])
    if "random_bytes" in a:
        return seeded_bytes(f"{r['id']}:{a['path']}", int(a["random_bytes"]), a.get("compressible", 0.0))
    raise ValueError(f"{r.get('id')}: asset {a.get('path')} has no content")


class _Resources:
    """The resource table plus the res/ files, limited to the kept configurations."""

    def __init__(self, package: str, keep: set[str] | None):
        self.table = ResourceTable(package)
        self.keep = keep
        self.files: list[tuple[str, bytes]] = []

    def kept(self, qualifier: str) -> bool:
        return self.keep is None or qualifier in self.keep

    def add(self, rtype: str, name: str, values: dict[str, str]) -> None:
        self.table.add(rtype, name, {q: v for q, v in values.items() if self.kept(q)})

    def add_file(self, rtype: str, name: str, qualifier: str, path: str, make: Callable[[], bytes]) -> None:
        self.add(rtype, name, {qualifier: path})
        if self.kept(qualifier):
            self.files.append((path, make()))


def _resources(r: dict, recipes: dict[str, dict]) -> tuple[_Resources, dict[str, object]]:
    keep = set(r["keep_qualifiers"]) if "keep_qualifiers" in r else None
    res = _Resources(r["package"], keep)
    labels = r.get("labels")
    if labels:
        res.add("string", "app_name", labels)
    for name, values in r.get("strings", {}).items():
        res.add("string", name, values if isinstance(values, dict) else {"": values})
    icon = icon_spec(r, recipes)
    if icon:
        for q, size in ICON_SIZES.items():
            res.add_file("mipmap", "ic_launcher", q, f"res/mipmap-{q}/ic_launcher.png",
                         lambda size=size: icon_png(icon["seed"], icon.get("colour"), size, icon.get("perturb", 0)))
    for name, spec in sorted(r.get("drawables", {}).items()):
        for q in spec.get("qualifiers", ["xxhdpi-v4"]):
            w, h = spec.get("size", [144, 144])
            if "seed" in spec:  # a drawn picture, like the launcher icon
                make = (lambda spec=spec, w=w: icon_png(spec["seed"], spec.get("colour"), w))
            else:  # photo-like bulk
                make = (lambda name=name, q=q, w=w, h=h: noise_png(f"{r['id']}:{name}:{q}", w, h))
            res.add_file("drawable", name, q, f"res/drawable-{q}/{name}.png", make)
    xml_trees = {name: element_from_json(tree) for name, tree in r.get("xml_resources", {}).items()}
    nsc = r.get("application", {}).get("network_security_config")
    if nsc:
        xml_trees["network_security_config"] = network_security_config_tree(nsc)
    for name in xml_trees:
        res.add("xml", name, {"": f"res/xml/{name}.xml"})
    return res, {"labels": labels, "icon": icon, "xml": xml_trees}


def build_unsigned(r: dict, recipes: dict[str, dict], nested: NestedApk) -> bytes:
    """-> unsigned APK bytes for the resolved recipe ``r``."""
    res, facts = _resources(r, recipes)
    has_resources = not res.table.empty and res.keep != set()
    resolve = res.table.id_of if has_resources else None

    label_ref = icon_ref = None
    if not r.get("split"):
        if facts["labels"]:
            # label_literal: the manifest carries the text itself, as some repackaged fakes do.
            label_ref = facts["labels"][""] if r.get("label_literal") else "@string/app_name"
        if facts["icon"]:
            icon_ref = "@mipmap/ic_launcher"
    manifest = encode_xml(manifest_tree(r, label_ref, icon_ref), resolve, utf8=r.get("axml_utf8", False))
    xml_files = []
    if res.kept(""):
        xml_files = [(f"res/xml/{n}.xml", encode_xml(t, resolve, utf8=True)) for n, t in sorted(facts["xml"].items())]

    entries: list[ZipEntry] = [default_entry("AndroidManifest.xml", manifest)]
    if r.get("application", {}).get("hasCode", True):
        entries += [default_entry(n, d) for n, d in _dex_files(r)]
    if has_resources:
        entries.append(default_entry("resources.arsc", res.table.encode()))
        entries += [default_entry(n, d) for n, d in sorted(res.files + xml_files)]
    compress_native = r.get("application", {}).get("extractNativeLibs", True)
    libs = []
    for lib in r.get("native_libs", []):
        for abi in lib.get("abis", [lib.get("abi", "arm64-v8a")]):
            payload = seeded_bytes(f"{r['id']}:{abi}:{lib['name']}", lib["payload_bytes"],
                                   lib.get("compressible", 0.5)) if lib.get("payload_bytes") else b""
            spec = ElfSpec(lib["name"], abi, tuple(lib.get("strings", [])),
                           tuple(lib.get("symbols", ["JNI_OnLoad"])), payload=payload)
            libs.append((f"lib/{abi}/{lib['name']}", build_elf(spec)))
    entries += [default_entry(n, d, compress_native=compress_native) for n, d in sorted(libs)]
    for a in r.get("assets", []):
        entries.append(ZipEntry(a["path"], _asset_bytes(r, a, nested), compress=a.get("compress", True)))
    return write_zip(entries)
