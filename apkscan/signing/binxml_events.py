"""The binary XML event stream as apksig reads it (AndroidBinXmlParser), for the SDK levels that
decide which signature schemes must verify.

Why not apkscan.manifest.binxml: that decoder accepts exactly what Android's ResXMLTree accepts
(the right contract for "what will the device install"), while a verifier that claims to agree with
apksig must read what apksig reads. They differ on hostile files, e.g. a string pool whose offset
table runs past its chunk: Android refuses the manifest, apksig reads the strings it needs and
verifies the APK. apksig's rules, followed here (AndroidBinXmlParser.java):

* the document is the first top-level RES_XML_TYPE chunk ("No XML chunk in file" otherwise); a chunk
  whose size runs past the data ends the walk, a header shorter than 8 or longer than the chunk is
  an error;
* inside it, chunks are read in order: one string pool and one resource map at most ("Multiple ...
  not supported"), start/end element nodes (their names are read, so a bad name index is an error),
  every other chunk type is skipped;
* a start element's attributes sit at attributeStart with a stride of attributeSize within the
  node's body; an attribute's resource id comes from the resource map read so far (0 if none);
* strings are read lazily: index < count, offset inside the strings section, length prefix, NUL
  terminator; UTF-8 or UTF-16LE, malformed sequences replaced.
Time is linear in the input; decoded string bytes are bounded.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Iterator

RES_STRING_POOL_TYPE = 0x0001
RES_XML_TYPE = 0x0003
RES_XML_START_ELEMENT_TYPE = 0x0102
RES_XML_END_ELEMENT_TYPE = 0x0103
RES_XML_RESOURCE_MAP_TYPE = 0x0180
NO_NAMESPACE = 0xFFFFFFFF
FLAG_UTF8 = 1 << 8
INT_MAX = 0x7FFFFFFF
MAX_DECODED_BYTES = 32 * 1024 * 1024  # a hostile pool can point every index at one huge string

_U16 = struct.Struct("<H")
_U32 = struct.Struct("<I")
_HEADER = struct.Struct("<HHI")


class XmlParserError(ValueError):
    """apksig AndroidBinXmlParser.XmlParserException (and the runtime errors it lets escape)."""


@dataclass(frozen=True)
class Attribute:
    res_id: int  # from the resource map, 0 when the name has none
    vtype: int  # Res_value dataType
    vdata: int  # Res_value data, unsigned


def _chunks(data: bytes, start: int, end: int) -> Iterator[tuple[int, int, int, int]]:
    """(type, chunk offset, body offset, chunk end) for each chunk in data[start:end] (Chunk.get)."""
    pos = start
    while end - pos >= 8:
        ctype, header_size, size = _HEADER.unpack_from(data, pos)
        if size - 8 > end - pos - 8:
            return  # Android ignores a last chunk too big for the data
        if header_size < 8:
            raise XmlParserError(f"Malformed chunk: header too short: {header_size} bytes")
        if header_size > size:
            raise XmlParserError(f"Malformed chunk: header too long: {header_size} bytes. Chunk size: {size} bytes")
        yield ctype, pos, pos + header_size, pos + size
        pos += size


class _StringPool:
    def __init__(self, data: bytes, chunk: int, body: int, end: int, budget: list[int]):
        header_size = body - chunk
        if header_size - 8 < 20:
            raise XmlParserError(f"XML chunk's header too short. Required at least 20 bytes. Available: {header_size - 8} bytes")
        count, style_count, flags, strings_start, styles_start = struct.unpack_from("<IIIII", data, chunk + 8)
        if count > INT_MAX:
            raise XmlParserError(f"Too many strings: {count}")
        if style_count > INT_MAX:
            raise XmlParserError(f"Too many styles: {style_count}")
        self.data = data
        self.count = count
        self.offsets = body  # the offset table starts the chunk's body
        self.body_end = end
        self.utf8 = bool(flags & FLAG_UTF8)
        self.section = (0, 0)
        if count > 0:
            first = strings_start - header_size
            if style_count > 0:
                if styles_start < strings_start:
                    raise XmlParserError(f"Styles offset ({styles_start}) < strings offset ({strings_start})")
                last = styles_start - header_size
            else:
                last = end - body
            if first < 0 or last < first or last > end - body:
                raise XmlParserError("string section out of bounds")
            self.section = (body + first, body + last)
        self.cache: dict[int, str] = {}
        self.budget = budget

    def get(self, index: int) -> str:
        if index >= self.count:
            raise XmlParserError(f"Unsupported string index: {index}, max: {self.count - 1}")
        cached = self.cache.get(index)
        if cached is not None:
            return cached
        entry = self.offsets + index * 4
        if entry + 4 > self.body_end:
            raise XmlParserError(f"string offset entry {index} out of bounds")
        offset = _U32.unpack_from(self.data, entry)[0]
        start, end = self.section
        if offset >= end - start:
            raise XmlParserError(f"Offset of string idx {index} out of bounds: {offset}")
        value = self._decode(start + offset, end)
        self.cache[index] = value
        return value

    def _decode(self, pos: int, section_end: int) -> str:
        data = self.data
        # apksig reads the length prefixes within the strings section and the characters from the
        # backing array, so a string may run past its section but not past the data
        def byte(p: int) -> int:
            if p >= section_end:
                raise XmlParserError("string length prefix out of bounds")
            return data[p]

        if self.utf8:
            n = byte(pos)
            pos += 2 if n & 0x80 else 1  # UTF-16 length, skipped
            n = byte(pos)
            if n & 0x80:
                n = ((n & 0x7F) << 8) | byte(pos + 1)
                pos += 2
            else:
                pos += 1
            size, terminator = n, 1
        else:
            if pos + 2 > section_end:
                raise XmlParserError("string length prefix out of bounds")
            n = _U16.unpack_from(data, pos)[0]
            pos += 2
            if n & 0x8000:
                if pos + 2 > section_end:
                    raise XmlParserError("string length prefix out of bounds")
                n = ((n & 0x7FFF) << 16) | _U16.unpack_from(data, pos)[0]
                pos += 2
            size, terminator = n * 2, 2
        if pos + size + terminator > len(data):
            raise XmlParserError("string runs past the end of the data")
        if any(data[pos + size:pos + size + terminator]):
            raise XmlParserError("encoded form of string not NULL terminated")
        self.budget[0] -= size
        if self.budget[0] < 0:
            raise XmlParserError("too many string bytes to decode")
        return data[pos:pos + size].decode("utf-8" if self.utf8 else "utf-16-le", errors="replace")


class StartElement:
    """One START_ELEMENT event: depth (the root is 1), name, namespace ("" for none), attributes."""

    __slots__ = ("depth", "name", "namespace", "_data", "_attrs", "_size", "_count", "_res_map", "_pool")

    def __init__(self, depth, name, namespace, data, attrs_at, size, count, res_map, pool):
        self.depth, self.name, self.namespace = depth, name, namespace
        self._data, self._attrs, self._size, self._count, self._res_map = data, attrs_at, size, count, res_map
        self._pool = pool

    def string(self, index: int) -> str:
        """A string of the document's pool (a TYPE_STRING attribute's data is its index)."""
        return self._pool.get(index)

    def attributes(self) -> Iterator[Attribute]:
        data, size = self._data, self._size
        if self._count and size < 20:
            raise XmlParserError(f"attribute record of {size} bytes is too short")
        for i in range(self._count):
            at = self._attrs + i * size
            name_id = _U32.unpack_from(data, at + 4)[0]
            res_id = 0
            if self._res_map is not None and name_id < self._res_map[1]:
                res_id = _U32.unpack_from(data, self._res_map[0] + name_id * 4)[0]
            yield Attribute(res_id, data[at + 15], _U32.unpack_from(data, at + 16)[0])


def _xml_body(data: bytes) -> tuple[int, int]:
    for ctype, _, body, end in _chunks(data, 0, len(data)):
        if ctype == RES_XML_TYPE:
            return body, end
    raise XmlParserError("No XML chunk in file")


def start_elements(data: bytes) -> Iterator[StartElement]:
    """The START_ELEMENT events of the document, in order; raises XmlParserError where apksig's
    parser throws (possibly after some events were yielded, as apksig's pull parser does)."""
    start, end = _xml_body(data)
    pool: _StringPool | None = None
    res_map: tuple[int, int] | None = None
    budget = [MAX_DECODED_BYTES]
    depth = 0
    for ctype, chunk, body, chunk_end in _chunks(data, start, end):
        if ctype == RES_STRING_POOL_TYPE:
            if pool is not None:
                raise XmlParserError("Multiple string pools not supported")
            pool = _StringPool(data, chunk, body, chunk_end, budget)
        elif ctype == RES_XML_RESOURCE_MAP_TYPE:
            if res_map is not None:
                raise XmlParserError("Multiple resource maps not supported")
            res_map = (body, (chunk_end - body) // 4)
        elif ctype in (RES_XML_START_ELEMENT_TYPE, RES_XML_END_ELEMENT_TYPE):
            if pool is None:
                raise XmlParserError("Named element encountered before string pool")
            available = chunk_end - body
            needed = 20 if ctype == RES_XML_START_ELEMENT_TYPE else 8
            if available < needed:
                raise XmlParserError(f"Element chunk too short. Need at least {needed} bytes. Available: {available} bytes")
            ns_id, name_id = struct.unpack_from("<II", data, body)
            name = pool.get(name_id)
            namespace = "" if ns_id == NO_NAMESPACE else pool.get(ns_id)
            if ctype == RES_XML_END_ELEMENT_TYPE:
                depth -= 1
                continue
            attr_start, attr_size, attr_count = struct.unpack_from("<HHH", data, body + 8)
            if attr_start > available or attr_start + attr_count * attr_size > available:
                raise XmlParserError("Attributes out of bounds")
            depth += 1
            yield StartElement(depth, name, namespace, data, body + attr_start, attr_size, attr_count, res_map, pool)
