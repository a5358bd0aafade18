"""A pool of worker processes that scan one APK at a time each.

Unlike concurrent.futures, a worker that crashes (a segfault in a C library), runs past the
per-APK time limit or exhausts its memory guard is replaced, and only that APK gets
``status: error``; the rest of the batch goes on.
"""
from __future__ import annotations

import multiprocessing as mp
import os
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Callable, Iterator, Sequence

from apkscan.config import ScanConfig
from apkscan.inputs import Candidate
from apkscan.model import ScanResult

_MiB = 1 << 20


@dataclass(frozen=True)
class Task:
    index: int
    candidate: Candidate

    @property
    def path(self) -> str:
        return self.candidate.path


def _apply_memory_guard(limit_mb: int | None) -> None:
    if not limit_mb:
        return
    try:
        import resource

        limit = limit_mb * _MiB
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):
        pass  # not on this platform: the time limit still bounds the worker


def _worker_main(conn: Connection, config: ScanConfig, memory_mb: int | None, scan_func) -> None:
    _apply_memory_guard(memory_mb)
    from apkscan.manifest.quiet import silence_androguard as silence_libraries

    silence_libraries()
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        try:
            result = scan_func(task, config)
        except MemoryError:
            result = _failure(task, "MEMORY", f"analysis exceeded the worker's memory guard ({memory_mb} MiB)")
        except Exception as exc:  # scan_file never raises; this guards a custom scan_func
            result = _failure(task, "INTERNAL", f"internal error: {type(exc).__name__}: {exc}")
        try:
            conn.send((task.index, result))
        except (OSError, ValueError):
            return


def _task_bytes(task: Task) -> int:
    """Bytes on disk of an app (its APK or bundle, plus split APKs): the scan costs about that."""
    total = 0
    for path in (task.candidate.path, *task.candidate.splits):
        try:
            total += os.path.getsize(path)
        except OSError:
            pass
    return total


def _failure(task: Task, code: str, message: str) -> ScanResult:
    from apkscan.batch.runner import failure_result

    return failure_result(task, code, message)


def scan_task(task: Task, config: ScanConfig) -> ScanResult:
    from apkscan.scan import scan_candidate

    return scan_candidate(task.candidate, config)


class _Worker:
    def __init__(self, ctx, config, memory_mb, scan_func):
        self.conn, child = ctx.Pipe(duplex=True)
        self.proc = ctx.Process(target=_worker_main, args=(child, config, memory_mb, scan_func), daemon=True)
        self.proc.start()
        child.close()
        self.task: Task | None = None
        self.started = 0.0

    def give(self, task: Task) -> None:
        self.task = task
        self.started = time.monotonic()
        self.conn.send(task)

    def kill(self) -> None:
        try:
            self.proc.kill()
        except Exception:
            pass
        self.proc.join(timeout=5)
        self.conn.close()

    def stop(self) -> None:
        try:
            self.conn.send(None)
        except Exception:
            pass
        self.proc.join(timeout=5)
        if self.proc.is_alive():
            self.kill()


def run_pool(tasks: Sequence[Task], config: ScanConfig, *, jobs: int, time_limit_s: float,
             memory_mb: int | None, on_failure: Callable[[Task, str, str], ScanResult],
             scan_func=scan_task) -> Iterator[tuple[int, ScanResult]]:
    """Yield (task index, result) as each APK finishes, in completion order. The biggest apps
    are handed out first, so that no large one is left running alone at the end of the batch."""
    ctx = mp.get_context("fork" if hasattr(os, "fork") else "spawn")
    if ctx.get_start_method() == "fork":
        from apkscan.batch.preload import preload

        preload(config)
    # pop() takes from the end: the largest first, equal sizes in input order
    pending = sorted(tasks, key=lambda t: (_task_bytes(t), -t.index))
    workers = [_Worker(ctx, config, memory_mb, scan_func) for _ in range(max(1, min(jobs, len(tasks))))]
    try:
        while pending or any(w.task for w in workers):
            for i, w in enumerate(workers):
                if w.task is None and pending:
                    try:
                        w.give(pending.pop())
                    except (OSError, ValueError):
                        task = w.task
                        w.kill()
                        workers[i] = _Worker(ctx, config, memory_mb, scan_func)
                        yield task.index, on_failure(task, "CRASH", "worker process could not take the task")
            busy = [w for w in workers if w.task is not None]
            if not busy:
                continue
            now = time.monotonic()
            next_deadline = min(w.started + time_limit_s for w in busy)
            ready = wait([w.conn for w in busy], timeout=max(0.0, next_deadline - now) + 0.05)
            for i, w in enumerate(workers):
                if w.task is None:
                    continue
                task = w.task
                if w.conn in ready:
                    try:
                        index, result = w.conn.recv()
                    except (EOFError, OSError):
                        w.proc.join(timeout=5)
                        code = w.proc.exitcode
                        w.kill()
                        workers[i] = _Worker(ctx, config, memory_mb, scan_func)
                        why = f"signal {-code}" if code is not None and code < 0 else f"exit code {code}"
                        yield task.index, on_failure(task, "CRASH", f"the analysis process died ({why}); the APK may be built to crash parsers")
                        continue
                    w.task = None
                    yield index, result
                elif time.monotonic() - w.started > time_limit_s:
                    w.kill()
                    workers[i] = _Worker(ctx, config, memory_mb, scan_func)
                    yield task.index, on_failure(task, "TIMEOUT", f"analysis exceeded the per-APK time limit of {time_limit_s:g} s")
    finally:
        for w in workers:
            w.stop()
