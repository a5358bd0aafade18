"""Read the small ``res/xml`` files the fraud analyzers need (accessibility-service config,
device-admin policies, network security config) as plain ``Node`` trees.

``apkscan.manifest.parse_xml_resource(archive, entry)`` decodes the binary XML; this module only
turns what it returns into ``Node(tag, attrs, children)`` with attribute names without their
namespace and values as Python values (bool, int, str). Anything unreadable gives ``None``:
a hostile APK can break its own config files, and the caller reports that instead of crashing.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from apkscan.manifest.framework_attrs import ATTR_IDS

ANDROID_NS = "http://schemas.android.com/apk/res/android"

# The attributes read here, by their android.R.attr id (apkscan/manifest/framework_attrs.json), for
# binary XML whose attribute name strings were stripped: Android itself looks attributes up by
# these ids, not by name. Only these names are recovered from an id.
ATTR_NAMES_BY_ID = {ATTR_IDS[name]: name for name in (
    "name", "description", "accessibilityEventTypes", "packageNames", "accessibilityFeedbackType",
    "notificationTimeout", "accessibilityFlags", "canRetrieveWindowContent", "canPerformGestures")}

# Res_value data types (AOSP ResourceTypes.h).
_TYPE_REFERENCE = 0x01
_TYPE_STRING = 0x03
_TYPE_INT_DEC = 0x10
_TYPE_INT_HEX = 0x11
_TYPE_INT_BOOLEAN = 0x12

MAX_NODES = 5000  # config files are tiny; a bigger tree is cut, not followed
MAX_DEPTH = 64  # <network-security-config> is 4 levels deep; deeper nesting is dropped


@dataclass(frozen=True)
class Node:
    tag: str
    attrs: Mapping[str, Any] = field(default_factory=dict)
    children: tuple["Node", ...] = ()
    text: str = ""

    def iter(self):
        stack = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))

    def find_all(self, tag: str) -> list["Node"]:
        return [n for n in self.iter() if n.tag == tag]


def _local(name: Any) -> str:
    text = str(name or "")
    if text.startswith("{") and "}" in text:
        text = text.split("}", 1)[1]
    if ":" in text:
        text = text.split(":", 1)[1]
    return text


def _typed_value(attr: Any) -> Any:
    vtype = getattr(attr, "vtype", None)
    vdata = getattr(attr, "vdata", None)
    raw = getattr(attr, "raw", None)
    if vtype == _TYPE_INT_BOOLEAN and vdata is not None:
        return vdata != 0
    if vtype in (_TYPE_INT_DEC, _TYPE_INT_HEX) and vdata is not None:
        return vdata & 0xFFFFFFFF
    if vtype == _TYPE_REFERENCE and vdata is not None and raw is None:
        return f"@0x{vdata & 0xFFFFFFFF:08x}"
    if raw is not None:
        return raw
    return vdata


def _attr_name(attr: Any) -> str:
    name = getattr(attr, "name", None)
    if name:
        return _local(name)
    return ATTR_NAMES_BY_ID.get(getattr(attr, "res_id", 0) or 0, "")


def to_node(obj: Any, budget: list[int] | None = None, depth: int = 0) -> Node | None:
    """Convert the decoder's element (or an ElementTree element, or a dict) into a Node tree."""
    budget = budget if budget is not None else [MAX_NODES]
    if obj is None or budget[0] <= 0 or depth > MAX_DEPTH:
        return None
    budget[0] -= 1
    root = getattr(obj, "root", None)
    if root is not None and not hasattr(obj, "tag") and not hasattr(obj, "attributes"):
        return to_node(root, budget, depth)
    if isinstance(obj, Mapping):
        tag = _local(obj.get("tag") or obj.get("name") or "")
        raw_attrs = obj.get("attrs") or obj.get("attributes") or {}
        attrs = {_local(k): v for k, v in dict(raw_attrs).items()}
        kids = obj.get("children") or ()
        text = obj.get("text") or ""
    elif hasattr(obj, "attributes") and isinstance(getattr(obj, "attributes"), (list, tuple)):
        tag = _local(getattr(obj, "name", "") or getattr(obj, "tag", ""))
        attrs = {}
        for attr in obj.attributes:
            key = _attr_name(attr)
            if key:
                attrs[key] = _typed_value(attr)
        kids = getattr(obj, "children", ()) or ()
        text = getattr(obj, "text", "") or ""
    elif hasattr(obj, "tag") and hasattr(obj, "attrib"):  # xml.etree / lxml
        if not isinstance(obj.tag, str):  # comments, processing instructions
            return None
        tag = _local(obj.tag)
        attrs = {_local(k): v for k, v in obj.attrib.items()}
        kids = list(obj)
        text = obj.text or ""
    else:
        return None
    children = []
    for kid in kids:
        node = to_node(kid, budget, depth + 1)
        if node is not None:
            children.append(node)
    return Node(tag, attrs, tuple(children), str(text).strip()[:256])


def reader_for(ctx: Any) -> Callable[[str], tuple[Node | None, str | None, str | None]]:
    """-> read(ref) giving (node, entry name, problem) for a resource reference such as
    ``@xml/accessibility`` (looked up in ``facts.resource_files``). Results are cached per scan."""
    cache: dict[str, tuple[Node | None, str | None, str | None]] = ctx.cache.setdefault("fraud.resource_xml", {})
    resource_files = getattr(ctx.facts, "resource_files", None) or {}

    def read(ref: str) -> tuple[Node | None, str | None, str | None]:
        if ref in cache:
            return cache[ref]
        entry = resource_files.get(ref)
        if entry is None and isinstance(ref, str) and ref.startswith("res/"):
            entry = ref
        if entry is None:
            result = (None, None, f"resource {ref} is not in the APK's resource table")
        else:
            result = _parse(ctx, entry)
        cache[ref] = result
        return result

    return read


def _parse(ctx: Any, entry: str) -> tuple[Node | None, str | None, str | None]:
    try:
        from apkscan.manifest import parse_xml_resource
    except ImportError:  # the manifest package is older than this analyzer
        return None, entry, "binary XML resources cannot be decoded by this build"
    try:
        parsed = parse_xml_resource(ctx.archive, entry)
    except Exception as exc:  # hostile input: a broken config is evidence, not a crash
        return None, entry, f"{entry}: {type(exc).__name__}: {exc}"[:300]
    node = to_node(parsed)
    if node is None:
        return None, entry, f"{entry}: not a readable XML document"
    return node, entry, None


def as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    if isinstance(value, str):
        low = value.strip().lower()
        if low in ("true", "1", "-1", "0xffffffff"):
            return True
        if low in ("false", "0", "0x0", "0x00000000"):
            return False
    return None


def as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text, 16) if text.lower().startswith("0x") else int(text)
        except ValueError:
            return None
    return None


def flag_value(value: Any, names: Mapping[str, int]) -> tuple[int, tuple[str, ...]]:
    """An Android flag attribute as (bits, names): an int as compiled by aapt, or the source form
    ``"typeWindowStateChanged|typeViewClicked"``."""
    bits = as_int(value)
    if bits is None and isinstance(value, str):
        bits = 0
        unknown = []
        for part in value.split("|"):
            part = part.strip()
            if part in names:
                bits |= names[part]
            elif part:
                unknown.append(part)
    if bits is None:
        return 0, ()
    bits &= 0xFFFFFFFF
    matched = tuple(n for n, v in names.items() if v and (bits & v) == v and v != 0xFFFFFFFF)
    return bits, matched
