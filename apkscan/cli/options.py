"""Option types and option groups shared by several commands."""
from __future__ import annotations


import click

from apkscan.model import RISK_LEVELS

FAIL_ON = click.Choice(["none", "low", "medium", "high", "critical"], case_sensitive=False)


def reaches(level: str, threshold: str) -> bool:
    """Does a risk level reach the --fail-on threshold? 'none' as threshold never fails."""
    if threshold == "none":
        return False
    return RISK_LEVELS.index(level) >= RISK_LEVELS.index(threshold)


def report_options(func):
    """-o, --format, --fail-on, --lang, --case, --examiner (every command that writes a report)."""
    from apkscan.report import format_names

    for opt in reversed([
        click.option("--format", "fmt", type=click.Choice(format_names()), default="text", show_default=True,
                     help="Report format."),
        click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
                     help="Write the report to FILE instead of standard output."),
        click.option("--fail-on", type=FAIL_ON, default="high", show_default=True,
                     help="Exit 1 when an app's risk level reaches this level."),
        click.option("--lang", type=click.Choice(["en", "vi"]), default="en", show_default=True,
                     help="Language of text and HTML reports."),
        click.option("--case", "case_id", default=None, help="Case number for the chain-of-custody block."),
        click.option("--examiner", default=None, help="Examiner's name for the chain-of-custody block."),
    ]):
        func = opt(func)
    return func


def analysis_options(func):
    """--trust, --rules, --jobs, --time-limit, --memory-limit, --db, --progress (every command that scans)."""
    for opt in reversed([
        click.option("--trust", "trust_files", multiple=True, type=click.Path(exists=True, dir_okay=False),
                     help="User trust file from `apkscan trust enroll` (repeatable)."),
        click.option("--rules", "rules_dirs", multiple=True, type=click.Path(exists=True, file_okay=False),
                     help="Extra folder of YARA rules (repeatable)."),
        click.option("-j", "--jobs", type=click.IntRange(0, 256), default=None,
                     help="Worker processes (default: CPU count; 0 = in this process, no isolation)."),
        click.option("--time-limit", type=click.FloatRange(1, 86400), default=120.0, show_default=True,
                     help="Seconds allowed per APK before it is reported as an error."),
        click.option("--memory-limit", type=click.IntRange(256, 1 << 20), default=2048, show_default=True,
                     help="Address-space guard per worker, in MiB."),
        click.option("--db", type=click.Path(dir_okay=False), default=None,
                     help="Case store (SQLite): keep every result, deduplicated by SHA-256."),
        click.option("--progress/--no-progress", default=None,
                     help="Progress bar (default: when stderr is a terminal)."),
    ]):
        func = opt(func)
    return func


def build_config(trust_files, rules_dirs, time_limit):
    """A ScanConfig from the options; an explicitly given trust file that cannot be used is a
    usage error (a silently ignored trust file would change verdicts without a word)."""
    from apkscan.archive.limits import Limits
    from apkscan.config import ScanConfig
    from apkscan.trust import load_store

    if trust_files:
        problems = load_store(trust_files).problems
        if problems:
            raise click.UsageError("trust file not usable: " + "; ".join(problems))
    return ScanConfig(limits=Limits(time_limit_s=time_limit), trust_files=tuple(trust_files),
                      rules_dirs=tuple(rules_dirs))


def open_store(db: str | None):
    """The case store, or a usage error when the file is not one (no traceback)."""
    if not db:
        return None
    import sqlite3

    from apkscan.batch.store import CaseStore

    try:
        return CaseStore(db)
    except sqlite3.Error as exc:
        raise click.UsageError(f"--db {db}: not an apkscan case store ({exc})") from None


