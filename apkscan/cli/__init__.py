"""The `apkscan` command line. Only argument handling lives here; the work is done below."""
from __future__ import annotations

import sys

import click

from apkscan import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="apkscan")
def cli() -> None:
    """Tell fake VNeID (and other impersonated Vietnamese government apps) from the genuine ones,
    and rank APKs by how much they look like banking trojans."""
    from apkscan.manifest.quiet import silence_androguard as silence_libraries

    silence_libraries()


def _register() -> None:
    from apkscan.cli.adb import adb_command
    from apkscan.cli.explain import explain_command
    from apkscan.cli.samples import samples_group
    from apkscan.cli.scan import scan_command
    from apkscan.cli.trust import trust_group
    from apkscan.cli.report_cmd import report_command
    from apkscan.cli.verify import verify_command

    cli.add_command(scan_command, "scan")
    cli.add_command(verify_command, "verify")
    cli.add_command(samples_group, "samples")
    cli.add_command(trust_group, "trust")
    cli.add_command(explain_command, "explain")
    cli.add_command(report_command, "report")
    cli.add_command(adb_command, "adb")


_register()


def main() -> None:
    """Entry point. click exits 2 on usage errors (the documented code); an environment problem
    (disk full, unreadable file, unreachable dask scheduler) also exits 2 with one line, never a
    traceback: exit 1 must keep meaning "an app reached --fail-on"."""
    import sqlite3

    try:
        cli.main(prog_name="apkscan", standalone_mode=True)
    except KeyboardInterrupt:
        click.echo("apkscan: interrupted", err=True)
        sys.exit(130)
    except (OSError, sqlite3.Error, RuntimeError) as exc:
        click.echo(f"apkscan: error: {type(exc).__name__}: {exc}", err=True)
        sys.exit(2)
