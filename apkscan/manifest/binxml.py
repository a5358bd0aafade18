"""Binary XML (AXML) decoder that accepts exactly what Android's ResXMLTree accepts.

Why not androguard's AXMLParser: it is both stricter and looser than Android. It refuses an
XML header of another size and skips element nodes whose header is not 16 bytes (Android reads
them, so an app could hide its components from it), reads attributes at a fixed place instead
of ``attributeStart``, and repairs a string pool that Android refuses. Hostile APKs live in
exactly those gaps, so this module follows AOSP ``ResourceTypes.cpp``:

* ``ResXMLTree::setTo``: the file header must fit (``headerSize <= size <= length``) but its
  type is NOT checked; top-level chunks are walked (each must pass ``validate_chunk``); unknown
  chunk types are skipped; the last string pool / resource map before the first node wins; the
  string pool must be valid (``ResStringPool::setTo``); a root element node must exist.
* ``ResXMLParser::nextNode``: nodes are read by their own sizes, unknown node types are skipped,
  a node failing ``validateNode`` or too small for its kind makes the document BAD (the Java
  ``XmlBlock`` then throws "Corrupt XML binary file" and the package parser fails).
* element extensions sit at ``node + headerSize``; attributes at ``attributeStart`` with a
  stride of ``attributeSize``.

Everything Android tolerates but a well-formed file would not contain is recorded as a problem.
Time and memory are linear in the input and independent of any count field in it.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field

from apkscan.manifest.problems import BinaryXmlRejected, ProblemLog
from apkscan.manifest.restypes import (
    ATTR_EXT_SIZE,
    ATTRIBUTE_SIZE,
    CDATA_EXT_SIZE,
    CHUNK_HEADER_SIZE,
    END_ELEMENT_EXT_SIZE,
    NAMESPACE_EXT_SIZE,
    NO_INDEX,
    RES_STRING_POOL_TYPE,
    RES_XML_CDATA_TYPE,
    RES_XML_END_ELEMENT_TYPE,
    RES_XML_END_NAMESPACE_TYPE,
    RES_XML_FIRST_CHUNK_TYPE,
    RES_XML_LAST_CHUNK_TYPE,
    RES_XML_RESOURCE_MAP_TYPE,
    RES_XML_START_ELEMENT_TYPE,
    RES_XML_START_NAMESPACE_TYPE,
    RES_XML_TYPE,
    XML_NODE_SIZE,
    chunk_header,
    chunk_problem,
    u16,
    u32,
)
from apkscan.manifest.stringpool import StringPool, StringPoolError

MAX_DEPTH = 256  # deeper elements are validated but not kept (no manifest fact lives that deep)
MAX_ELEMENTS = 300_000  # a backstop: the 16 MiB manifest cap allows ~280k elements
MAX_ATTRIBUTES = 300_000  # attribute records kept per document (Android's own manifest: ~2,000)

_MIN_EXT = {
    RES_XML_START_NAMESPACE_TYPE: NAMESPACE_EXT_SIZE,
    RES_XML_END_NAMESPACE_TYPE: NAMESPACE_EXT_SIZE,
    RES_XML_START_ELEMENT_TYPE: ATTR_EXT_SIZE,
    RES_XML_END_ELEMENT_TYPE: END_ELEMENT_EXT_SIZE,
    RES_XML_CDATA_TYPE: CDATA_EXT_SIZE,
}
_CHUNK_NAMES = {RES_STRING_POOL_TYPE: "string pool", RES_XML_RESOURCE_MAP_TYPE: "resource map"}
_HEADER = struct.Struct("<HHI")  # ResChunk_header
_U32 = struct.Struct("<I")
_U32X2 = struct.Struct("<II")
_ATTR_EXT = struct.Struct("<IIHHH")  # ResXMLTree_attrExt: ns, name, attributeStart, attributeSize, attributeCount
_ATTRIBUTE = struct.Struct("<IIIHBBI")  # ResXMLTree_attribute: ns, name, rawValue, Res_value{size, res0, dataType, data}


@dataclass(slots=True)
class XmlAttribute:
    ns: str | None  # namespace URI
    name: str | None  # the name string in the pool (Android ignores it when res_id is set)
    res_id: int  # from the resource map, 0 when none: how Android finds android: attributes
    raw: str | None  # rawValue string (what name-based lookups such as "package" return)
    vtype: int  # Res_value dataType
    vdata: int  # Res_value data
    raw_index: int = NO_INDEX


@dataclass(slots=True)
class XmlElement:
    name: str | None
    ns: str | None
    attributes: list[XmlAttribute] = field(default_factory=list)
    children: list[XmlElement] = field(default_factory=list)
    text: str = ""
    offset: int = 0  # byte offset of the node, for evidence
    line: int = 0


@dataclass
class XmlDocument:
    root: XmlElement
    strings: StringPool
    prefixes: dict[str, str]  # namespace URI -> prefix, as declared in the file
    problems: ProblemLog
    element_count: int = 0

    def report_bad_strings(self) -> None:
        """Record the strings read so far that Android would read as null (call once, at the end)."""
        for why in list(self.strings.bad.values())[:10]:
            self.problems.add("AXML_BAD_STRING", f"{why}; Android reads it as null")


def decode(data: bytes, problems: ProblemLog | None = None) -> XmlDocument:
    """Decode binary XML; raise BinaryXmlRejected where Android's parser would refuse it."""
    log = problems if problems is not None else ProblemLog()
    if len(data) < CHUNK_HEADER_SIZE:
        raise BinaryXmlRejected(f"{len(data)} bytes is too short for a binary XML header")
    file_type, file_header_size, size = chunk_header(data, 0)
    if file_header_size > size or size > len(data):
        raise BinaryXmlRejected(
            f"binary XML header size {file_header_size} or total size {size} is larger than the data ({len(data)} bytes)")
    if file_type != RES_XML_TYPE:
        log.add("AXML_HEADER_TYPE", f"file chunk type is 0x{file_type:04x}, not RES_XML_TYPE (0x0003); Android does not check it")
    if file_header_size != CHUNK_HEADER_SIZE:
        log.add("AXML_HEADER_SIZE", f"file header size is {file_header_size}, not 8; Android starts reading at that offset")
    if size < len(data):
        log.add("AXML_TRAILING_DATA", f"{len(data) - size} bytes after the declared end ({size}) are ignored by Android")
    end = size
    pool, res_map_off, res_map_count, last = _scan_top_level(data, file_header_size, end, log)
    tree = _Walker(data, end, pool, res_map_off, res_map_count, log)
    tree.walk(last)
    if tree.root is None:
        raise BinaryXmlRejected("no root element node found")
    return XmlDocument(tree.root, pool, tree.prefixes, log, tree.elements)


