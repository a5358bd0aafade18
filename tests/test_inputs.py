"""Inputs as officers get them: adb-pull folders with splits, bundles, evidence ZIPs, a phone over adb."""
from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from apkscan.cli import cli
from apkscan.inputs import discover

FAKES = Path(__file__).parent / "fakes"


@pytest.fixture(scope="module")
def dump(tmp_path_factory):
    from apkscan.samples.phone_dump import build_phone_dump

    out = tmp_path_factory.mktemp("dump")
    index = build_phone_dump(out, n_apps=6, seed=3, total_size_hint=3 << 20)
    return out, index


def _scan_jsonl(*args):
    res = CliRunner().invoke(cli, ["scan", *args, "--format", "jsonl"], catch_exceptions=False)
    return res.exit_code, [json.loads(l) for l in res.output.splitlines() if '"status"' in l]


def test_adb_pull_folder_is_one_app_per_package(dump):
    out, index = dump
    cands = discover([out])
    assert len(cands) == len(index["apps"])
    with_splits = [c for c in cands if c.kind == "split_dir"]
    assert with_splits and all(c.splits for c in with_splits)
    code, results = _scan_jsonl(str(out), "--jobs", "2")
    assert len(results) == len(index["apps"])
    split_results = [r for r in results if r["splits"]]
    assert split_results
    for r in split_results:
        assert r["status"] == "ok"
        assert all(s["sha256"] for s in r["splits"])
        # the splits are signed by the base APK's signer: no mismatch finding
        assert "SPLIT_SIGNER_MISMATCH" not in {f["id"] for f in r["findings"]}


def test_split_signed_by_another_key_is_flagged(dump, sample_set, tmp_path):
    out, index = dump
    app = next(a for a in index["apps"] if len(a["files"]) > 1)
    folder = tmp_path / app["package"]
    folder.mkdir()
    for f in app["files"]:
        (folder / Path(f["file"]).name).write_bytes((out / f["file"]).read_bytes())
    samples, _ = sample_set
    # replace one split with an APK signed by someone else
    (folder / "split_config.vi.apk").write_bytes((samples / "benign-notes.apk").read_bytes())
    _, (r,) = _scan_jsonl(str(tmp_path), "--jobs", "0")
    ids = {f["id"] for f in r["findings"]}
    assert "SPLIT_SIGNER_MISMATCH" in ids
    assert r["risk"]["level"] == "critical"


def test_xapk_bundle_and_evidence_zip(dump, sample_set, tmp_path):
    out, index = dump
    app = next(a for a in index["apps"] if len(a["files"]) > 1)
    xapk = tmp_path / "app.xapk"
    with zipfile.ZipFile(xapk, "w") as z:
        z.writestr("manifest.json", json.dumps({"package_name": app["package"]}))
        for f in app["files"]:
            z.write(out / f["file"], Path(f["file"]).name)
    samples, _ = sample_set
    evidence = tmp_path / "evidence.zip"
    with zipfile.ZipFile(evidence, "w") as z:
        z.write(samples / "fake-vneid-gigabud.apk", "phone1/Download/VNeID.apk")
        z.write(samples / "benign-notes.apk", "phone1/Download/notes.apk")
        z.writestr("phone1/readme.txt", "seized 2026-11-01")
    code, results = _scan_jsonl(str(xapk), str(evidence), "--jobs", "2")
    by_path = {r["input"]["path"]: r for r in results}
    bundle = next(r for p, r in by_path.items() if p.startswith(str(xapk)))
    assert bundle["status"] == "ok" and bundle["app"]["package"] == app["package"]
    assert len(bundle["splits"]) == len(app["files"]) - 1
    fake = by_path[f"{evidence}!phone1/Download/VNeID.apk"]
    assert fake["verdict"] == "fake"
    assert by_path[f"{evidence}!phone1/Download/notes.apk"]["verdict"] == "clean"
    assert code == 1
    # nothing extracted next to the evidence
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.xapk", "evidence.zip"]


def test_adb_acquisition_with_fake_adb(sample_set, tmp_path):
    samples, _ = sample_set
    phone = tmp_path / "phone"
    for pkg, apk, installer in (("com.vneid.gov", "fake-vneid-gigabud.apk", "com.zing.zalo"),
                                ("org.example.notes", "benign-notes.apk", "com.android.vending")):
        (phone / pkg).mkdir(parents=True)
        (phone / pkg / "base.apk").write_bytes((samples / apk).read_bytes())
        (phone / pkg / "installer.txt").write_text(installer)
    outdir = tmp_path / "acquired"
    env = {**os.environ, "FAKE_ADB_ROOT": str(phone)}
    res = CliRunner(env=env).invoke(cli, ["adb", str(outdir), "--adb-path", str(FAKES / "adb"), "--format", "jsonl",
                                          "--jobs", "0"], catch_exceptions=False)
    assert res.exit_code == 1, res.output
    record = json.loads((outdir / "acquisition.json").read_text())
    installers = {a["package"]: a["installer"] for a in record["apps"]}
    assert installers == {"com.vneid.gov": "com.zing.zalo", "org.example.notes": "com.android.vending"}
    results = {json.loads(l)["app"]["package"]: json.loads(l) for l in res.output.splitlines() if '"status"' in l}
    zalo = [f for f in results["com.vneid.gov"]["findings"] if f["id"] == "INSTALLER_SIDELOADED"]
    assert zalo and zalo[0]["evidence"]["installer"] == "com.zing.zalo"
    assert not [f for f in results["org.example.notes"]["findings"] if f["id"] == "INSTALLER_SIDELOADED"]
    # read-only: only listing, path, getprop and pull commands reached the phone
    log = (tmp_path / "adb.log").read_text().splitlines()
    assert log and all(l.split()[0] in ("shell", "pull") for l in log)
    assert all(l.split()[1] in ("getprop", "pm") for l in log if l.startswith("shell"))
    assert all(l.split()[2] in ("list", "path") for l in log if l.startswith("shell pm"))


