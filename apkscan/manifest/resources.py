"""Resolve manifest attribute values through resources.arsc: strings per locale, booleans, names, files.

A Res_value of TYPE_STRING indexes the string pool of the file it sits in (the XML's own pool
for an attribute, the table's value pool for an arsc entry); TYPE_REFERENCE holds a resource
id, resolved here against the default configuration, or against one locale for labels.
References are followed at most ``MAX_HOPS`` times (a cycle is a hostile table, not a hang).
"""
from __future__ import annotations

import re
import struct

from apkscan.manifest.arsc import ArscError, ResConfig, ResourceTable, ResValue
from apkscan.manifest.problems import ProblemLog
from apkscan.manifest.restypes import (
    TYPE_ATTRIBUTE,
    TYPE_DIMENSION,
    TYPE_DYNAMIC_REFERENCE,
    TYPE_FIRST_COLOR_INT,
    TYPE_FLOAT,
    TYPE_FRACTION,
    TYPE_INT_BOOLEAN,
    TYPE_INT_DEC,
    TYPE_INT_HEX,
    TYPE_LAST_COLOR_INT,
    TYPE_NULL,
    TYPE_REFERENCE,
    TYPE_STRING,
)
from apkscan.manifest.stringpool import StringPool

MAX_HOPS = 8
_JAVA_INT = re.compile(r"[+-]?[0-9A-Za-z]+\Z")
_DIM_UNITS = ("px", "dp", "sp", "pt", "in", "mm")
_RADIX = (1.0 / (1 << 8), 1.0 / (1 << 15), 1.0 / (1 << 23), 1.0 / (1 << 31))
ARSC_ENTRY = "resources.arsc"


def signed(v: int) -> int:
    return v - (1 << 32) if v & 0x80000000 else v


def _complex(data: int) -> float:
    return signed(data & 0xFFFFFF00) * _RADIX[(data >> 4) & 3]


def scalar_text(vtype: int, vdata: int) -> str | None:
    """TypedValue.coerceToString for the non-string, non-reference types."""
    if vtype == TYPE_NULL:
        return None
    if vtype == TYPE_INT_BOOLEAN:
        return "true" if vdata else "false"
    if vtype == TYPE_INT_DEC:
        return str(signed(vdata))
    if vtype == TYPE_INT_HEX:
        return f"0x{vdata:08x}"
    if TYPE_FIRST_COLOR_INT <= vtype <= TYPE_LAST_COLOR_INT:
        return f"#{vdata:08x}"
    if vtype == TYPE_FLOAT:
        return repr(struct.unpack("<f", struct.pack("<I", vdata))[0])
    if vtype == TYPE_DIMENSION:
        unit = _DIM_UNITS[vdata & 0xF] if (vdata & 0xF) < len(_DIM_UNITS) else "?"
        return f"{_complex(vdata):g}{unit}"
    if vtype == TYPE_FRACTION:
        return f"{_complex(vdata) * 100:g}{'%p' if vdata & 0xF else '%'}"
    return f"0x{vdata:08x}"


def convert_value_to_int(text: str | None) -> int | None:
    """XmlUtils.convertValueToInt: "-", "0x"/"#" hex, leading-"0" octal; None where Java would throw."""
    if not text:
        return None
    sign, index, base = 1, 0, 10
    if text[0] == "-":
        sign, index = -1, 1
    if text[index:index + 1] == "0":
        if index == len(text) - 1:
            return 0
        if text[index + 1] in "xX":
            index, base = index + 2, 16
        else:
            index, base = index + 1, 8
    elif text[index:index + 1] == "#":
        index, base = index + 1, 16
    digits = text[index:]
    if not _JAVA_INT.match(digits):  # Integer.parseInt: no spaces, no "_"
        return None
    try:
        value = int(digits, base) * sign
    except ValueError:
        return None
    return value if -(1 << 31) <= value < (1 << 31) else None


def best_default(values: list[ResValue]) -> ResValue | None:
    """The value a device with no particular locale or qualifier gets, roughly: default locale,
    fewest other qualifiers; any value when there is no default-locale one."""
    if not values:
        return None
    defaults = [v for v in values if not v.config.language]
    pool = defaults or values
    return min(pool, key=lambda v: v.config.specificity)