def _scan_top_level(data: bytes, pos: int, end: int, log: ProblemLog):
    """ResXMLTree::setTo's first loop: string pool, resource map, and the chunk before the first node."""
    pool: StringPool | None = None
    pool_error: str | None = None
    res_map_off = 0
    res_map_count = 0
    last = pos
    seen_pool = seen_map = 0
    # Android's loop condition: chunk < dataEnd - 8 && chunk < dataEnd - chunk->size (strict).
    while pos < end - CHUNK_HEADER_SIZE and pos < end - u32(data, pos + 4):
        problem = chunk_problem(data, pos, CHUNK_HEADER_SIZE, end)
        if problem:
            raise BinaryXmlRejected(f"bad top-level chunk: {problem}")
        ctype, header_size, csize = chunk_header(data, pos)
        if ctype == RES_STRING_POOL_TYPE:
            seen_pool += 1
            if seen_pool == 2:
                log.add("AXML_STRING_POOL_REPLACED", f"a second string pool at 0x{pos:x} replaces the first (Android uses the last)")
            try:
                pool, pool_error = StringPool(data, pos, csize), None
            except StringPoolError as exc:
                pool, pool_error = None, str(exc)
        elif ctype == RES_XML_RESOURCE_MAP_TYPE:
            seen_map += 1
            if seen_map == 2:
                log.add("AXML_RESOURCE_MAP_REPLACED", f"a second resource map at 0x{pos:x} replaces the first (Android uses the last)")
            res_map_off, res_map_count = pos + header_size, (csize - header_size) // 4
        elif RES_XML_FIRST_CHUNK_TYPE <= ctype <= RES_XML_LAST_CHUNK_TYPE:
            problem = _node_problem(data, pos, end)
            if problem:
                raise BinaryXmlRejected(f"bad first XML node: {problem}")
            if pool_error:
                raise BinaryXmlRejected(f"string pool refused by Android: {pool_error}")
            if pool is None:
                raise BinaryXmlRejected("no string pool before the first XML node")
            return pool, res_map_off, res_map_count, last
        else:
            log.add("AXML_UNKNOWN_CHUNK", f"unknown chunk type 0x{ctype:04x} ({csize} bytes) at 0x{pos:x} skipped, as Android does")
        last = pos
        pos += csize
    raise BinaryXmlRejected("no root element node found")


