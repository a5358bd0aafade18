"""Network indicators in code and content, and matching against known IOCs.

From DEX string tables (dex_strings), native libraries, assets and raw resources: URLs, their
hosts, IP literals, ws:// / wss:// endpoints, Telegram bot tokens and Firebase endpoints (STR_*).
Known indicators (samples_meta/iocs/*.json, each with its source) are matched against those
hosts / IPs / URLs, the SHA-256 of the APK and of every inner file read, and APK file names (IOC_*).
"""
from __future__ import annotations

import hashlib
import ipaddress
import os
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterable, Mapping
from urllib.parse import urlsplit

from apkscan.analyzers.content_findings import (
    is_content_entry,
    apk_path,
    display_base,
    entry_path,
    is_dir_entry,
    limit,
    make_finding,
)
from apkscan.analyzers.dex_strings import dex_strings_for, is_dex
from apkscan.analyzers.iocs import EOCD_SEARCH, Indicator, IocSet, _norm_url, load_iocs
from apkscan.analyzers.base import EntryPassAnalyzer
from apkscan.model import Finding

SOURCE = "indicators"
DEFAULT_MAX_ENTRY_BYTES = 64 << 20  # content regex-scanned per entry (hashing has no cap)
MAX_UNIQUE = 5000  # distinct URLs / hosts / IPs kept per scan
MAX_LISTED = 100  # listed in one finding's evidence
MAX_LOCATIONS = 10

# RFC 3986 URL characters, bounded; scheme list covers what C2 and droppers use.
_URL = r"(?:https?|wss?|ftp)://[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]{1,2048}"
URL_RE = re.compile(_URL, re.I)
# Host names: dot-separated labels (RFC 1035), alphabetic TLD of 2..24 characters.
# The lookahead (a "." reachable through label characters) is implied by the rest: it only makes
# words without a dot fail at once instead of after backtracking through their labels.
_HOST = r"(?<![A-Za-z0-9\-.])(?=[A-Za-z0-9\-]*\.)(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z][A-Za-z0-9\-]{1,23}(?![A-Za-z0-9\-])"
HOST_RE = re.compile(_HOST)
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IP = rf"(?<![0-9.]){_OCTET}\.{_OCTET}\.{_OCTET}\.{_OCTET}(?![0-9]|\.[0-9])"
IP_RE = re.compile(_IP)
# An IP literal worth reporting on its own: a whole string "1.2.3.4" or "1.2.3.4:8081" (an IP-like
# token inside a sentence is not).
IP_ALONE_RE = re.compile(rf"(?m)^({_OCTET}\.{_OCTET}\.{_OCTET}\.{_OCTET})(:[0-9]{{1,5}})?$")
# Binary content (native libraries, assets): only printable runs can hold these indicators, so the
# patterns run on those runs, one per line, like C string literals (what `strings` does).
PRINTABLE_RUN_B = re.compile(rb"[\x20-\x7e]{6,}")
# Telegram Bot API token: "<bot id>:<35-character secret>" (core.telegram.org/bots/api#authorizing-your-bot)
_TG = r"(?<![A-Za-z0-9_\-:])[0-9]{8,10}:[A-Za-z0-9_\-]{35}(?![A-Za-z0-9_\-])"
TG_RE = re.compile(_TG)
_TG_TAIL_RE = re.compile(r":[A-Za-z0-9_\-]{35}(?![A-Za-z0-9_\-])")
FIREBASE_SUFFIXES = (".firebaseio.com", ".firebaseapp.com", ".web.app", ".firebasestorage.app",
                     "firebasestorage.googleapis.com", ".cloudfunctions.net")
TELEGRAM_API_HOST = "api.telegram.org"


# ---------------------------------------------------------------------------------------------
# Extraction
# ---------------------------------------------------------------------------------------------
def _is_public_ip(ip: str) -> bool:
    try:
        return ipaddress.IPv4Address(ip).is_global
    except ValueError:
        return False


