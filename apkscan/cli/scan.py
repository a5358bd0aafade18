"""`apkscan scan PATH...`"""
from __future__ import annotations

import sys
import time

import click

from apkscan.cli.options import analysis_options, build_config, open_store, reaches, report_options
from apkscan.cli.output import check_output_path, open_output, report_meta
from apkscan.report import get_format


def exit_code(results, fail_on: str) -> int:
    """0: no app reached --fail-on; 1: one did; 3: some input could not be analysed and none did."""
    if any(r.status == "ok" and reaches(r.risk.level, fail_on) for r in results):
        return 1
    if any(r.status == "error" for r in results):
        return 3
    return 0


def run_and_exit(candidates, config, *, fmt, output, fail_on, lang, case_id, examiner, jobs, memory_limit,
                 db, resume, progress, dask_address=None, adjust=None):
    """Shared by `scan` and `adb`: scan, write the report, exit with the documented code."""
    from apkscan.batch.session import run_scan

    check_output_path(output)
    store = open_store(db)
    meta = report_meta(config, lang=lang, case=case_id, examiner=examiner)
    started = time.monotonic()
    try:
        with open_output(output) as stream:
            done, reused = run_scan(candidates, config, writer=get_format(fmt).writer(stream, meta), meta=meta,
                                    store=store, resume=resume, jobs=jobs, memory_mb=memory_limit,
                                    progress=progress, dask_address=dask_address, adjust=adjust)
    finally:
        if store:
            store.close()
    if not candidates:
        click.echo("apkscan: no APK found in the given paths", err=True)
    if reused:
        click.echo(f"apkscan: --resume reported {reused} stored result(s) from {db} without rescanning", err=True)
    if progress or (progress is None and sys.stderr.isatty()):
        click.echo(f"apkscan: {len(done) - reused} scanned in {time.monotonic() - started:.1f} s", err=True)
    sys.exit(exit_code(done, fail_on.lower()))


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=True, readable=True))
@report_options
@analysis_options
@click.option("--resume", is_flag=True, help="With --db: do not rescan files already stored (same path, size, mtime); "
                                             "their stored results are reported.")
@click.option("--dask", "dask_address", default=None, metavar="ADDRESS",
              help="Run on a dask.distributed scheduler (needs the apkscan[dask] extra).")
def scan_command(paths, fmt, output, fail_on, lang, case_id, examiner, trust_files, rules_dirs, jobs,
                 time_limit, memory_limit, db, progress, resume, dask_address):
    """Scan APK files and directories (searched recursively; APKs recognised by content).

    Exit codes: 0 no app reached --fail-on; 1 at least one did; 2 usage error;
    3 some input could not be analysed and none reached the threshold.
    """
    from apkscan.inputs import discover

    if resume and not db:
        raise click.UsageError("--resume needs --db")
    if dask_address:
        try:
            import distributed  # noqa: F401
        except ImportError:
            raise click.UsageError("--dask needs the optional extra: pip install 'apkscan[dask]'") from None
    config = build_config(trust_files, rules_dirs, time_limit)
    run_and_exit(discover(paths), config, fmt=fmt, output=output, fail_on=fail_on, lang=lang, case_id=case_id,
                 examiner=examiner, jobs=jobs, memory_limit=memory_limit, db=db, resume=resume,
                 progress=progress, dask_address=dask_address)
