"""Constants and chunk checks of Android's binary resource formats.

Source: AOSP ``frameworks/base/libs/androidfw/include/androidfw/ResourceTypes.h`` and
``ResourceTypes.cpp`` (``validate_chunk``). Every reader in this package uses these, so the
format is written down once.
"""
from __future__ import annotations

import struct

# ResChunk_header types
RES_NULL_TYPE = 0x0000
RES_STRING_POOL_TYPE = 0x0001
RES_TABLE_TYPE = 0x0002
RES_XML_TYPE = 0x0003
RES_XML_FIRST_CHUNK_TYPE = 0x0100
RES_XML_START_NAMESPACE_TYPE = 0x0100
RES_XML_END_NAMESPACE_TYPE = 0x0101
RES_XML_START_ELEMENT_TYPE = 0x0102
RES_XML_END_ELEMENT_TYPE = 0x0103
RES_XML_CDATA_TYPE = 0x0104
RES_XML_LAST_CHUNK_TYPE = 0x017F
RES_XML_RESOURCE_MAP_TYPE = 0x0180
RES_TABLE_PACKAGE_TYPE = 0x0200
RES_TABLE_TYPE_TYPE = 0x0201
RES_TABLE_TYPE_SPEC_TYPE = 0x0202
RES_TABLE_LIBRARY_TYPE = 0x0203

CHUNK_HEADER_SIZE = 8  # sizeof(ResChunk_header)
XML_NODE_SIZE = 16  # sizeof(ResXMLTree_node)
STRING_POOL_HEADER_SIZE = 28  # sizeof(ResStringPool_header)
ATTR_EXT_SIZE = 20  # sizeof(ResXMLTree_attrExt)
ATTRIBUTE_SIZE = 20  # sizeof(ResXMLTree_attribute)
NAMESPACE_EXT_SIZE = 8  # sizeof(ResXMLTree_namespaceExt)
END_ELEMENT_EXT_SIZE = 8  # sizeof(ResXMLTree_endElementExt)
CDATA_EXT_SIZE = 12  # sizeof(ResXMLTree_cdataExt)

NO_INDEX = 0xFFFFFFFF

# Res_value data types
TYPE_NULL = 0x00
TYPE_REFERENCE = 0x01
TYPE_ATTRIBUTE = 0x02
TYPE_STRING = 0x03
TYPE_FLOAT = 0x04
TYPE_DIMENSION = 0x05
TYPE_FRACTION = 0x06
TYPE_DYNAMIC_REFERENCE = 0x07
TYPE_DYNAMIC_ATTRIBUTE = 0x08
TYPE_INT_DEC = 0x10
TYPE_INT_HEX = 0x11
TYPE_INT_BOOLEAN = 0x12
TYPE_FIRST_COLOR_INT = 0x1C
TYPE_LAST_COLOR_INT = 0x1F
TYPE_FIRST_INT = 0x10
TYPE_LAST_INT = 0x1F

# ResStringPool_header flags
UTF8_FLAG = 0x100

# ResTable_type flags and ResTable_entry flags
TYPE_FLAG_SPARSE = 0x01
TYPE_FLAG_OFFSET16 = 0x02
ENTRY_FLAG_COMPLEX = 0x0001
ENTRY_FLAG_COMPACT = 0x0008

# ResTable_config density values
DENSITY_DEFAULT = 0
DENSITY_ANY = 0xFFFE
DENSITY_NONE = 0xFFFF

ANDROID_NS = "http://schemas.android.com/apk/res/android"

_U16 = struct.Struct("<H")
_U32 = struct.Struct("<I")
_HDR = struct.Struct("<HHI")


def u16(data: bytes, off: int) -> int:
    return _U16.unpack_from(data, off)[0]


def u32(data: bytes, off: int) -> int:
    return _U32.unpack_from(data, off)[0]


def chunk_header(data: bytes, off: int) -> tuple[int, int, int]:
    """(type, headerSize, size) of the ResChunk_header at ``off``; the caller checks bounds."""
    return _HDR.unpack_from(data, off)


def chunk_problem(data: bytes, off: int, min_header: int, end: int) -> str | None:
    """``validate_chunk`` of ResourceTypes.cpp: None when Android accepts the chunk header.

    headerSize >= min_header, headerSize <= size, both 4-byte aligned, and the chunk inside ``end``.
    """
    end = min(end, len(data))
    if off + CHUNK_HEADER_SIZE > end:
        return f"chunk at 0x{off:x} has no room for a header"
    _type, header_size, size = chunk_header(data, off)
    if header_size < min_header:
        return f"chunk at 0x{off:x} header size {header_size} is below the minimum {min_header}"
    if header_size > size:
        return f"chunk at 0x{off:x} header size {header_size} exceeds its size {size}"
    if (header_size | size) & 0x3:
        return f"chunk at 0x{off:x} size 0x{size:x} or header size 0x{header_size:x} is not 4-byte aligned"
    if size > end - off:
        return f"chunk at 0x{off:x} size 0x{size:x} extends beyond the end (0x{end - off:x} bytes left)"
    return None
