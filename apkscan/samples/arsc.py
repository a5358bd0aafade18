"""resources.arsc writer: one package (id 0x7f) with string, mipmap/drawable and xml resources.

Layout from AOSP ``ResourceTypes.h``: ``ResTable_header`` (type 0x0002) + the global value string
pool + one ``ResTable_package`` (0x0200, 288-byte header: id, UTF-16 name[128], offsets of the
type-name and key-name pools). Per type: a ``ResTable_typeSpec`` (0x0202) with one
config-change mask per entry, then one ``ResTable_type`` (0x0201) per configuration
(``ResTable_config`` written at its current 64-byte size) with an offset per entry
(0xFFFFFFFF = absent) and ``ResTable_entry`` + ``Res_value`` records. Resource id =
0xPPTTEEEE (package, 1-based type index, entry index).
"""
from __future__ import annotations

import struct

from apkscan.samples.stringpool import StringPoolBuilder, encode_string_pool

RES_TABLE_TYPE = 0x0002
RES_TABLE_PACKAGE_TYPE = 0x0200
RES_TABLE_TYPE_TYPE = 0x0201
RES_TABLE_TYPE_SPEC_TYPE = 0x0202
TYPE_STRING = 0x03
NO_ENTRY = 0xFFFFFFFF
CONFIG_SIZE = 64
PACKAGE_HEADER_SIZE = 288

# ResTable_config change masks (ACONFIGURATION_*), used in the typeSpec flags.
CONFIG_LOCALE = 0x0004
CONFIG_DENSITY = 0x0100
CONFIG_VERSION = 0x0400

DENSITIES = {"ldpi": 120, "mdpi": 160, "tvdpi": 213, "hdpi": 240, "xhdpi": 320, "xxhdpi": 480,
             "xxxhdpi": 640, "anydpi": 0xFFFE, "nodpi": 0xFFFF}

# aapt2 emits types in this order; ids follow it among the types actually used.
TYPE_ORDER = ("attr", "drawable", "mipmap", "layout", "string", "xml")


def encode_config(qualifiers: str) -> tuple[bytes, int]:
    """``"" | "vi" | "xxhdpi-v4" | "vi-rVN"`` -> (64-byte ResTable_config, change mask)."""
    language = country = b"\x00\x00"
    density = sdk = 0
    mask = 0
    for q in filter(None, qualifiers.split("-")):
        if q in DENSITIES:
            density, mask = DENSITIES[q], mask | CONFIG_DENSITY
        elif q[0] == "v" and q[1:].isdigit():
            sdk, mask = int(q[1:]), mask | CONFIG_VERSION
        elif len(q) == 3 and q[0] == "r" and q[1:].isupper():
            country, mask = q[1:].encode("ascii"), mask | CONFIG_LOCALE
        elif len(q) == 2 and q.islower():
            language, mask = q.encode("ascii"), mask | CONFIG_LOCALE
        else:
            raise ValueError(f"unsupported resource qualifier {q!r}")
    cfg = struct.pack("<IHH2s2sBBHBBBBHHHH", CONFIG_SIZE, 0, 0, language, country, 0, 0, density,
                      0, 0, 0, 0, 0, 0, sdk, 0)
    return cfg.ljust(CONFIG_SIZE, b"\x00"), mask


