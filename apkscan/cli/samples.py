"""`apkscan samples ...`: build the bundled sample APKs or a phone dump (argument handling only)."""
from __future__ import annotations

import re
import sys

import click

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmg]?)i?b?\s*$", re.IGNORECASE)


def _parse_size(value: str | None) -> int | None:
    if value is None:
        return None
    m = _SIZE.match(value)
    if not m:
        raise click.BadParameter(f"{value!r} is not a size like 500M or 2G")
    return int(float(m.group(1)) * {"": 1, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3}[m.group(2).lower()])


@click.group("samples")
def samples_group() -> None:
    """Build the sample APKs (genuine-like, fake, benign) from samples_meta/recipes."""


@samples_group.command("build")
@click.argument("outdir", type=click.Path(file_okay=False))
@click.option("--only", multiple=True, metavar="RECIPE", help="Build only this recipe (repeatable).")
@click.option("--unsigned", is_flag=True, help="Leave the APKs unsigned.")
def build_command(outdir: str, only: tuple[str, ...], unsigned: bool) -> None:
    """Build every recipe into OUTDIR/<recipe>.apk and write OUTDIR/index.json."""
    from apkscan.samples.build import build_all

    try:
        index = build_all(outdir, only=list(only) or None, sign=not unsigned)
    except (ValueError, KeyError, OSError) as exc:
        raise click.ClickException(str(exc)) from exc
    samples = index["samples"]
    unsigned_n = sum(1 for s in samples if not s["signed"])
    click.echo(f"built {len(samples)} APKs in {outdir} (index.json lists each with its expected verdict)")
    if unsigned_n and not unsigned:
        click.echo(f"warning: {unsigned_n} APKs are unsigned (no signer available)", err=True)


@samples_group.command("phone-dump")
@click.argument("outdir", type=click.Path(file_okay=False))
@click.option("--apps", "n_apps", type=click.IntRange(1, 10000), default=20, show_default=True, help="Number of installed apps.")
@click.option("--seed", type=int, default=0, show_default=True, help="Same seed, same dump.")
@click.option("--size", "size", default=None, metavar="SIZE", help="Approximate total size, e.g. 500M or 2G.")
def phone_dump_command(outdir: str, n_apps: int, seed: int, size: str | None) -> None:
    """Lay out OUTDIR/<package>/base.apk + split_config.*.apk like `adb pull` of /data/app."""
    from apkscan.samples.phone_dump import build_phone_dump

    try:
        index = build_phone_dump(outdir, n_apps, seed=seed, total_size_hint=_parse_size(size))
    except (ValueError, KeyError, OSError) as exc:
        raise click.ClickException(str(exc)) from exc
    n_files = sum(len(a["files"]) for a in index["apps"])
    click.echo(f"{len(index['apps'])} apps, {n_files} APK files, {index['total_bytes'] / 2 ** 20:.1f} MiB in {outdir}")
    sys.stdout.flush()
