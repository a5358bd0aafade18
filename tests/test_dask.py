"""--dask: the same scan on a dask.distributed cluster gives the same results as the local run."""
from __future__ import annotations

import pytest

distributed = pytest.importorskip("distributed", reason="the optional extra apkscan[dask] is not installed")

from apkscan.batch.dask_runner import scan_on_dask  # noqa: E402
from apkscan.batch.runner import scan_many  # noqa: E402
from apkscan.batch.workers import Task  # noqa: E402
from apkscan.config import ScanConfig  # noqa: E402
from apkscan.inputs import discover  # noqa: E402


def _comparable(result):
    d = result.to_dict()
    d.pop("elapsed_ms")
    return d


def test_local_cluster_matches_local_run(sample_set, malformed_corpus):
    folder, _ = sample_set
    cands = discover([folder / "fake-vneid-gigabud.apk", folder / "benign-notes.apk",
                      folder / "fake-vneid-bankbot-dropper.apk", malformed_corpus / "not-zip-text.apk"])
    tasks = [Task(i, c) for i, c in enumerate(cands)]
    config = ScanConfig()
    local = dict(scan_many(tasks, config, jobs=0))
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        remote = dict(scan_on_dask(tasks, config, client))
    assert sorted(remote) == sorted(local)
    for i in local:
        assert _comparable(remote[i]) == _comparable(local[i])
    assert {r.verdict for r in remote.values()} >= {"fake", "clean", "error"}
