"""Run the same scan on a dask.distributed cluster (optional extra ``apkscan[dask]``).

Every worker must see the input paths (shared storage) and have apkscan installed. A task that
raises or whose worker dies becomes ``status: error`` for that APK only.
"""
from __future__ import annotations

from typing import Iterator, Sequence

from apkscan.batch.runner import failure_result
from apkscan.batch.workers import Task, scan_task
from apkscan.config import ScanConfig
from apkscan.model import ScanResult


def scan_on_dask(tasks: Sequence[Task], config: ScanConfig, address) -> Iterator[tuple[int, ScanResult]]:
    try:
        from distributed import Client, as_completed
    except ImportError as exc:  # pragma: no cover - depends on the extra
        raise RuntimeError("--dask needs the optional extra: pip install 'apkscan[dask]'") from exc
    client = address if isinstance(address, Client) else Client(address)
    try:
        futures = {client.submit(scan_task, task, config, pure=False, key=f"apkscan-{task.index}-{id(task)}"): task
                   for task in tasks}
        for future in as_completed(futures):
            task = futures[future]
            try:
                yield task.index, future.result()
            except Exception as exc:  # worker died or task failed: only this APK is lost
                yield task.index, failure_result(task, "CRASH", f"dask task failed: {type(exc).__name__}: {exc}")
    finally:
        if not isinstance(address, Client):
            client.close()
