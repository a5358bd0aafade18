#!/usr/bin/env python3
"""Batch benchmark (issue 8): apkscan's wall time and peak memory against the floor.

The floor, measured in the same run with the same number of processes: read and SHA-256 every
file, plus inflate every ZIP entry once (stdlib zlib) — the work no scanner can avoid. Also the
"contract floor": what apkscan's report contract needs before any analysis (MD5, SHA-1 and SHA-256
of the file, the v2/v3 content digests, inflate + CRC-32 with apkscan's zlib-ng), as a ratio to
the floor: the least any apkscan could cost.

    python benchmarks/bench_batch.py --apps 200 --total-gb 4 --jobs 2 --workdir /tmp/apkscan-bench
    python benchmarks/bench_batch.py --big-apk-mb 150          # one large APK: peak memory per worker

The phone dump is built once with the APK factory (`apkscan samples phone-dump`) and reused.
Besides wall time, the CPU seconds (user + system, all processes) of both runs are reported: on a
machine shared with other work they are steadier than wall time. ``--repeat N`` alternates the
two measurements N times and keeps the best of each. Peak memory is the largest resident set of
any apkscan process (the CLI or one of its workers), measured from a wrapper process so that the
benchmark's own memory (e.g. building the dump) is not counted.

See docs/benchmark.md for the figures and what they mean.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import time
import zlib
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def apk_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.apk") if p.is_file())


def floor_one(path: str, contract: bool = False) -> int:
    """Read + SHA-256 the file, then inflate every entry once (raw deflate, stdlib zlib).

    ``contract``: the work apkscan's report contract needs before any analysis, with apkscan's
    inflater: MD5 + SHA-1 + SHA-256 of the file (``input``), a second SHA-256 pass over 1 MiB
    chunks (the APK Signature Scheme v2/v3 content digests that verification recomputes), and
    inflate + CRC-32 of every entry with zlib-ng (apkscan/archive/zlib_impl.py)."""
    import zipfile

    if contract:
        if str(ROOT) not in sys.path:
            sys.path.insert(0, str(ROOT))
        from apkscan.archive import zlib_impl as inflater
        hashes = [hashlib.sha256(), hashlib.md5(), hashlib.sha1()]
    else:
        inflater, hashes = zlib, [hashlib.sha256()]
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            for h in hashes:
                h.update(chunk)
            if contract:  # a v2/v3 chunk digest: SHA-256(0xa5 || length || chunk)
                chunk_digest = hashlib.sha256(b"\xa5" + len(chunk).to_bytes(4, "little"))
                chunk_digest.update(chunk)
                chunk_digest.digest()
    inflated = 0
    with zipfile.ZipFile(path) as z, open(path, "rb") as f:
        for info in z.infolist():
            f.seek(info.header_offset + 26)
            name_len, extra_len = int.from_bytes(f.read(2), "little"), int.from_bytes(f.read(2), "little")
            f.seek(info.header_offset + 30 + name_len + extra_len)
            remaining = info.compress_size
            d = inflater.decompressobj(-15) if info.compress_type == 8 else None
            crc = 0
            while remaining > 0:
                chunk = f.read(min(remaining, 1 << 20))
                if not chunk:
                    break
                remaining -= len(chunk)
                out = d.decompress(chunk) if d else chunk
                inflated += len(out)
                if contract:
                    crc = inflater.crc32(out, crc)
    return inflated


def floor_contract(path: str) -> int:
    return floor_one(path, contract=True)


def _children_cpu() -> float:
    u = resource.getrusage(resource.RUSAGE_CHILDREN)
    return u.ru_utime + u.ru_stime


def measure_floor(files: list[Path], jobs: int, work=floor_one) -> tuple[float, float]:
    """(wall s, CPU s) of the floor (or ``work``) over ``files`` with ``jobs`` processes."""
    cpu0 = _children_cpu()
    started = time.monotonic()
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        list(pool.map(work, [str(p) for p in files], chunksize=1))
    return time.monotonic() - started, _children_cpu() - cpu0


# Runs a command and prints the CPU seconds and the largest resident set (KiB) of its process tree
# (Linux: RUSAGE_CHILDREN ru_maxrss is the maximum over the descendants that were waited for).
_WRAPPER = ("import json, resource, subprocess, sys\n"
            "rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)\n"
            "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
            "print(json.dumps({'rc': rc.returncode, 'cpu': u.ru_utime + u.ru_stime, 'maxrss_kb': u.ru_maxrss,\n"
            "                  'stderr': rc.stderr.decode('utf-8', 'replace')[-2000:]}))\n")


def measure_apkscan(target: Path, jobs: int, out: Path) -> tuple[float, float, int, dict]:
    """(wall s, CPU s, peak RSS MiB of any apkscan process, verdict summary)."""
    cmd = [sys.executable, "-c", _WRAPPER, sys.executable, "-m", "apkscan", "scan", str(target),
           "--jobs", str(jobs), "--format", "jsonl", "-o", str(out), "--no-progress", "--fail-on", "none"]
    started = time.monotonic()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    wall = time.monotonic() - started
    try:
        usage = json.loads(proc.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        sys.exit(f"benchmark wrapper failed: {proc.stderr[-2000:]}")
    if usage["rc"] not in (0, 1, 3):
        sys.exit(f"apkscan failed ({usage['rc']}): {usage['stderr']}")
    verdicts: dict[str, int] = {}
    errors = 0
    for line in out.read_text().splitlines():
        rec = json.loads(line)
        if "verdict" in rec:
            verdicts[rec["verdict"]] = verdicts.get(rec["verdict"], 0) + 1
            errors += rec.get("status") == "error"
    return wall, usage["cpu"], usage["maxrss_kb"] // 1024, {"verdicts": verdicts, "errors": errors}


def build_big_apk(path: Path, size_mb: int, seed: int) -> None:
    """One large APK: the genuine-like reference padded with multi-dex code to about size_mb."""
    from apkscan.samples.build import Factory
    from apkscan.samples.phone_dump import ON_DISK_RATIO
    from apkscan.samples.recipes import load_all

    recipes = load_all()
    big = dict(recipes["vneid-reference"], id=f"big-{size_mb}-{seed}",
               bulk={"dex_bytes": int(size_mb * (1 << 20) / ON_DISK_RATIO)})
    factory = Factory({**recipes, big["id"]: big})
    path.write_bytes(factory.apk(big["id"]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--apps", type=int, default=200)
    ap.add_argument("--total-gb", type=float, default=5.0)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/apkscan-bench"))
    ap.add_argument("--big-apk-mb", type=int, default=0, help="instead: benchmark one APK of this size")
    ap.add_argument("--repeat", type=int, default=1, help="alternate the two measurements N times, keep the best")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    from apkscan.samples.phone_dump import build_phone_dump

    args.workdir.mkdir(parents=True, exist_ok=True)
    if args.big_apk_mb:
        target = args.workdir / f"big-{args.big_apk_mb}mb"
        if not target.exists():
            target.mkdir()
            build_big_apk(target / "big.apk", size_mb=args.big_apk_mb, seed=args.seed)
        jobs = 1
    else:
        target = args.workdir / f"dump-{args.apps}-{args.total_gb:g}gb-{args.seed}"
        if not target.exists():
            t = time.monotonic()
            build_phone_dump(target, n_apps=args.apps, seed=args.seed, total_size_hint=int(args.total_gb * (1 << 30)))
            print(f"built phone dump in {time.monotonic() - t:.0f} s")
        jobs = args.jobs
    files = apk_files(target)
    total = sum(p.stat().st_size for p in files)
    # warm the page cache equally for both measurements
    for p in files:
        with open(p, "rb") as f:
            while f.read(1 << 24):
                pass
    floors, contracts, scans = [], [], []
    for _ in range(max(1, args.repeat)):
        floors.append(measure_floor(files, jobs))
        contracts.append(measure_floor(files, jobs, floor_contract))
        scans.append(measure_apkscan(target, jobs, args.workdir / "bench.jsonl"))
    floor, floor_cpu = min(f[0] for f in floors), min(f[1] for f in floors)
    contract, contract_cpu = min(c[0] for c in contracts), min(c[1] for c in contracts)
    wall, cpu = min(s[0] for s in scans), min(s[1] for s in scans)
    peak_mb, summary = max(s[2] for s in scans), scans[-1][3]
    report = {
        "files": len(files), "bytes": total, "jobs": jobs, "cpus": os.cpu_count(), "repeat": max(1, args.repeat),
        "floor_s": round(floor, 2), "apkscan_s": round(wall, 2), "ratio": round(wall / floor, 2),
        "floor_cpu_s": round(floor_cpu, 2), "apkscan_cpu_s": round(cpu, 2), "cpu_ratio": round(cpu / floor_cpu, 2),
        "contract_floor_s": round(contract, 2), "contract_floor_ratio": round(contract / floor, 2),
        "contract_floor_cpu_ratio": round(contract_cpu / floor_cpu, 2),
        "apkscan_MBps": round(total / wall / 1e6, 1), "peak_rss_per_process_MB": peak_mb, **summary,
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
