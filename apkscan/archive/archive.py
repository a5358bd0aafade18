"""``open_archive`` and ``Archive``: the ZIP as Android reads it, with limits and tamper evidence.

Public methods raise ``ArchiveError`` and nothing else, whatever the bytes.
"""
from __future__ import annotations

import functools
import os
import time
from apkscan.archive import zlib_impl as zlib
from typing import Any, Iterable, Iterator

from apkscan.archive.anomalies import Anomaly, AnomalyLog
from apkscan.archive.cache import EntryCache
from apkscan.archive.central_directory import read_central_directory
from apkscan.archive.entry import Entry
from apkscan.archive.eocd import CdLocation, locate_central_directory
from apkscan.archive.errors import ArchiveError
from apkscan.archive.fileio import FileReader
from apkscan.archive.inflate import OUT_STEP, InflateCorrupt, InflateLimit, InflateStream, inflate_range
from apkscan.archive.layout import check_declared, check_overlaps, check_prefix
from apkscan.archive.limits import Limits
from apkscan.archive.local_headers import build_entries
from apkscan.archive.names import check_names
from apkscan.archive.records import FLAG_DATA_DESCRIPTOR, METHOD_DEFLATED, U32_MAX, parse_data_descriptor
from apkscan.archive.stream import stream_file

MAX_READ_AT = 64 << 20
STREAM_MIN = 16 << 20  # for_each_entry: bigger entries may be handed out in pieces ...
HEAD_MIN = 1 << 20  # ... after consumers have seen at least this much of the start
PIECE = OUT_STEP  # stored entries are read in pieces of this size (deflated ones inflate in such steps)
ANDROID_ENTRY_FAILS = "entry unreadable on Android (extraction fails)"


def _guard(method):
    """Whatever goes wrong inside, callers only ever see ArchiveError."""

    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        try:
            return method(*args, **kwargs)
        except ArchiveError:
            raise
        except MemoryError:
            raise ArchiveError("MEMORY", "out of memory (the worker's memory guard was reached)") from None
        except Exception as exc:  # noqa: BLE001 - the contract: nothing but ArchiveError escapes
            raise ArchiveError("INTERNAL", f"{method.__name__}: {type(exc).__name__}: {exc}") from None

    return wrapper


@_guard
def open_archive(path: str | os.PathLike, limits: Limits | None = None) -> "Archive":
    """Open read-only and parse the tail (EOCD + central directory) and the local headers."""
    limits = limits or Limits()
    reader = FileReader(path)
    try:
        log = AnomalyLog(limits.max_anomaly_examples)
        loc = locate_central_directory(reader, log)
        records, hidden_records = read_central_directory(reader, loc, limits, log)
        if not records and not hidden_records:
            raise ArchiveError("EMPTY", "the archive has no entries")
        entries = build_entries(reader, loc, records, 0, False, log)
        hidden = build_entries(reader, loc, hidden_records, len(entries), True, log)
        check_prefix(reader, entries + hidden, log)
        check_names(entries + hidden, limits.max_name_len, log)
        check_overlaps(entries + hidden, log)
        check_declared(entries, limits, log)
        return Archive(reader, loc, entries, hidden, limits, log)
    except BaseException:
        reader.close()
        raise


