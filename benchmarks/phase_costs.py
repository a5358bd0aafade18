#!/usr/bin/env python3
"""Where apkscan's CPU time goes, per pipeline phase, against the floor on the same files.

    python benchmarks/phase_costs.py /tmp/apkscan-bench/dump-200-4gb-7 --apps 20

Scans in this process (no workers) and charges the CPU time (time.process_time, all threads)
of each phase to it, nested phases excluded; the floor (read + SHA-256 + inflate every entry, as in
bench_batch.py) runs on the same files first. Single process, so the figures do not depend on how
busy the other CPUs are. See docs/benchmark.md.
"""
from __future__ import annotations

import argparse
import functools
import importlib
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# (module, attribute path, phase)
PHASES = [
    ("apkscan.archive.archive", "stream_file", "file hashes MD5/SHA-1/SHA-256 (one read)"),
    ("apkscan.signing.digests", "ContentDigester.feed", "APK Signature Scheme v2/v3 chunk digests"),
    ("apkscan.archive.inflate", "InflateStream.__iter__", "inflate + CRC-32 (the floor inflates too)"),
    ("apkscan.archive.archive", "inflate_range", "joining inflated pieces (entries read whole)"),
    ("apkscan.analyzers.yara_scan", "YaraConsumer.scan", "YARA"),
    ("apkscan.analyzers.dex_strings", "parse_dex_strings", "DEX string tables"),
    ("apkscan.analyzers.indicators", "extract_from_strings", "network indicators: patterns"),
    ("apkscan.analyzers.indicators", "candidate_runs", "network indicators: strings of native code / assets"),
    ("apkscan.analyzers.indicators", "IndicatorConsumer.consume", "SHA-256 of each inner file (IOC match)"),
    ("apkscan.analyzers.indicators", "IndicatorConsumer.finish", "indicator findings"),
    ("apkscan.analyzers.payloads", "PayloadConsumer.consume", "payload sniffing"),
    ("apkscan.manifest", "extract_facts", "manifest and resources"),
    ("apkscan.signing.verifier", "prepare_verification", "signature verification"),
    ("apkscan.signing.verifier", "VerificationSession.finish", "signature verification"),
    ("apkscan.archive.archive", "open_archive", "ZIP structure"),
]


def instrument(costs: Counter) -> None:
    stack: list[float] = []
    for modname, qual, phase in PHASES:
        obj = importlib.import_module(modname)
        *parents, name = qual.split(".")
        for p in parents:
            obj = getattr(obj, p)
        func = getattr(obj, name)
        is_gen = name == "__iter__"

        def wrap(func=func, phase=phase, is_gen=is_gen):
            if is_gen:
                @functools.wraps(func)
                def gen(*a, **k):
                    it = func(*a, **k)
                    while True:
                        t = time.process_time()
                        stack.append(0.0)
                        try:
                            item = next(it)
                        except StopIteration:
                            return
                        finally:
                            dt = time.process_time() - t
                            costs[phase] += dt - stack.pop()
                            if stack:
                                stack[-1] += dt
                        yield item
                return gen

            @functools.wraps(func)
            def timed(*a, **k):
                t = time.process_time()
                stack.append(0.0)
                try:
                    return func(*a, **k)
                finally:
                    dt = time.process_time() - t
                    costs[phase] += dt - stack.pop()
                    if stack:
                        stack[-1] += dt
            return timed

        setattr(obj, name, wrap())
    # modules that imported these names directly
    from apkscan import manifest, scan, signing

    scan.extract_facts = manifest.extract_facts
    scan.open_archive = sys.modules["apkscan.archive.archive"].open_archive
    signing.prepare_verification = sys.modules["apkscan.signing.verifier"].prepare_verification


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dump", type=Path, help="a phone dump (folder of <package>/ folders) or any folder of APKs")
    ap.add_argument("--apps", type=int, default=0, help="every n-th app folder, to about this many (0: all)")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_batch import apk_files, floor_one

    from apkscan.batch.preload import preload
    from apkscan.config import ScanConfig
    from apkscan.inputs import discover

    folders = sorted(p for p in args.dump.iterdir() if p.is_dir()) or [args.dump]
    if args.apps and len(folders) > args.apps:
        folders = folders[:: len(folders) // args.apps][: args.apps]
    files = [f for d in folders for f in apk_files(d)]
    size = sum(f.stat().st_size for f in files)
    t = time.process_time()
    for f in files:
        floor_one(str(f))
    floor = time.process_time() - t

    config = ScanConfig()
    preload(config)
    from apkscan.scan import scan_candidate

    costs: Counter = Counter()
    instrument(costs)
    candidates = discover([str(d) for d in folders])
    t = time.process_time()
    for c in candidates:
        scan_candidate(c, config)
    total = time.process_time() - t
    costs["other (pipeline, analyzers, scoring, reports)"] = total - sum(costs.values())
    print(f"{len(candidates)} apps, {len(files)} APK files, {size / 1e6:.0f} MB")
    print(f"{'floor (read + SHA-256 + inflate)':55s} {floor:7.2f} s  1.00x")
    print(f"{'apkscan, all phases':55s} {total:7.2f} s  {total / floor:.2f}x")
    for phase, cost in costs.most_common():
        print(f"  {phase:53s} {cost:7.2f} s  {cost / floor:.2f}x")


if __name__ == "__main__":
    main()
