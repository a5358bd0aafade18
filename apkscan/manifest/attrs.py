"""Android's view of an element's attributes.

The package parser reads ``android:`` attributes through ``TypedArray`` (AOSP
``AttributeResolution.cpp`` ``RetrieveAttributes``): by resource id only, never by name, with a
merge over the element's attributes that assumes they are sorted by id (aapt sorts them). So:

* an attribute whose name string was renamed still counts, by its id;
* an ``android:``-named attribute without an id in the resource map does not count;
* with unsorted ids some attributes are skipped, and of two with the same id the first wins.

Attributes outside the android namespace (``package`` on <manifest>) are read by name.
"""
from __future__ import annotations

from apkscan.manifest.binxml import XmlAttribute, XmlElement
from apkscan.manifest.framework_attrs import ATTR_IDS, ATTR_NAMES
from apkscan.manifest.problems import ProblemLog
from apkscan.manifest.restypes import ANDROID_NS, NO_INDEX

FRAMEWORK_PACKAGE = 0x01


def canonical_name(attr: XmlAttribute) -> str:
    """The attribute's real name: the framework name of its id, else its pool name."""
    if attr.res_id:
        name = ATTR_NAMES.get(attr.res_id)
        if name:
            return name
    return attr.name or (f"attr_0x{attr.res_id:08x}" if attr.res_id else "")


def is_android(attr: XmlAttribute) -> bool:
    return (attr.res_id >> 24) == FRAMEWORK_PACKAGE or attr.ns == ANDROID_NS


class AttrView:
    """What the package parser sees of one element's attributes."""

    __slots__ = ("by_id", "by_pool_name", "element", "ignored", "plain")

    def __init__(self, element: XmlElement, log: ProblemLog) -> None:
        self.element = element
        attrs = element.attributes
        ids = [a.res_id for a in attrs]
        where = f"<{element.name}> at 0x{element.offset:x}"
        # RetrieveAttributes: a merge join over the requested ids in ascending order.
        self.by_id: dict[int, XmlAttribute] = {}
        wanted = sorted({i for i in ids if i})
        ix = 0
        for ident in wanted:
            while ix < len(ids) and ident > ids[ix]:
                ix += 1
            if ix < len(ids) and ids[ix] == ident:
                self.by_id[ident] = attrs[ix]
                ix += 1
        if len(self.by_id) != sum(1 for i in ids if i):
            missed = [canonical_name(a) for a in attrs if a.res_id and self.by_id.get(a.res_id) is not a]
            if len({i for i in ids if i}) != sum(1 for i in ids if i):
                log.add("AXML_DUPLICATE_ATTRIBUTE", f"{where} repeats attribute(s) {sorted(set(missed))}; Android keeps one")
            else:
                log.add("AXML_ATTRS_UNSORTED", f"{where} attributes are not sorted by resource id; Android's lookup misses {missed}")
        self.by_pool_name: dict[str, XmlAttribute] = {}
        for a in self.by_id.values():
            real = ATTR_NAMES.get(a.res_id)
            if real is None and a.name:
                self.by_pool_name.setdefault(a.name, a)
            elif real is not None and a.name and a.name != real:
                log.add("AXML_ATTR_NAME_MISMATCH",
                        f"{where}: attribute named {a.name!r} has the id of android:{real}; Android uses the id")
        # android-looking attributes without an id: invisible to TypedArray
        self.ignored: dict[str, XmlAttribute] = {}
        self.plain: dict[str, XmlAttribute] = {}
        for a in attrs:
            if a.ns is None and a.name:  # indexOfAttribute(NULL, name): first match, ids not consulted
                self.plain.setdefault(a.name, a)
            if not a.res_id and a.ns == ANDROID_NS and a.name:
                self.ignored.setdefault(a.name, a)
                log.add("AXML_ATTR_WITHOUT_ID", f"{where}: android:{a.name} has no resource id; Android's package parser ignores it")

    def get(self, name: str) -> XmlAttribute | None:
        """The android: attribute ``name`` as the package parser sees it."""
        rid = ATTR_IDS.get(name)
        if rid is not None:
            return self.by_id.get(rid)
        return self.by_pool_name.get(name)

    def get_lenient(self, name: str) -> XmlAttribute | None:
        """Like ``get``, falling back to an id-less android:name (for identities such as class names)."""
        return self.get(name) or self.ignored.get(name)

    def plain_attr(self, name: str) -> XmlAttribute | None:
        """A non-namespaced attribute looked up by name (ResXMLParser::indexOfAttribute(NULL, name))."""
        return self.plain.get(name)

    def visible(self) -> list[tuple[str, XmlAttribute]]:
        """(canonical name, attribute) for every android: attribute Android sees, in id order."""
        return [(canonical_name(a), a) for _rid, a in sorted(self.by_id.items())]


def raw_string(attr: XmlAttribute, pool) -> str | None:
    """What XmlPullParser.getAttributeValue returns: the raw string, else the typed value's string."""
    if attr.raw_index != NO_INDEX:
        return attr.raw
    if attr.vtype == 0x03:
        return pool.get(attr.vdata)
    return None
