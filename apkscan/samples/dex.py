"""DEX writer: a valid classes.dex holding given classes and string constants.

Format from https://source.android.com/docs/core/runtime/dex-format: a 0x70-byte header (magic
``dex\\n035\\0`` or ``039``, Adler-32 of everything after the checksum field, SHA-1 of everything
after the signature field), then the index sections string_ids, type_ids, proto_ids, method_ids,
class_defs, then the data section (code_item, string_data_item, class_data_item, map_list).
Rules the ART verifier enforces (art/libdexfile/dex/dex_file_verifier.cc) and this writer follows:
string_ids sorted by UTF-16 code units, type_ids by descriptor index, method_ids by
(class, name, proto), superclasses defined before subclasses, code_item and map_list 4-byte aligned,
every item listed in the map.

Each class gets one ``public static void s()`` whose code loads its string constants with
``const-string`` (so the strings are referenced the way real code references them) and,
optionally, fills a ``byte[]`` from a ``fill-array-data`` payload (incompressible bulk data for
realistic sizes).
"""
from __future__ import annotations

import hashlib
import struct
import zlib
from dataclasses import dataclass

NO_INDEX = 0xFFFFFFFF
ACC_PUBLIC = 0x1
ACC_STATIC = 0x8

TYPE_HEADER_ITEM = 0x0000
TYPE_STRING_ID_ITEM = 0x0001
TYPE_TYPE_ID_ITEM = 0x0002
TYPE_PROTO_ID_ITEM = 0x0003
TYPE_METHOD_ID_ITEM = 0x0005
TYPE_CLASS_DEF_ITEM = 0x0006
TYPE_MAP_LIST = 0x1000
TYPE_CLASS_DATA_ITEM = 0x2000
TYPE_CODE_ITEM = 0x2001
TYPE_STRING_DATA_ITEM = 0x2002

METHOD_NAME = "s"


@dataclass(frozen=True)
class DexClass:
    name: str  # "com.vnid.MainActivity" or "Lcom/vnid/MainActivity;"
    superclass: str = "java.lang.Object"
    strings: tuple[str, ...] = ()
    payload: bytes = b""  # bulk bytes loaded by fill-array-data


def descriptor(name: str) -> str:
    if name.startswith("L") and name.endswith(";") or name.startswith("["):
        return name
    return "L" + name.replace(".", "/") + ";"


def mutf8(s: str) -> bytes:
    """Modified UTF-8: U+0000 as C0 80, supplementary characters as two 3-byte surrogates."""
    if "\x00" not in s and (s.isascii() or max(s) < "\U00010000"):
        return s.encode("utf-8", "surrogatepass")  # identical to UTF-8 for these
    out = bytearray()
    u16 = s.encode("utf-16-le", "surrogatepass")
    for i in range(0, len(u16), 2):
        c = u16[i] | (u16[i + 1] << 8)
        if 0 < c < 0x80:
            out.append(c)
        elif c < 0x800:
            out += bytes((0xC0 | (c >> 6), 0x80 | (c & 0x3F)))
        else:
            out += bytes((0xE0 | (c >> 12), 0x80 | ((c >> 6) & 0x3F), 0x80 | (c & 0x3F)))
    return bytes(out)


def uleb128(v: int) -> bytes:
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _utf16_key(s: str) -> bytes:
    # Big-endian UTF-16 bytes compare exactly like the code-unit sequence the spec orders by.
    return s.encode("utf-16-be", "surrogatepass")


def _align(buf: bytearray, n: int) -> None:
    while len(buf) % n:
        buf.append(0)


def _code(strings_idx: list[int], array_type_idx: int | None, payload: bytes) -> tuple[int, bytes]:
    """-> (registers_size, instruction bytes) of the method body."""
    units: list[int] = []
    for idx in strings_idx:
        if idx <= 0xFFFF:
            units += [0x1A, idx]  # const-string v0, string@idx (format 21c)
        else:
            units += [0x1B, idx & 0xFFFF, idx >> 16]  # const-string/jumbo v0 (31c)
    if not payload:
        units.append(0x000E)  # return-void
        return 1, struct.pack(f"<{len(units)}H", *units)
    n = len(payload)
    units += [0x0114, n & 0xFFFF, n >> 16]  # const v1, #n (31i)
    units += [(1 << 12) | (0 << 8) | 0x23, array_type_idx]  # new-array v0, v1, [B (22c)
    fill_at = len(units)
    units += [0x0026, 0, 0]  # fill-array-data v0, +off (31t), patched below
    units += [0x000E]  # return-void
    if len(units) % 2:
        units.append(0x0000)  # nop: the payload must be 4-byte aligned
    off = len(units) - fill_at
    units[fill_at + 1], units[fill_at + 2] = off & 0xFFFF, off >> 16
    units += [0x0300, 1, n & 0xFFFF, n >> 16]  # fill-array-data-payload, element width 1, size
    return 2, struct.pack(f"<{len(units)}H", *units) + payload + (b"\x00" if n % 2 else b"")


