"""`apkscan report --db case.sqlite`: regenerate reports from the case store without rescanning."""
from __future__ import annotations

import sys

import click

from apkscan.cli.options import FAIL_ON
from apkscan.cli.output import open_output, report_meta
from apkscan.cli.scan import exit_code
from apkscan.config import ScanConfig
from apkscan.report import format_names, get_format


@click.command()
@click.option("--db", required=True, type=click.Path(exists=True, dir_okay=False), help="Case store written by `scan --db`.")
@click.option("--format", "fmt", type=click.Choice(format_names()), default="text", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), default=None)
@click.option("--lang", type=click.Choice(["en", "vi"]), default="en", show_default=True)
@click.option("--case", "case_id", default=None)
@click.option("--examiner", default=None)
@click.option("--fail-on", type=FAIL_ON, default="high", show_default=True)
def report_command(db, fmt, output, lang, case_id, examiner, fail_on):
    """Write a report (any format) of every result stored in a case store."""
    from apkscan.batch.store import CaseStore

    meta = report_meta(ScanConfig(), lang=lang, case=case_id, examiner=examiner)
    with CaseStore(db) as store:
        results = list(store.results())
    with open_output(output) as stream:
        writer = get_format(fmt).writer(stream, meta)
        for r in results:
            writer.add(r)
        writer.close()
    sys.exit(exit_code(results, fail_on.lower()))