class Archive:
    def __init__(self, reader: FileReader, loc: CdLocation, entries: tuple[Entry, ...],
                 hidden: tuple[Entry, ...], limits: Limits, log: AnomalyLog) -> None:
        self._reader = reader
        self._loc = loc
        self._log = log
        self.limits = limits
        self.path = reader.path
        self.size = reader.size
        self.eocd_offset = loc.eocd_offset
        self.cd_offset = loc.cd_offset
        self.cd_size = loc.cd_size
        self.comment = loc.comment
        self.entries = entries
        self.hidden_entries = hidden  # records after the EOCD count: Android never sees them
        self.hashes: dict[str, str] = {}
        self.consumer_errors: list[tuple[Any, str]] = []  # (consumer, what it raised)
        self.skipped_for_time = 0  # entries for_each_entry left unread past its deadline
        self.total_inflated = 0
        self._by_name: dict[str, Entry] = {}
        # Android refuses duplicate names (zip_cd_entry_map.cc AddToMap -> kDuplicateEntry), so no
        # installed APK has them; for analysis we keep the FIRST record in central-directory order,
        # the one libziparchive had already indexed when it hit the duplicate, and the one
        # apksig's V1 verifier reports (JAR_SIG_DUPLICATE_ZIP_ENTRY) alongside. ZIP_DUPLICATE_ENTRY
        # says a duplicate exists.
        for e in entries:
            self._by_name.setdefault(e.name, e)
        self._cache = EntryCache(limits.cache_entry_max, limits.cache_total_max)
        self._errors: dict[int, tuple[int, ArchiveError]] = {}  # index -> (ceiling, error)

    # -- lookups -----------------------------------------------------------------------------
    @property
    def anomalies(self) -> list[Anomaly]:
        return self._log.snapshot()

    @property
    def anomaly_ids(self) -> list[str]:
        return self._log.ids()

    @property
    def zip64(self) -> bool:
        return self._loc.zip64

    def entry(self, name: str) -> Entry | None:
        """The entry Android would use for ``name`` (the first of duplicates, see __init__)."""
        return self._by_name.get(name) if isinstance(name, str) else None

    def names(self) -> list[str]:
        return [e.name for e in self.entries]

    @_guard
    def read_at(self, offset: int, n: int) -> bytes:
        """Raw bytes of the file; short at end of file; at most 64 MiB per call."""
        if not isinstance(offset, int) or not isinstance(n, int) or offset < 0 or n < 0:
            raise ArchiveError("BAD_ENTRY", f"invalid range ({offset!r}, {n!r})")
        if n > MAX_READ_AT:
            raise ArchiveError("LIMIT_EXCEEDED", f"read_at of {n} bytes exceeds {MAX_READ_AT}")
        return self._reader.pread(offset, n)

    # -- content -----------------------------------------------------------------------------
    @_guard
    def read(self, entry_or_name: Entry | str, max_size: int | None = None) -> bytes:
        """Content of an entry as Android extracts it: DEFLATED (8) is inflated from
        compressed_size bytes; every other method is copied as STORED, uncompressed_size bytes
        (AssetsProvider.cpp). Small results are cached, errors too, so an entry is inflated at
        most once."""
        entry = self._resolve(entry_or_name)
        cached = self._cache.get(entry.index)
        if cached is not None:
            if max_size is not None and len(cached) > max_size:
                raise ArchiveError("LIMIT_EXCEEDED", f"{entry.name}: {len(cached)} bytes exceed max_size {max_size}")
            return cached
        ceiling = self.limits.max_entry_size if max_size is None else min(max(0, max_size), self.limits.max_entry_size)
        failed = self._errors.get(entry.index)
        if failed is not None and (failed[1].code != "LIMIT_EXCEEDED" or ceiling <= failed[0]):
            raise failed[1]
        try:
            data = self._extract(entry, ceiling)
        except ArchiveError as err:
            self._errors[entry.index] = (ceiling, err)
            raise
        self._cache.put(entry.index, data)
        return data

    def _resolve(self, entry_or_name: Entry | str) -> Entry:
        if isinstance(entry_or_name, str):
            entry = self._by_name.get(entry_or_name)
            if entry is None:
                raise ArchiveError("NOT_FOUND", f"no entry named {entry_or_name[:200]!r}")
            return entry
        if isinstance(entry_or_name, Entry):
            pool = self.entries if not entry_or_name.hidden else self.hidden_entries
            offset = 0 if not entry_or_name.hidden else len(self.entries)
            i = entry_or_name.index - offset
            if 0 <= i < len(pool) and pool[i] == entry_or_name:
                return pool[i]
        raise ArchiveError("NOT_FOUND", f"not an entry of this archive: {entry_or_name!r:.200}")

    def _extract(self, e: Entry, ceiling: int) -> bytes:
        limit = self._limit_for(e, ceiling)
        if e.method == METHOD_DEFLATED:
            data = self._inflate(e, limit)
        else:
            data = self._reader.pread(e.data_offset, e.uncompressed_size)
            if len(data) != e.uncompressed_size:
                raise ArchiveError("BAD_ENTRY", f"{e.name}: stored data cut short by end of file")
            self._check_crc(e, zlib.crc32(data))
            self._check_descriptor(e, e.stored_span)
        self.total_inflated += len(data)
        return data

    def _limit_for(self, e: Entry, ceiling: int) -> int:
        """The checks before reading an entry; returns how many bytes it may produce."""
        if not e.readable:
            raise ArchiveError("BAD_ENTRY", f"{e.name}: no readable local header")
        span = e.stored_span
        if e.data_offset + span > self.cd_offset:
            raise ArchiveError("BAD_ENTRY", f"{e.name}: data [{e.data_offset}, +{span}) runs into the central directory")
        budget = self.limits.max_total_uncompressed - self.total_inflated
        if budget <= 0 or (e.method != METHOD_DEFLATED and e.uncompressed_size > budget):
            self._log.add_entry("ZIP_LIMIT_EXCEEDED", "entry refused by the limits", e.name, index=e.index,
                                reason="max_total_uncompressed", limit=self.limits.max_total_uncompressed)
            raise ArchiveError("LIMIT_EXCEEDED", f"{e.name}: max_total_uncompressed reached")
        limit = min(ceiling, budget)
        if e.method != METHOD_DEFLATED and e.uncompressed_size > limit:
            self._log.add_entry("ZIP_LIMIT_EXCEEDED", "entry refused by the limits", e.name, index=e.index,
                                reason="size", size=e.uncompressed_size, limit=limit)
            raise ArchiveError("LIMIT_EXCEEDED", f"{e.name}: {e.uncompressed_size} bytes exceed the limit of {limit}")
        return limit

    def _inflate(self, e: Entry, limit: int) -> bytes:
        # Never produce more than the declared size (+1 to notice a lie) nor the limit.
        ceiling = min(limit, e.uncompressed_size)
        try:
            out = inflate_range(self._reader, e.data_offset, e.compressed_size, ceiling,
                                self.limits.max_ratio, self.limits.ratio_min_size)
        except (InflateLimit, InflateCorrupt) as exc:
            raise self._inflate_error(e, exc, ceiling, limit) from None
        self._inflated_checks(e, len(out.data), out.consumed, out.crc32)
        return out.data

    def _inflate_error(self, e: Entry, exc: Exception, ceiling: int, limit: int) -> ArchiveError:
        """The anomaly and the ArchiveError for an inflation stopped by a limit or bad data."""
        if isinstance(exc, InflateCorrupt):
            self._log.add_entry("ZIP_CORRUPT_DATA", "deflate data corrupt or truncated", e.name, index=e.index,
                                error=str(exc), android=ANDROID_ENTRY_FAILS + " (kZlibError)")
            return ArchiveError("BAD_ENTRY", f"{e.name}: {exc}")
        lim = exc
        self.total_inflated += lim.produced
        if lim.kind == "ratio":
            self._log.add_entry("ZIP_LIMIT_EXCEEDED", "entry refused by the limits", e.name, index=e.index,
                                reason="ratio", produced=lim.produced, consumed=lim.consumed,
                                max_ratio=self.limits.max_ratio)
            return ArchiveError("LIMIT_EXCEEDED", f"{e.name}: compression ratio above {self.limits.max_ratio:g} "
                                f"({lim.produced} bytes from {lim.consumed}): zip bomb")
        if ceiling == e.uncompressed_size and ceiling < limit:
            self._log.add_entry("ZIP_INFLATED_SIZE_MISMATCH", "entry inflates to a size other than declared",
                                e.name, index=e.index, declared=e.uncompressed_size, actual=f">{ceiling}",
                                android=ANDROID_ENTRY_FAILS + " (more output than declared)")
            return ArchiveError("LIMIT_EXCEEDED", f"{e.name}: inflates past its declared size of {ceiling}")
        self._log.add_entry("ZIP_LIMIT_EXCEEDED", "entry refused by the limits", e.name, index=e.index,
                            reason="size", limit=limit, declared=e.uncompressed_size)
        return ArchiveError("LIMIT_EXCEEDED", f"{e.name}: more than {limit} bytes uncompressed")

    def _inflated_checks(self, e: Entry, produced: int, consumed: int, crc: int) -> None:
        if produced != e.uncompressed_size or consumed != e.compressed_size:
            # libziparchive inflateImpl fails with kInconsistentInformation; we keep the bytes.
            self._log.add_entry("ZIP_INFLATED_SIZE_MISMATCH", "entry inflates to a size other than declared",
                                e.name, index=e.index, declared=e.uncompressed_size, actual=produced,
                                declared_compressed=e.compressed_size, consumed_compressed=consumed,
                                android=ANDROID_ENTRY_FAILS + " (kInconsistentInformation)")
        self._check_crc(e, crc)
        self._check_descriptor(e, e.compressed_size)

    def _pieces(self, e: Entry, ceiling: int) -> Iterator[bytes]:
        """The content of ``e`` as ``_extract`` produces it (same limits, same anomalies), in
        pieces of at most PIECE bytes; an ArchiveError may come after some pieces."""
        limit = self._limit_for(e, ceiling)
        produced = 0
        if e.method == METHOD_DEFLATED:
            inflate_ceiling = min(limit, e.uncompressed_size)
            stream = InflateStream(self._reader, e.data_offset, e.compressed_size, inflate_ceiling,
                                   self.limits.max_ratio, self.limits.ratio_min_size)
            try:
                for piece in stream:
                    produced += len(piece)
                    yield piece
            except (InflateLimit, InflateCorrupt) as exc:
                raise self._inflate_error(e, exc, inflate_ceiling, limit) from None
            self.total_inflated += produced
            self._inflated_checks(e, produced, stream.consumed, stream.crc32)
            return
        crc = 0
        while produced < e.uncompressed_size:
            piece = self._reader.pread(e.data_offset + produced, min(PIECE, e.uncompressed_size - produced))
            if not piece:
                raise ArchiveError("BAD_ENTRY", f"{e.name}: stored data cut short by end of file")
            crc = zlib.crc32(piece, crc)
            produced += len(piece)
            self.total_inflated += len(piece)
            yield piece
        self._check_crc(e, crc)
        self._check_descriptor(e, e.stored_span)

    def _check_crc(self, e: Entry, crc: int) -> None:
        if crc != e.crc32:
            self._log.add_entry("ZIP_CRC_MISMATCH", "content CRC-32 differs from the central directory", e.name,
                                index=e.index, declared=f"{e.crc32:08x}", actual=f"{crc:08x}",
                                android="ignored: libziparchive kCrcChecksEnabled = false; Java ZipInputStream fails")

    def _check_descriptor(self, e: Entry, span: int) -> None:
        """libziparchive ValidateDataDescriptor: when the local header says a data descriptor
        follows, it must repeat the central directory's CRC and sizes."""
        lfh = e.local_header
        if lfh is None or not lfh.flags & FLAG_DATA_DESCRIPTOR:
            return
        zip64 = e.compressed_size >= U32_MAX or e.uncompressed_size >= U32_MAX
        dd = parse_data_descriptor(self._reader.pread(e.data_offset + span, 24), zip64)
        if dd != (e.crc32, e.compressed_size, e.uncompressed_size):
            self._log.add_entry("ZIP_DATA_DESCRIPTOR_MISMATCH", "data descriptor disagrees with the central directory",
                                e.name, index=e.index, descriptor=list(dd) if dd else None,
                                central=[e.crc32, e.compressed_size, e.uncompressed_size],
                                android=ANDROID_ENTRY_FAILS + " (kInconsistentInformation)")

    # -- passes ------------------------------------------------------------------------------
    @_guard
    def stream(self, consumers: Iterable[Any] = ()) -> dict[str, str]:
        """One sequential pass over the whole file (see stream.py); fills and returns ``hashes``.
        Consumers that raise are dropped and listed in ``consumer_errors``."""
        hashes, failures = stream_file(self._reader, consumers)
        self.hashes = hashes
        self.consumer_errors.extend(failures)
        return hashes

    @_guard
    def for_each_entry(self, consumers: Iterable[Any], deadline: float | None = None) -> int:
        """For each entry in central-directory order that some consumer ``wants(entry)``, read it
        once and call ``consume(entry, data)`` on each wanting consumer. An entry that cannot be
        read (limits, corrupt data) becomes an anomaly and ``entry_error(entry, error)`` on the
        consumers that define it; the pass goes on. Returns the number of entries read.

        Big entries (over STREAM_MIN bytes declared) need not be held whole: when every wanting
        consumer defines ``takes_pieces(entry, head) -> bool`` and says yes after seeing the
        first bytes (``head``: at least HEAD_MIN bytes, or the whole entry), each gets
        ``consume_piece(entry, piece)`` for every piece (the head first) and ``end_entry(entry)``
        at the end; an error after some pieces still ends with ``entry_error``. Memory then stays
        at a few pieces whatever the entry's size.

        Past ``deadline`` (a ``time.monotonic()`` value) the remaining wanted entries are not read:
        their consumers get ``entry_error`` (code TIME_LIMIT) and ``skipped_for_time`` counts them,
        so a scan that runs out of time still reports what it saw."""
        consumers = list(consumers)
        done = 0
        for e in self.entries:
            wanting = [c for c in consumers if self._call(c, "wants", e)]
            if not wanting:
                continue
            if deadline is not None and time.monotonic() > deadline:
                self.skipped_for_time += 1
                self._entry_failed(e, wanting, ArchiveError("TIME_LIMIT", "time limit reached before this entry was read"))
                continue
            if (e.uncompressed_size > STREAM_MIN and self._cache.get(e.index) is None
                    and all(hasattr(c, "takes_pieces") for c in wanting)):
                done += self._stream_entry(e, wanting)
                continue
            try:
                data = self.read(e)
            except ArchiveError as err:
                self._entry_failed(e, wanting, err)
                continue
            done += 1
            for c in wanting:
                self._call(c, "consume", e, data)
            del data  # big entries are not cached: free before the next one
        return done

    def _entry_failed(self, e: Entry, consumers: list[Any], err: ArchiveError) -> None:
        for c in consumers:
            if hasattr(c, "entry_error"):
                self._call(c, "entry_error", e, err)

    def _stream_entry(self, e: Entry, wanting: list[Any]) -> int:
        ceiling = self.limits.max_entry_size
        failed = self._errors.get(e.index)
        if failed is not None:
            self._entry_failed(e, wanting, failed[1])
            return 0
        pieces = self._pieces(e, ceiling)
        takers: list[Any] = []
        try:
            head_parts: list[bytes] = []
            size = 0
            for piece in pieces:
                head_parts.append(piece)
                size += len(piece)
                if size >= HEAD_MIN:
                    break
            head = b"".join(head_parts)
            del head_parts
            takers = [c for c in wanting if self._call(c, "takes_pieces", e, head)]
            if len(takers) < len(wanting):  # someone needs the whole entry: read on, as read() would
                takers = []
                data = b"".join([head, *pieces])
                del head
                for c in wanting:
                    self._call(c, "consume", e, data)
                return 1
            for c in takers:
                self._call(c, "consume_piece", e, head)
            del head
            for piece in pieces:
                for c in takers:
                    self._call(c, "consume_piece", e, piece)
        except ArchiveError as err:
            self._errors[e.index] = (ceiling, err)
            self._entry_failed(e, wanting, err)
            return 0
        for c in takers:
            self._call(c, "end_entry", e)
        return 1

    def _call(self, consumer: Any, method: str, *args: Any) -> Any:
        try:
            return getattr(consumer, method)(*args)
        except Exception as exc:  # noqa: BLE001 - one faulty consumer must not stop the pass
            self.consumer_errors.append((consumer, f"{method}: {type(exc).__name__}: {exc}"))
            return None

    # -- lifetime ----------------------------------------------------------------------------
    def close(self) -> None:
        self._cache.clear()
        self._reader.close()

    def __enter__(self) -> "Archive":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Archive {self.path!r} entries={len(self.entries)} anomalies={self._log.ids()}>"
