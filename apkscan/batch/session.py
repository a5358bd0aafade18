"""One scan run over many candidates: workers, streaming report writer, case store, progress."""
from __future__ import annotations

from typing import Callable, Sequence

from apkscan.batch.progress import Progress
from apkscan.batch.runner import scan_many
from apkscan.batch.store import CaseStore
from apkscan.batch.workers import Task
from apkscan.config import ScanConfig
from apkscan.model import ScanResult


def run_scan(candidates: Sequence, config: ScanConfig, *, writer, meta, store: CaseStore | None = None,
             jobs: int | None = None, memory_mb: int | None = None, progress: bool | None = None,
             adjust: Callable[[object, ScanResult], ScanResult] | None = None,
             dask_address: str | None = None) -> list[ScanResult]:
    """Scan every candidate, writing each result as it finishes. ``adjust(candidate, result)`` may
    add evidence known only to the caller (e.g. the installer recorded by `apkscan adb`)."""
    tasks = [Task(i, c) for i, c in enumerate(candidates)]
    bar = Progress(len(tasks), enabled=progress)
    results: list[ScanResult | None] = [None] * len(tasks)
    if dask_address:
        from apkscan.batch.dask_runner import scan_on_dask

        stream = scan_on_dask(tasks, config, dask_address)
    else:
        stream = scan_many(tasks, config, jobs=jobs, time_limit_s=config.time_limit_s, memory_mb=memory_mb)
    for index, result in stream:
        if adjust is not None:
            result = adjust(tasks[index].candidate, result)
        results[index] = result
        writer.add(result)
        if store is not None:
            store.add(result, source=tasks[index].candidate.path, tool_version=meta.tool_version,
                      rules_sha256=meta.rules_sha256, scanned_at=meta.scanned_at)
        bar.update(result.status == "error")
    bar.close()
    writer.close()
    return [r for r in results if r is not None]