class ResourceTable:
    """Collect resources, then ``finalize()`` to fix ids, then ``encode()``."""

    def __init__(self, package: str, package_id: int = 0x7F):
        self.package = package
        self.package_id = package_id
        # type -> entry name -> qualifiers -> string value (text, or a file path for file resources)
        self._types: dict[str, dict[str, dict[str, str]]] = {}
        self._ids: dict[tuple[str, str], int] | None = None

    def add(self, rtype: str, name: str, values: dict[str, str]) -> None:
        if self._ids is not None:
            raise RuntimeError("resource table already finalized")
        if rtype not in TYPE_ORDER:
            raise ValueError(f"unsupported resource type {rtype!r}")
        self._types.setdefault(rtype, {}).setdefault(name, {}).update(values)

    @property
    def empty(self) -> bool:
        return not self._types

    def add_string(self, name: str, values: dict[str, str]) -> None:
        self.add("string", name, values)

    def add_file(self, rtype: str, name: str, paths: dict[str, str]) -> None:
        self.add(rtype, name, paths)

    def finalize(self) -> dict[str, int]:
        if self._ids is None:
            self._ids = {}
            for t_index, rtype in enumerate(self._type_names(), start=1):
                for e_index, name in enumerate(sorted(self._types[rtype])):
                    self._ids[(rtype, name)] = (self.package_id << 24) | (t_index << 16) | e_index
        return {f"@{t}/{n}": i for (t, n), i in self._ids.items()}

    def id_of(self, ref: str) -> int:
        """``@string/app_name`` -> 0x7f..."""
        ids = self.finalize()
        if ref not in ids:
            raise KeyError(f"unknown resource {ref} in package {self.package}")
        return ids[ref]

    def _type_names(self) -> list[str]:
        return [t for t in TYPE_ORDER if t in self._types]

    def encode(self) -> bytes:
        self.finalize()
        values = StringPoolBuilder()
        types = self._type_names()
        keys = StringPoolBuilder()
        chunks = bytearray()
        for t_index, rtype in enumerate(types, start=1):
            entries = sorted(self._types[rtype])
            key_idx = [keys.add(name) for name in entries]
            qualifier_sets = sorted({q for name in entries for q in self._types[rtype][name]})
            spec_flags = []
            for name in entries:
                m = 0
                for q in self._types[rtype][name]:
                    m |= encode_config(q)[1]
                spec_flags.append(m if len(self._types[rtype][name]) > 1 else 0)
            chunks += struct.pack("<HHIBBHI", RES_TABLE_TYPE_SPEC_TYPE, 16, 16 + 4 * len(entries), t_index, 0,
                                  len(qualifier_sets), len(entries))
            chunks += struct.pack(f"<{len(entries)}I", *spec_flags)
            for q in qualifier_sets:
                config, _ = encode_config(q)
                offsets, body = [], bytearray()
                for name, k in zip(entries, key_idx):
                    value = self._types[rtype][name].get(q)
                    if value is None:
                        offsets.append(NO_ENTRY)
                        continue
                    offsets.append(len(body))
                    # ResTable_entry {size 8, flags 0, key} + Res_value {size 8, res0, TYPE_STRING, index}
                    body += struct.pack("<HHIHBBI", 8, 0, k, 8, 0, TYPE_STRING, values.add(value))
                header_size = 20 + CONFIG_SIZE
                entries_start = header_size + 4 * len(entries)
                chunks += struct.pack("<HHIBBHII", RES_TABLE_TYPE_TYPE, header_size, entries_start + len(body),
                                      t_index, 0, 0, len(entries), entries_start) + config
                chunks += struct.pack(f"<{len(offsets)}I", *offsets) + body

        type_pool = encode_string_pool(types, utf8=False)
        key_pool = encode_string_pool(keys.strings, utf8=True)
        name16 = self.package.encode("utf-16-le")[: 127 * 2].ljust(256, b"\x00")
        pkg_size = PACKAGE_HEADER_SIZE + len(type_pool) + len(key_pool) + len(chunks)
        pkg = struct.pack("<HHII", RES_TABLE_PACKAGE_TYPE, PACKAGE_HEADER_SIZE, pkg_size, self.package_id) + name16
        pkg += struct.pack("<IIIII", PACKAGE_HEADER_SIZE, len(types), PACKAGE_HEADER_SIZE + len(type_pool),
                           len(keys), 0)
        pkg += type_pool + key_pool + bytes(chunks)
        value_pool = encode_string_pool(values.strings, utf8=True)
        table_size = 12 + len(value_pool) + len(pkg)
        return struct.pack("<HHII", RES_TABLE_TYPE, 12, table_size, 1) + value_pool + pkg