def _looks_like_version(ip: str) -> bool:
    """"4.1.2.0" is a version string far more often than an address: all parts below 32."""
    return all(int(part) < 32 for part in ip.split("."))


# A plain authority after "scheme://": host, then ":port" or not, up to "/", "?", "#" or the end.
_PLAIN_NETLOC_RE = re.compile(r"([^/?#@\[\]%:]*)(?::[^/?#@\[\]%]*)?")


@lru_cache(maxsize=1 << 14)
def _host_of(url: str) -> str | None:
    """``urlsplit(url).hostname`` for a URL_RE match. The common authority, ``host[:port]``, is
    split here (urlsplit costs ~10 us a call, and a DEX holds thousands of URLs); anything with
    userinfo, brackets or a zone id goes through urlsplit itself."""
    sep = url.find("://")
    if sep > 0:
        m = _PLAIN_NETLOC_RE.match(url, sep + 3)
        end = m.end()
        if end == len(url) or url[end] in "/?#":
            host = m.group(1)
            return host.lower() if host else None
    try:
        return urlsplit(url).hostname
    except ValueError:
        return None


def mask_token(token: str) -> str:
    bot, _, secret = token.partition(":")
    return f"{bot}:{secret[:4]}...{secret[-2:]}"


@dataclass
class Collected:
    """What one scan has seen, value -> entry paths (bounded)."""

    urls: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    hosts: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # any host-like token
    url_hosts: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # hosts of URLs
    ips: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # every IP-like token
    ip_literals: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # see IP_ALONE_RE
    tokens: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    @staticmethod
    def add(table: dict[str, set[str]], value: str, path: str) -> None:
        if value in table or len(table) < MAX_UNIQUE:
            locs = table[value]
            if len(locs) < MAX_LOCATIONS:
                locs.add(path)


def _add_all(table: dict[str, set[str]], values: Iterable[str], path: str) -> None:
    """Collected.add for each value, in order; values repeated within one entry are added once
    (adding the same path again changes nothing)."""
    for value in dict.fromkeys(values):
        if value in table or len(table) < MAX_UNIQUE:
            locs = table[value]
            if len(locs) < MAX_LOCATIONS:
                locs.add(path)


def extract_from_strings(strings: Iterable[str], path: str, seen: Collected) -> None:
    """One item per DEX string or binary string literal. Each pattern runs only on the items that
    can hold a match, joined by newlines (so no match spans two strings): URLs need "://",
    hosts a ".", IPs three dots, bot tokens ":" and 35 token characters."""
    strings = strings if isinstance(strings, (list, tuple)) else list(strings)
    dotted = [x for x in strings if "." in x]
    if dotted:
        urls = list(dict.fromkeys(URL_RE.findall("\n".join([x for x in dotted if "://" in x]))))
        if urls:
            _add_all(seen.urls, urls, path)
            _add_all(seen.url_hosts, filter(None, map(_host_of, urls)), path)
        _add_all(seen.hosts, map(str.lower, HOST_RE.findall("\n".join(dotted))), path)
        ip_text = "\n".join([x for x in dotted if x.count(".") >= 3])
        if ip_text:
            _add_all(seen.ips, IP_RE.findall(ip_text), path)
            _add_all(seen.ip_literals, [ip for ip, port in IP_ALONE_RE.findall(ip_text)
                                        if port or not _looks_like_version(ip)], path)
    # a token needs ":" then 35 secret characters: that tail has a literal first character, so it
    # is found at C speed in the whole text; TG_RE then runs on the few strings holding it
    text = "\n".join(strings)
    if _TG_TAIL_RE.search(text):
        colon = "\n".join([x for x in strings if _TG_TAIL_RE.search(x)])
        _add_all(seen.tokens, TG_RE.findall(colon), path)


def extract_from_text(text: str, path: str, seen: Collected) -> None:
    extract_from_strings(text.split("\n"), path, seen)


