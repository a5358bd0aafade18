"""Worker pool tuning: the biggest apps first, the pipeline loaded once before the workers fork."""
from __future__ import annotations

import os

from apkscan.batch.runner import scan_many
from apkscan.batch.workers import Task, _task_bytes
from apkscan.config import ScanConfig
from apkscan.inputs import Candidate
from apkscan.model import InputInfo, ScanResult


def _record_pid(task, config):
    """Stands in for a scan (runs in a worker process)."""
    return ScanResult(input=InputInfo(task.path, os.getpid()), status="ok", verdict="clean")


def test_biggest_apps_are_handed_out_first(tmp_path):
    sizes = {"a.apk": 10, "b.apk": 5000, "c.apk": 300, "d.apk": 300, "e.apk": 90_000}
    for name, size in sizes.items():
        (tmp_path / name).write_bytes(b"x" * size)
    split = tmp_path / "split.apk"
    split.write_bytes(b"x" * 6000)
    tasks = [Task(i, Candidate(str(tmp_path / n))) for i, n in enumerate(sizes)]
    tasks.append(Task(len(tasks), Candidate(str(tmp_path / "a.apk"), kind="split_dir", splits=(str(split),))))
    assert _task_bytes(tasks[-1]) == 6010
    order = [os.path.basename(tasks[i].path) + ("+split" if i == 5 else "")
             for i, _ in scan_many(tasks, ScanConfig(), jobs=1, scan_func=_record_pid)]
    assert order == ["e.apk", "a.apk+split", "b.apk", "c.apk", "d.apk", "a.apk"]  # ties keep input order


CHILD = """
import os, sys
from apkscan.batch.runner import scan_many
from apkscan.batch.workers import Task
from apkscan.config import ScanConfig
from apkscan.inputs import Candidate
from apkscan.model import InputInfo, ScanResult

def probe(task, config):
    from apkscan.analyzers import yara_engine
    ready = "apkscan.scan" in sys.modules and any(isinstance(k, str) for k in yara_engine._memo)
    return ScanResult(input=InputInfo(task.path, os.getpid()), status="ok", verdict="ready" if ready else "cold")

assert "apkscan.scan" not in sys.modules
tasks = [Task(i, Candidate(p)) for i, p in enumerate(sys.argv[1:])]
print(sorted(r.verdict for _, r in scan_many(tasks, ScanConfig(), jobs=2, scan_func=probe)))
"""


def test_workers_start_with_the_pipeline_loaded(tmp_path):
    """In a fresh interpreter: the parent loads the pipeline and the YARA rules once, the
    forked workers find them loaded."""
    import subprocess
    import sys

    paths = []
    for n in ("a.apk", "b.apk", "c.apk"):
        (tmp_path / n).write_bytes(b"x")
        paths.append(str(tmp_path / n))
    out = subprocess.run([sys.executable, "-c", CHILD, *paths], capture_output=True, text=True, timeout=120, check=False,
                         cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "['ready', 'ready', 'ready']"
