"""`apkscan verify APK...`: a standalone signature verifier, like `apksigner verify`."""
from __future__ import annotations

import json
import sys

import click


def _record(path: str, result) -> dict:
    return {
        "path": path,
        "verified": bool(result.verified),
        "schemes": list(result.schemes),
        "signers": [s.to_dict() for s in result.signers],
        "lineage": [dict(x) for x in result.lineage],
        "issues": [i.to_dict() for i in result.issues],
        "warnings": [w.to_dict() for w in result.warnings],
    }


def _text(rec: dict) -> str:
    lines = [f"{rec['path']}: {'VERIFIED' if rec['verified'] else 'DOES NOT VERIFY'}"
             + (f" ({', '.join(rec['schemes'])})" if rec["schemes"] else "")]
    for i, s in enumerate(rec["signers"], 1):
        lines.append(f"  signer #{i}: {s['subject']}")
        lines.append(f"    certificate SHA-256: {s['cert_sha256']}")
        lines.append(f"    certificate SHA-1:   {s['cert_sha1']}")
        lines.append(f"    key: {s['key_algorithm']} {s['key_bits']} bits; valid {s['not_before']} .. {s['not_after']}")
    for issue in rec["issues"]:
        lines.append(f"  ERROR {issue['name']} [{issue['scheme'] or '-'}]: {issue['message']}")
    for w in rec["warnings"]:
        lines.append(f"  WARNING {w['name']} [{w['scheme'] or '-'}]: {w['message']}")
    return "\n".join(lines)


@click.command()
@click.argument("apks", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--min-sdk", type=click.IntRange(1, 10000), default=None, help="Lowest API level to verify for (default: the APK's minSdkVersion).")
@click.option("--max-sdk", type=click.IntRange(1, 10000), default=None, help="Highest API level to verify for (default: any).")
@click.option("--idsig", type=click.Path(exists=True, dir_okay=False), default=None, help="APK Signature Scheme v4 .idsig file (one APK only).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def verify_command(apks, min_sdk, max_sdk, idsig, fmt):
    """Verify APK signatures the way Android does (v1, v2, v3, v3.1, v4). Exit 0 when all verify, else 1."""
    from apkscan.signing import verify_apk

    if idsig and len(apks) != 1:
        raise click.UsageError("--idsig goes with exactly one APK")
    records = [_record(p, verify_apk(p, min_sdk=min_sdk, max_sdk=max_sdk, idsig_path=idsig)) for p in apks]
    if fmt == "json":
        click.echo(json.dumps(records, indent=2, ensure_ascii=False))
    else:
        for rec in records:
            click.echo(_text(rec))
    sys.exit(0 if all(r["verified"] for r in records) else 1)
