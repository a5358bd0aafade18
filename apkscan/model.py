"""Results passed between the pipeline stages: frozen dataclasses, rendered by report formats.

The JSON report contract (README "JSON report") is produced by ``to_dict`` methods here;
later work adds fields, never renames them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

SEVERITIES = ("info", "low", "medium", "high", "critical")
SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}
RISK_LEVELS = ("none", "low", "medium", "high", "critical")
VERDICTS = ("genuine", "fake", "malicious", "suspicious", "clean", "error")


@dataclass(frozen=True)
class Finding:
    """Everything any analyzer says about an APK.

    ``id`` is stable (e.g. ``PERM_READ_SMS``, ``ZIP_LFH_CD_MISMATCH``, ``SIG_V1_DIGEST_MISMATCH``)
    and documented by ``apkscan explain``; ``evidence`` is JSON-serialisable and says which
    facts triggered the finding; ``source`` names the analyzer (``archive``, ``signing``,
    ``permissions``, ``components``, ``identity``, ``yara``, ``strings``, ``payloads``...).
    """

    id: str
    severity: str
    title: str
    evidence: Mapping[str, Any] = field(default_factory=dict)
    source: str = ""
    title_vi: str = ""
    description: str = ""
    description_vi: str = ""
    path: str = ""  # where inside the APK, e.g. "assets/x.apk!classes.dex"; "" for the APK itself

    def __post_init__(self) -> None:
        if self.severity not in SEVERITY_RANK:
            raise ValueError(f"unknown severity {self.severity!r} for finding {self.id}")

    @property
    def rank(self) -> int:
        return SEVERITY_RANK[self.severity]

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "severity": self.severity,
            "title": self.title,
            "evidence": dict(self.evidence),
            "source": self.source,
            "title_vi": self.title_vi,
            "description": self.description,
            "description_vi": self.description_vi,
            "path": self.path,
        }


@dataclass(frozen=True)
class InputInfo:
    path: str
    size: int
    md5: str | None = None
    sha1: str | None = None
    sha256: str | None = None

    def to_dict(self) -> dict:
        return {"path": self.path, "size": self.size, "md5": self.md5, "sha1": self.sha1, "sha256": self.sha256}


@dataclass(frozen=True)
class ScanError:
    code: str  # e.g. NOT_A_ZIP, TRUNCATED, LIMIT_EXCEEDED, MANIFEST_MISSING, INTERNAL
    message: str

    def to_dict(self) -> dict:
        return {"code": self.code, "message": self.message}


@dataclass(frozen=True)
class IntentFilter:
    actions: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    data: tuple[Mapping[str, str], ...] = ()  # each <data> element's attributes (scheme, host, mimeType...)
    priority: int | None = None

    def to_dict(self) -> dict:
        return {
            "actions": list(self.actions),
            "categories": list(self.categories),
            "data": [dict(d) for d in self.data],
            "priority": self.priority,
        }


@dataclass(frozen=True)
class Component:
    kind: str  # activity | activity-alias | service | receiver | provider
    name: str
    exported: bool | None  # effective value (explicit, or Android's default rule); None if undecidable
    exported_explicit: bool | None = None  # the attribute as written, None when absent
    permission: str | None = None
    enabled: bool = True
    intent_filters: tuple[IntentFilter, ...] = ()
    attributes: Mapping[str, Any] = field(default_factory=dict)  # other android: attributes (foregroundServiceType, targetActivity, authorities...)
    meta_data: Mapping[str, str] = field(default_factory=dict)  # <meta-data> name -> value or resource reference

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "name": self.name,
            "exported": self.exported,
            "exported_explicit": self.exported_explicit,
            "permission": self.permission,
            "enabled": self.enabled,
            "intent_filters": [f.to_dict() for f in self.intent_filters],
            "attributes": dict(self.attributes),
            "meta_data": dict(self.meta_data),
        }


@dataclass(frozen=True)
class AppFacts:
    package: str | None = None
    label: str | None = None  # the default-locale label, resolved through resources
    labels: Mapping[str, str] = field(default_factory=dict)  # locale ("" = default, "vi", ...) -> label
    version_code: int | None = None
    version_name: str | None = None
    min_sdk: int | None = None
    target_sdk: int | None = None
    max_sdk: int | None = None
    permissions: tuple[str, ...] = ()  # requested (<uses-permission>, <uses-permission-sdk-23>)
    declared_permissions: tuple[Mapping[str, Any], ...] = ()  # <permission> name, protectionLevel
    components: tuple[Component, ...] = ()
    launcher_activity: str | None = None
    application: Mapping[str, Any] = field(default_factory=dict)  # debuggable, allowBackup, usesCleartextTraffic, networkSecurityConfig, icon, name...
    queries: tuple[str, ...] = ()  # <queries><package android:name>
    icon_path: str | None = None  # entry name of the launcher icon chosen for hashing
    resource_files: Mapping[str, str] = field(default_factory=dict)  # "@xml/accessibility" style refs -> entry names resolved
    manifest_xml: str | None = None  # decoded manifest text (for YARA and people)
    manifest_problems: tuple[str, ...] = ()  # tolerated corruptions of the binary XML

    def to_dict(self) -> dict:
        return {
            "package": self.package,
            "label": self.label,
            "labels": dict(self.labels),
            "version_code": self.version_code,
            "version_name": self.version_name,
            "min_sdk": self.min_sdk,
            "target_sdk": self.target_sdk,
            "max_sdk": self.max_sdk,
            "permissions": list(self.permissions),
            "declared_permissions": [dict(p) for p in self.declared_permissions],
            "components": [c.to_dict() for c in self.components],
            "launcher_activity": self.launcher_activity,
            "application": dict(self.application),
            "queries": list(self.queries),
            "icon_path": self.icon_path,
            "resource_files": dict(self.resource_files),
            "manifest_problems": list(self.manifest_problems),
        }


@dataclass(frozen=True)
class Signer:
    cert_sha256: str
    cert_sha1: str
    subject: str
    issuer: str
    serial: str  # hex, as apksigner prints it
    not_before: str  # ISO 8601 UTC
    not_after: str
    key_algorithm: str  # RSA | EC | DSA
    key_bits: int
    cert_der: bytes = field(default=b"", repr=False, compare=False)

    def to_dict(self) -> dict:
        return {
            "cert_sha256": self.cert_sha256,
            "cert_sha1": self.cert_sha1,
            "subject": self.subject,
            "issuer": self.issuer,
            "serial": self.serial,
            "not_before": self.not_before,
            "not_after": self.not_after,
            "key_algorithm": self.key_algorithm,
            "key_bits": self.key_bits,
        }


@dataclass(frozen=True)
class SigningIssue:
    name: str  # apksig's ApkVerifier.Issue name, e.g. JAR_SIG_NO_MANIFEST, V2_SIG_DIDNT_VERIFY
    message: str
    scheme: str | None = None  # v1 | v2 | v3 | v3.1 | v4 | stamp | None for whole-APK problems

    def to_dict(self) -> dict:
        return {"name": self.name, "message": self.message, "scheme": self.scheme}


@dataclass(frozen=True)
class SigningResult:
    verified: bool | None  # None only when verification could not be attempted
    schemes: tuple[str, ...] = ()  # schemes that verified
    signers: tuple[Signer, ...] = ()  # verified signers (certificates whose signatures verified)
    issues: tuple[SigningIssue, ...] = ()
    warnings: tuple[SigningIssue, ...] = ()
    lineage: tuple[Mapping[str, Any], ...] = ()  # proof-of-rotation: [{cert_sha256, flags...}] oldest first
    blocks_present: tuple[str, ...] = ()  # schemes found in the APK, verified or not
    extracted_certificates: tuple[Signer, ...] = ()  # certificates seen, NOT proof of anything
    # per verified scheme and signer: the signature and digest algorithms its protection rests on
    # {"scheme", "cert_sha256", "signature_algorithm", "signature_digest", "content_digests"}
    algorithms: tuple[Mapping[str, Any], ...] = ()

    def to_dict(self) -> dict:
        return {
            "verified": self.verified,
            "schemes": list(self.schemes),
            "signers": [s.to_dict() for s in self.signers],
            "issues": [i.to_dict() for i in self.issues],
            "warnings": [w.to_dict() for w in self.warnings],
            "lineage": [dict(x) for x in self.lineage],
            "blocks_present": list(self.blocks_present),
            "extracted_certificates": [s.to_dict() for s in self.extracted_certificates],
            "algorithms": [dict(a) for a in self.algorithms],
        }


@dataclass(frozen=True)
class Identity:
    claimed: str | None = None  # id of a protected app this APK presents itself as
    trusted: str | None = None  # id whose verified (or lineage) certificate it carries
    reasons: tuple[str, ...] = ()
    similarity: float = 0.0  # 0..1, how strongly it claims `claimed`
    certificate_enrolled: bool | None = None  # does `claimed` have any trusted certificate?

    def to_dict(self) -> dict:
        return {
            "claimed": self.claimed,
            "trusted": self.trusted,
            "reasons": list(self.reasons),
            "similarity": self.similarity,
            "certificate_enrolled": self.certificate_enrolled,
        }


@dataclass(frozen=True)
class Risk:
    score: int = 0  # 0..100
    level: str = "none"

    def to_dict(self) -> dict:
        return {"score": self.score, "level": self.level}


@dataclass(frozen=True)
class ScanResult:
    input: InputInfo
    status: str  # ok | error
    error: ScanError | None = None
    app: AppFacts | None = None
    signing: SigningResult | None = None
    identity: Identity = Identity()
    findings: tuple[Finding, ...] = ()
    risk: Risk = Risk()
    verdict: str = "error"
    elapsed_ms: int | None = None
    splits: tuple[InputInfo, ...] = ()  # split APKs analysed with this base APK

    def to_dict(self) -> dict:
        return {
            "input": self.input.to_dict(),
            "status": self.status,
            "error": self.error.to_dict() if self.error else None,
            "app": (self.app or AppFacts()).to_dict(),
            "signing": (self.signing or SigningResult(verified=None)).to_dict(),
            "identity": self.identity.to_dict(),
            "findings": [f.to_dict() for f in self.findings],
            "risk": self.risk.to_dict(),
            "verdict": self.verdict,
            "elapsed_ms": self.elapsed_ms,
            "splits": [s.to_dict() for s in self.splits],
        }
