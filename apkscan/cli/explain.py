"""`apkscan explain FINDING_ID`: what a finding means, how much it weighs, and what to do about it."""
from __future__ import annotations

import difflib
import json
from fnmatch import fnmatchcase

import click

from apkscan.findings_catalog import CatalogEntry, error_finding_id, full_catalog
from apkscan.i18n import severity_name, t
from apkscan.model import SEVERITY_RANK
from apkscan.scoring import Combination, RiskModel, default_model


def _combinations_using(finding_id: str, severity: str, model: RiskModel) -> list[Combination]:
    out = []
    for combo in model.combinations:
        for name in combo.requires:
            group = model.groups[name]
            strong_enough = SEVERITY_RANK[severity] >= SEVERITY_RANK[group.min_severity]
            if strong_enough and any(fnmatchcase(finding_id, p) for p in group.match):
                out.append(combo)
                break
    return out


def _basis(entry: CatalogEntry, model: RiskModel, lang: str) -> str:
    override = model.override_for(entry.id)
    if override is not None:
        return (override.why_vi if lang == "vi" and override.why_vi else override.why) or override.match
    return t("basis.severity", lang, severity=severity_name(entry.severity, lang))


def _finding_text(entry: CatalogEntry, model: RiskModel, lang: str) -> str:
    weight, _ = model.weight(entry.id, entry.severity)
    basis = _basis(entry, model, lang)
    lines = [
        f"{entry.id}: {entry.text('title', lang)}",
        f"{t('explain.severity', lang)}: {severity_name(entry.severity, lang)}",
        f"{t('explain.weight', lang)}: {t('explain.weight_value', lang, weight=weight, basis=basis)}",
    ]
    if entry.text("description", lang):
        lines += ["", f"{t('explain.meaning', lang)}:", entry.text("description", lang)]
    if entry.text("advice", lang):
        lines += ["", f"{t('explain.advice', lang)}:", entry.text("advice", lang)]
    combos = _combinations_using(entry.id, entry.severity, model)
    if combos:
        lines += ["", f"{t('explain.in_combinations', lang)}:"]
        lines += [f"  {c.id} (+{c.boost}): {c.title_vi if lang == 'vi' else c.title}" for c in combos]
    origin = entry.origin if entry.origin.startswith("yara") else f"signatures/findings/{entry.origin}"
    lines += ["", f"{t('explain.defined_in', lang)}: {origin}"]
    return "\n".join(lines)


def _combination_text(combo: Combination, model: RiskModel, lang: str) -> str:
    lines = [
        f"{combo.id}: {combo.title_vi if lang == 'vi' else combo.title}",
        t("explain.combination", lang, boost=combo.boost),
    ]
    for name in combo.requires:
        group = model.groups[name]
        lines.append(f"  - {name}: {', '.join(group.facts + group.match)}")
    description = combo.description_vi if lang == "vi" and combo.description_vi else combo.description
    if description:
        lines += ["", f"{t('explain.meaning', lang)}:", description]
    if combo.source:
        lines += ["", f"{t('explain.source', lang)}: {combo.source}"]
    return "\n".join(lines)


def _as_json(entry: CatalogEntry | None, combo: Combination | None, model: RiskModel) -> str:
    if combo is not None:
        data = {"id": combo.id, "kind": "combination", "boost": combo.boost, "requires": list(combo.requires),
                "title": combo.title, "title_vi": combo.title_vi, "description": combo.description,
                "description_vi": combo.description_vi, "source": combo.source}
    else:
        assert entry is not None
        weight, basis = model.weight(entry.id, entry.severity)
        data = {"id": entry.id, "kind": "finding", "severity": entry.severity, "weight": weight, "weight_basis": basis,
                "title": entry.title, "title_vi": entry.title_vi, "description": entry.description,
                "description_vi": entry.description_vi, "advice": entry.advice, "advice_vi": entry.advice_vi,
                "combinations": [c.id for c in _combinations_using(entry.id, entry.severity, model)],
                "catalogue": entry.origin}
    return json.dumps(data, ensure_ascii=False, indent=2)


@click.command()
@click.argument("finding_id", required=False)
@click.option("--lang", type=click.Choice(["en", "vi"]), default="en", show_default=True, help="Language of the explanation.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--list", "list_ids", is_flag=True, help="List every finding and combination id.")
def explain_command(finding_id: str | None, lang: str, fmt: str, list_ids: bool) -> None:
    """Explain FINDING_ID (e.g. PERM_READ_SMS, BOOST_IMPERSONATION_ACCESSIBILITY, NOT_A_ZIP)."""
    catalog = full_catalog()
    model = default_model()
    if list_ids:
        for entry_id in catalog.ids():
            entry = catalog.get(entry_id)
            click.echo(f"{entry_id}\t{entry.severity}\t{entry.text('title', lang)}")
        for combo in model.combinations:
            click.echo(f"{combo.id}\t+{combo.boost}\t{combo.title_vi if lang == 'vi' else combo.title}")
        return
    if not finding_id:
        raise click.UsageError("give a FINDING_ID, or --list")
    wanted = finding_id.strip().upper()
    entry = catalog.get(wanted) or catalog.get(error_finding_id(wanted))
    combo = model.combination(wanted)
    if entry is None and combo is None:
        known = catalog.ids() + [c.id for c in model.combinations]
        close = difflib.get_close_matches(wanted, known, n=3, cutoff=0.6)
        message = t("explain.unknown", lang, id=finding_id)
        if close:
            message += " " + t("explain.did_you_mean", lang, ids=", ".join(close))
        raise click.BadParameter(f"{message} {t('explain.list_hint', lang)}", param_hint="FINDING_ID")
    if fmt == "json":
        click.echo(_as_json(entry, combo if entry is None else None, model))
    elif entry is not None:
        click.echo(_finding_text(entry, model, lang))
    else:
        click.echo(_combination_text(combo, model, lang))
