"""JAR manifest (META-INF/MANIFEST.MF) and signature file (.SF) format: read and write.

Both files are a main section followed by individual sections; a section is "Name: value" attribute
lines ended by an empty line. A line longer than 72 bytes (CRLF included) continues on the next line,
which starts with one SPACE. Format: the JAR File Specification ("JAR Manifest", "Signed JAR File").

Reading follows apksig's ``internal/jar/ManifestParser`` (what ``apksigner`` and, closely, Android do),
not java.util.jar, because the digests over manifest sections are computed over the exact byte ranges
this parser assigns to each section:

* lines end with CRLF, CR or LF;
* a section starts at its first non-empty line and ends after the empty line closing it (or at EOF);
* a continuation line (leading SPACE) is appended without its SPACE, *bytes first, then decoded*;
* an attribute is split on the first ": " (name may keep trailing spaces, value leading ones); a line
  without ": " is an attribute with that name and an empty value;
* attribute names compare case-insensitively (Java ``equalsIgnoreCase``).
"""
from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from functools import cached_property

CRLF = b"\r\n"
MAX_LINE_BYTES = 70  # content bytes of a line; with CRLF that is the spec's 72-byte limit

# Hostile manifests: bound the number of sections and attributes we materialise.
MAX_SECTIONS = 1_000_000
MAX_ATTRIBUTES_PER_SECTION = 10_000


class ManifestFormatError(ValueError):
    """The manifest cannot be represented (e.g. a limit was exceeded)."""


def _upper1(c: str) -> str:
    u = c.upper()
    return u if len(u) == 1 else c


def _lower1(c: str) -> str:
    low = c.lower()
    return low if len(low) == 1 else c


def java_equals_ignore_case(a: str, b: str) -> bool:
    """``String.equalsIgnoreCase``: per character, equal, or equal upper-cased, or equal lower-cased
    after upper-casing (so U+017F LATIN SMALL LETTER LONG S matches "S", as on Java)."""
    if len(a) != len(b):
        return False
    if a == b:
        return True
    for x, y in zip(a, b, strict=True):
        if x == y:
            continue
        ux, uy = _upper1(x), _upper1(y)
        if ux == uy or _lower1(ux) == _lower1(uy):
            continue
        return False
    return True


@dataclass(frozen=True)
class Section:
    """One section: its byte range in the file (digests are computed over it) and its attributes."""

    start: int
    size: int
    attributes: tuple[tuple[str, str], ...]

    @property
    def name(self) -> str | None:
        """Value of the first attribute when it is "Name" (any case), as apksig reads it."""
        if self.attributes and java_equals_ignore_case(self.attributes[0][0], "Name"):
            return self.attributes[0][1]
        return None

    @cached_property
    def _ascii_index(self) -> dict[str, str] | None:
        """Lower-cased name -> first value, when every name is ASCII (then Java's equalsIgnoreCase
        is plain ASCII case folding); None sends lookups to the character-by-character rule."""
        index: dict[str, str] = {}
        for name, value in self.attributes:
            if not name.isascii():
                return None
            index.setdefault(name.lower(), value)
        return index

    def get(self, attr_name: str) -> str | None:
        """The first attribute with this name (case-insensitive), or None."""
        index = self._ascii_index
        if index is not None and attr_name.isascii():
            return index.get(attr_name.lower())
        for name, value in self.attributes:
            if java_equals_ignore_case(name, attr_name):
                return value
        return None

    def bytes_of(self, data: bytes) -> bytes:
        return data[self.start : self.start + self.size]


def _lines(data: bytes):
    """Yield (content, start, end_after_terminator); terminators are CRLF, CR or LF."""
    n = len(data)
    pos = 0
    next_cr = data.find(b"\r")
    next_lf = data.find(b"\n")
    while pos < n:
        if next_cr != -1 and next_cr < pos:
            next_cr = data.find(b"\r", pos)
        if next_lf != -1 and next_lf < pos:
            next_lf = data.find(b"\n", pos)
        if next_cr == -1 and next_lf == -1:
            yield data[pos:], pos, n
            return
        if next_cr == -1 or (next_lf != -1 and next_lf < next_cr):
            yield data[pos:next_lf], pos, next_lf + 1
            pos = next_lf + 1
        else:
            end = next_cr + 2 if next_lf == next_cr + 1 else next_cr + 1
            yield data[pos:next_cr], pos, end
            pos = end


