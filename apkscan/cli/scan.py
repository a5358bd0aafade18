"""`apkscan scan PATH...`"""
from __future__ import annotations

import sys
import time

import click

from apkscan.cli.options import FAIL_ON, reaches
from apkscan.cli.output import open_output, report_meta
from apkscan.archive.limits import Limits
from apkscan.config import ScanConfig
from apkscan.inputs import discover
from apkscan.report import format_names, get_format


def exit_code(results, fail_on: str) -> int:
    """0: no app reached --fail-on; 1: one did; 3: some input could not be analysed and none did."""
    if any(r.status == "ok" and reaches(r.risk.level, fail_on) for r in results):
        return 1
    if any(r.status == "error" for r in results):
        return 3
    return 0


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=True, readable=True))
@click.option("--format", "fmt", type=click.Choice(format_names()), default="text", show_default=True,
              help="Report format.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write the report to FILE instead of standard output.")
@click.option("--fail-on", type=FAIL_ON, default="high", show_default=True,
              help="Exit 1 when an app's risk level reaches this level.")
@click.option("--trust", "trust_files", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="User trust file from `apkscan trust enroll` (repeatable).")
@click.option("--rules", "rules_dirs", multiple=True, type=click.Path(exists=True, file_okay=False),
              help="Extra folder of YARA rules (repeatable).")
@click.option("--lang", type=click.Choice(["en", "vi"]), default="en", show_default=True,
              help="Language of text and HTML reports.")
@click.option("--case", "case_id", default=None, help="Case number for the chain-of-custody block.")
@click.option("--examiner", default=None, help="Examiner's name for the chain-of-custody block.")
@click.option("-j", "--jobs", type=click.IntRange(0, 256), default=None,
              help="Worker processes (default: CPU count; 0 = in this process, no isolation).")
@click.option("--time-limit", type=click.FloatRange(1, 86400), default=120.0, show_default=True,
              help="Seconds allowed per APK before it is reported as an error.")
@click.option("--memory-limit", type=click.IntRange(256, 1 << 20), default=2048, show_default=True,
              help="Address-space guard per worker, in MiB.")
@click.option("--db", type=click.Path(dir_okay=False), default=None,
              help="Case store (SQLite): keep every result, deduplicated by SHA-256.")
@click.option("--resume", is_flag=True, help="With --db: skip files already stored (same path, size, mtime).")
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: when stderr is a terminal).")
@click.option("--dask", "dask_address", default=None, metavar="ADDRESS",
              help="Run on a dask.distributed scheduler (needs the apkscan[dask] extra).")
def scan_command(paths, fmt, output, fail_on, trust_files, rules_dirs, lang, case_id, examiner, jobs,
                 time_limit, memory_limit, db, resume, progress, dask_address):
    """Scan APK files and directories (searched recursively; APKs recognised by content).

    Exit codes: 0 no app reached --fail-on; 1 at least one did; 2 usage error;
    3 some input could not be analysed and none reached the threshold.
    """
    from apkscan.batch.session import run_scan
    from apkscan.batch.store import CaseStore

    if resume and not db:
        raise click.UsageError("--resume needs --db")
    config = ScanConfig(limits=Limits(time_limit_s=time_limit), trust_files=tuple(trust_files),
                        rules_dirs=tuple(rules_dirs))
    meta = report_meta(config, lang=lang, case=case_id, examiner=examiner)
    store = CaseStore(db) if db else None
    candidates = discover(paths)
    skipped = 0
    if store and resume:
        kept = [c for c in candidates if not store.already_scanned(c.display_path, c.path)]
        skipped = len(candidates) - len(kept)
        candidates = kept
    started = time.monotonic()
    try:
        with open_output(output) as stream:
            done = run_scan(candidates, config, writer=get_format(fmt).writer(stream, meta), meta=meta,
                            store=store, jobs=jobs, memory_mb=memory_limit, progress=progress,
                            dask_address=dask_address)
    finally:
        if store:
            store.close()
    if not candidates and not skipped:
        click.echo("apkscan: no APK found in the given paths", err=True)
    if skipped:
        click.echo(f"apkscan: --resume skipped {skipped} file(s) already in {db}", err=True)
    if progress or (progress is None and sys.stderr.isatty()):
        click.echo(f"apkscan: {len(done)} scanned in {time.monotonic() - started:.1f} s", err=True)
    sys.exit(exit_code(done, fail_on.lower()))
