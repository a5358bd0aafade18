"""Targeted resources.arsc reader: index the chunk headers once, decode only the entries asked for.

androguard's ARSCParser decodes every entry of every configuration up front (2.4 s for the
31 MB framework-res.apk table); the manifest needs a handful of entries (label, icon,
version name, @xml configs), so this reader walks the chunk headers (a few ms) and reads an
entry only when asked. Layout from AOSP ``ResourceTypes.h``: ResTable_header, a global value
string pool, ResTable_package chunks with type/key string pools, ResTable_typeSpec and
ResTable_type chunks (dense 32-bit, OFFSET16 or SPARSE offset tables), ResTable_entry (full,
complex or COMPACT) followed by a Res_value.
"""
from __future__ import annotations

from dataclasses import dataclass

from apkscan.manifest.problems import ProblemLog
from apkscan.manifest.restypes import (
    DENSITY_ANY,
    DENSITY_NONE,
    ENTRY_FLAG_COMPACT,
    ENTRY_FLAG_COMPLEX,
    RES_STRING_POOL_TYPE,
    RES_TABLE_PACKAGE_TYPE,
    RES_TABLE_TYPE,
    RES_TABLE_TYPE_TYPE,
    TYPE_FLAG_OFFSET16,
    TYPE_FLAG_SPARSE,
    chunk_header,
    chunk_problem,
    u16,
    u32,
)
from apkscan.manifest.stringpool import StringPool, StringPoolError

_PACKAGE_HEADER_MIN = 284  # sizeof(ResTable_package) without typeIdOffset
_TYPE_HEADER_MIN = 20  # ResTable_type up to the config
_MAX_TYPE_CHUNKS = 200_000
LOOKUP_BUDGET = 4_000_000  # entry probes per table: real manifests need a few thousand
MAX_VALUES = 4096  # configurations returned for one resource (real tables: a few hundred at most)


class ArscError(ValueError):
    """The table cannot be read at all (Android's LoadedArsc would refuse it too)."""


@dataclass(frozen=True, slots=True)
class ResConfig:
    """The ResTable_config fields the manifest facts need."""

    language: str = ""
    region: str = ""
    script: str = ""
    variant: str = ""
    density: int = 0
    sdk: int = 0
    other: int = 0  # how many other qualifiers are set (night mode, screen size, mcc...)

    @property
    def locale(self) -> str:
        """"" for the default locale, else "vi", "vi-VN", "sr-Latn-RS"..."""
        if not self.language:
            return ""
        parts = [self.language]
        if self.script:
            parts.append(self.script)
        if self.region:
            parts.append(self.region)
        if self.variant:
            parts.append(self.variant)
        return "-".join(parts)

    @property
    def specificity(self) -> int:
        return self.other + (self.sdk != 0) + (self.density not in (0,))


@dataclass(frozen=True, slots=True)
class ResValue:
    config: ResConfig
    vtype: int | None  # None for a complex (bag) entry
    vdata: int
    key: int


def _unpack_lang(b0: int, b1: int, base: int) -> str:
    """unpackLanguageOrRegion: two ASCII letters, or three 5-bit letters packed when bit 7 is set."""
    if b0 & 0x80:
        first = b1 & 0x1F
        second = ((b1 & 0xE0) >> 5) + ((b0 & 0x03) << 3)
        third = (b0 & 0x7C) >> 2
        return "".join(chr(c + base) for c in (first, second, third))
    if b0:
        return "".join(chr(c) for c in (b0, b1) if 0x20 < c < 0x7F)
    return ""


def _ascii(raw: bytes) -> str:
    return "".join(chr(c) for c in raw.split(b"\x00", 1)[0] if 0x20 < c < 0x7F)


def parse_config(data: bytes, off: int, limit: int) -> ResConfig:
    size = u32(data, off) if off + 4 <= limit else 0
    raw = data[off:off + min(size, max(0, limit - off), 64)]
    raw = raw + bytes(64 - len(raw))
    other = sum(1 for v in (
        u16(raw, 4), u16(raw, 6),  # mcc mnc
        raw[12], raw[13],  # orientation touchscreen
        raw[16], raw[17], raw[18],  # keyboard navigation inputFlags
        u16(raw, 20), u16(raw, 22),  # screen width/height
        raw[28], raw[29], u16(raw, 30), u16(raw, 32), u16(raw, 34),  # layout uiMode sw w h dp
        raw[48], raw[49],  # screenLayout2 colorMode
    ) if v)
    return ResConfig(
        language=_unpack_lang(raw[8], raw[9], ord("a")),
        region=_unpack_lang(raw[10], raw[11], ord("0")),
        script=_ascii(raw[36:40]) if not raw[52] else "",  # localeScriptWasComputed: not a qualifier
        variant=_ascii(raw[40:48]),
        density=u16(raw, 14),
        sdk=u16(raw, 24),
        other=other,
    )


