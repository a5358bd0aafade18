"""Decoded binary XML -> lxml elements and text, with Android's attribute names.

Attribute names come from their resource ids (so a renamed ``android:name`` prints as
``android:name``); references print as ``@type/name``, or, with ``resolve_values``, as the
string/boolean/number they point to. Names and text that XML cannot carry (control
characters, invalid names) are replaced, never refused.
"""
from __future__ import annotations

import re

from lxml import etree

from apkscan.manifest.attrs import canonical_name, is_android
from apkscan.manifest.binxml import XmlAttribute, XmlDocument, XmlElement
from apkscan.manifest.flags import NAMED_FLAGS
from apkscan.manifest.resources import Resolver, scalar_text
from apkscan.manifest.restypes import (
    ANDROID_NS,
    NO_INDEX,
    TYPE_ATTRIBUTE,
    TYPE_DYNAMIC_REFERENCE,
    TYPE_REFERENCE,
    TYPE_STRING,
)

_BAD_XML_CHARS = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*\Z")  # \Z: "$" would accept a trailing newline


def clean_text(text: str) -> str:
    return _BAD_XML_CHARS.sub("\ufffd", text)


def _clean_name(name: str | None, fallback: str) -> str:
    if name and _NAME.match(name):
        return name
    if name:
        fixed = re.sub(r"[^A-Za-z0-9_.\-]", "_", name)
        if fixed and _NAME.match(fixed):
            return fixed
    return fallback


def attribute_text(attr: XmlAttribute, doc: XmlDocument, resolver: Resolver, resolve_values: bool) -> str:
    """How the attribute reads as XML text."""
    vtype, vdata = attr.vtype, attr.vdata
    if vtype == TYPE_STRING:
        text = doc.strings.get(vdata)
        if text is None and attr.raw_index != NO_INDEX:
            text = attr.raw
        return text if text is not None else ""
    if vtype in (TYPE_REFERENCE, TYPE_DYNAMIC_REFERENCE):
        if resolve_values and not resolver.points_to_file(resolver.follow(vtype, vdata)):
            value = resolver.text(vtype, vdata, doc.strings)
            if value is not None:
                return value
        return resolver.ref_name(vdata) if vdata else "@null"
    if vtype == TYPE_ATTRIBUTE:
        return "?" + resolver.ref_name(vdata)[1:]
    named = NAMED_FLAGS.get(canonical_name(attr))
    if named is not None and 0x10 <= vtype <= 0x11:
        return named(vdata)
    text = scalar_text(vtype, vdata)
    if text is None:
        return attr.raw if attr.raw is not None else ""
    return text


def to_element(doc: XmlDocument, resolver: Resolver, resolve_values: bool = False) -> etree._Element:
    """The document as an lxml tree (iterative: depth is bounded by the decoder anyway)."""
    nsmap: dict[str | None, str] = {}
    for uri, prefix in doc.prefixes.items():
        key = _clean_name(prefix, "") or None
        if key not in nsmap and uri and _valid_namespace(key, clean_text(uri)):
            nsmap[key] = clean_text(uri)
    if ANDROID_NS not in nsmap.values():
        nsmap["android"] = ANDROID_NS
    root = _make(doc.root, doc, resolver, resolve_values, None, nsmap)
    stack = [(doc.root, root)]
    while stack:
        src, dst = stack.pop()
        for child in src.children:
            made = _make(child, doc, resolver, resolve_values, dst, None)
            stack.append((child, made))
    return root


def _valid_namespace(prefix: str | None, uri: str) -> bool:
    """lxml refuses some URIs and prefixes (e.g. a URI with spaces, the "xmlns" prefix) that a
    tampered string pool can declare; such a declaration is dropped rather than failing the tree."""
    try:
        etree.Element("x", nsmap={prefix: uri})
    except ValueError:
        return False
    return True


def _make(src: XmlElement, doc: XmlDocument, resolver: Resolver, resolve_values: bool,
          parent, nsmap) -> etree._Element:
    tag = _clean_name(src.name, "unnamed")
    if src.ns and src.ns.isprintable() and not _BAD_XML_CHARS.search(src.ns):
        tag = f"{{{src.ns}}}{tag}"
    try:
        el = etree.Element(tag, nsmap=nsmap) if parent is None else etree.SubElement(parent, tag)
    except ValueError:  # a namespace URI lxml refuses
        tag = _clean_name(src.name, "unnamed")
        el = etree.Element(tag, nsmap=nsmap) if parent is None else etree.SubElement(parent, tag)
    for attr in src.attributes:
        name = _clean_name(canonical_name(attr), "unnamed")
        if is_android(attr):
            key = f"{{{ANDROID_NS}}}{name}"
        elif attr.ns and not _BAD_XML_CHARS.search(attr.ns) and attr.ns.strip():
            key = f"{{{attr.ns}}}{name}"
        else:
            key = name
        if key in el.attrib:
            continue
        try:
            el.set(key, clean_text(attribute_text(attr, doc, resolver, resolve_values)))
        except ValueError:  # a namespace URI lxml refuses: keep the attribute without it
            el.set(name, clean_text(attribute_text(attr, doc, resolver, resolve_values)))
    if src.text.strip():
        el.text = clean_text(src.text)
    return el


def to_text(element: etree._Element) -> str:
    return etree.tostring(element, pretty_print=True, encoding="unicode")
