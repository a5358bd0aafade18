"""`apkscan verify APK...`: a standalone signature verifier, like `apksigner verify`.

The verdict is apkscan.signing.verify_apk's, the same code that fills a scan report's `signing`
section. JSON: one object per input, `verified` true / false / null (null: could not be checked,
e.g. apkscan's limits or an impossible SDK range). Exit 0 when every APK verifies, else 1;
2 for usage errors (click).
"""
from __future__ import annotations

import json
import sys

import click

VERDICT_TEXT = {True: "VERIFIED", False: "DOES NOT VERIFY", None: "NOT CHECKED"}


def verification_record(path: str, result) -> dict:
    """The JSON object for one APK (issue 4: path, verified, schemes, signers, lineage, issues, warnings)."""
    return {
        "path": path,
        "verified": result.verified,
        "schemes": list(result.schemes),
        "signers": [s.to_dict() for s in result.signers],
        "lineage": [dict(x) for x in result.lineage],
        "issues": [i.to_dict() for i in result.issues],
        "warnings": [w.to_dict() for w in result.warnings],
    }


def _verify(path: str, min_sdk, max_sdk, idsig):
    from apkscan.model import SigningResult
    from apkscan.signing import verify_apk
    from apkscan.signing.issues import make

    try:
        return verify_apk(path, min_sdk=min_sdk, max_sdk=max_sdk, idsig_path=idsig)
    except Exception as exc:  # noqa: BLE001 - verify_apk should not raise; one APK never stops the batch
        return SigningResult(verified=None, issues=(make("UNEXPECTED_EXCEPTION", f"{type(exc).__name__}: {exc}"),))


def render_text(rec: dict) -> str:
    head = f"{rec['path']}: {VERDICT_TEXT[rec['verified']]}"
    if rec["schemes"]:
        head += f" (schemes: {', '.join(rec['schemes'])})"
    lines = [head]
    for i, s in enumerate(rec["signers"], 1):
        lines.append(f"  signer #{i}: {s['subject']}")
        lines.append(f"    certificate SHA-256: {s['cert_sha256']}")
        lines.append(f"    certificate SHA-1:   {s['cert_sha1']}")
        lines.append(f"    key: {s['key_algorithm']} {s['key_bits']} bits; valid {s['not_before']} .. {s['not_after']}")
    if rec["lineage"]:
        lines.append(f"  lineage (oldest first, {len(rec['lineage'])} certificates):")
        for i, node in enumerate(rec["lineage"], 1):
            lines.append(f"    #{i} {node.get('cert_sha256', '?')}")
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
    if idsig and len(apks) != 1:
        raise click.UsageError("--idsig goes with exactly one APK")
    if min_sdk is not None and max_sdk is not None and min_sdk > max_sdk:
        raise click.UsageError(f"--min-sdk ({min_sdk}) is above --max-sdk ({max_sdk})")
    records = [verification_record(p, _verify(p, min_sdk, max_sdk, idsig)) for p in apks]
    if fmt == "json":
        click.echo(json.dumps(records, indent=2, ensure_ascii=False))
    else:
        click.echo("\n".join(render_text(rec) for rec in records))
    sys.exit(0 if all(r["verified"] is True for r in records) else 1)
