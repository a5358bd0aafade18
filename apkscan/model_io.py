"""Rebuild model objects from their JSON form (the case store keeps results as report JSON)."""
from __future__ import annotations

from apkscan.model import (AppFacts, Component, Finding, Identity, InputInfo, IntentFilter, Risk,
                           ScanError, ScanResult, Signer, SigningIssue, SigningResult)


def _signer(d: dict) -> Signer:
    return Signer(**{k: d.get(k) for k in ("cert_sha256", "cert_sha1", "subject", "issuer", "serial",
                                             "not_before", "not_after", "key_algorithm", "key_bits")})


def _issue(d: dict) -> SigningIssue:
    return SigningIssue(d.get("name", ""), d.get("message", ""), d.get("scheme"))


def _component(d: dict) -> Component:
    return Component(
        kind=d["kind"], name=d["name"], exported=d.get("exported"), exported_explicit=d.get("exported_explicit"),
        permission=d.get("permission"), enabled=d.get("enabled", True),
        intent_filters=tuple(IntentFilter(tuple(f.get("actions", ())), tuple(f.get("categories", ())),
                                          tuple(f.get("data", ())), f.get("priority"))
                             for f in d.get("intent_filters", ())),
        attributes=d.get("attributes", {}), meta_data=d.get("meta_data", {}),
    )


def _app(d: dict | None) -> AppFacts | None:
    if not d:
        return None
    return AppFacts(
        package=d.get("package"), label=d.get("label"), labels=d.get("labels", {}),
        version_code=d.get("version_code"), version_name=d.get("version_name"),
        min_sdk=d.get("min_sdk"), target_sdk=d.get("target_sdk"), max_sdk=d.get("max_sdk"),
        permissions=tuple(d.get("permissions", ())),
        declared_permissions=tuple(d.get("declared_permissions", ())),
        components=tuple(_component(c) for c in d.get("components", ())),
        launcher_activity=d.get("launcher_activity"), application=d.get("application", {}),
        queries=tuple(d.get("queries", ())), icon_path=d.get("icon_path"),
        resource_files=d.get("resource_files", {}), manifest_problems=tuple(d.get("manifest_problems", ())),
    )


def _signing(d: dict | None) -> SigningResult | None:
    if d is None:
        return None
    return SigningResult(
        verified=d.get("verified"), schemes=tuple(d.get("schemes", ())),
        signers=tuple(_signer(s) for s in d.get("signers", ())),
        issues=tuple(_issue(i) for i in d.get("issues", ())),
        warnings=tuple(_issue(i) for i in d.get("warnings", ())),
        lineage=tuple(d.get("lineage", ())), blocks_present=tuple(d.get("blocks_present", ())),
        extracted_certificates=tuple(_signer(s) for s in d.get("extracted_certificates", ())),
        algorithms=tuple(d.get("algorithms", ())),
    )


def finding_from_dict(d: dict) -> Finding:
    return Finding(id=d["id"], severity=d["severity"], title=d.get("title", ""), evidence=d.get("evidence", {}),
                   source=d.get("source", ""), title_vi=d.get("title_vi", ""), description=d.get("description", ""),
                   description_vi=d.get("description_vi", ""), path=d.get("path", ""))


def _identity(d: dict) -> Identity:
    base = dict(claimed=d.get("claimed"), trusted=d.get("trusted"), reasons=tuple(d.get("reasons", ())),
                similarity=d.get("similarity", 0.0), certificate_enrolled=d.get("certificate_enrolled"))
    if "claimed_kind" not in d:
        return Identity(**base)
    from apkscan.analyzers.identity import ResolvedIdentity  # the richer identity the analyzer reports

    return ResolvedIdentity(
        **base, claimed_name=d.get("claimed_name"), claimed_kind=d.get("claimed_kind"),
        package_owned=d.get("package_owned"), signer_status=d.get("signer_status"),
        profile_violation=tuple(d.get("profile_violation", ())), reasons_vi=tuple(d.get("reasons_vi", ())),
        signals=tuple(d.get("signals", ())), trust_sources=tuple(d.get("trust_sources", ())))


def result_from_dict(d: dict) -> ScanResult:
    i = d["input"]
    err = d.get("error")
    ident = d.get("identity") or {}
    risk = d.get("risk") or {}
    return ScanResult(
        input=InputInfo(i["path"], i.get("size", 0), i.get("md5"), i.get("sha1"), i.get("sha256")),
        status=d["status"],
        error=ScanError(err["code"], err["message"]) if err else None,
        app=_app(d.get("app")),
        signing=_signing(d.get("signing")),
        identity=_identity(ident),
        findings=tuple(finding_from_dict(f) for f in d.get("findings", ())),
        risk=Risk(risk.get("score", 0), risk.get("level", "none")),
        verdict=d.get("verdict", "error"),
        elapsed_ms=d.get("elapsed_ms"),
        splits=tuple(InputInfo(s["path"], s.get("size", 0), s.get("md5"), s.get("sha1"), s.get("sha256"))
                     for s in d.get("splits", ())),
    )
