"""What an app can do, as named capabilities with the facts that give them.

Capabilities come from requested permissions (the ``capability`` of each entry of
``signatures/permissions.json``) and from components (an accessibility service, an SMS receiver,
a media-projection service...). Combinations and identity profiles speak in these names:
``sms_read``, ``sms_send``, ``accessibility``, ``overlay``, ``device_admin``,
``notification_listener``, ``screen_capture``, ``install_packages``, ``network``...
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from apkscan.analyzers.base import ScanContext
from apkscan.analyzers.components import ComponentReport, component_report
from apkscan.analyzers.permissions import catalogue, requested
from apkscan.model import AppFacts

CACHE_KEY = "fraud.capabilities"


@dataclass(frozen=True)
class Capabilities:
    sources: Mapping[str, tuple[str, ...]]  # capability -> facts ("permission READ_SMS", "service x (accessibility)")

    def has(self, name: str) -> bool:
        return bool(self.sources.get(name))

    def evidence(self, *names: str) -> list[str]:
        out: list[str] = []
        for name in names:
            out.extend(self.sources.get(name, ()))
        return out

    def present(self, names) -> list[str]:
        return [n for n in names if self.has(n)]


def build(facts: AppFacts, report: ComponentReport) -> Capabilities:
    cat = catalogue()
    found: dict[str, list[str]] = {}

    def add(cap: str | None, fact: str) -> None:
        if cap:
            lst = found.setdefault(cap, [])
            if fact not in lst:
                lst.append(fact)

    for name in requested(facts):
        add(cat.capability_of(name), f"permission {name}")
    for svc in report.accessibility:
        add("accessibility", f"accessibility service {svc.component}")
    for rcv in report.sms_receivers:
        add("sms_read", f"SMS receiver {rcv['receiver']} ({', '.join(rcv['actions'])})")
    for name in report.notification_listeners:
        add("notification_listener", f"notification listener {name}")
    for admin in report.device_admins:
        add("device_admin", f"device admin receiver {admin['receiver']}")
    for svc in report.media_projection_services:
        add("screen_capture", f"mediaProjection service {svc['service']}")
    for name in report.vpn_services:
        add("vpn", f"VPN service {name}")
    for rcv in report.boot_receivers:
        add("persistence", f"boot receiver {rcv['receiver']}")
    return Capabilities({k: tuple(v) for k, v in found.items()})


def capabilities(ctx: ScanContext) -> Capabilities:
    return ctx.shared(CACHE_KEY, lambda: build(ctx.facts, component_report(ctx)))
