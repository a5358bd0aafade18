"""Findings + identity + signing -> risk (score 0-100, level) and verdict.

The numbers are data (``signatures/scoring.json``); this module only applies them, the same way
every time: integer arithmetic, findings grouped by id, ties broken by id, so that the same
findings always give the same score whatever order the analyzers produced them in.
``docs/risk-model.md`` explains the model to readers of a report.

Steps (each one is visible in ``Assessment.factors``):
1. each distinct finding id weighs its severity's weight (or an override);
2. per family (id prefix: PERM, COMP, SIG...) the weights add up to at most the family's cap;
3. combinations of independent evidence add a boost (impersonation + accessibility, ...);
4. score = min(100, total); level = the highest level whose minimum the score reaches;
5. floors: a critical finding makes the level critical; a ``fake`` verdict makes it at least high;
6. verdict: error > genuine / fake (identity and signing) > malicious / suspicious / clean (level).
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping

from apkscan.datafiles import signatures_dir
from apkscan.findings_catalog import Catalog, default_catalog
from apkscan.model import (
    AppFacts,
    RISK_LEVELS,
    SEVERITY_RANK,
    Finding,
    Identity,
    Risk,
    ScanResult,
    SigningResult,
)

LEVEL_RANK = {name: rank for rank, name in enumerate(RISK_LEVELS)}
IDENTITY_HINTS = ("genuine", "fake")

# Facts a combination may require besides finding ids (see scoring.json "evidence_groups").
FACT_CLAIMS_PROTECTED_APP = "@CLAIMS_PROTECTED_APP"
FACT_SIGNATURE_NOT_VERIFIED = "@SIGNATURE_NOT_VERIFIED"


class _Auto:
    """Sentinel: ask ``apkscan.analyzers.identity.identity_verdict_hint`` for the identity verdict."""

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return "AUTO"


AUTO = _Auto()


@dataclass(frozen=True)
class EvidenceGroup:
    name: str
    match: tuple[str, ...] = ()
    facts: tuple[str, ...] = ()
    min_severity: str = "low"

    def present(self, findings: Mapping[str, str], facts: frozenset[str]) -> tuple[str, ...]:
        """The finding ids / facts that make this group present (sorted), or () when absent."""
        floor = SEVERITY_RANK[self.min_severity]
        hits = [f for f in self.facts if f in facts]
        hits += [
            fid
            for fid, severity in findings.items()
            if SEVERITY_RANK[severity] >= floor and any(fnmatchcase(fid, p) for p in self.match)
        ]
        return tuple(sorted(hits))


@dataclass(frozen=True)
class Combination:
    id: str
    requires: tuple[str, ...]
    boost: int
    title: str
    title_vi: str
    description: str = ""
    description_vi: str = ""
    source: str = ""


@dataclass(frozen=True)
class Floor:
    level: str
    title: str = ""
    title_vi: str = ""


@dataclass(frozen=True)
class WeightOverride:
    match: str
    weight: int
    why: str = ""
    why_vi: str = ""


@dataclass(frozen=True)
class SharedCap:
    """Several families that together count at most ``cap`` points (e.g. the manifest's capabilities)."""

    families: tuple[str, ...]
    cap: int
    why: str = ""
    why_vi: str = ""

    @property
    def scope(self) -> str:
        return "+".join(self.families)


@dataclass(frozen=True)
class RiskModel:
    severity_weights: Mapping[str, int]
    weight_overrides: tuple[WeightOverride, ...]
    family_caps: Mapping[str, int]
    default_family_cap: int
    groups: Mapping[str, EvidenceGroup]
    combinations: tuple[Combination, ...]
    level_minimums: Mapping[str, int]  # low/medium/high/critical -> minimum score
    severity_floor: Mapping[str, "Floor"]  # finding severity -> minimum level
    verdict_floor: Mapping[str, "Floor"]  # identity verdict -> minimum level
    verdict_levels: Mapping[str, str]  # malicious/suspicious -> minimum level
    shared_caps: tuple[SharedCap, ...] = ()
    version: int = 1

    def override_for(self, finding_id: str) -> WeightOverride | None:
        return next((o for o in self.weight_overrides if fnmatchcase(finding_id, o.match)), None)

    def weight(self, finding_id: str, severity: str) -> tuple[int, str]:
        """Weight of one finding id and why ("severity high", or the override's reason)."""
        override = self.override_for(finding_id)
        if override is not None:
            return override.weight, override.why or f"override {override.match}"
        return self.severity_weights[severity], f"severity {severity}"

    def family_cap(self, family: str) -> int:
        return self.family_caps.get(family, self.default_family_cap)

    def level_for(self, score: int) -> str:
        level = "none"
        for name in RISK_LEVELS[1:]:
            if score >= self.level_minimums[name]:
                level = name
        return level

    def combination(self, combo_id: str) -> Combination | None:
        return next((c for c in self.combinations if c.id == combo_id), None)


def _public(mapping: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in mapping.items() if not k.startswith(("_", "$"))}


def load_model(path: Path) -> RiskModel:
    """Read and check a scoring.json; raises ValueError on an inconsistent model."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    weights = {k: int(v) for k, v in _public(raw["severity_weights"]).items()}
    groups = {
        name: EvidenceGroup(
            name=name,
            match=tuple(g.get("match", ())),
            facts=tuple(g.get("facts", ())),
            min_severity=g.get("min_severity", "low"),
        )
        for name, g in _public(raw["evidence_groups"]).items()
    }
    model = RiskModel(
        severity_weights=weights,
        weight_overrides=tuple(
            WeightOverride(o["match"], int(o["weight"]), o.get("why", ""), o.get("why_vi", ""))
            for o in raw.get("weight_overrides", ())
        ),
        family_caps={k: int(v) for k, v in _public(raw.get("family_caps", {})).items()},
        default_family_cap=int(raw.get("default_family_cap", 100)),
        groups=groups,
        combinations=tuple(
            Combination(
                id=c["id"],
                requires=tuple(c["requires"]),
                boost=int(c["boost"]),
                title=c["title"],
                title_vi=c["title_vi"],
                description=c.get("description", ""),
                description_vi=c.get("description_vi", ""),
                source=c.get("source", ""),
            )
            for c in raw.get("combinations", ())
        ),
        level_minimums={k: int(v) for k, v in _public(raw["levels"]).items()},
        severity_floor={k: Floor(**v) for k, v in _public(raw.get("severity_floor", {})).items()},
        verdict_floor={k: Floor(**v) for k, v in _public(raw.get("verdict_floor", {})).items()},
        verdict_levels=_public(raw.get("verdict_levels", {})),
        shared_caps=tuple(
            SharedCap(tuple(c["families"]), int(c["cap"]), c.get("why", ""), c.get("why_vi", ""))
            for c in raw.get("shared_caps", ())
        ),
        version=int(raw.get("version", 1)),
    )
    _check(model)
    return model


def _check(model: RiskModel) -> None:
    problems = []
    if set(model.severity_weights) != set(SEVERITY_RANK):
        problems.append("severity_weights must name every severity")
    if set(model.level_minimums) != set(RISK_LEVELS[1:]):
        problems.append("levels must name low, medium, high, critical")
    minimums = [model.level_minimums.get(name, 0) for name in RISK_LEVELS[1:]]
    if minimums != sorted(minimums) or (minimums and minimums[0] < 1) or max(minimums, default=0) > 100:
        problems.append("level minimums must rise with the level, within 1..100")
    for combo in model.combinations:
        missing = [g for g in combo.requires if g not in model.groups]
        if missing:
            problems.append(f"{combo.id} requires unknown groups {missing}")
    for group in model.groups.values():
        if group.min_severity not in SEVERITY_RANK:
            problems.append(f"group {group.name}: bad min_severity")
    levels = [f.level for f in (*model.severity_floor.values(), *model.verdict_floor.values())]
    for level in levels + list(model.verdict_levels.values()):
        if level not in LEVEL_RANK:
            problems.append(f"unknown level {level!r}")
    if problems:
        raise ValueError("scoring model: " + "; ".join(problems))


@lru_cache(maxsize=1)
def default_model() -> RiskModel:
    return load_model(signatures_dir() / "scoring.json")


@dataclass(frozen=True)
class Factor:
    """One line of the score's explanation."""

    id: str  # finding id, combination id (BOOST_*) or FLOOR_* for a raised level
    kind: str  # finding | combination | floor
    points: int  # what it added to the score (after the family cap)
    weight: int  # its nominal weight
    severity: str | None = None
    family: str = ""
    count: int = 1  # findings with this id
    basis: str = ""  # why this weight, in English ("severity high", an override, a combination's evidence)
    title: str = ""
    title_vi: str = ""
    # The same basis as data, for reports in other languages:
    override: str | None = None  # pattern of the weight override applied
    cap: int | None = None  # the cap that reduced the points
    cap_scope: str = ""  # what that cap applies to: a family ("PERM") or shared families ("PERM+COMP")
    evidence: tuple[str, ...] = ()  # combination: the finding ids and facts that satisfied it
    level: str | None = None  # floor: the level it guarantees

    def to_dict(self) -> dict:
        data = dataclasses.asdict(self)
        data["evidence"] = list(self.evidence)
        return data

    def title_in(self, lang: str) -> str:
        return (self.title_vi if lang == "vi" and self.title_vi else self.title) or self.id


@dataclass(frozen=True)
class Assessment:
    risk: Risk
    verdict: str
    factors: tuple[Factor, ...]  # most important first
    verdict_basis: str  # error | identity | level
    identity_hint: str | None = None

    def top_reasons(self, n: int = 3) -> tuple[Factor, ...]:
        """The factors that explain the verdict best: the heaviest first, except that a fake's
        impersonation evidence leads; floors are not reasons."""
        reasons = [f for f in self.factors if f.points > 0 and f.kind != "floor"]
        if self.verdict == "fake":
            reasons.sort(key=lambda f: not f.id.startswith(("IMPERSONATION_", "BOOST_IMPERSONATION_")))
        return tuple(reasons[:n])

    def to_dict(self) -> dict:
        return {
            "score": self.risk.score,
            "level": self.risk.level,
            "verdict": self.verdict,
            "verdict_basis": self.verdict_basis,
            "identity_hint": self.identity_hint,
            "factors": [f.to_dict() for f in self.factors],
        }


def family_of(finding_id: str) -> str:
    return finding_id.split("_", 1)[0]


def _facts(identity: Identity | None, signing: SigningResult | None) -> frozenset[str]:
    facts = set()
    if identity is not None and identity.claimed and identity.trusted != identity.claimed:
        facts.add(FACT_CLAIMS_PROTECTED_APP)
    if signing is not None and signing.verified is False:
        facts.add(FACT_SIGNATURE_NOT_VERIFIED)
    return frozenset(facts)


def _fallback_identity_hint(identity: Identity | None, signing: SigningResult | None) -> str | None:
    """Used only while ``apkscan.analyzers.identity`` is absent: the bare rule of the issue.

    genuine: the claimed identity's trusted certificate verified; fake: the claimed identity has an
    enrolled certificate and this APK is not signed by it. Without an enrolled certificate, no guess.
    """
    if identity is None or not identity.claimed:
        return None
    if identity.trusted == identity.claimed and signing is not None and signing.verified is True:
        return "genuine"
    if identity.certificate_enrolled and identity.trusted != identity.claimed:
        return "fake"
    return None


def resolve_identity_hint(identity: Identity | None, signing: SigningResult | None) -> str | None:
    try:
        from apkscan.analyzers.identity import identity_verdict_hint
    except ImportError:
        identity_verdict_hint = _fallback_identity_hint
    hint = identity_verdict_hint(identity, signing)
    return hint


def _finding_factors(findings: Iterable[Finding], model: RiskModel, catalog: Catalog) -> list[Factor]:
    by_id: dict[str, list[Finding]] = {}
    for finding in findings:
        by_id.setdefault(finding.id, []).append(finding)
    nominal: list[Factor] = []
    for fid, group in by_id.items():
        # The heaviest occurrence speaks for the id; ties by severity then title keep it stable.
        best = max(group, key=lambda f: (model.weight(fid, f.severity)[0], f.rank, f.title))
        weight, basis = model.weight(fid, best.severity)
        entry = catalog.describe(best)
        override = model.override_for(fid)
        nominal.append(
            Factor(
                id=fid, kind="finding", points=0, weight=weight, severity=best.severity,
                family=family_of(fid), count=len(group), basis=basis,
                title=entry.title, title_vi=entry.title_vi, override=override.match if override else None,
            )
        )
    # Caps: the heaviest findings are counted first; each finding takes what is left under its
    # family's cap and under every shared cap its family belongs to.
    nominal.sort(key=lambda f: (-f.weight, -SEVERITY_RANK[f.severity or "info"], f.id))
    used: dict[str, int] = {}  # scope -> points counted so far
    capped = []
    for factor in nominal:
        scopes = [(factor.family, model.family_cap(factor.family))]
        scopes += [(c.scope, c.cap) for c in model.shared_caps if factor.family in c.families]
        points, binding = factor.weight, None
        for scope, cap in scopes:
            room = max(0, cap - used.get(scope, 0))
            if room < points:
                points, binding = room, (scope, cap)
        for scope, _ in scopes:
            used[scope] = used.get(scope, 0) + points
        if binding is not None:
            scope, cap = binding
            factor = dataclasses.replace(factor, basis=f"{factor.basis}; {scope} findings capped at {cap}",
                                         cap=cap, cap_scope=scope)
        capped.append(dataclasses.replace(factor, points=points))
    return capped


def _combination_factors(severities: Mapping[str, str], facts: frozenset[str], model: RiskModel) -> list[Factor]:
    out = []
    for combo in model.combinations:
        evidence = [model.groups[name].present(severities, facts) for name in combo.requires]
        if all(evidence):
            basis = " + ".join(f"{name}: {', '.join(ids)}" for name, ids in zip(combo.requires, evidence))
            out.append(
                Factor(
                    id=combo.id, kind="combination", points=combo.boost, weight=combo.boost,
                    basis=basis, title=combo.title, title_vi=combo.title_vi,
                    evidence=tuple(sorted({i for ids in evidence for i in ids})),
                )
            )
    return out


def assess(
    findings: Iterable[Finding],
    *,
    identity: Identity | None = None,
    signing: SigningResult | None = None,
    status: str = "ok",
    identity_hint: str | None | _Auto = AUTO,
    model: RiskModel | None = None,
    catalog: Catalog | None = None,
) -> Assessment:
    """Score one app. ``identity_hint`` is 'genuine', 'fake' or None; AUTO asks the identity analyzer."""
    if status != "ok":
        return Assessment(risk=Risk(0, "none"), verdict="error", factors=(), verdict_basis="error")
    model = model or default_model()
    catalog = catalog or default_catalog()
    findings = tuple(findings)
    hint = resolve_identity_hint(identity, signing) if isinstance(identity_hint, _Auto) else identity_hint
    if hint not in (None, *IDENTITY_HINTS):
        raise ValueError(f"identity hint must be 'genuine', 'fake' or None, not {hint!r}")

    severities: dict[str, str] = {}
    for finding in findings:
        if finding.id not in severities or finding.rank > SEVERITY_RANK[severities[finding.id]]:
            severities[finding.id] = finding.severity
    factors = _finding_factors(findings, model, catalog)
    factors += _combination_factors(severities, _facts(identity, signing), model)
    score = min(100, sum(f.points for f in factors))
    level = model.level_for(score)

    floors: list[tuple[str, Floor]] = []
    top_severity = max(severities.values(), key=SEVERITY_RANK.__getitem__, default=None)
    for severity, floor in model.severity_floor.items():
        if top_severity is not None and SEVERITY_RANK[top_severity] >= SEVERITY_RANK[severity]:
            floors.append((f"FLOOR_SEVERITY_{severity.upper()}", floor))
    if hint in model.verdict_floor:
        floors.append((f"FLOOR_VERDICT_{hint.upper()}", model.verdict_floor[hint]))
    for floor_id, floor in sorted(floors, key=lambda item: item[0]):
        if LEVEL_RANK[floor.level] > LEVEL_RANK[level]:
            raised = model.level_minimums[floor.level]
            factors.append(
                Factor(
                    id=floor_id, kind="floor", points=raised - score, weight=raised,
                    basis=f"level at least {floor.level}", title=floor.title, title_vi=floor.title_vi,
                    level=floor.level,
                )
            )
            score, level = raised, floor.level

    if hint is not None:
        verdict, basis = hint, "identity"
    else:
        basis = "level"
        verdict = "clean"
        for name in ("suspicious", "malicious"):  # the stronger verdict wins
            minimum = model.verdict_levels.get(name)
            if minimum is not None and LEVEL_RANK[level] >= LEVEL_RANK[minimum]:
                verdict = name
    order = {"combination": 0, "finding": 0, "floor": 1}
    factors.sort(key=lambda f: (order[f.kind], -f.points, -f.weight, f.id))
    return Assessment(
        risk=Risk(score=score, level=level), verdict=verdict, factors=tuple(factors),
        verdict_basis=basis, identity_hint=hint,
    )


def assess_result(result: ScanResult, identity_hint: str | None | _Auto = AUTO, **kwargs: Any) -> Assessment:
    return assess(
        result.findings, identity=result.identity, signing=result.signing, status=result.status,
        identity_hint=identity_hint, **kwargs,
    )


def apply(result: ScanResult, identity_hint: str | None | _Auto = AUTO, **kwargs: Any) -> ScanResult:
    """The result with its ``risk`` and ``verdict`` filled in by the risk model."""
    assessment = assess_result(result, identity_hint, **kwargs)
    return dataclasses.replace(result, risk=assessment.risk, verdict=assessment.verdict)


def score(
    findings: Iterable[Finding],
    identity: Identity | None = None,
    signing: SigningResult | None = None,
    facts: AppFacts | None = None,
    *,
    status: str = "ok",
    identity_hint: str | None | _Auto = AUTO,
) -> tuple[Risk, str]:
    """The pipeline's entry point: (risk, verdict) for one analysed app.

    ``facts`` is accepted for the pipeline's convenience; the model reads only findings, identity
    and signing, so that every input of the score is in the report.
    """
    assessment = assess(findings, identity=identity, signing=signing, status=status, identity_hint=identity_hint)
    return assessment.risk, assessment.verdict


def explain(result: ScanResult, **kwargs: Any) -> Assessment:
    """The factors behind a result already scored by the pipeline (reports use this).

    The identity verdict is taken from the result itself, so that the explanation describes the
    verdict the result carries even where the identity analyzer has changed since.
    """
    hint = result.verdict if result.verdict in IDENTITY_HINTS else None
    return assess_result(result, identity_hint=hint, **kwargs)
