"""`apkscan adb OUTDIR`: acquire third-party apps from a connected phone (read-only), then scan them."""
from __future__ import annotations

import os
import sys
from dataclasses import replace

import click

from apkscan.cli.options import FAIL_ON
from apkscan.cli.output import open_output, report_meta
from apkscan.cli.scan import exit_code
from apkscan.config import ScanConfig
from apkscan.inputs import discover
from apkscan.report import format_names, get_format


def installer_adjuster(record: dict, outdir: str):
    """Add the installer evidence recorded at acquisition to each app's result, and re-score."""
    from apkscan.analyzers.installer import installer_finding
    from apkscan.scoring import score

    by_folder = {os.path.realpath(os.path.join(outdir, a["package"])): a for a in record.get("apps", [])}

    def adjust(candidate, result):
        app = by_folder.get(os.path.realpath(os.path.dirname(candidate.path)))
        if app is None or result.status != "ok":
            return result
        finding = installer_finding(app["package"], app.get("installer"))
        if finding is None:
            return result
        findings = tuple(sorted(result.findings + (finding,), key=lambda f: (-f.rank, f.id, f.path)))
        risk, verdict = score(findings, result.identity, result.signing, result.app)
        return replace(result, findings=findings, risk=risk, verdict=verdict)

    return adjust


@click.command()
@click.argument("outdir", type=click.Path(file_okay=False))
@click.option("--serial", default=None, help="Device serial (adb -s).")
@click.option("--adb-path", default=lambda: os.environ.get("APKSCAN_ADB", "adb"), show_default="adb",
              help="adb executable.")
@click.option("--format", "fmt", type=click.Choice(format_names()), default="text", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), default=None)
@click.option("--fail-on", type=FAIL_ON, default="high", show_default=True)
@click.option("--lang", type=click.Choice(["en", "vi"]), default="en", show_default=True)
@click.option("--case", "case_id", default=None)
@click.option("--examiner", default=None)
@click.option("-j", "--jobs", type=click.IntRange(0, 256), default=None)
def adb_command(outdir, serial, adb_path, fmt, output, fail_on, lang, case_id, examiner, jobs):
    """Pull every third-party app (base and splits) from a phone without changing it, record each
    app's installer (a sideload is evidence), write OUTDIR/acquisition.json, then scan OUTDIR."""
    from apkscan.batch.session import run_scan
    from apkscan.inputs.adb import Adb, AdbError, acquire

    try:
        record = acquire(outdir, Adb(adb_path, serial))
    except AdbError as exc:
        click.echo(f"apkscan adb: {exc}", err=True)
        sys.exit(3)
    click.echo(f"apkscan adb: acquired {len(record['apps'])} app(s) into {outdir}", err=True)
    config = ScanConfig()
    meta = report_meta(config, lang=lang, case=case_id, examiner=examiner)
    candidates = discover([outdir])
    with open_output(output) as stream:
        results = run_scan(candidates, config, writer=get_format(fmt).writer(stream, meta), meta=meta,
                           jobs=jobs, adjust=installer_adjuster(record, outdir))
    sys.exit(exit_code(results, fail_on.lower()))