def _attribute(raw: bytes) -> tuple[str, str]:
    text = raw.decode("utf-8", errors="replace")
    i = text.find(": ")
    if i == -1:
        return text, ""
    return text[:i], text[i + 2 :]


def parse(data: bytes) -> tuple[Section | None, list[Section]]:
    """Return (main section, individual sections). The main section is None for empty input."""
    sections: list[Section] = []
    start = -1
    attrs: list[tuple[str, str]] = []
    pending: list[bytes] | None = None  # the attribute being assembled from its lines

    def flush_attr() -> None:
        nonlocal pending
        if pending is not None:
            if len(attrs) >= MAX_ATTRIBUTES_PER_SECTION:
                raise ManifestFormatError("too many attributes in one section")
            attrs.append(_attribute(b"".join(pending)))
            pending = None

    def close(end: int) -> None:
        nonlocal start, attrs
        flush_attr()
        if len(sections) >= MAX_SECTIONS:
            raise ManifestFormatError("too many sections")
        sections.append(Section(start, end - start, tuple(attrs)))
        start, attrs = -1, []

    for content, line_start, line_end in _lines(data):
        if not content:
            if start != -1:
                close(line_end)
            continue
        if start == -1:
            start = line_start
            pending = [content]  # the first line of a section is an attribute even if it starts with SPACE
            continue
        if content[:1] == b" " and pending is not None:
            pending.append(content[1:])
        else:
            flush_attr()
            pending = [content]
    if start != -1:
        close(len(data))
    if not sections:
        return None, []
    return sections[0], sections[1:]


# ---------------------------------------------------------------------------------------------
# Base64 as java.util.Base64.getDecoder() accepts it (apksig decodes digests with it).


class Base64Error(ValueError):
    pass


_B64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def java_b64decode(text: str) -> bytes:
    """Decode like Java's basic Base64 decoder: strict alphabet, padding optional but, when present,
    correct and final; a dangling single character is an error."""
    try:
        raw = text.encode("ascii")
    except UnicodeEncodeError as e:
        raise Base64Error("illegal base64 character") from e
    pad = raw.find(b"=")
    body = raw if pad == -1 else raw[:pad]
    if body.translate(None, _B64_ALPHABET):  # something left once the alphabet is removed
        raise Base64Error("illegal base64 character")
    rem = len(body) % 4
    if rem == 1:
        raise Base64Error("last unit does not have enough valid bits")
    if pad != -1:
        tail = raw[pad:]
        if rem == 0 or tail != b"=" * (4 - rem):
            raise Base64Error("input has incorrect ending")
    try:
        return base64.b64decode(body + b"=" * ((4 - rem) % 4), validate=True)
    except binascii.Error as e:  # pragma: no cover - guarded above
        raise Base64Error(str(e)) from e


def b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# ---------------------------------------------------------------------------------------------
# Which digest attributes Android reads, by API level (apksig V1SchemeVerifier.getDigestsToVerify),
# and the X-Android-APK-Signed value.

JELLY_BEAN_MR2 = 18
_CANONICAL_DIGEST = {"MD5": "MD5", "SHA": "SHA-1", "SHA1": "SHA-1", "SHA-1": "SHA-1", "SHA-256": "SHA-256", "SHA-384": "SHA-384", "SHA-512": "SHA-512"}
# Digest algorithms the pre-JB-MR2 "Digest-Algorithms" logic accepts, and from which API level.
_MIN_SDK_FOR_DIGEST = {"MD5": 0, "SHA-1": 0, "SHA-256": 0, "SHA-384": 9, "SHA-512": 9}  # 9: Gingerbread
# From JB MR2 (API 18) Android uses the strongest of these that is present.
_JB_MR2_DIGESTS = ("SHA-512", "SHA-384", "SHA-256", "SHA-1")
_JAVA_WHITESPACE = " \t\n\r\f"


def _attr_name(jca: str, suffix: str) -> str:
    return ("SHA1" if jca == "SHA-1" else jca) + suffix


