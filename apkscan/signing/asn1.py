"""BER reading and DER writing: the ASN.1 encoding layer under PKCS #7 SignedData and X.509.

Reading mirrors apksig's ``internal/asn1/Asn1BerParser``: BER is accepted (indefinite lengths,
long-form lengths), values are kept as offsets into the input so that structures can keep their
original encoding (signatures are verified over original bytes, certificates are identified by
them). Nesting is bounded by MAX_DEPTH. Writing produces DER, for the factory's signer and for
re-encoding BER certificates the X.509 parser refuses (:func:`ber_to_der`).
"""
from __future__ import annotations

__all__ = [  # what apkscan.signing.pkcs7 re-exports
    "MAX_DEPTH", "Asn1Error", "Tlv", "UNIVERSAL", "APPLICATION", "CONTEXT", "PRIVATE", "T_BOOLEAN",
    "T_INTEGER", "T_BIT_STRING", "T_OCTET_STRING", "T_NULL", "T_OID", "T_SEQUENCE", "T_SET", "read_tlv",
    "read_all", "read_single", "decode_integer", "decode_oid", "expect", "der_length", "der",
    "der_sequence", "der_set_of", "der_integer", "der_oid", "DER_NULL", "der_octet_string", "ber_to_der"
]

MAX_DEPTH = 64


class Asn1Error(ValueError):
    """Malformed BER/DER."""


# ---------------------------------------------------------------------------------------------
# BER reading


class Tlv:
    """One BER data value, as offsets into the buffer it was read from (nothing is copied until
    ``encoded`` or ``content`` is asked for, so nested values cost no more than the input)."""

    __slots__ = ("cls", "constructed", "tag", "_buf", "_start", "_cstart", "_cend", "_end")

    def __init__(self, cls: int, constructed: bool, tag: int, buf: bytes, start: int, cstart: int, cend: int, end: int):
        self.cls = cls  # 0 universal, 1 application, 2 context-specific, 3 private
        self.constructed = constructed
        self.tag = tag
        self._buf, self._start, self._cstart, self._cend, self._end = buf, start, cstart, cend, end

    @property
    def encoded(self) -> bytes:
        """The whole data value as found (identifier + length + contents [+ end-of-contents])."""
        return self._buf[self._start : self._end]

    @property
    def content(self) -> bytes:
        """Contents octets (without the end-of-contents octets of the indefinite form)."""
        return self._buf[self._cstart : self._cend]

    def is_(self, cls: int, tag: int) -> bool:
        return self.cls == cls and self.tag == tag

    def children(self, depth: int = 0) -> list["Tlv"]:
        if not self.constructed:
            raise Asn1Error("primitive value has no elements")
        return _read_range(self._buf, self._cstart, self._cend, depth + 1)


UNIVERSAL, APPLICATION, CONTEXT, PRIVATE = 0, 1, 2, 3
T_BOOLEAN, T_INTEGER, T_BIT_STRING, T_OCTET_STRING, T_NULL, T_OID = 1, 2, 3, 4, 5, 6
T_SEQUENCE, T_SET = 16, 17


def _read_header(data: bytes, pos: int, end: int) -> tuple[int, bool, int, int, int | None]:
    """Return (cls, constructed, tag, contents_start, length or None for indefinite)."""
    if pos >= end:
        raise Asn1Error("truncated identifier")
    b = data[pos]
    pos += 1
    cls, constructed, tag = b >> 6, bool(b & 0x20), b & 0x1F
    if tag == 0x1F:
        tag = 0
        for _ in range(5):
            if pos >= end:
                raise Asn1Error("truncated tag")
            b = data[pos]
            pos += 1
            tag = (tag << 7) | (b & 0x7F)
            if not b & 0x80:
                break
        else:
            raise Asn1Error("tag number too large")
    if pos >= end:
        raise Asn1Error("truncated length")
    b = data[pos]
    pos += 1
    if b < 0x80:
        return cls, constructed, tag, pos, b
    if b == 0x80:
        if not constructed:
            raise Asn1Error("indefinite length on a primitive value")
        return cls, constructed, tag, pos, None
    n = b & 0x7F
    if n > 4 or pos + n > end:
        raise Asn1Error("unsupported or truncated length")
    length = int.from_bytes(data[pos : pos + n], "big")
    return cls, constructed, tag, pos + n, length


def read_tlv(data: bytes, pos: int = 0, end: int | None = None, depth: int = 0) -> tuple[Tlv, int]:
    """Read one data value at ``pos``; return it and the position after it."""
    data = bytes(data)
    return _read_tlv(data, pos, len(data) if end is None else end, depth)


def _read_tlv(data: bytes, pos: int, end: int, depth: int) -> tuple[Tlv, int]:
    if depth > MAX_DEPTH:
        raise Asn1Error("nesting too deep")
    start = pos
    cls, constructed, tag, cpos, length = _read_header(data, pos, end)
    if length is not None:
        cend = cpos + length
        if cend > end:
            raise Asn1Error("contents extend beyond the enclosing value")
        return Tlv(cls, constructed, tag, data, start, cpos, cend, cend), cend
    # Indefinite form: elements until the end-of-contents octets 00 00.
    p = cpos
    while True:
        if p + 2 <= end and data[p] == 0 and data[p + 1] == 0:
            return Tlv(cls, constructed, tag, data, start, cpos, p, p + 2), p + 2
        _, p = _read_tlv(data, p, end, depth + 1)