def _node_problem(data: bytes, pos: int, end: int) -> str | None:
    """ResXMLTree::validateNode."""
    problem = chunk_problem(data, pos, XML_NODE_SIZE, end)
    if problem:
        return problem
    ctype, header_size, size = chunk_header(data, pos)
    if ctype != RES_XML_START_ELEMENT_TYPE:
        return None
    if size < header_size + ATTR_EXT_SIZE:
        return f"start element at 0x{pos:x}: header size 0x{header_size:x}, size 0x{size:x}"
    ext = pos + header_size
    attr_start, attr_size, attr_count = u16(data, ext + 8), u16(data, ext + 10), u16(data, ext + 12)
    if attr_start + attr_size * attr_count > size - header_size:
        return (f"start element at 0x{pos:x}: attributes use 0x{attr_start + attr_size * attr_count:x} bytes,"
                f" only 0x{size - header_size:x} available")
    return None


class _Walker:
    """ResXMLParser::nextNode from the chunk before the first node, building the element tree."""

    def __init__(self, data: bytes, end: int, pool: StringPool, res_map_off: int, res_map_count: int,
                 log: ProblemLog) -> None:
        self.data = data
        self.end = end
        self.pool = pool
        self.res_map_off = res_map_off
        self.res_map_count = res_map_count
        self.log = log
        self.root: XmlElement | None = None
        self.prefixes: dict[str, str] = {}
        self.elements = 0
        self.attributes_left = MAX_ATTRIBUTES

    def _string(self, idx: int) -> str | None:
        return None if idx == NO_INDEX else self.pool.get(idx)

    def walk(self, cur: int) -> None:
        data, end, log = self.data, self.end, self.log
        header = _HEADER.unpack_from
        stack: list[XmlElement] = []
        hidden_depth = 0  # open elements not kept: too deep, too many, or after the root
        root_closed = False
        while True:
            nxt = cur + _U32.unpack_from(data, cur + 4)[0]
            if nxt >= end:
                break
            # validateNode, inlined for the common case; _node_problem says what is wrong
            if nxt + XML_NODE_SIZE > end:
                raise BinaryXmlRejected(f"corrupt XML node (Android throws \"Corrupt XML binary file\"): "
                                        f"{_node_problem(data, nxt, end)}")
            ctype, header_size, size = header(data, nxt)
            if (header_size < XML_NODE_SIZE or header_size > size or (header_size | size) & 3 or size > end - nxt
                    or ctype == RES_XML_START_ELEMENT_TYPE):
                problem = _node_problem(data, nxt, end)
                if problem:
                    raise BinaryXmlRejected(f"corrupt XML node (Android throws \"Corrupt XML binary file\"): {problem}")
            cur = nxt
            min_ext = _MIN_EXT.get(ctype)
            if min_ext is None:
                if not log.full("AXML_UNKNOWN_CHUNK"):
                    what = _CHUNK_NAMES.get(ctype, "unknown node")
                    log.add("AXML_UNKNOWN_CHUNK", f"{what} type 0x{ctype:04x} ({size} bytes) at 0x{cur:x} inside the element stream skipped, as Android does")
                continue
            if size - header_size < min_ext:
                raise BinaryXmlRejected(
                    f"XML node type 0x{ctype:04x} at 0x{cur:x} has {size - header_size} bytes, needs {min_ext}")
            if header_size != XML_NODE_SIZE and not log.full("AXML_NODE_HEADER_SIZE"):
                log.add("AXML_NODE_HEADER_SIZE", f"node at 0x{cur:x} has header size {header_size}, not 16; Android reads its body after the header")
            ext = cur + header_size
            if ctype == RES_XML_START_ELEMENT_TYPE:
                if hidden_depth:
                    hidden_depth += 1
                    continue
                if root_closed:
                    log.add("AXML_EXTRA_ROOT", f"element after the root element closed (at 0x{cur:x}); Android's package parser stops at the root's end")
                    hidden_depth += 1
                    continue
                if len(stack) >= MAX_DEPTH or self.elements >= MAX_ELEMENTS:
                    log.add("AXML_DEPTH_LIMIT", f"elements deeper than {MAX_DEPTH} levels or beyond {MAX_ELEMENTS} elements are not kept")
                    hidden_depth += 1
                    continue
                element = self._element(cur, ext)
                self.elements += 1
                if stack:
                    stack[-1].children.append(element)
                else:
                    self.root = element
                stack.append(element)
            elif ctype == RES_XML_END_ELEMENT_TYPE:
                if hidden_depth:
                    hidden_depth -= 1
                elif stack:
                    stack.pop()
                    if not stack:
                        root_closed = True
                else:
                    log.add("AXML_UNBALANCED", f"end tag without a start tag at 0x{cur:x}")
            elif ctype == RES_XML_CDATA_TYPE:
                if stack and not hidden_depth:
                    text = self._string(_U32.unpack_from(data, ext)[0])
                    if text and len(stack[-1].text) < 65536:
                        stack[-1].text += text
            elif ctype == RES_XML_START_NAMESPACE_TYPE:
                prefix_idx, uri_idx = _U32X2.unpack_from(data, ext)
                prefix, uri = self._string(prefix_idx), self._string(uri_idx)
                if uri is not None and uri not in self.prefixes and len(self.prefixes) < 256:
                    self.prefixes[uri] = prefix or ""
        if stack:
            log.add("AXML_UNBALANCED", f"{len(stack)} element(s) never closed; Android ends the document there")

    def _element(self, node: int, ext: int) -> XmlElement:
        data, log = self.data, self.log
        ns_idx, name_idx, attr_start, attr_size, attr_count = _ATTR_EXT.unpack_from(data, ext)
        if attr_count and (attr_start != ATTR_EXT_SIZE or attr_size != ATTRIBUTE_SIZE) \
                and not log.full("AXML_ATTRIBUTE_LAYOUT"):
            log.add("AXML_ATTRIBUTE_LAYOUT",
                    f"element at 0x{node:x} stores attributes at offset {attr_start} with stride {attr_size} (normal: 20/20)")
        string = self._string
        element = XmlElement(string(name_idx), string(ns_idx), offset=node, line=_U32.unpack_from(data, node + 8)[0])
        attrs = element.attributes
        base = ext + attr_start
        if attr_size == 0 and attr_count > 1:  # every record is the same 20 bytes: one is enough
            log.add("AXML_ATTRIBUTE_LAYOUT", f"element at 0x{node:x} repeats one attribute record {attr_count} times")
            attr_count = 1
        if attr_count > self.attributes_left:
            log.add("AXML_DEPTH_LIMIT", f"more than {MAX_ATTRIBUTES} attributes in the document; the rest are not kept")
            attr_count = max(0, self.attributes_left)
        self.attributes_left -= attr_count
        res_map_count, res_map_off = self.res_map_count, self.res_map_off
        size_data = len(data)
        for i in range(attr_count):
            pos = base + i * attr_size
            if pos + ATTRIBUTE_SIZE <= size_data:
                a_ns, a_name, a_raw, _size, _res0, vtype, vdata = _ATTRIBUTE.unpack_from(data, pos)
            else:  # Android would read past the buffer; we read zeros
                raw = data[pos:pos + ATTRIBUTE_SIZE]
                a_ns, a_name, a_raw, _size, _res0, vtype, vdata = _ATTRIBUTE.unpack(raw + bytes(ATTRIBUTE_SIZE - len(raw)))
            res_id = _U32.unpack_from(data, res_map_off + a_name * 4)[0] if a_name < res_map_count else 0
            attrs.append(XmlAttribute(
                ns=string(a_ns),
                name=string(a_name),
                res_id=res_id,
                raw=string(a_raw),
                vtype=vtype,
                vdata=vdata,
                raw_index=a_raw,
            ))
        return element