class _Package:
    __slots__ = ("id", "key_strings", "name", "type_id_offset", "type_strings", "types")

    def __init__(self, pid: int, name: str) -> None:
        self.id = pid
        self.name = name
        self.type_strings: StringPool | None = None
        self.key_strings: StringPool | None = None
        self.type_id_offset = 0
        self.types: dict[int, list[tuple]] = {}  # type id -> its ResTable_type chunks, see _index_package


class ResourceTable:
    """Index of a resources.arsc; ``values(res_id)`` decodes one entry across all configurations."""

    def __init__(self, data: bytes, log: ProblemLog | None = None) -> None:
        self.data = data
        self.log = log if log is not None else ProblemLog()
        self.strings: StringPool | None = None
        self.packages: dict[int, _Package] = {}
        self._configs: dict[int, ResConfig] = {}
        self._type_chunks = 0
        self._budget = LOOKUP_BUDGET
        self._index()

    # -- indexing -------------------------------------------------------------------------
    def _index(self) -> None:
        data = self.data
        problem = chunk_problem(data, 0, 12, len(data))
        if problem:
            raise ArscError(f"resources.arsc header: {problem}")
        ctype, header_size, size = chunk_header(data, 0)
        if ctype != RES_TABLE_TYPE:
            raise ArscError(f"resources.arsc starts with chunk type 0x{ctype:04x}, not RES_TABLE_TYPE")
        if size < len(data):
            self.log.add("ARSC_TRAILING_DATA", f"{len(data) - size} bytes after the resource table's declared end")
        end = size
        pos = header_size
        while pos + 8 <= end:
            problem = chunk_problem(data, pos, 8, end)
            if problem:
                self.log.add("ARSC_BAD_CHUNK", f"resource table chunk: {problem}; the rest is ignored")
                break
            ctype, hsize, csize = chunk_header(data, pos)
            if ctype == RES_STRING_POOL_TYPE:
                if self.strings is None:
                    try:
                        self.strings = StringPool(data, pos, csize)
                    except StringPoolError as exc:
                        raise ArscError(f"resources.arsc value string pool: {exc}") from None
            elif ctype == RES_TABLE_PACKAGE_TYPE:
                self._index_package(pos, hsize, csize)
            else:
                self.log.add("ARSC_UNKNOWN_CHUNK", f"unknown resource table chunk type 0x{ctype:04x} at 0x{pos:x} skipped")
            pos += csize

    def _index_package(self, pos: int, hsize: int, csize: int) -> None:
        data = self.data
        end = pos + csize
        if hsize < _PACKAGE_HEADER_MIN:
            self.log.add("ARSC_BAD_CHUNK", f"package chunk at 0x{pos:x} header size {hsize} is too small; skipped")
            return
        pid = u32(data, pos + 8)
        name = data[pos + 12:pos + 12 + 256].decode("utf-16-le", "replace").split("\x00", 1)[0]
        pkg = self.packages.get(pid)
        if pkg is None:
            pkg = self.packages[pid] = _Package(pid, name)
        type_strings, key_strings = u32(data, pos + 268), u32(data, pos + 276)
        if hsize >= _PACKAGE_HEADER_MIN + 4:
            pkg.type_id_offset = u32(data, pos + 284)
        for attr, rel in (("type_strings", type_strings), ("key_strings", key_strings)):
            if rel and rel < csize:
                try:
                    setattr(pkg, attr, StringPool(data, pos + rel, csize - rel))
                except StringPoolError as exc:
                    self.log.add("ARSC_BAD_STRING_POOL", f"package 0x{pid:02x} {attr.replace('_', ' ')}: {exc}")
        cur = pos + hsize
        while cur + 8 <= end:
            problem = chunk_problem(data, cur, 8, end)
            if problem:
                self.log.add("ARSC_BAD_CHUNK", f"package 0x{pid:02x} chunk: {problem}; the rest of the package is ignored")
                break
            ctype, chsize, ccsize = chunk_header(data, cur)
            if ctype == RES_TABLE_TYPE_TYPE and chsize >= _TYPE_HEADER_MIN and self._type_chunks < _MAX_TYPE_CHUNKS:
                self._type_chunks += 1
                # (chunk, end, flags, entryCount, entriesStart, offset table, default-locale?)
                default_locale = chsize < 20 + 12 or data[cur + 28] == 0
                pkg.types.setdefault(data[cur + 8], []).append(
                    (cur, cur + ccsize, data[cur + 9], u32(data, cur + 12), u32(data, cur + 16), cur + chsize,
                     default_locale))
            cur += ccsize

    # -- lookups --------------------------------------------------------------------------
    def package_name(self, res_id: int) -> str | None:
        pkg = self.packages.get(res_id >> 24)
        return pkg.name if pkg else None

    def string(self, idx: int) -> str | None:
        return self.strings.get(idx) if self.strings is not None else None

    def name(self, res_id: int) -> tuple[str, str] | None:
        """("string", "app_name") for a resource id, from the package's type and key pools."""
        pkg = self.packages.get(res_id >> 24)
        if pkg is None or pkg.type_strings is None:
            return None
        type_id = (res_id >> 16) & 0xFF
        type_name = pkg.type_strings.get(type_id - 1 - pkg.type_id_offset)
        value = self._first(pkg, res_id)
        key = pkg.key_strings.get(value.key) if value is not None and pkg.key_strings is not None else None
        if type_name is None or key is None:
            return None
        return type_name, key

    def config_of(self, chunk: int) -> ResConfig:
        cfg = self._configs.get(chunk)
        if cfg is None:
            end = chunk + u32(self.data, chunk + 4)
            cfg = self._configs[chunk] = parse_config(self.data, chunk + 20, end)
        return cfg

    def _first(self, pkg: _Package, res_id: int) -> ResValue | None:
        """Any one configuration's entry (default-locale chunks first): enough for the key name."""
        chunks = pkg.types.get((res_id >> 16) & 0xFF, ())
        for want_default in (True, False):
            for desc in chunks:
                if desc[6] is want_default and self._spend():
                    value = self._entry(desc, res_id & 0xFFFF)
                    if value is not None:
                        return value
        return None

    def _spend(self) -> bool:
        self._budget -= 1
        if self._budget == 0:
            self.log.add("ARSC_LOOKUP_BUDGET", f"more than {LOOKUP_BUDGET} resource lookups: the rest are skipped")
        return self._budget > 0

    def values(self, res_id: int, default_locale_only: bool = False) -> list[ResValue]:
        """Every configuration's value of ``res_id`` (in table order); with ``default_locale_only``
        only configurations without a language (what a lookup for the default locale can match)."""
        pkg = self.packages.get(res_id >> 24)
        if pkg is None:
            return []
        entry_idx = res_id & 0xFFFF
        out: list[ResValue] = []
        entry = self._entry
        for desc in pkg.types.get((res_id >> 16) & 0xFF, ()):
            if default_locale_only and not desc[6]:
                continue
            if not self._spend():
                break
            value = entry(desc, entry_idx)
            if value is not None:
                out.append(value)
                if len(out) >= MAX_VALUES:
                    break
        return out

    def _entry(self, desc: tuple, idx: int) -> ResValue | None:
        data = self.data
        chunk, end, flags, count, entries_start, table, _default = desc
        if flags & TYPE_FLAG_SPARSE:
            # ResTable_sparseTypeEntry {uint16 idx; uint16 offset/4}, sorted by idx: binary search
            lo, hi = 0, min(count, max(0, (end - table) // 4))
            off = None
            while lo < hi:
                mid = (lo + hi) // 2
                at = u16(data, table + mid * 4)
                if at < idx:
                    lo = mid + 1
                elif at > idx:
                    hi = mid
                else:
                    off = u16(data, table + mid * 4 + 2) * 4
                    break
            if off is None:
                return None
        elif flags & TYPE_FLAG_OFFSET16:
            if idx >= count or table + idx * 2 + 2 > end:
                return None
            off = u16(data, table + idx * 2)
            if off == 0xFFFF:
                return None
            off *= 4
        else:
            if idx >= count or table + idx * 4 + 4 > end:
                return None
            off = u32(data, table + idx * 4)
            if off == 0xFFFFFFFF:
                return None
        pos = chunk + entries_start + off
        if pos + 8 > end:
            return None
        esize, eflags = u16(data, pos), u16(data, pos + 2)
        if eflags & ENTRY_FLAG_COMPACT:  # {uint16 key; uint16 flags (type in the high byte); uint32 data}
            return ResValue(self.config_of(chunk), eflags >> 8, u32(data, pos + 4), esize)
        key = u32(data, pos + 4)
        if eflags & ENTRY_FLAG_COMPLEX:
            return ResValue(self.config_of(chunk), None, 0, key)
        vpos = pos + esize
        if esize < 8 or vpos + 8 > end:
            return None
        return ResValue(self.config_of(chunk), data[vpos + 3], u32(data, vpos + 4), key)


def density_rank(density: int) -> int:
    """Order densities for picking the sharpest bitmap: xxxhdpi > ... > mdpi(default) > nodpi > anydpi."""
    if density == DENSITY_ANY:
        return -2
    if density == DENSITY_NONE:
        return -1
    return density or 160
