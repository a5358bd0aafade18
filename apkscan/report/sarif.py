"""``--format sarif``: SARIF 2.1.0 (OASIS), the format code-scanning pipelines already read.

- ``tool.driver.rules``: one reporting descriptor per finding id present, with the catalogue's
  title, explanation and advice (``help``), its default level and ``security-severity``;
  three ``VERDICT_*`` rules for the per-app verdict results (fake, malicious, suspicious).
- ``artifacts``: each input with its length and MD5/SHA-1/SHA-256; files inside an APK (a DEX, a
  nested APK in assets...) become child artifacts (``parentIndex``) so results can point at them.
- ``results``: one per finding, level from severity (critical/high -> error, medium -> warning,
  low/info -> note), plus one per app whose verdict is fake, malicious or suspicious.
- inputs that could not be analysed are ``toolExecutionNotifications`` (``ERROR_<code>``), not
  results: they say nothing about the app.

Spec: https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html (sections 3.14 run,
3.19 toolComponent, 3.24 artifact, 3.27 result, 3.49 reportingDescriptor, 3.58 notification).
"""
from __future__ import annotations

import hashlib
import json
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any
from urllib.parse import quote

from apkscan.findings_catalog import CatalogEntry, default_catalog, error_finding_id
from apkscan.model import Finding, ScanResult
from apkscan.report.base import ReportFormat
from apkscan.report.json_format import dumps

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"

LEVEL_FOR_SEVERITY = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
LEVEL_FOR_RISK = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "none": "note"}
# GitHub code scanning ranks security results by this 0-10 score (a CVSS-like scale).
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "0.0"}
VERDICT_RULES = ("fake", "malicious", "suspicious")


def artifact_uri(path: str) -> str:
    """A URI reference for an input path: file:// for absolute paths, a relative reference otherwise."""
    if PureWindowsPath(path).drive:
        return PureWindowsPath(path).as_uri()
    posix = PurePosixPath(path)
    if posix.is_absolute():
        return posix.as_uri()
    return quote(path, safe="/")


def _text(entry: CatalogEntry, name: str) -> str:
    return entry.text(name, "en")


def _rule(entry: CatalogEntry, default_severity: str) -> dict[str, Any]:
    description = _text(entry, "description") or _text(entry, "title")
    advice = _text(entry, "advice")
    help_text = f"{description}\n\nWhat to do: {advice}" if advice else description
    rule: dict[str, Any] = {
        "id": entry.id,
        "shortDescription": {"text": _text(entry, "title")},
        "fullDescription": {"text": description},
        "help": {"text": help_text},
        "defaultConfiguration": {"level": LEVEL_FOR_SEVERITY[default_severity]},
        "properties": {
            "severity": default_severity,
            "security-severity": SECURITY_SEVERITY[default_severity],
            "tags": ["security", "android", entry.id.split("_", 1)[0].lower()],
        },
    }
    vi = {f"{k}_vi": entry.text(k, "vi") for k in ("title", "description", "advice") if getattr(entry, f"{k}_vi")}
    if vi:
        rule["properties"].update(vi)
    return rule


def _fingerprint(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, ensure_ascii=False, default=repr).encode("utf-8")).hexdigest()


