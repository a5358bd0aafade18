"""`apkscan trust ...`: enroll genuine reference APKs into a user trust file, and show what a
trust file holds. The installed package is never modified."""
from __future__ import annotations

import json
import sys

import click


@click.group()
def trust_group() -> None:
    """Manage trusted identities (genuine signing certificates and icons)."""


@trust_group.command("enroll")
@click.argument("apk", type=click.Path(exists=True, dir_okay=False))
@click.option("--id", "identity_id", required=True, metavar="ID",
              help="Identity to enroll as (vneid, vssid, etax, a brand id, or a new id of your own).")
@click.option("--trust-file", type=click.Path(dir_okay=False), default=None,
              help="Trust file to update (default: apkscan/trust.json in your user config directory).")
@click.option("--allow-new-package", is_flag=True,
              help="Accept a package the identity does not list yet (e.g. VssID's vss.gov.vssapp).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def enroll_command(apk, identity_id, trust_file, allow_new_package, fmt):
    """Add the verified signer(s) and launcher-icon hash of a genuine reference APK (for instance
    pulled from a phone that installed it from Google Play) to a trust file.

    Exit 0 on success, 1 when enrollment is refused (unverified signature, wrong package...)."""
    from apkscan.trust import TrustError, enroll

    try:
        result = enroll(apk, identity_id, trust_file, allow_new_package=allow_new_package)
    except TrustError as exc:
        if fmt == "json":
            click.echo(json.dumps({"enrolled": False, "error": str(exc)}, ensure_ascii=False))
        else:
            click.echo(f"not enrolled: {exc}", err=True)
        sys.exit(1)
    record = {
        "enrolled": True,
        "identity": result.identity,
        "trust_file": result.trust_file,
        "package": result.package,
        "apk_sha256": result.apk_sha256,
        "added_certificates": list(result.added_certificates),
        "certificates": list(result.known_certificates),
        "icon_hash": result.icon_hash,
        "created_identity": result.created_identity,
        "notes": list(result.notes),
    }
    if fmt == "json":
        click.echo(json.dumps(record, indent=2, ensure_ascii=False))
        return
    click.echo(f"enrolled {apk} as {result.identity} ({result.package}) in {result.trust_file}")
    for cert in result.added_certificates:
        click.echo(f"  + certificate SHA-256 {cert}")
    if not result.added_certificates:
        click.echo("  certificate(s) already trusted")
    click.echo(f"  icon hash: {result.icon_hash or 'none (no readable launcher icon)'}")
    for note in result.notes:
        click.echo(f"  note: {note}")
    click.echo(f"use it with: apkscan scan --trust {result.trust_file} ...")


@trust_group.command("show")
@click.option("--trust-file", "trust_files", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="Trust file(s) to merge with the bundled identities (repeatable).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def show_command(trust_files, fmt):
    """List protected identities: packages, enrolled certificates and icons."""
    from apkscan.trust import load_store

    store = load_store(trust_files)
    rows = [{"id": i.id, "name": i.name, "kind": i.kind, "packages": list(i.packages),
             "cert_sha256": sorted(i.cert_sha256), "icon_hashes": list(i.icon_hashes), "origins": list(i.origins)}
            for i in store.identities]
    if fmt == "json":
        click.echo(json.dumps({"identities": rows, "sources": [dict(s) for s in store.sources],
                               "problems": list(store.problems)}, indent=2, ensure_ascii=False))
    else:
        for row in rows:
            certs = ", ".join(c[:16] + "…" for c in row["cert_sha256"]) or "none enrolled"
            click.echo(f"{row['id']:<12} {row['kind']:<6} {', '.join(row['packages']) or '-':<32} certificates: {certs}")
        for problem in store.problems:
            click.echo(f"problem: {problem}", err=True)
    sys.exit(1 if store.problems else 0)
