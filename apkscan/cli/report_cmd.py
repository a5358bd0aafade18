"""`apkscan report --db case.sqlite`: regenerate reports from the case store without rescanning."""
from __future__ import annotations

import sys

import click

from apkscan.cli.options import open_store, report_options
from apkscan.cli.output import open_output, report_meta
from apkscan.cli.scan import exit_code
from apkscan.config import ScanConfig
from apkscan.report import get_format


@click.command()
@click.option("--db", required=True, type=click.Path(exists=True, dir_okay=False), help="Case store written by `scan --db`.")
@report_options
def report_command(db, fmt, output, fail_on, lang, case_id, examiner):
    """Write a report (any format) of every result stored in a case store.

    The chain of custody is the scan's, from the store: when the results were produced
    (the first scan time of the case) and with which rules; not the time of this rendering."""
    store = open_store(db)
    with store:
        results = list(store.results())
        prov = store.provenance()
    rules = prov["rules_sha256"]
    versions = prov["tool_versions"]
    meta = report_meta(ScanConfig(), lang=lang, case=case_id, examiner=examiner,
                       scanned_at=prov["first_scanned_at"],
                       rules_sha256=rules[0] if len(rules) == 1 else ",".join(rules) or None,
                       tool_version=versions[0] if len(versions) == 1 else ",".join(versions) or None)
    with open_output(output) as stream:
        writer = get_format(fmt).writer(stream, meta)
        for r in results:
            writer.add(r)
        writer.close()
    sys.exit(exit_code(results, fail_on.lower()))
