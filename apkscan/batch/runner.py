"""Scan many APKs: in worker processes (crash, timeout and memory isolation) or in-process."""
from __future__ import annotations

import os
from typing import Iterator, Sequence

from apkscan.batch.workers import Task, run_pool, scan_task
from apkscan.config import ScanConfig
from apkscan.model import ScanError, ScanResult

DEFAULT_MEMORY_MB = 2048  # address-space guard per worker (virtual, so generous)


def failure_result(task: Task, code: str, message: str) -> ScanResult:
    from apkscan.scan import _hash_only

    cand = task.candidate
    info = _hash_only(cand.path, cand.display_path)
    return ScanResult(input=info, status="error", error=ScanError(code, message), verdict="error")


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return os.cpu_count() or 1


def scan_many(tasks: Sequence[Task], config: ScanConfig, *, jobs: int | None = None,
              time_limit_s: float | None = None, memory_mb: int | None = DEFAULT_MEMORY_MB,
              scan_func=scan_task) -> Iterator[tuple[int, ScanResult]]:
    """Yield (index, result) in completion order. ``jobs=0`` scans in this process (no isolation)."""
    jobs = default_jobs() if jobs is None else jobs
    limit = config.time_limit_s if time_limit_s is None else time_limit_s
    if jobs == 0:
        for task in tasks:
            yield task.index, scan_func(task, config)
        return
    yield from run_pool(tasks, config, jobs=jobs, time_limit_s=limit, memory_mb=memory_mb,
                        on_failure=failure_result, scan_func=scan_func)
