"""Attribute values as plain Python, the way the package parser's TypedArray reads them."""
from __future__ import annotations

from typing import Any

from apkscan.manifest.attrs import canonical_name
from apkscan.manifest.binxml import XmlAttribute
from apkscan.manifest.flags import NAMED_FLAGS
from apkscan.manifest.resources import Resolver, scalar_text, signed
from apkscan.manifest.restypes import (
    NO_INDEX,
    TYPE_ATTRIBUTE,
    TYPE_DYNAMIC_REFERENCE,
    TYPE_INT_BOOLEAN,
    TYPE_INT_DEC,
    TYPE_INT_HEX,
    TYPE_REFERENCE,
    TYPE_STRING,
)
from apkscan.manifest.stringpool import StringPool


class Values:
    """Reads attribute values of one XML document, following references through the resolver."""

    def __init__(self, pool: StringPool, resolver: Resolver) -> None:
        self.pool = pool
        self.resolver = resolver

    def text(self, attr: XmlAttribute | None) -> str | None:
        if attr is None:
            return None
        if attr.vtype == TYPE_STRING:
            value = self.pool.get(attr.vdata)
            return value if value is not None else (attr.raw if attr.raw_index != NO_INDEX else None)
        return self.resolver.text(attr.vtype, attr.vdata, self.pool)

    def boolean(self, attr: XmlAttribute | None) -> bool | None:
        return None if attr is None else self.resolver.boolean(attr.vtype, attr.vdata, self.pool)

    def integer(self, attr: XmlAttribute | None) -> int | None:
        return None if attr is None else self.resolver.integer(attr.vtype, attr.vdata, self.pool)

    def ref_name(self, attr: XmlAttribute | None) -> str | None:
        if attr is None or attr.vtype not in (TYPE_REFERENCE, TYPE_DYNAMIC_REFERENCE) or not attr.vdata:
            return None
        return self.resolver.ref_name(attr.vdata)

    def python(self, attr: XmlAttribute) -> Any:
        """JSON-friendly value: bool, int, str, flag names, or "@type/name" for a file/style reference."""
        name = canonical_name(attr)
        vtype, vdata, from_table = attr.vtype, attr.vdata, False
        if vtype in (TYPE_REFERENCE, TYPE_DYNAMIC_REFERENCE):
            resolved = self.resolver.follow(vtype, vdata)
            if resolved is None or resolved[0] in (TYPE_REFERENCE, TYPE_DYNAMIC_REFERENCE, TYPE_ATTRIBUTE):
                return self.resolver.ref_name(vdata) if vdata else None
            if self.resolver.points_to_file(resolved):
                return self.resolver.ref_name(vdata)
            vtype, vdata, from_table = resolved
        if vtype == TYPE_STRING:
            if from_table:
                return self.resolver.table.string(vdata) if self.resolver.table is not None else None
            return self.text(attr)
        if vtype == TYPE_ATTRIBUTE:
            return "?" + self.resolver.ref_name(vdata)[1:]
        if vtype == TYPE_INT_BOOLEAN:
            return vdata != 0
        if vtype in (TYPE_INT_DEC, TYPE_INT_HEX):
            named = NAMED_FLAGS.get(name)
            if named is not None:
                return named(vdata)
            return signed(vdata) if vtype == TYPE_INT_DEC else vdata
        return scalar_text(vtype, vdata)
