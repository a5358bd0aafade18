"""Batch isolation: a crash or a hang in one APK's analysis costs that APK only."""
from __future__ import annotations

import os
import shutil
import time

from apkscan.batch.runner import scan_many
from apkscan.batch.store import CaseStore
from apkscan.batch.workers import Task, scan_task
from apkscan.config import ScanConfig
from apkscan.inputs import Candidate


def _faulty_scan(task, config):
    name = os.path.basename(task.path)
    if name.startswith("crash"):
        os._exit(139)  # what a segfault in a C parser looks like to the parent
    if name.startswith("hang"):
        time.sleep(60)
    return scan_task(task, config)


def test_crash_and_timeout_are_isolated(signing_corpus, tmp_path):
    src = signing_corpus / "golden-aligned-v1v2v3-out.apk"
    names = ["a.apk", "crash.apk", "b.apk", "hang.apk", "c.apk"]
    for n in names:
        shutil.copyfile(src, tmp_path / n)
    tasks = [Task(i, Candidate(str(tmp_path / n))) for i, n in enumerate(names)]
    started = time.monotonic()
    got = dict(scan_many(tasks, ScanConfig(), jobs=2, time_limit_s=5, scan_func=_faulty_scan))
    assert time.monotonic() - started < 40
    assert sorted(got) == list(range(len(names)))
    by_name = {names[i]: r for i, r in got.items()}
    assert by_name["crash.apk"].status == "error" and by_name["crash.apk"].error.code == "CRASH"
    assert by_name["hang.apk"].status == "error" and by_name["hang.apk"].error.code == "TIMEOUT"
    for n in ("a.apk", "b.apk", "c.apk"):
        assert by_name[n].status == "ok", by_name[n].error
        assert by_name[n].input.sha256 == by_name["crash.apk"].input.sha256  # failures keep hashes


def test_case_store_dedupes_and_resumes(signing_corpus, tmp_path):
    src = signing_corpus / "golden-aligned-v1v2v3-out.apk"
    a, b = tmp_path / "a.apk", tmp_path / "b.apk"
    shutil.copyfile(src, a)
    shutil.copyfile(src, b)  # same bytes, another path: one stored result
    db = str(tmp_path / "case.sqlite")
    tasks = [Task(0, Candidate(str(a))), Task(1, Candidate(str(b)))]
    with CaseStore(db) as store:
        for i, r in scan_many(tasks, ScanConfig(), jobs=0):
            store.add(r, source=tasks[i].candidate.path, tool_version="t", rules_sha256="r", scanned_at="now")
    with CaseStore(db) as store:
        assert store.count() == 1
        assert store.already_scanned(str(a), str(a)) and store.already_scanned(str(b), str(b))
        (stored,) = list(store.results())
        assert stored.input.sha256 and stored.status == "ok"
        os.utime(a, ns=(0, 0))  # changed on disk: resume must look again
        assert not store.already_scanned(str(a), str(a))


def _greedy_scan(task, config):
    if os.path.basename(task.path).startswith("greedy"):
        hog = bytearray(3 << 30)  # more than the guard allows: MemoryError in the worker
        return hog
    return scan_task(task, config)


def test_memory_guard_costs_only_that_apk(signing_corpus, tmp_path):
    src = signing_corpus / "golden-aligned-v1v2v3-out.apk"
    names = ["greedy.apk", "ok.apk"]
    for n in names:
        shutil.copyfile(src, tmp_path / n)
    tasks = [Task(i, Candidate(str(tmp_path / n))) for i, n in enumerate(names)]
    got = dict(scan_many(tasks, ScanConfig(), jobs=1, time_limit_s=60, memory_mb=1024, scan_func=_greedy_scan))
    assert got[0].status == "error" and got[0].error.code == "MEMORY"
    assert got[1].status == "ok"


def test_in_process_time_limit_gives_a_partial_result(sample_set):
    """--jobs 0 / library use: no worker to kill the scan, so the pipeline stops reading entries
    at its deadline and says so, instead of running unbounded."""
    from apkscan.archive.limits import Limits
    from apkscan.scan import scan_file

    folder, _ = sample_set
    apk = str(folder / "fake-vneid-gigabud.apk")
    result = scan_file(apk, ScanConfig(limits=Limits(time_limit_s=0.0)))
    assert result.status == "ok" and result.app.package  # the manifest and identity still count
    limit = [f for f in result.findings if f.id == "SCAN_TIME_LIMIT"]
    assert limit and limit[0].evidence["entries_not_read"] > 0
    full = scan_file(apk, ScanConfig())
    # entry content (DEX strings, native libraries) was not read: its YARA findings are missing
    assert {f.id for f in full.findings if f.source == "yara"} - {f.id for f in result.findings}