def _read_range(data: bytes, pos: int, end: int, depth: int) -> list[Tlv]:
    out = []
    while pos < end:
        tlv, pos = _read_tlv(data, pos, end, depth)
        out.append(tlv)
    return out


def read_all(data: bytes, depth: int = 0) -> list[Tlv]:
    data = bytes(data)
    return _read_range(data, 0, len(data), depth)


def read_single(data: bytes) -> Tlv:
    """The first data value of ``data`` (trailing bytes are ignored, as apksig's parser does)."""
    if not data:
        raise Asn1Error("empty input")
    return read_tlv(data, 0)[0]


def decode_integer(tlv: Tlv) -> int:
    if not tlv.content:
        raise Asn1Error("empty INTEGER")
    return int.from_bytes(tlv.content, "big", signed=True)


def decode_oid(tlv: Tlv) -> str:
    c = tlv.content
    if not c or len(c) > 256:
        raise Asn1Error("bad OBJECT IDENTIFIER length")
    arcs: list[int] = []
    value = 0
    for i, b in enumerate(c):
        value = (value << 7) | (b & 0x7F)
        if not b & 0x80:
            arcs.append(value)
            value = 0
        elif i == len(c) - 1:
            raise Asn1Error("truncated OBJECT IDENTIFIER")
    first = arcs[0]
    head = [0, first] if first < 40 else [1, first - 40] if first < 80 else [2, first - 80]
    return ".".join(str(a) for a in head + arcs[1:])


def expect(tlv: Tlv, cls: int, tag: int, what: str) -> Tlv:
    """``tlv`` itself when it has this class and tag number; else Asn1Error naming ``what``."""
    if not tlv.is_(cls, tag):
        raise Asn1Error(f"unexpected tag for {what}: class {tlv.cls} number {tlv.tag}")
    return tlv


# ---------------------------------------------------------------------------------------------
# DER writing


def der_length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def der(identifier: int, content: bytes) -> bytes:
    return bytes([identifier]) + der_length(len(content)) + content


def der_sequence(*items: bytes) -> bytes:
    return der(0x30, b"".join(items))


def der_set_of(items: list[bytes]) -> bytes:
    return der(0x31, b"".join(sorted(items)))  # DER: SET OF elements in ascending byte order


def der_integer(value: int) -> bytes:
    length = max(1, (value + (value < 0)).bit_length() // 8 + 1)
    return der(0x02, value.to_bytes(length, "big", signed=True))


def der_oid(oid: str) -> bytes:
    arcs = [int(a) for a in oid.split(".")]
    body = bytearray()
    for value in [arcs[0] * 40 + arcs[1]] + arcs[2:]:
        chunk = [value & 0x7F]
        value >>= 7
        while value:
            chunk.append(0x80 | (value & 0x7F))
            value >>= 7
        body += bytes(reversed(chunk))
    return der(0x06, bytes(body))


DER_NULL = b"\x05\x00"


def der_octet_string(data: bytes) -> bytes:
    return der(0x04, data)


_CONSTRUCTED_STRING_TAGS = {T_OCTET_STRING, 12, 18, 19, 20, 21, 22, 25, 26, 27, 28, 30}


def ber_to_der(data: bytes) -> bytes:
    """Re-encode one BER data value as DER (definite minimal lengths, primitive strings, minimal
    INTEGERs, canonical BOOLEAN). Used, as apksig's X509CertificateUtils does, to read certificates
    that were signed in a BER form the X.509 parser refuses."""
    return _to_der(read_single(data), 0)


def _to_der(tlv: Tlv, depth: int) -> bytes:
    identifier = bytearray()
    first = (tlv.cls << 6) | (0x20 if tlv.constructed else 0)
    if tlv.cls == UNIVERSAL and tlv.constructed and tlv.tag in _CONSTRUCTED_STRING_TAGS:
        # BER constructed string -> primitive with the concatenated contents.
        content = b"".join(c.content for c in tlv.children(depth))
        return der(tlv.tag, content)
    if tlv.tag < 0x1F:
        identifier.append(first | tlv.tag)
    else:
        identifier.append(first | 0x1F)
        parts = [tlv.tag & 0x7F]
        t = tlv.tag >> 7
        while t:
            parts.append(0x80 | (t & 0x7F))
            t >>= 7
        identifier += bytes(reversed(parts))
    if tlv.constructed:
        content = b"".join(_to_der(c, depth + 1) for c in tlv.children(depth))
    elif tlv.cls == UNIVERSAL and tlv.tag == T_INTEGER and tlv.content:
        content = _strip_integer(tlv.content)
    elif tlv.cls == UNIVERSAL and tlv.tag == T_BOOLEAN and len(tlv.content) == 1:
        content = b"\xff" if tlv.content[0] else b"\x00"
    else:
        content = tlv.content
    return bytes(identifier) + der_length(len(content)) + content


def _strip_integer(c: bytes) -> bytes:
    while len(c) > 1 and ((c[0] == 0 and c[1] < 0x80) or (c[0] == 0xFF and c[1] >= 0x80)):
        c = c[1:]
    return c
