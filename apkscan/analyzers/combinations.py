"""Capabilities that mean more together than apart (accessibility + SMS, accessibility + overlay,
an SMS receiver in an app that is not an SMS app, device admin + accessibility, screen capture +
network...).

The rules are data: every ``COMBO_*`` entry of ``signatures/findings/manifest.json`` carries
``requires`` (a list of groups; each group is satisfied by any one of its capabilities; all groups
must be) and optionally ``unless`` (capabilities that cancel the rule). Each finding's evidence
lists, per group, the facts that satisfied it.
"""
from __future__ import annotations

from typing import Iterable, Mapping, Sequence

from apkscan.analyzers import fraud_findings
from apkscan.analyzers.base import ScanContext
from apkscan.analyzers.capabilities import Capabilities, capabilities
from apkscan.analyzers.components import SMS_RECEIVED, ComponentReport, component_report
from apkscan.model import Finding

SOURCE = "combinations"


def derived(report: ComponentReport) -> dict[str, tuple[str, ...]]:
    """Capabilities only the component report can tell: a receiver of SMS_RECEIVED (every SMS,
    ordered by priority) and being a complete default-SMS-app candidate."""
    out: dict[str, tuple[str, ...]] = {}
    receivers = tuple(f"SMS receiver {r['receiver']} (priority {r.get('priority')})"
                      for r in report.sms_receivers if SMS_RECEIVED in r.get("actions", ()))
    if receivers:
        out["sms_receiver"] = receivers
    if report.is_sms_app:
        out["sms_app"] = tuple(f"{k}: {v}" for k, v in report.sms_app_parts.items())
    return out


def rules() -> list[tuple[str, Mapping]]:
    return sorted((fid, entry) for fid, entry in fraud_findings.catalogue().items()
                  if fid.startswith("COMBO_") and entry.get("requires"))


def evaluate(caps: Capabilities, report: ComponentReport) -> list[Finding]:
    sources = dict(caps.sources)
    for name, facts in derived(report).items():
        sources[name] = tuple(sources.get(name, ())) + facts
    findings = []
    for fid, rule in rules():
        groups: Sequence[Sequence[str]] = rule["requires"]
        matched: dict[str, list[str]] = {}
        for group in groups:
            hits = [cap for cap in group if sources.get(cap)]
            if not hits:
                break
            for cap in hits:
                matched[cap] = list(sources[cap])[:10]
        else:
            cancel = [cap for cap in rule.get("unless", ()) if sources.get(cap)]
            if cancel:
                continue
            evidence = {"capabilities": matched}
            if rule.get("unless"):
                evidence["absent"] = list(rule["unless"])
                if "sms_app" in rule["unless"]:
                    evidence["sms_app_parts"] = dict(report.sms_app_parts)
            findings.append(fraud_findings.make(fid, SOURCE, evidence))
    return findings


class CombinationsAnalyzer:
    name = "combinations"

    def analyze(self, ctx: ScanContext) -> Iterable[Finding]:
        return evaluate(capabilities(ctx), component_report(ctx))
