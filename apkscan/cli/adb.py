"""`apkscan adb OUTDIR`: acquire third-party apps from a connected phone (read-only), then scan them."""
from __future__ import annotations

import os
import sys

import click

from apkscan.cli.options import analysis_options, build_config, report_options
from apkscan.cli.scan import run_and_exit


@click.command()
@click.argument("outdir", type=click.Path(file_okay=False))
@click.option("--serial", default=None, help="Device serial (adb -s).")
@click.option("--adb-path", default=lambda: os.environ.get("APKSCAN_ADB", "adb"), show_default="adb",
              help="adb executable.")
@report_options
@analysis_options
def adb_command(outdir, serial, adb_path, fmt, output, fail_on, lang, case_id, examiner, trust_files, rules_dirs,
                jobs, time_limit, memory_limit, db, progress):
    """Pull every third-party app (base and splits) from a phone without changing it, record each
    app's installer (a sideload is evidence), write OUTDIR/acquisition.json, then scan OUTDIR/apps.
    OUTDIR must be new or empty."""
    from apkscan.analyzers.installer import installer_adjuster
    from apkscan.inputs import discover
    from apkscan.inputs.adb import Adb, AdbError, acquire

    config = build_config(trust_files, rules_dirs, time_limit)
    try:
        record = acquire(outdir, Adb(adb_path, serial))
    except AdbError as exc:
        click.echo(f"apkscan adb: {exc}", err=True)
        sys.exit(3)
    failed = [a for a in record["apps"] if a.get("error")]
    click.echo(f"apkscan adb: acquired {len(record['apps']) - len(failed)} app(s) into {outdir}"
               + (f"; {len(failed)} could not be pulled (see acquisition.json)" if failed else ""), err=True)
    run_and_exit(discover([os.path.join(outdir, "apps")]), config, fmt=fmt, output=output, fail_on=fail_on,
                 lang=lang, case_id=case_id, examiner=examiner, jobs=jobs, memory_limit=memory_limit, db=db,
                 resume=False, progress=progress, adjust=installer_adjuster(record, outdir))
