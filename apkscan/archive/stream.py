"""One sequential pass over the whole file: 1 MiB chunks into two reusable buffers, file hashes,
and every consumer's ``feed(offset, memoryview)`` on the same bytes.

MD5 and SHA-1 run on a helper thread (hashlib releases the GIL for large updates) while SHA-256
and the consumers (the v2/v3 digests: SHA-256 again) run here, about half of the hashing each, and
the next chunk is read into the other buffer meanwhile; memory
stays at two chunks whatever the file size. Chunks start at multiples of 1 MiB (only the last
is shorter). A consumer must not keep the memoryview past its ``feed`` call: the buffer is reused.
"""
from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Iterable

from apkscan.archive.errors import ArchiveError
from apkscan.archive.fileio import FileReader

CHUNK = 1 << 20


def _update_both(a, b, chunk) -> None:
    a.update(chunk)
    b.update(chunk)


def stream_file(reader: FileReader, consumers: Iterable[Any], chunk_size: int = CHUNK
                ) -> tuple[dict[str, str], list[tuple[Any, str]]]:
    """(hashes, consumer failures). A consumer whose ``feed``/``finish`` raises is dropped for the
    rest of the pass and listed in the failures; the pass itself only fails on I/O."""
    active = list(consumers)
    failures: list[tuple[Any, str]] = []
    md5, sha1, sha256 = hashlib.md5(), hashlib.sha1(), hashlib.sha256()
    buffers = (bytearray(chunk_size), bytearray(chunk_size))
    views = (memoryview(buffers[0]), memoryview(buffers[1]))
    size = reader.size
    reader.advise_sequential()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="apkscan-hash") as pool:
        offset, which = 0, 0
        n = reader.readinto(views[which][: min(chunk_size, size)], 0) if size else 0
        while offset < size:
            if n <= 0:
                raise ArchiveError("TRUNCATED", f"file shrank while reading: no data at offset {offset} of {size}")
            chunk = views[which][:n]
            helper_job = pool.submit(_update_both, md5, sha1, chunk)
            sha256.update(chunk)
            for consumer in list(active):
                try:
                    consumer.feed(offset, chunk)
                except Exception as exc:  # noqa: BLE001 - a faulty consumer must not stop the pass
                    active.remove(consumer)
                    failures.append((consumer, f"feed at {offset}: {type(exc).__name__}: {exc}"))
            next_offset = offset + n
            other = 1 - which
            next_n = reader.readinto(views[other][: min(chunk_size, size - next_offset)], next_offset) \
                if next_offset < size else 0
            helper_job.result()
            offset, which, n = next_offset, other, next_n
    for consumer in active:
        try:
            consumer.finish()
        except Exception as exc:  # noqa: BLE001
            failures.append((consumer, f"finish: {type(exc).__name__}: {exc}"))
    return {"md5": md5.hexdigest(), "sha1": sha1.hexdigest(), "sha256": sha256.hexdigest()}, failures
