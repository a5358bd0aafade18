"""Binary XML (AXML) encoder for AndroidManifest.xml and res/xml files.

Chunk layout from AOSP ``ResourceTypes.h``: a ``RES_XML_TYPE`` (0x0003) chunk holding a string
pool, a ``RES_XML_RESOURCE_MAP_TYPE`` (0x0180) chunk mapping the first N pool strings (the
attribute names) to ``android.R.attr`` ids, then ``ResXMLTree_node`` chunks: start namespace
(0x0100), start element (0x0102, with ``ResXMLTree_attrExt`` and 20-byte ``ResXMLTree_attribute``
records carrying a typed ``Res_value``), end element (0x0103), end namespace (0x0101).
Android looks attributes up by resource id, so android: attributes must be in the resource map.
"""
from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Union

from apkscan.samples.android_attrs import ANDROID_NS, ATTR_IDS
from apkscan.samples.stringpool import StringPoolBuilder, encode_string_pool

RES_XML_TYPE = 0x0003
RES_XML_START_NAMESPACE_TYPE = 0x0100
RES_XML_END_NAMESPACE_TYPE = 0x0101
RES_XML_START_ELEMENT_TYPE = 0x0102
RES_XML_END_ELEMENT_TYPE = 0x0103
RES_XML_CDATA_TYPE = 0x0104
RES_XML_RESOURCE_MAP_TYPE = 0x0180

# Res_value data types (ResourceTypes.h, struct Res_value).
TYPE_REFERENCE = 0x01
TYPE_STRING = 0x03
TYPE_INT_DEC = 0x10
TYPE_INT_HEX = 0x11
TYPE_INT_BOOLEAN = 0x12

NO_INDEX = 0xFFFFFFFF


@dataclass(frozen=True)
class Ref:
    """A resource reference (``@0x7f...``), written as TYPE_REFERENCE."""

    res_id: int


@dataclass(frozen=True)
class Hex:
    """An integer written as TYPE_INT_HEX (flags such as accessibilityEventTypes)."""

    value: int


Value = Union[str, bool, int, Ref, Hex]


@dataclass
class Element:
    tag: str
    attrs: dict[str, Value] = field(default_factory=dict)  # "android:name" or plain "package"
    children: list[Element] = field(default_factory=list)
    text: str | None = None  # character data before the children (ResXMLTree_cdataExt)


def _u32(v: int) -> int:
    return v & 0xFFFFFFFF


class _Encoder:
    def __init__(self, root: Element, resolve: Callable[[str], int] | None, utf8: bool):
        self.root = root
        self.resolve = resolve
        self.utf8 = utf8
        self.pool = StringPoolBuilder()
        self.line = 1

    def _walk(self, el: Element):
        yield el
        for child in el.children:
            yield from self._walk(child)

    @staticmethod
    def _split(key: str) -> tuple[bool, str]:
        if key.startswith("android:"):
            return True, key[len("android:"):]
        return False, key

    def _typed(self, value: Value) -> tuple[int, int, int]:
        """-> (rawValue string index or NO_INDEX, dataType, data)."""
        if isinstance(value, bool):
            return NO_INDEX, TYPE_INT_BOOLEAN, 0xFFFFFFFF if value else 0
        if isinstance(value, int):
            return NO_INDEX, TYPE_INT_DEC, _u32(value)
        if isinstance(value, Hex):
            return NO_INDEX, TYPE_INT_HEX, _u32(value.value)
        if isinstance(value, Ref):
            return NO_INDEX, TYPE_REFERENCE, value.res_id
        if isinstance(value, str):
            if value.startswith("@") and "/" in value and self.resolve is not None:
                return NO_INDEX, TYPE_REFERENCE, self.resolve(value)
            idx = self.pool.add(value)
            return idx, TYPE_STRING, idx
        raise TypeError(f"unsupported attribute value {value!r}")

    def encode(self) -> bytes:
        # 1. attribute names that have framework ids come first, in resource-map order.
        android_names = sorted(
            {self._split(k)[1] for el in self._walk(self.root) for k in el.attrs if self._split(k)[0]},
            key=lambda n: ATTR_IDS[n],
        )
        for name in android_names:
            self.pool.add(name)
        res_map = [ATTR_IDS[n] for n in android_names]
        prefix_idx = self.pool.add("android")
        uri_idx = self.pool.add(ANDROID_NS)

        body = bytearray()
        body += self._node(RES_XML_START_NAMESPACE_TYPE, struct.pack("<II", prefix_idx, uri_idx))
        self._element(self.root, uri_idx, body)
        body += self._node(RES_XML_END_NAMESPACE_TYPE, struct.pack("<II", prefix_idx, uri_idx))

        pool = encode_string_pool(self.pool.strings, utf8=self.utf8)
        rmap = struct.pack("<HHI", RES_XML_RESOURCE_MAP_TYPE, 8, 8 + 4 * len(res_map)) + struct.pack(
            f"<{len(res_map)}I", *res_map)
        total = 8 + len(pool) + len(rmap) + len(body)
        return struct.pack("<HHI", RES_XML_TYPE, 8, total) + pool + rmap + bytes(body)

    def _node(self, chunk_type: int, ext: bytes) -> bytes:
        line = self.line
        self.line += 1
        return struct.pack("<HHIII", chunk_type, 16, 16 + len(ext), line, NO_INDEX) + ext

    def _element(self, el: Element, uri_idx: int, out: bytearray) -> None:
        records = []
        for key, value in el.attrs.items():
            is_android, name = self._split(key)
            if is_android and name not in ATTR_IDS:
                raise KeyError(f"android:{name} has no known resource id (not a public framework attribute of API <= 29)")
            name_idx = self.pool.add(name)
            raw, dtype, data = self._typed(value)
            ns = uri_idx if is_android else NO_INDEX
            # aapt2 orders attributes by resource id, then name; ids first.
            sort_key = (0, ATTR_IDS[name], "") if is_android else (1, 0, name)
            records.append((sort_key, struct.pack("<IIIHBBI", ns, name_idx, raw, 8, 0, dtype, data)))
        records.sort(key=lambda r: r[0])
        tag_idx = self.pool.add(el.tag)
        ext = struct.pack("<IIHHHHHH", NO_INDEX, tag_idx, 20, 20, len(records), 0, 0, 0)
        out += self._node(RES_XML_START_ELEMENT_TYPE, ext + b"".join(r[1] for r in records))
        if el.text is not None:
            t = self.pool.add(el.text)
            out += self._node(RES_XML_CDATA_TYPE, struct.pack("<IHBBI", t, 8, 0, TYPE_STRING, t))
        for child in el.children:
            self._element(child, uri_idx, out)
        out += self._node(RES_XML_END_ELEMENT_TYPE, struct.pack("<II", NO_INDEX, tag_idx))


def encode_xml(root: Element, resolve: Callable[[str], int] | None = None, utf8: bool = False) -> bytes:
    """Encode an element tree as binary XML.

    ``resolve`` turns ``@type/name`` strings into resource ids (from the ARSC being built); other
    strings are written as TYPE_STRING. ``utf8`` picks the string-pool encoding (aapt wrote
    UTF-16, aapt2 writes UTF-8; both are valid).
    """
    return _Encoder(root, resolve, utf8).encode()
