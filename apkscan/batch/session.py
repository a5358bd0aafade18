"""One scan run over many candidates: workers, report writer, case store, progress."""
from __future__ import annotations

from typing import Callable, Sequence

from apkscan.batch.progress import Progress
from apkscan.batch.runner import scan_many
from apkscan.batch.store import CaseStore
from apkscan.batch.workers import Task
from apkscan.config import ScanConfig
from apkscan.model import ScanResult


def run_scan(candidates: Sequence, config: ScanConfig, *, writer, meta, store: CaseStore | None = None,
             resume: bool = False, jobs: int | None = None, memory_mb: int | None = None,
             progress: bool | None = None, adjust: Callable[[object, ScanResult], ScanResult] | None = None,
             dask_address: str | None = None) -> tuple[list[ScanResult], int]:
    """Scan every candidate and return (results in input order, how many came from the store).

    A streaming writer (jsonl) gets each result as it finishes; the others get them in input
    order at the end, so the same inputs give the same document whatever ``jobs`` is. With
    ``resume``, inputs already in the store are not scanned again but still reported (and count
    for the exit code), so a resumed run describes the whole case. ``adjust(candidate, result)``
    may add evidence known only to the caller (e.g. the installer recorded by `apkscan adb`)."""
    results: list[ScanResult | None] = [None] * len(candidates)
    reused = 0
    todo = []
    for i, cand in enumerate(candidates):
        stored = store.stored_result(cand.display_path, cand.path) if (store and resume) else None
        if stored is not None:
            results[i] = stored
            reused += 1
        else:
            todo.append(Task(i, cand))
    streaming = getattr(writer, "streaming", False)
    if streaming:
        for r in results:
            if r is not None:
                writer.add(r)
    bar = Progress(len(todo), enabled=progress)
    if dask_address:
        from apkscan.batch.dask_runner import scan_on_dask

        stream = scan_on_dask(todo, config, dask_address)
    else:
        stream = scan_many(todo, config, jobs=jobs, time_limit_s=config.time_limit_s, memory_mb=memory_mb)
    for index, result in stream:
        if adjust is not None:
            result = adjust(candidates[index], result)
        results[index] = result
        if streaming:
            writer.add(result)
        if store is not None:
            store.add(result, source=candidates[index].path, tool_version=meta.tool_version,
                      rules_sha256=meta.rules_sha256, scanned_at=meta.scanned_at)
        bar.update(result.status == "error")
    bar.close()
    done = [r for r in results if r is not None]
    if not streaming:
        for r in done:
            writer.add(r)
    writer.close()
    return done, reused