def build_dex(classes: list[DexClass], extra_strings: tuple[str, ...] = (), version: str = "035") -> bytes:
    """Return the bytes of a DEX file defining ``classes``; ``extra_strings`` join the string
    table (unreferenced, as in real files after shrinking)."""
    if version not in ("035", "037", "038", "039"):
        raise ValueError(f"unsupported dex version {version}")
    classes = [DexClass(descriptor(c.name), descriptor(c.superclass), tuple(c.strings), c.payload) for c in classes]
    if len({c.name for c in classes}) != len(classes):
        raise ValueError("duplicate class name")
    classes = _superclass_first(classes)
    need_array = any(c.payload for c in classes)

    types = {"V"} | {c.name for c in classes} | {c.superclass for c in classes}
    if need_array:
        types.add("[B")
    all_strings = set(types) | {METHOD_NAME} | set(extra_strings)
    for c in classes:
        all_strings.update(c.strings)
    strings = sorted(all_strings, key=_utf16_key)
    sidx = {s: i for i, s in enumerate(strings)}
    type_list = sorted(types, key=lambda t: sidx[t])
    tidx = {t: i for i, t in enumerate(type_list)}
    # one proto: ()V ; one method per class: L...;->s()V
    methods = sorted(classes, key=lambda c: tidx[c.name])
    midx = {c.name: i for i, c in enumerate(methods)}

    header_size = 0x70
    off = header_size
    string_ids_off = off
    off += 4 * len(strings)
    type_ids_off = off
    off += 4 * len(type_list)
    proto_ids_off = off
    off += 12
    method_ids_off = off
    off += 8 * len(methods)
    class_defs_off = off
    off += 32 * len(classes)
    data_off = off

    data = bytearray()
    # code items (4-byte aligned)
    code_offs = {}
    code_start = data_off
    for c in classes:
        _align(data, 4)
        code_offs[c.name] = data_off + len(data)
        regs, insns = _code([sidx[s] for s in c.strings], tidx.get("[B"), c.payload)
        data += struct.pack("<HHHHII", regs, 0, 0, 0, 0, len(insns) // 2)
        data += insns
    _align(data, 4)
    # string data
    string_data_start = data_off + len(data)
    string_data_offs = []
    for s in strings:
        string_data_offs.append(data_off + len(data))
        data += uleb128(len(s.encode("utf-16-le", "surrogatepass")) // 2) + mutf8(s) + b"\x00"
    # class data: one direct method each
    class_data_start = data_off + len(data)
    class_data_offs = {}
    for c in classes:
        class_data_offs[c.name] = data_off + len(data)
        data += uleb128(0) + uleb128(0) + uleb128(1) + uleb128(0)
        data += uleb128(midx[c.name]) + uleb128(ACC_PUBLIC | ACC_STATIC) + uleb128(code_offs[c.name])
    _align(data, 4)
    map_off = data_off + len(data)
    sections = [
        (TYPE_HEADER_ITEM, 1, 0),
        (TYPE_STRING_ID_ITEM, len(strings), string_ids_off),
        (TYPE_TYPE_ID_ITEM, len(type_list), type_ids_off),
        (TYPE_PROTO_ID_ITEM, 1, proto_ids_off),
        (TYPE_METHOD_ID_ITEM, len(methods), method_ids_off),
        (TYPE_CLASS_DEF_ITEM, len(classes), class_defs_off),
    ]
    if classes:
        sections.append((TYPE_CODE_ITEM, len(classes), code_start))
    sections.append((TYPE_STRING_DATA_ITEM, len(strings), string_data_start))
    if classes:
        sections.append((TYPE_CLASS_DATA_ITEM, len(classes), class_data_start))
    sections.append((TYPE_MAP_LIST, 1, map_off))
    if not methods:
        sections = [s for s in sections if s[0] != TYPE_METHOD_ID_ITEM]
    data += struct.pack("<I", len(sections))
    for t, n, o in sections:
        data += struct.pack("<HHII", t, 0, n, o)

    index = bytearray()
    index += struct.pack(f"<{len(strings)}I", *string_data_offs)
    index += struct.pack(f"<{len(type_list)}I", *(sidx[t] for t in type_list))
    index += struct.pack("<III", sidx["V"], tidx["V"], 0)  # proto ()V: shorty, return type, no params
    for c in methods:
        index += struct.pack("<HHI", tidx[c.name], 0, sidx[METHOD_NAME])
    for c in classes:
        index += struct.pack("<IIIIIIII", tidx[c.name], ACC_PUBLIC, tidx[c.superclass], 0, NO_INDEX, 0,
                             class_data_offs[c.name], 0)
    file_size = data_off + len(data)
    header = bytearray(b"dex\n" + version.encode() + b"\x00")
    header += b"\x00" * 24  # checksum + signature, filled below
    header += struct.pack("<III", file_size, header_size, 0x12345678)
    header += struct.pack("<II", 0, 0)  # link
    header += struct.pack("<I", map_off)
    header += struct.pack("<II", len(strings), string_ids_off)
    header += struct.pack("<II", len(type_list), type_ids_off)
    header += struct.pack("<II", 1, proto_ids_off)
    header += struct.pack("<II", 0, 0)  # field_ids
    header += struct.pack("<II", len(methods), method_ids_off if methods else 0)
    header += struct.pack("<II", len(classes), class_defs_off if classes else 0)
    header += struct.pack("<II", len(data), data_off)
    out = bytearray(header + index + data)
    out[12:32] = hashlib.sha1(out[32:]).digest()
    out[8:12] = struct.pack("<I", zlib.adler32(out[12:]) & 0xFFFFFFFF)
    return bytes(out)


def _superclass_first(classes: list[DexClass]) -> list[DexClass]:
    """Order classes so any superclass defined in this file precedes its subclasses
    (the verifier rejects the other order), keeping input order otherwise."""
    by_name = {c.name: c for c in classes}
    done: dict[str, DexClass] = {}

    def visit(c: DexClass, depth: int = 0) -> None:
        if c.name in done:
            return
        if depth > len(classes):
            raise ValueError(f"class hierarchy cycle at {c.name}")
        parent = by_name.get(c.superclass)
        if parent is not None:
            visit(parent, depth + 1)
        done[c.name] = c

    for c in classes:
        visit(c)
    return list(done.values())