def test_case_store_resume_and_report_regeneration(sample_set, tmp_path):
    samples, index = sample_set
    db = tmp_path / "case.sqlite"
    r1 = CliRunner().invoke(cli, ["scan", str(samples), "--db", str(db), "--format", "json", "-o",
                                  str(tmp_path / "a.json"), "--jobs", "2"])
    assert r1.exit_code == 1
    first = json.loads((tmp_path / "a.json").read_text())
    # resume: nothing is rescanned, but the whole case is reported and still gates CI
    r2 = CliRunner().invoke(cli, ["scan", str(samples), "--db", str(db), "--resume", "--format", "json",
                                  "-o", str(tmp_path / "b.json"), "--jobs", "2"])
    assert r2.exit_code == 1
    assert f"reported {len(index['samples'])} stored result(s)" in r2.output
    resumed = json.loads((tmp_path / "b.json").read_text())["results"]
    key = lambda r: r["input"]["sha256"]
    strip = lambda r: {k: v for k, v in r.items() if k != "elapsed_ms"}
    assert sorted(map(strip, resumed), key=key) == sorted(map(strip, first["results"]), key=key)
    # a changed file is scanned again
    victim = samples / "benign-notes.apk"
    os.utime(victim, ns=(0, 0))
    r3 = CliRunner().invoke(cli, ["scan", str(samples), "--db", str(db), "--resume", "--format", "json",
                                  "-o", str(tmp_path / "c.json"), "--jobs", "0"])
    assert f"reported {len(index['samples']) - 1} stored result(s)" in r3.output
    # regenerated report: same results, and the chain of custody of the scan, not of the rendering
    r4 = CliRunner().invoke(cli, ["report", "--db", str(db), "--format", "json", "-o", str(tmp_path / "d.json")])
    assert r4.exit_code == 1
    regen = json.loads((tmp_path / "d.json").read_text())
    assert sorted(map(strip, regen["results"]), key=key) == sorted(map(strip, first["results"]), key=key)
    assert regen["scanned_at"] == first["scanned_at"]
    assert regen["tool"]["rules_sha256"] == first["tool"]["rules_sha256"]


def test_split_that_is_another_app_is_reported(dump, sample_set, tmp_path):
    samples, _ = sample_set
    folder = tmp_path / "org.example.notes"
    folder.mkdir()
    (folder / "base.apk").write_bytes((samples / "benign-notes.apk").read_bytes())
    # a whole fake VNeID laid out as a config split, hoping only base.apk is read
    (folder / "split_config.arm64_v8a.apk").write_bytes((samples / "fake-vneid-redhook.apk").read_bytes())
    _, (r,) = _scan_jsonl(str(tmp_path), "--jobs", "0")
    ids = {f["id"] for f in r["findings"]}
    assert "SPLIT_PACKAGE_MISMATCH" in ids
    hidden = [f for f in r["findings"] if f["path"].startswith("split_config.arm64_v8a.apk")]
    assert {f["source"] for f in hidden} >= {"identity", "permissions"}  # the hidden app's own evidence
    assert r["risk"]["level"] in ("high", "critical") and r["verdict"] in ("malicious", "suspicious", "fake")


def test_evidence_zip_members_recognised_by_content(sample_set, tmp_path):
    samples, _ = sample_set
    evidence = tmp_path / "zalo-export.zip"
    with zipfile.ZipFile(evidence, "w", zipfile.ZIP_DEFLATED) as z:
        z.write(samples / "fake-vneid-golddigger.apk", "Zalo/received/file_1234.bin")  # renamed APK
        z.writestr("Zalo/received/photo.jpg", b"\xff\xd8\xff" + b"0" * 500)
        z.writestr("Zalo/received/archive.zip", _plain_zip())
    _, results = _scan_jsonl(str(evidence), "--jobs", "0")
    assert [r["input"]["path"] for r in results] == [f"{evidence}!Zalo/received/file_1234.bin"]
    assert results[0]["verdict"] == "fake"


def _plain_zip() -> bytes:
    import io
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("notes.txt", "not an app")
    return buf.getvalue()
