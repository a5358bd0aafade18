"""The SDK levels signature verification depends on, read from the binary AndroidManifest.xml
the way apksig reads them (ApkUtils.getMinSdkVersionFromBinaryAndroidManifest,
getTargetSdkVersionFromBinaryAndroidManifest, getTargetSandboxVersionFromBinaryAndroidManifest),
on apksig's own reading of binary XML (apkscan.signing.binxml_events says why not the manifest
decoder).

Attributes are matched by resource id, not name (a renamed attribute string does not hide them).
Value types as apksig's AndroidBinXmlParser sees them: TYPE_INT_DEC, TYPE_INT_HEX and
TYPE_REFERENCE are integers (the raw data), TYPE_STRING is a string (a codename for minSdkVersion;
for targetSdkVersion/targetSandboxVersion it cannot be coerced to an integer and apksig falls back
to the default), anything else is unsupported. Each level is its own walk, as in apksig, so a
document broken after the element that decides one level still yields it.
"""
from __future__ import annotations

from dataclasses import dataclass

from apkscan.manifest.framework_attrs import ATTR_IDS
from apkscan.signing.binxml_events import XmlParserError, start_elements

# Only the ids come from the framework table; the document itself is read apksig's way.
MIN_SDK_VERSION_ATTR = ATTR_IDS["minSdkVersion"]  # 0x0101020c
TARGET_SDK_VERSION_ATTR = ATTR_IDS["targetSdkVersion"]  # 0x01010270
TARGET_SANDBOX_VERSION_ATTR = ATTR_IDS["targetSandboxVersion"]  # 0x0101054c

TYPE_REFERENCE, TYPE_STRING, TYPE_INT_DEC, TYPE_INT_HEX = 0x01, 0x03, 0x10, 0x11
_INT_TYPES = (TYPE_INT_DEC, TYPE_INT_HEX, TYPE_REFERENCE)  # AndroidBinXmlParser.VALUE_TYPE_INT

# apksig ApkUtils codename table: first letter -> API level (one below the release, pessimistic)
_CODENAMES = (("C", 2), ("D", 3), ("E", 4), ("F", 7), ("G", 8), ("H", 10), ("I", 13), ("J", 15),
              ("K", 18), ("L", 20), ("M", 22), ("N", 23), ("O", 25))
_NAMED_CODENAMES = {"Baklava": 34, "CinnamonBun": 35, "CANARY": 9999}


class ManifestError(ValueError):
    """The SDK level cannot be determined (apksig: MinSdkVersionException / ApkFormatException)."""


@dataclass(frozen=True)
class SdkLevels:
    min_sdk: int | None  # None when it cannot be determined (see min_error)
    target_sdk: int | None  # targetSdkVersion, else minSdkVersion, else 1 (as apksig)
    target_sandbox: int
    min_error: str | None = None


def sdk_for_codename(codename: str) -> int:
    """apksig ApkUtils.getMinSdkVersionForCodename."""
    if codename in _NAMED_CODENAMES:
        return _NAMED_CODENAMES[codename]
    first = codename[:1]
    if not ("A" <= first <= "Z"):
        raise ManifestError(f"unsupported codename in minSdkVersion: {codename[:64]!r}")
    older = [(c, level) for c, level in _CODENAMES if c <= first]
    if not older:
        return 1  # 'A', 'B': never released
    letter, level = older[-1]
    return level + (ord(first) - ord(letter))


def _first_attr(element, res_id: int):
    """apksig stops at the first attribute with the resource id."""
    for attr in element.attributes():
        if attr.res_id == res_id:
            return attr
    return None


def _min_sdk(manifest: bytes) -> int:
    """The max over <uses-sdk> children of the root (no namespace) of minSdkVersion, default 1."""
    result = 1
    try:
        for element in start_elements(manifest):
            if element.depth != 2 or element.name != "uses-sdk" or element.namespace:
                continue
            attr = _first_attr(element, MIN_SDK_VERSION_ATTR)
            if attr is None:
                continue
            if attr.vtype in _INT_TYPES:
                value = _s32(attr.vdata)
            elif attr.vtype == TYPE_STRING:
                value = sdk_for_codename(element.string(attr.vdata))
            else:
                raise ManifestError("unsupported value type in minSdkVersion; only integer values supported")
            result = max(result, value)
    except XmlParserError as exc:
        raise ManifestError(f"malformed binary AndroidManifest.xml: {exc}") from exc
    return result


def _int_attribute(manifest: bytes, element_name: str, res_id: int) -> int | None:
    """apksig getAttributeValueFromBinaryAndroidManifest: the first element so named (any depth)
    carrying the attribute decides; None where apksig throws (absent, not an integer, malformed)."""
    try:
        for element in start_elements(manifest):
            if element.name != element_name:
                continue
            attr = _first_attr(element, res_id)
            if attr is not None:
                return _s32(attr.vdata) if attr.vtype in _INT_TYPES else None
    except XmlParserError:
        return None
    return None


def read_sdk_levels(manifest: bytes) -> SdkLevels:
    """minSdkVersion (unreadable: min_sdk None and min_error says why); targetSdkVersion, else
    minSdkVersion, else 1; targetSandboxVersion, default 1."""
    min_sdk: int | None = None
    min_error: str | None = None
    try:
        min_sdk = _min_sdk(manifest)
    except ManifestError as exc:
        min_error = str(exc)
    except Exception as exc:  # noqa: BLE001 - hostile bytes: any failure means "cannot read it"
        min_error = f"malformed binary AndroidManifest.xml: {type(exc).__name__}"
    try:
        target = _int_attribute(manifest, "uses-sdk", TARGET_SDK_VERSION_ATTR)
        sandbox = _int_attribute(manifest, "manifest", TARGET_SANDBOX_VERSION_ATTR)
    except Exception:  # noqa: BLE001
        target = sandbox = None
    if target is None:
        target = min_sdk if min_sdk is not None else 1
    return SdkLevels(min_sdk=min_sdk, target_sdk=target,
                     target_sandbox=1 if sandbox is None else sandbox, min_error=min_error)


def _s32(value: int) -> int:
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value & 0x80000000 else value
