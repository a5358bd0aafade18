"""The SDK levels signature verification depends on, read from the binary AndroidManifest.xml
exactly as apksig reads them (apksig ApkUtils.getMinSdkVersionFromBinaryAndroidManifest,
getTargetSdkVersionFromBinaryAndroidManifest, getTargetSandboxVersionFromBinaryAndroidManifest),
using androguard's AXML parser on the manifest bytes.

Attributes are matched by resource id, not name (a renamed attribute string does not hide them).
"""
from __future__ import annotations

import struct
from dataclasses import dataclass

from loguru import logger

from androguard.core import axml

logger.disable("androguard")  # its parser logs every oddity of hostile manifests

MIN_SDK_VERSION_ATTR = 0x0101020C
TARGET_SDK_VERSION_ATTR = 0x01010270
TARGET_SANDBOX_VERSION_ATTR = 0x0101054C
RES_XML_TYPE = 0x0003

_INT_TYPES = (axml.TYPE_INT_DEC, axml.TYPE_INT_HEX)
_MAX_EVENTS = 1_000_000  # bound the walk over a hostile manifest

# apksig ApkUtils codename table: first letter -> API level (one below the release, pessimistic)
_CODENAMES = (("C", 2), ("D", 3), ("E", 4), ("F", 7), ("G", 8), ("H", 10), ("I", 13), ("J", 15),
              ("K", 18), ("L", 20), ("M", 22), ("N", 23), ("O", 25))
_NAMED_CODENAMES = {"Baklava": 34, "CinnamonBun": 35, "CANARY": 9999}


class ManifestError(ValueError):
    """The SDK level cannot be determined (apksig: MinSdkVersionException / ApkFormatException)."""


@dataclass(frozen=True)
class SdkLevels:
    min_sdk: int | None  # None when it cannot be determined (see min_error)
    target_sdk: int | None  # None when the manifest cannot be read
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


def _attribute_resource_id(parser, index: int) -> int | None:
    offset = parser._get_attribute_offset(index)
    name_index = parser.m_attributes[offset + axml.ATTRIBUTE_IX_NAME]
    ids = parser.m_resourceIDs
    return ids[name_index] if 0 <= name_index < len(ids) else None


def _xml_chunk(manifest: bytes) -> bytes:
    """The first top-level RES_XML_TYPE chunk, as apksig's AndroidBinXmlParser finds it: a file
    without one is not binary XML ("No XML chunk in file"), whatever a lenient parser makes of it."""
    pos = 0
    while len(manifest) - pos >= 8:
        ctype, header_size, size = struct.unpack_from("<HHI", manifest, pos)
        if header_size < 8 or size < header_size or size > len(manifest) - pos:
            break
        if ctype == RES_XML_TYPE:
            return manifest[pos:pos + size]
        pos += size
    raise ManifestError("No XML chunk in file")


def _events(manifest: bytes):
    """(event, depth, parser) for each start tag; ManifestError if the XML is broken."""
    parser = axml.AXMLParser(_xml_chunk(manifest))
    if not parser.is_valid():
        raise ManifestError("malformed binary AndroidManifest.xml")
    depth = 0
    for _ in range(_MAX_EVENTS):
        event = next(parser)
        if not parser.is_valid():
            raise ManifestError("malformed binary AndroidManifest.xml")
        if event == axml.END_DOCUMENT:
            return
        if event == axml.START_TAG:
            depth += 1
            yield depth, parser
        elif event == axml.END_TAG:
            depth -= 1
    raise ManifestError("binary AndroidManifest.xml has too many elements")


def read_sdk_levels(manifest: bytes) -> SdkLevels:
    """minSdkVersion: the max over <uses-sdk> children of <manifest>, default 1, codenames mapped
    (unreadable: min_sdk None and min_error says why); targetSdkVersion: the first one found,
    else minSdkVersion; targetSandboxVersion: default 1."""
    min_sdk = 1
    target_sdk: int | None = None
    sandbox: int | None = None
    min_error: str | None = None
    try:
        for depth, parser in _events(manifest):
            name = parser.name
            for i in range(max(0, parser.getAttributeCount())):
                rid = _attribute_resource_id(parser, i)
                if rid not in (MIN_SDK_VERSION_ATTR, TARGET_SDK_VERSION_ATTR, TARGET_SANDBOX_VERSION_ATTR):
                    continue
                vtype = parser.getAttributeValueType(i)
                if rid == MIN_SDK_VERSION_ATTR and name == "uses-sdk" and depth == 2 and not parser.namespace:
                    if vtype in _INT_TYPES:
                        min_sdk = max(min_sdk, _s32(parser.getAttributeValueData(i)))
                    elif vtype == axml.TYPE_STRING:
                        try:
                            min_sdk = max(min_sdk, sdk_for_codename(parser.getAttributeValue(i)))
                        except ManifestError as exc:
                            min_error = min_error or str(exc)
                    else:
                        min_error = min_error or "unsupported value type in minSdkVersion"
                elif rid == TARGET_SDK_VERSION_ATTR and name == "uses-sdk" and target_sdk is None:
                    target_sdk = _s32(parser.getAttributeValueData(i)) if vtype in _INT_TYPES else -1
                elif rid == TARGET_SANDBOX_VERSION_ATTR and name == "manifest" and sandbox is None:
                    sandbox = _s32(parser.getAttributeValueData(i)) if vtype in _INT_TYPES else -1
    except ManifestError as exc:
        return SdkLevels(min_sdk=None, target_sdk=None, target_sandbox=1, min_error=str(exc))
    except Exception as exc:  # androguard on hostile bytes: any failure means "cannot read it"
        return SdkLevels(min_sdk=None, target_sdk=None, target_sandbox=1,
                         min_error=f"malformed binary AndroidManifest.xml: {type(exc).__name__}")
    if target_sdk is None or target_sdk < 0:  # absent or not an integer: apksig falls back to minSdk
        target_sdk = min_sdk if min_error is None else 1
    if sandbox is None or sandbox < 0:
        sandbox = 1
    return SdkLevels(min_sdk=None if min_error else min_sdk, target_sdk=target_sdk,
                     target_sandbox=sandbox, min_error=min_error)


def _s32(value: int) -> int:
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value & 0x80000000 else value