# Binary content: rather than cutting every printable run out of megabytes of code (most of it
# noise), find the runs that can hold a match. Every pattern above needs "://" (URL_RE) or a
# "." / ":" between two word characters: an alphanumeric before it and [A-Za-z0-9_-] after it
# (host label + TLD, IP octets, bot id + secret). The bytes are mapped to classes (W word,
# S "." or ":", F "/", P other printable, NUL not printable) with one bytes.translate, the rare
# separators are found by a regex with a literal first byte, and run boundaries by bytes.find:
# the runs kept are exactly those the patterns could match in, at about 1 GB/s.
_CLASS_TABLE = bytes(
    0x57 if (0x30 <= b <= 0x39 or 0x41 <= b <= 0x5A or 0x61 <= b <= 0x7A or b in b"_-")  # W
    else 0x53 if b in b".:"  # S
    else 0x46 if b == 0x2F  # F
    else 0x50 if 0x20 <= b <= 0x7E  # P
    else 0 for b in range(256))
_TELL_RE = re.compile(rb"S(?:(?<=WS)W|FF)")  # word S word, or S// (a superset of "://")
MIN_RUN = 6  # as PRINTABLE_RUN_B


_NOT_PRINTABLE_RE = re.compile(rb"[^\x20-\x7e]")
WINDOW = 4 << 20  # bytes classified at a time: the class copy stays small for big libraries


def candidate_runs(data: bytes) -> list[bytes]:
    """The printable runs of ``data`` (as PRINTABLE_RUN_B finds them) that contain "://" or a
    "."/":" between word characters, in file order. Windows of about WINDOW bytes, cut at a
    non-printable byte so that no run is split."""
    if not isinstance(data, (bytes, bytearray)):
        data = bytes(data)
    runs: list[bytes] = []
    size = len(data)
    base = 0
    while base < size:
        cut = _NOT_PRINTABLE_RE.search(data, min(size, base + WINDOW)) if base + WINDOW < size else None
        stop = cut.start() if cut is not None else size
        window = data[base:stop] if (base or stop < size) else data
        _window_runs(window, runs)
        base = stop
    return runs


def _window_runs(data: bytes, runs: list[bytes]) -> None:
    classes = data.translate(_CLASS_TABLE)
    search = _TELL_RE.search
    m = search(classes)
    while m is not None:
        pos = m.start()
        start = classes.rfind(b"\0", 0, pos) + 1
        end = classes.find(b"\0", pos)
        if end < 0:
            end = len(classes)
        if end - start >= MIN_RUN:
            runs.append(bytes(data[start:end]))
        m = search(classes, end)


def extract_from_bytes(data: bytes, path: str, seen: Collected) -> None:
    """Native libraries and assets: the printable runs of the bytes, one per line."""
    runs = candidate_runs(data)
    if runs:
        extract_from_strings(b"\n".join(runs).decode("ascii").split("\n"), path, seen)


# ---------------------------------------------------------------------------------------------
# Entry consumer
# ---------------------------------------------------------------------------------------------
wanted = is_content_entry  # one definition of the entries content analyzers read