def digests_to_verify(section: Section, suffix: str, min_sdk: int, max_sdk: int) -> list[tuple[str, bytes]]:
    """The (JCA digest name, expected digest) pairs Android checks for this section over [min, max].

    Before API 18 the platform walks the old "Digest-Algorithms" list (default "SHA SHA1") and uses the
    first digest attribute it finds; if none is usable there, the section cannot verify on those
    platforms (empty result). From API 18 it uses the strongest of SHA-512/384/256/1 present.
    Raises jar_manifest.Base64Error on a malformed digest value (apksig throws there too)."""
    result: list[tuple[str, bytes]] = []
    if min_sdk < JELLY_BEAN_MR2:
        algs = section.get("Digest-Algorithms")
        if algs is None:
            algs = "SHA SHA1"
        for token in _java_tokens(algs):
            value = section.get(token + suffix)
            if value is None:
                continue
            canonical = _CANONICAL_DIGEST.get(token.upper())
            if canonical is None or _MIN_SDK_FOR_DIGEST.get(canonical, 2**31) > min_sdk:
                continue
            result.append((canonical, java_b64decode(value)))
            break
        if not result:
            return result
    if max_sdk >= JELLY_BEAN_MR2:
        for alg in _JB_MR2_DIGESTS:
            value = section.get(_attr_name(alg, suffix))
            if value is None:
                continue
            digest = java_b64decode(value)
            already = next((d for a, d in result if a == alg), None)
            if already is None or already != digest:
                result.append((alg, digest))
            break
    return result


def _java_tokens(text: str) -> list[str]:
    """java.util.StringTokenizer with its default delimiters."""
    out, cur = [], []
    for ch in text:
        if ch in _JAVA_WHITESPACE:
            if cur:
                out.append("".join(cur))
                cur = []
        else:
            cur.append(ch)
    if cur:
        out.append("".join(cur))
    return out


def parse_apk_signed_ids(value: str) -> list[int]:
    """X-Android-APK-Signed: comma-separated scheme ids; blanks and non-integers are skipped (apksig)."""
    ids = []
    for token in value.split(","):
        token = _java_trim(token)
        if not token:
            continue
        body = token[1:] if token[0] in "+-" else token
        if not body or not body.isdecimal():  # Integer.parseInt takes any Unicode decimal digit
            continue
        v = int(token)
        if -(2**31) <= v < 2**31:
            ids.append(v)
    return ids


def _java_trim(s: str) -> str:
    i, j = 0, len(s)
    while i < j and s[i] <= " ":
        i += 1
    while j > i and s[j - 1] <= " ":
        j -= 1
    return s[i:j]


# ---------------------------------------------------------------------------------------------
# Writing, as apksig's ManifestWriter / SignatureFileWriter do.


def java_string_sort_key(s: str) -> bytes:
    """Java ``String.compareTo`` order (UTF-16 code units), which TreeMap uses for sections."""
    return s.encode("utf-16-be", errors="surrogatepass")


def write_attribute(name: str, value: str) -> bytes:
    """One attribute, wrapped: 70 content bytes on the first line, SPACE + 69 on the following ones
    (bytes are split regardless of UTF-8 character boundaries, as apksig does)."""
    line = f"{name}: {value}".encode("utf-8")
    out = bytearray(line[:MAX_LINE_BYTES])
    pos = MAX_LINE_BYTES
    while pos < len(line):
        out += CRLF + b" " + line[pos : pos + MAX_LINE_BYTES - 1]
        pos += MAX_LINE_BYTES - 1
    out += CRLF
    return bytes(out)


def write_main_section(first: tuple[str, str], others: dict[str, str]) -> bytes:
    """Main section: ``first`` (Manifest-Version or Signature-Version), then the other attributes sorted
    by name, then the empty line."""
    out = bytearray(write_attribute(*first))
    for name in sorted(others, key=java_string_sort_key):
        if name.lower() == first[0].lower():
            continue
        out += write_attribute(name, others[name])
    out += CRLF
    return bytes(out)


def write_individual_section(name: str, attributes: dict[str, str]) -> bytes:
    out = bytearray(write_attribute("Name", name))
    for attr in sorted(attributes, key=java_string_sort_key):
        out += write_attribute(attr, attributes[attr])
    out += CRLF
    return bytes(out)
