"""Requested permissions judged by a fraud analyst, not only by protection level.

The catalogue (``signatures/permissions.json``) holds every platform permission's protection level
(AOSP ``frameworks/base/core/res/AndroidManifest.xml``, per API level) and, for the permissions
banking trojans rely on, a severity, a capability and a reason in English and Vietnamese.

Findings:
* ``PERM_<NAME>`` for each fraud-relevant permission requested (e.g. ``PERM_READ_SMS``);
* ``PERM_SYSTEM_ONLY``: platform permissions a third-party app can never be granted (signature or
  privileged level without an app-op/development/installer path) - copied malware manifests ask
  for them;
* ``PERM_UNKNOWN_PLATFORM``: ``android.permission.*`` names no platform release declares.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Mapping

from apkscan.analyzers import fraud_findings
from apkscan.analyzers.base import ScanContext
from apkscan.datafiles import signatures_dir
from apkscan.model import Finding

SOURCE = "permissions"
PLATFORM_PREFIX = "android.permission."

# Protection flags through which an ordinary app can still obtain a signature permission
# (R.attr.protectionLevel: appop = user grants it in Settings, pre23 = granted to old targets,
# development = adb can grant it, installer/setup/role/... = granted to the app holding that role).
_GRANTABLE_FLAGS = frozenset({"appop", "pre23", "development", "instant", "runtime", "role"})


@dataclass(frozen=True)
class PermissionInfo:
    name: str
    protection_level: str | None
    first_seen_api: int | None = None
    last_seen_api: int | None = None
    severity: str | None = None  # fraud severity; None = not fraud-relevant on its own
    capability: str | None = None
    finding: str | None = None
    title: str = ""
    title_vi: str = ""
    reason: str = ""
    reason_vi: str = ""

    @property
    def base_level(self) -> str:
        return (self.protection_level or "").split("|", 1)[0]

    @property
    def flags(self) -> frozenset[str]:
        return frozenset((self.protection_level or "").split("|")[1:])

    @property
    def system_only(self) -> bool:
        """True when an app from a store can never hold it: signature/internal level with no flag
        that grants it to ordinary apps."""
        if self.base_level not in ("signature", "signatureOrSystem", "internal"):
            return False
        return not (self.flags & _GRANTABLE_FLAGS)


@dataclass(frozen=True)
class PermissionCatalogue:
    api_level: int
    permissions: Mapping[str, PermissionInfo]
    capabilities: Mapping[str, Mapping[str, str]]  # capability -> name, name_vi, advice, advice_vi

    def get(self, name: str) -> PermissionInfo | None:
        return self.permissions.get(name)

    def capability_of(self, name: str) -> str | None:
        info = self.permissions.get(name)
        return info.capability if info else None

    def capability_name(self, capability: str, lang: str = "en") -> str:
        entry = self.capabilities.get(capability) or {}
        return entry.get("name_vi" if lang == "vi" else "name") or capability


@lru_cache(maxsize=1)
def catalogue() -> PermissionCatalogue:
    data = json.loads((signatures_dir() / "permissions.json").read_text(encoding="utf-8"))
    perms = {}
    for name, raw in data["permissions"].items():
        fraud = raw.get("fraud") or {}
        perms[name] = PermissionInfo(
            name=name,
            protection_level=raw.get("protection_level"),
            first_seen_api=raw.get("first_seen_api"),
            last_seen_api=raw.get("last_seen_api"),
            severity=fraud.get("severity"),
            capability=fraud.get("capability"),
            finding=fraud.get("finding"),
            title=fraud.get("title", ""),
            title_vi=fraud.get("title_vi", ""),
            reason=fraud.get("reason", ""),
            reason_vi=fraud.get("reason_vi", ""),
        )
    return PermissionCatalogue(data["api_level"], perms, data.get("capabilities", {}))


def requested(ctx_or_facts) -> tuple[str, ...]:
    """Requested permission names, de-duplicated in manifest order, bounded to sane strings."""
    facts = getattr(ctx_or_facts, "facts", ctx_or_facts)
    seen: dict[str, None] = {}
    for name in facts.permissions or ():
        if isinstance(name, str) and name and len(name) <= 256:
            seen.setdefault(name, None)
    return tuple(seen)


# What a complete default-SMS-app candidate needs for its job (reading, sending, showing names).
SMS_APP_CAPABILITIES = frozenset({"sms_read", "sms_send", "contacts"})


def analyze_permissions(names: Iterable[str], cat: PermissionCatalogue | None = None, *,
                        sms_app: bool = False) -> list[Finding]:
    """``sms_app``: the app has every part of a default SMS app (components.ComponentReport), so
    its SMS and contacts permissions are reported together as PERM_SMS_APP_ROLE (info)."""
    cat = cat or catalogue()
    findings: list[Finding] = []
    system_only: list[dict] = []
    unknown: list[str] = []
    role: list[str] = []
    for name in names:
        info = cat.get(name)
        if info is None:
            if name.startswith(PLATFORM_PREFIX):
                unknown.append(name)
            continue
        if sms_app and info.capability in SMS_APP_CAPABILITIES and info.finding:
            role.append(name)
            continue
        if info.severity and info.finding:
            findings.append(Finding(
                id=info.finding,
                severity=info.severity,
                title=info.title,
                title_vi=info.title_vi,
                description=info.reason,
                description_vi=info.reason_vi,
                evidence={"permission": name, "protection_level": info.protection_level,
                          "capability": info.capability},
                source=SOURCE,
            ))
        elif info.system_only:
            system_only.append({"permission": name, "protection_level": info.protection_level})
    if role:
        findings.append(fraud_findings.make("PERM_SMS_APP_ROLE", SOURCE, {"permissions": role}))
    if system_only:
        findings.append(fraud_findings.make("PERM_SYSTEM_ONLY", SOURCE, {
            "permissions": system_only, "count": len(system_only)}))
    if unknown:
        findings.append(fraud_findings.make("PERM_UNKNOWN_PLATFORM", SOURCE, {
            "permissions": unknown, "catalogue_api_level": cat.api_level}))
    return findings


class PermissionsAnalyzer:
    name = "permissions"

    def analyze(self, ctx: ScanContext) -> Iterable[Finding]:
        from apkscan.analyzers.components import component_report

        return analyze_permissions(requested(ctx), sms_app=component_report(ctx).is_sms_app)