class _Run:
    """Builds one SARIF run; indexes are assigned in first-use order, which is deterministic."""

    def __init__(self) -> None:
        self.catalog = default_catalog()
        self.rules: list[dict[str, Any]] = []
        self.rule_index: dict[str, int] = {}
        self.notification_rules: list[dict[str, Any]] = []
        self.notification_index: dict[str, int] = {}
        self.artifacts: list[dict[str, Any]] = []
        self.artifact_index: dict[tuple[int | None, str], int] = {}
        self.results: list[dict[str, Any]] = []
        self.notifications: list[dict[str, Any]] = []

    def rule_for(self, finding: Finding) -> int:
        if finding.id not in self.rule_index:
            catalogued = self.catalog.get(finding.id)
            entry = self.catalog.describe(finding)
            self.rule_index[finding.id] = len(self.rules)
            self.rules.append(_rule(entry, catalogued.severity if catalogued else finding.severity))
        return self.rule_index[finding.id]

    def verdict_rule(self, verdict: str) -> tuple[str, int]:
        rule_id = f"VERDICT_{verdict.upper()}"
        if rule_id not in self.rule_index:
            entry = self.catalog.get(rule_id) or CatalogEntry(id=rule_id, severity="high", title=f"Verdict: {verdict}")
            self.rule_index[rule_id] = len(self.rules)
            self.rules.append(_rule(entry, entry.severity))
        return rule_id, self.rule_index[rule_id]

    def notification_for(self, code: str) -> tuple[str, int]:
        rule_id = error_finding_id(code)
        if rule_id not in self.notification_index:
            entry = self.catalog.get(rule_id) or CatalogEntry(id=rule_id, severity="info", title=f"Analysis error {code}")
            descriptor = _rule(entry, "info")
            descriptor["defaultConfiguration"] = {"level": "error"}
            self.notification_index[rule_id] = len(self.notification_rules)
            self.notification_rules.append(descriptor)
        return rule_id, self.notification_index[rule_id]

    def artifact(self, parent: int | None, uri: str, **extra: Any) -> int:
        key = (parent, uri)
        if key not in self.artifact_index:
            artifact: dict[str, Any] = {"location": {"uri": uri}}
            if parent is not None:
                artifact["parentIndex"] = parent
            artifact.update(extra)
            self.artifact_index[key] = len(self.artifacts)
            self.artifacts.append(artifact)
        return self.artifact_index[key]

    def input_artifact(self, result: ScanResult) -> int:
        info = result.input
        hashes = {k: v for k, v in (("md5", info.md5), ("sha-1", info.sha1), ("sha-256", info.sha256)) if v}
        extra: dict[str, Any] = {"length": info.size, "roles": ["analysisTarget"],
                                 "mimeType": "application/vnd.android.package-archive"}
        if hashes:
            extra["hashes"] = hashes
        app = result.app
        extra["properties"] = {
            "status": result.status,
            "package": app.package if app else None,
            "label": app.label if app else None,
            "verdict": result.verdict,
            "risk": result.risk.to_dict(),
        }
        return self.artifact(None, artifact_uri(info.path), **extra)

    def location(self, root: int, inner_path: str) -> dict[str, Any]:
        """Location of ``inner_path`` ("assets/x.apk!classes.dex") inside the input ``root``."""
        index = root
        for part in (p for p in inner_path.split("!") if p):
            index = self.artifact(index, quote(part, safe="/"))
        uri = self.artifacts[index]["location"]["uri"]
        return {"physicalLocation": {"artifactLocation": {"uri": uri, "index": index}}}

    def add(self, result: ScanResult) -> None:
        root = self.input_artifact(result)
        input_uri = self.artifacts[root]["location"]["uri"]
        if result.status != "ok":
            code = result.error.code if result.error else "INTERNAL"
            rule_id, index = self.notification_for(code)
            self.notifications.append({
                "descriptor": {"id": rule_id, "index": index},
                "level": "error",
                "message": {"text": f"{result.input.path}: {result.error.message if result.error else code}"},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": input_uri, "index": root}}}],
            })
        for finding in result.findings:
            rule_index = self.rule_for(finding)
            entry = self.catalog.describe(finding)
            where = f" ({finding.path})" if finding.path else ""
            self.results.append({
                "ruleId": finding.id,
                "ruleIndex": rule_index,
                "level": LEVEL_FOR_SEVERITY[finding.severity],
                "message": {"text": f"{entry.title}{where}"},
                "locations": [self.location(root, finding.path)],
                "partialFingerprints": {
                    "apkscanFinding/v1": _fingerprint(result.input.sha256 or result.input.path, finding.id, finding.path, dict(finding.evidence)),
                },
                "properties": {
                    "severity": finding.severity,
                    "source": finding.source,
                    "evidence": dict(finding.evidence),
                },
            })
        if result.status == "ok" and result.verdict in VERDICT_RULES:
            rule_id, rule_index = self.verdict_rule(result.verdict)
            app = result.app
            who = (app.label or app.package) if app else None
            claimed = f", presents itself as {result.identity.claimed}" if result.identity.claimed else ""
            self.results.append({
                "ruleId": rule_id,
                "ruleIndex": rule_index,
                "level": LEVEL_FOR_RISK[result.risk.level],
                "message": {"text": f"{who or result.input.path}: verdict {result.verdict}, risk {result.risk.score}/100 ({result.risk.level}){claimed}"},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": input_uri, "index": root}}}],
                "partialFingerprints": {"apkscanVerdict/v1": _fingerprint(result.input.sha256 or result.input.path, rule_id)},
                "properties": {"verdict": result.verdict, "risk": result.risk.to_dict(), "package": app.package if app else None},
            })


class SarifFormat(ReportFormat):
    name = "sarif"

    def write(self, results: list[ScanResult], summary: dict[str, Any]) -> None:
        run = _Run()
        for result in results:
            run.add(result)
        driver: dict[str, Any] = {
            "name": self.meta.tool_name,
            "version": self.meta.tool_version,
            "semanticVersion": self.meta.tool_version,
            "rules": run.rules,
            "properties": {"rules_sha256": self.meta.rules_sha256, "ioc_version": self.meta.ioc_version},
        }
        if run.notification_rules:
            driver["notifications"] = run.notification_rules
        invocation: dict[str, Any] = {
            "executionSuccessful": summary["errors"] == 0,
            "startTimeUtc": self.meta.scanned_at,
        }
        if run.notifications:
            invocation["toolExecutionNotifications"] = run.notifications
        document = {
            "$schema": SARIF_SCHEMA,
            "version": SARIF_VERSION,
            "runs": [{
                "tool": {"driver": driver},
                "invocations": [invocation],
                "artifacts": run.artifacts,
                "results": run.results,
                "properties": {"summary": summary, "case": self.meta.case, "examiner": self.meta.examiner},
            }],
        }
        self.out.write(dumps(document, indent=2))
        self.out.write("\n")