class IndicatorConsumer:
    """Entry consumer for Archive.for_each_entry; ``finish()`` returns STR_* and IOC_* findings."""

    name = SOURCE

    def __init__(self, ctx: Any, iocs: IocSet | None = None) -> None:
        self.ctx = ctx
        self.iocs = iocs if iocs is not None else load_iocs()
        self.max_bytes = int(limit(ctx, "strings_max_entry_bytes", DEFAULT_MAX_ENTRY_BYTES))
        self.seen = Collected()
        self.hash_hits: list[tuple[Indicator, str, str]] = []  # (indicator, path, sha256)
        self.name_hits: list[tuple[Indicator, str]] = []
        self._piece: tuple[Any, Any, bytearray] | None = None  # (entry, sha256, first max_bytes)

    def wants(self, entry: Any) -> bool:
        return not is_dir_entry(entry) and wanted(entry.name)

    def consume(self, entry: Any, data: bytes) -> None:
        path = entry_path(self.ctx, entry.name)
        if self.iocs.hashes_inner(data[:4], data[-EOCD_SEARCH:]):
            self._match_hash(path, hashlib.sha256(data).hexdigest())
        self._match_name(entry, path)
        if is_dex(data):
            table = dex_strings_for(self.ctx.cache, path, data)
            extract_from_strings(table.strings, path, self.seen)
        else:
            extract_from_bytes(data[: self.max_bytes], path, self.seen)

    def _match_hash(self, path: str, digest: str) -> None:
        hit = self.iocs.sha256.get(digest)
        if hit is not None:
            self.hash_hits.append((hit, path, digest))

    def _match_name(self, entry: Any, path: str) -> None:
        base = entry.name.rsplit("/", 1)[-1].lower()
        if base in self.iocs.filenames:
            self.name_hits.append((self.iocs.filenames[base], path))

    # -- big entries in pieces (Archive.for_each_entry): same results as consume() ----------------
    def takes_pieces(self, entry: Any, head: bytes) -> bool:
        return not is_dex(head)  # a DEX needs its whole string table

    def consume_piece(self, entry: Any, piece: bytes) -> None:
        state = self._piece
        if state is None or state[0] is not entry:
            self._piece = state = (entry, hashlib.sha256() if self.iocs.hashes_inner(piece[:4], None) else None,
                                   bytearray())
        if state[1] is not None:
            state[1].update(piece)
        room = self.max_bytes - len(state[2])
        if room > 0:
            state[2].extend(piece[:room])  # consume() scans the first max_bytes too

    def end_entry(self, entry: Any) -> None:
        state, self._piece = self._piece, None
        if state is None or state[0] is not entry:
            return
        path = entry_path(self.ctx, entry.name)
        if state[1] is not None:
            self._match_hash(path, state[1].hexdigest())
        self._match_name(entry, path)
        extract_from_bytes(state[2], path, self.seen)

    def entry_error(self, entry: Any, error: Exception) -> None:
        self._piece = None

    def finish(self) -> list[Finding]:
        out: list[Finding] = []
        out += self._hash_findings()
        out += self._name_findings()
        out += self._ioc_network_findings()
        out += self._string_findings()
        return out

    # -- IOC ---------------------------------------------------------------------------------
    def _hash_findings(self) -> list[Finding]:
        hits = list(self.hash_hits)
        if getattr(self.ctx, "depth", 0) == 0:  # nested APKs were hashed as the outer entry
            sha = _archive_sha256(self.ctx.archive)
            if sha and sha in self.iocs.sha256:
                hits.insert(0, (self.iocs.sha256[sha], apk_path(self.ctx), sha))
        return [make_finding("IOC_SHA256_MATCH", SOURCE, ind.evidence() | {"sha256": sha, "file": path or "(the APK)"},
                             path) for ind, path, sha in hits]

    def _name_findings(self) -> list[Finding]:
        hits = list(self.name_hits)
        if getattr(self.ctx, "depth", 0) == 0:
            base = os.path.basename(str(getattr(self.ctx, "path", "") or "")).lower()
            if base in self.iocs.filenames:
                hits.insert(0, (self.iocs.filenames[base], ""))
        return [make_finding("IOC_FILENAME_MATCH", SOURCE, ind.evidence() | {"file": path or display_base(self.ctx)},
                             path) for ind, path in hits]

    def _ioc_network_findings(self) -> list[Finding]:
        out: list[Finding] = []
        by_indicator: dict[tuple[str, str], tuple[Indicator, set[str], set[str]]] = {}

        def hit(ind: Indicator, seen_value: str, paths: Iterable[str]) -> None:
            key = (ind.type, ind.value)
            _, values, locs = by_indicator.setdefault(key, (ind, set(), set()))
            values.add(seen_value)
            locs.update(paths)

        for url, paths in self.seen.urls.items():
            ind = self.iocs.urls.get(_norm_url(url))
            if ind is not None:
                hit(ind, url, paths)
        for table in (self.seen.url_hosts, self.seen.hosts):
            for host, paths in table.items():
                ind = self.iocs.match_host(host)
                if ind is not None:
                    hit(ind, host, paths)
        for ip, paths in self.seen.ips.items():
            ind = self.iocs.ips.get(ip)
            if ind is not None:
                hit(ind, ip, paths)
        ids = {"domain": "IOC_DOMAIN_MATCH", "ip": "IOC_IP_MATCH", "url": "IOC_URL_MATCH"}
        for (kind, _), (ind, values, locs) in sorted(by_indicator.items()):
            locations = sorted(locs)
            severity = None if ind.confidence == "high" else "medium"
            out.append(make_finding(ids[kind], SOURCE,
                                    ind.evidence() | {"found": sorted(values)[:MAX_LISTED], "locations": locations},
                                    locations[0] if locations else "", severity=severity))
        return out

    # -- strings -------------------------------------------------------------------------------
    def _string_findings(self) -> list[Finding]:
        out: list[Finding] = []
        seen = self.seen
        where = apk_path(self.ctx)
        ws = {u: p for u, p in seen.urls.items() if u.lower().startswith(("ws://", "wss://"))}
        if ws:
            out.append(make_finding("STR_WEBSOCKET_ENDPOINT", SOURCE, _listing(ws, "endpoints"), _first_path(ws, where)))
        if seen.tokens:
            listed = {mask_token(t): p for t, p in seen.tokens.items()}
            ev = _listing(listed, "tokens") | {"token_sha256": sorted(hashlib.sha256(t.encode()).hexdigest()
                                                                     for t in seen.tokens)[:MAX_LISTED]}
            out.append(make_finding("STR_TELEGRAM_BOT_TOKEN", SOURCE, ev, _first_path(seen.tokens, where)))
        tg_api = {u: p for u, p in seen.urls.items() if (_host_of(u) or "") == TELEGRAM_API_HOST}
        tg_api.update({h: p for h, p in seen.hosts.items() if h == TELEGRAM_API_HOST})
        if tg_api:
            out.append(make_finding("STR_TELEGRAM_BOT_API", SOURCE, _listing(tg_api, "endpoints"), _first_path(tg_api, where)))
        firebase = {h: p for table in (seen.url_hosts, seen.hosts) for h, p in table.items()
                    if h.endswith(FIREBASE_SUFFIXES) or h in ("firebasestorage.googleapis.com",)}
        if firebase:
            out.append(make_finding("STR_FIREBASE_ENDPOINT", SOURCE, _listing(firebase, "hosts"), _first_path(firebase, where)))
        literals: dict[str, set[str]] = defaultdict(set)
        for table in (seen.ip_literals, seen.url_hosts):
            for ip, p in table.items():
                if IP_RE.fullmatch(ip) and _is_public_ip(ip):
                    literals[ip].update(p)
        public_ips = dict(literals)
        if public_ips:
            out.append(make_finding("STR_HARDCODED_IP", SOURCE, _listing(public_ips, "ips"), _first_path(public_ips, where)))
        if seen.urls:
            ev = _listing(seen.urls, "urls") | {"hosts": sorted(seen.url_hosts)[:MAX_LISTED], "host_count": len(seen.url_hosts)}
            out.append(make_finding("STR_NETWORK_ENDPOINTS", SOURCE, ev, where))
        return out


def _listing(table: Mapping[str, set[str]], key: str) -> dict[str, Any]:
    values = sorted(table)
    return {key: values[:MAX_LISTED], "count": len(values),
            "locations": {v: sorted(table[v]) for v in values[:MAX_LISTED]}}


def _first_path(table: Mapping[str, set[str]], default: str) -> str:
    paths = sorted(p for locs in table.values() for p in locs)
    return paths[0] if paths else default


def _archive_sha256(archive: Any) -> str | None:
    hashes = getattr(archive, "hashes", None)
    if hashes is None:
        return None
    value = hashes.get("sha256") if isinstance(hashes, Mapping) else getattr(hashes, "sha256", None)
    return str(value).lower() if value else None


class IndicatorAnalyzer(EntryPassAnalyzer):
    name = SOURCE

    def make_consumer(self, ctx: Any):
        return IndicatorConsumer(ctx)