class Resolver:
    """Lookups shared by the manifest and the res/xml files of one APK."""

    def __init__(self, table: ResourceTable | None, log: ProblemLog) -> None:
        self.table = table
        self.log = log

    @classmethod
    def from_archive(cls, archive, log: ProblemLog) -> Resolver:
        table = None
        try:
            entry = archive.entry(ARSC_ENTRY)
        except Exception:  # noqa: BLE001 - a foreign archive object; resources are optional
            entry = None
        if entry is not None:
            try:
                data = archive.read(entry)
                table = ResourceTable(bytes(data), log)
            except ArscError as exc:
                log.add("ARSC_UNREADABLE", f"{exc}; labels and icons cannot be resolved")
            except Exception as exc:  # noqa: BLE001 - ArchiveError (limits, bad entry) and the like
                log.add("ARSC_UNREADABLE", f"resources.arsc could not be read: {exc}")
        return cls(table, log)

    # -- names -------------------------------------------------------------------------
    def ref_name(self, res_id: int) -> str:
        """"@string/app_name", "@android:style/Theme", or "@0x7f040001" when unknown."""
        if self.table is not None:
            name = self.table.name(res_id)
            if name is not None:
                pkg = "android:" if res_id >> 24 == 0x01 else ""
                return f"@{pkg}{name[0]}/{name[1]}"
        return f"@0x{res_id:08x}"

    # -- following references ----------------------------------------------------------------
    def follow(self, vtype: int, vdata: int, locale: str | None = None,
               first: list[ResValue] | None = None) -> tuple[int, int, bool] | None:
        """Follow references; returns (vtype, vdata, from_table) or None when unresolvable.

        ``first``: the values of ``vdata`` when the caller already has them."""
        from_table = False
        for _ in range(MAX_HOPS):
            if vtype not in (TYPE_REFERENCE, TYPE_DYNAMIC_REFERENCE):
                return vtype, vdata, from_table
            if self.table is None or vdata == 0:
                return None
            if first is not None:
                candidates, first = first, None
            elif locale is None:
                candidates = self.table.values(vdata, default_locale_only=True) or self.table.values(vdata)
            else:
                candidates = self.table.values(vdata)
            value = self._pick(candidates, locale)
            if value is None or value.vtype is None:
                return None
            vtype, vdata, from_table = value.vtype, value.vdata, True
        return None

    @staticmethod
    def _pick(values: list[ResValue], locale: str | None) -> ResValue | None:
        if locale:
            exact = [v for v in values if v.config.locale == locale]
            if exact:
                return min(exact, key=lambda v: v.config.specificity)
            lang = locale.split("-", 1)[0]
            same_lang = [v for v in values if v.config.language == lang and not v.config.region]
            if same_lang:
                return min(same_lang, key=lambda v: v.config.specificity)
        return best_default(values)

    def points_to_file(self, resolved: tuple[int, int, bool] | None) -> bool:
        """Whether a followed reference ends at a file path (res/...), i.e. a drawable/xml/raw file."""
        if resolved is None or not resolved[2] or resolved[0] != TYPE_STRING or self.table is None:
            return False
        return (self.table.string(resolved[1]) or "").startswith(("res/", "r/"))

    def text(self, vtype: int, vdata: int, pool: StringPool | None, locale: str | None = None,
             first: list[ResValue] | None = None) -> str | None:
        """The value as Android's TypedArray.getString would give it (references followed)."""
        resolved = self.follow(vtype, vdata, locale, first)
        if resolved is None:
            return None
        rtype, rdata, from_table = resolved
        if rtype == TYPE_STRING:
            if from_table:
                return self.table.string(rdata) if self.table is not None else None
            return pool.get(rdata) if pool is not None else None
        if rtype == TYPE_ATTRIBUTE:
            return None
        return scalar_text(rtype, rdata)

    def boolean(self, vtype: int, vdata: int, pool: StringPool | None) -> bool | None:
        resolved = self.follow(vtype, vdata, None)
        if resolved is None:
            return None
        rtype, rdata, from_table = resolved
        if 0x10 <= rtype <= 0x1F:
            return rdata != 0
        if rtype == TYPE_STRING:  # XmlUtils.convertValueToBoolean
            text = (self.table.string(rdata) if from_table and self.table else pool.get(rdata) if pool else None)
            return None if text is None else text in ("1", "true", "TRUE")
        return None

    def integer(self, vtype: int, vdata: int, pool: StringPool | None) -> int | None:
        resolved = self.follow(vtype, vdata, None)
        if resolved is None:
            return None
        rtype, rdata, from_table = resolved
        if 0x10 <= rtype <= 0x1F:
            return signed(rdata)
        if rtype == TYPE_STRING:
            text = (self.table.string(rdata) if from_table and self.table else pool.get(rdata) if pool else None)
            return convert_value_to_int(text)
        return None

    # -- per locale ----------------------------------------------------------------------
    def localized(self, vtype: int, vdata: int, pool: StringPool | None) -> dict[str, str]:
        """{locale: text} for every locale the table has a value for ("" = default)."""
        if vtype not in (TYPE_REFERENCE, TYPE_DYNAMIC_REFERENCE):
            text = self.text(vtype, vdata, pool)
            return {"": text} if text is not None else {}
        if self.table is None:
            return {}
        out: dict[str, str] = {}
        values = self.table.values(vdata)
        for locale in sorted({v.config.locale for v in values})[:512]:
            text = self.text(vtype, vdata, pool, locale or None, first=values)
            if text is not None:
                out[locale] = text
        return out

    # -- files ---------------------------------------------------------------------------
    def files(self, res_id: int) -> list[tuple[ResConfig, str]]:
        """Entry names a file resource (drawable, mipmap, xml...) points to, per configuration."""
        if self.table is None:
            return []
        out = []
        for value in self.table.values(res_id)[:512]:
            if value.vtype == TYPE_STRING:
                path = self.table.string(value.vdata)
                if path:
                    out.append((value.config, path))
            elif value.vtype == TYPE_REFERENCE and value.vdata != res_id:
                # an alias (<item type="drawable" name="a">@drawable/b</item>): one hop only
                for cfg, path in self.files_no_alias(value.vdata):
                    out.append((value.config, path))
        return out

    def files_no_alias(self, res_id: int) -> list[tuple[ResConfig, str]]:
        if self.table is None:
            return []
        return [(v.config, self.table.string(v.vdata) or "") for v in self.table.values(res_id)[:512]
                if v.vtype == TYPE_STRING]

    def default_file(self, res_id: int) -> str | None:
        files = self.files(res_id)
        if not files:
            return None
        defaults = [f for f in files if not f[0].language] or files
        return min(defaults, key=lambda f: f[0].specificity)[1]
