"""What the app's components can do: accessibility services with their configuration, SMS
receivers, notification listeners, device administrators, boot receivers, screen capture, VPN,
exported components, a hidden launcher icon, cleartext traffic and user-CA trust.

``component_report(ctx)`` builds a ``ComponentReport`` once per scan (cached in ``ctx.cache``);
the combinations and identity analyzers read it too. ``ComponentsAnalyzer`` turns it into
``COMP_*`` findings. Format rules follow AOSP: intent actions and permissions from
``frameworks/base`` (AccessibilityService.SERVICE_INTERFACE, Telephony.Sms.Intents,
DeviceAdminReceiver, NotificationListenerService), attribute values from ``attrs.xml``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

from apkscan.analyzers import fraud_findings
from apkscan.analyzers.base import ScanContext
from apkscan.analyzers.resource_xml import Node, as_bool, as_int, flag_value, reader_for
from apkscan.model import AppFacts, Component, Finding

SOURCE = "components"
CACHE_KEY = "fraud.components"

ACCESSIBILITY_ACTION = "android.accessibilityservice.AccessibilityService"
ACCESSIBILITY_META = "android.accessibilityservice"
BIND_ACCESSIBILITY = "android.permission.BIND_ACCESSIBILITY_SERVICE"
NOTIFICATION_LISTENER_ACTION = "android.service.notification.NotificationListenerService"
BIND_NOTIFICATION_LISTENER = "android.permission.BIND_NOTIFICATION_LISTENER_SERVICE"
DEVICE_ADMIN_ACTION = "android.app.action.DEVICE_ADMIN_ENABLED"
DEVICE_ADMIN_META = "android.app.device_admin"
BIND_DEVICE_ADMIN = "android.permission.BIND_DEVICE_ADMIN"
VPN_ACTION = "android.net.VpnService"
BIND_VPN = "android.permission.BIND_VPN_SERVICE"

# Telephony.Sms.Intents: SMS_RECEIVED goes to every app holding RECEIVE_SMS (ordered by
# priority); SMS_DELIVER / WAP_PUSH_DELIVER only to the default SMS app.
SMS_RECEIVED = "android.provider.Telephony.SMS_RECEIVED"
SMS_DELIVER = "android.provider.Telephony.SMS_DELIVER"
WAP_PUSH_RECEIVED = "android.provider.Telephony.WAP_PUSH_RECEIVED"
WAP_PUSH_DELIVER = "android.provider.Telephony.WAP_PUSH_DELIVER"
SMS_ACTIONS = (SMS_RECEIVED, SMS_DELIVER, WAP_PUSH_RECEIVED, WAP_PUSH_DELIVER,
               "android.intent.action.DATA_SMS_RECEIVED")
RESPOND_VIA_MESSAGE = "android.intent.action.RESPOND_VIA_MESSAGE"
# Ordered-broadcast priority from which a receiver is meant to run before everyone else
# (IntentFilter.SYSTEM_HIGH_PRIORITY is 1000; apps that want to swallow OTP SMS use 999 and up).
HIGH_PRIORITY = 999

BOOT_ACTIONS = ("android.intent.action.BOOT_COMPLETED", "android.intent.action.LOCKED_BOOT_COMPLETED",
                "android.intent.action.QUICKBOOT_POWERON", "com.htc.intent.action.QUICKBOOT_POWERON",
                "android.intent.action.REBOOT")

# ServiceInfo.FOREGROUND_SERVICE_TYPE_MEDIA_PROJECTION.
FGS_MEDIA_PROJECTION = 0x20
FGS_TYPES = {"dataSync": 0x1, "mediaPlayback": 0x2, "phoneCall": 0x4, "location": 0x8,
             "connectedDevice": 0x10, "mediaProjection": 0x20, "camera": 0x40, "microphone": 0x80,
             "health": 0x100, "remoteMessaging": 0x200, "systemExempted": 0x400,
             "shortService": 0x800, "mediaProcessing": 0x2000, "specialUse": 0x40000000}

# AccessibilityEvent.TYPE_* as named by the accessibilityEventTypes attribute (attrs.xml).
EVENT_TYPES = {
    "typeViewClicked": 0x1, "typeViewLongClicked": 0x2, "typeViewSelected": 0x4,
    "typeViewFocused": 0x8, "typeViewTextChanged": 0x10, "typeWindowStateChanged": 0x20,
    "typeNotificationStateChanged": 0x40, "typeViewHoverEnter": 0x80, "typeViewHoverExit": 0x100,
    "typeTouchExplorationGestureStart": 0x200, "typeTouchExplorationGestureEnd": 0x400,
    "typeWindowContentChanged": 0x800, "typeViewScrolled": 0x1000,
    "typeViewTextSelectionChanged": 0x2000, "typeAnnouncement": 0x4000,
    "typeViewAccessibilityFocused": 0x8000, "typeViewAccessibilityFocusCleared": 0x10000,
    "typeViewTextTraversedAtMovementGranularity": 0x20000, "typeGestureDetectionStart": 0x40000,
    "typeGestureDetectionEnd": 0x80000, "typeTouchInteractionStart": 0x100000,
    "typeTouchInteractionEnd": 0x200000, "typeWindowsChanged": 0x400000,
    "typeContextClicked": 0x800000, "typeAssistReadingContext": 0x1000000,
    "typeAllMask": 0xFFFFFFFF,
}

# AccessibilityServiceInfo.FLAG_* as named by the accessibilityFlags attribute.
SERVICE_FLAGS = {
    "flagDefault": 0x1, "flagIncludeNotImportantViews": 0x2, "flagRequestTouchExplorationMode": 0x4,
    "flagRequestEnhancedWebAccessibility": 0x8, "flagReportViewIds": 0x10,
    "flagRequestFilterKeyEvents": 0x20, "flagRetrieveInteractiveWindows": 0x40,
    "flagEnableAccessibilityVolume": 0x80, "flagRequestAccessibilityButton": 0x100,
    "flagRequestFingerprintGestures": 0x200, "flagRequestShortcutWarningDialogSpokenFeedback": 0x400,
    "flagServiceHandlesDoubleTap": 0x800, "flagRequestMultiFingerGestures": 0x1000,
    "flagRequest2FingerPassthrough": 0x2000, "flagSendMotionEvents": 0x4000,
    "flagInputMethodEditor": 0x8000,
}
FLAG_FILTER_KEYS = 0x20

# <device-admin><uses-policies> children (DeviceAdminInfo.USES_POLICY_*); the ones that take the
# phone away from its owner.
DESTRUCTIVE_POLICIES = ("wipe-data", "reset-password", "force-lock", "disable-keyguard-features",
                        "limit-password", "expire-password")


@dataclass(frozen=True)
class AccessibilityService:
    component: str
    config_ref: str | None
    config_entry: str | None
    config_problem: str | None
    can_retrieve_window_content: bool = False
    can_perform_gestures: bool = False
    can_filter_key_events: bool = False
    event_types: tuple[str, ...] = ()
    event_mask: int = 0
    package_names: tuple[str, ...] = ()  # empty = every app
    flags: tuple[str, ...] = ()
    exported: bool | None = None

    @property
    def watches_all_apps(self) -> bool:
        return not self.package_names

    def to_evidence(self) -> dict:
        return {
            "service": self.component,
            "config": self.config_entry or self.config_ref,
            "config_problem": self.config_problem,
            "canRetrieveWindowContent": self.can_retrieve_window_content,
            "canPerformGestures": self.can_perform_gestures,
            "filtersKeyEvents": self.can_filter_key_events,
            "event_types": list(self.event_types) or (["typeAllMask"] if self.event_mask == 0xFFFFFFFF else []),
            "packageNames": list(self.package_names) or "all apps",
            "flags": list(self.flags),
        }


@dataclass(frozen=True)
class ComponentReport:
    accessibility: tuple[AccessibilityService, ...] = ()
    sms_receivers: tuple[Mapping[str, Any], ...] = ()  # {receiver, actions, priority, permission}
    notification_listeners: tuple[str, ...] = ()
    device_admins: tuple[Mapping[str, Any], ...] = ()  # {receiver, policies, config, config_problem}
    boot_receivers: tuple[Mapping[str, Any], ...] = ()
    media_projection_services: tuple[Mapping[str, Any], ...] = ()
    vpn_services: tuple[str, ...] = ()
    exported_unprotected: tuple[Mapping[str, Any], ...] = ()
    launchers: tuple[str, ...] = ()  # enabled activities/aliases with MAIN + LAUNCHER
    disabled_launchers: tuple[str, ...] = ()
    cleartext: Mapping[str, Any] | None = None
    user_ca: Mapping[str, Any] | None = None
    is_sms_app: bool = False
    sms_app_parts: Mapping[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------- component helpers

def _actions(comp: Component) -> set[str]:
    return {a for f in comp.intent_filters for a in f.actions if isinstance(a, str)}


def _categories(comp: Component) -> set[str]:
    return {c for f in comp.intent_filters for c in f.categories if isinstance(c, str)}


def _max_priority(comp: Component, actions: Iterable[str]) -> int | None:
    wanted = set(actions)
    values = [f.priority for f in comp.intent_filters
              if f.priority is not None and wanted & set(f.actions)]
    ints = [p for p in (as_int(v) for v in values) if p is not None]
    return max(ints) if ints else None


def _signed_int(value: int) -> int:
    return value - (1 << 32) if value >= 1 << 31 else value


def _meta(comp: Component, key: str) -> str | None:
    value = (comp.meta_data or {}).get(key)
    return value if isinstance(value, str) and value else None


def _full_name(comp_name: str, package: str | None) -> str:
    if comp_name.startswith(".") and package:
        return package + comp_name
    return comp_name


def _fgs_types(value: Any) -> int:
    bits, _ = flag_value(value, FGS_TYPES)
    return bits


def _is_launcher(comp: Component) -> bool:
    if comp.kind not in ("activity", "activity-alias"):
        return False
    for f in comp.intent_filters:
        if "android.intent.action.MAIN" in f.actions and (
                "android.intent.category.LAUNCHER" in f.categories
                or "android.intent.category.LEANBACK_LAUNCHER" in f.categories):
            return True
    return False


def _read_accessibility(comp: Component, read: Callable) -> AccessibilityService:
    ref = _meta(comp, ACCESSIBILITY_META)
    if ref is None:
        return AccessibilityService(comp.name, None, None, "no android.accessibilityservice meta-data",
                                    exported=comp.exported)
    node, entry, problem = read(ref)
    if node is None:
        return AccessibilityService(comp.name, ref, entry, problem, exported=comp.exported)
    cfg = node if node.tag == "accessibility-service" else next(iter(node.find_all("accessibility-service")), node)
    attrs = cfg.attrs
    mask, names = flag_value(attrs.get("accessibilityEventTypes"), EVENT_TYPES)
    flag_bits, flag_names = flag_value(attrs.get("accessibilityFlags"), SERVICE_FLAGS)
    pkgs = attrs.get("packageNames")
    packages = tuple(p.strip() for p in pkgs.split(",") if p.strip()) if isinstance(pkgs, str) else ()
    filter_keys = bool(as_bool(attrs.get("canRequestFilterKeyEvents"))) or bool(flag_bits & FLAG_FILTER_KEYS)
    return AccessibilityService(
        component=comp.name,
        config_ref=ref,
        config_entry=entry,
        config_problem=None,
        can_retrieve_window_content=bool(as_bool(attrs.get("canRetrieveWindowContent"))),
        can_perform_gestures=bool(as_bool(attrs.get("canPerformGestures"))),
        can_filter_key_events=filter_keys,
        event_types=("typeAllMask",) if mask == 0xFFFFFFFF else names,
        event_mask=mask,
        package_names=packages[:50],
        flags=flag_names,
        exported=comp.exported,
    )


def _read_device_admin(comp: Component, read: Callable) -> dict:
    ref = _meta(comp, DEVICE_ADMIN_META)
    out: dict[str, Any] = {"receiver": comp.name, "config": ref, "policies": [], "config_problem": None}
    if ref is None:
        out["config_problem"] = "no android.app.device_admin meta-data"
        return out
    node, entry, problem = read(ref)
    out["config"] = entry or ref
    if node is None:
        out["config_problem"] = problem
        return out
    policies = []
    for uses in node.find_all("uses-policies"):
        policies.extend(child.tag for child in uses.children if child.tag)
    out["policies"] = sorted(set(policies))
    return out


def _read_network_config(facts: AppFacts, read: Callable) -> tuple[dict | None, dict | None]:
    """(cleartext, user_ca) evidence from usesCleartextTraffic and the network security config
    (developer.android.com 'Network security configuration': <base-config>/<domain-config> with
    cleartextTrafficPermitted and <trust-anchors><certificates src="user"/>; <debug-overrides>
    applies only to debuggable builds)."""
    app = facts.application or {}
    cleartext: dict | None = None
    user_ca: dict | None = None
    if as_bool(app.get("usesCleartextTraffic")):
        cleartext = {"source": "android:usesCleartextTraffic", "value": True}
    ref = app.get("networkSecurityConfig")
    if isinstance(ref, str) and ref:
        node, entry, problem = read(ref)
        if node is not None:
            debuggable = bool(as_bool(app.get("debuggable")))
            for cfg in node.iter():
                if cfg.tag not in ("base-config", "domain-config", "debug-overrides"):
                    continue
                if cfg.tag == "debug-overrides" and not debuggable:
                    continue
                if as_bool(cfg.attrs.get("cleartextTrafficPermitted")) and cleartext is None:
                    cleartext = {"source": entry or ref, "element": cfg.tag, "value": True}
                for cert in cfg.find_all("certificates"):
                    if str(cert.attrs.get("src", "")).strip().lower() == "user" and user_ca is None:
                        domains = [d.text for d in cfg.find_all("domain")]
                        user_ca = {"config": entry or ref, "element": cfg.tag,
                                   "overridePins": bool(as_bool(cert.attrs.get("overridePins"))),
                                   "domains": [d for d in domains if d][:20]}
    return cleartext, user_ca


def _default_sms_role_only(comp: Component, sms_actions: list[str]) -> bool:
    """SMS_DELIVER / WAP_PUSH_DELIVER guarded by the system-only broadcast permission reach only
    the default SMS app the user picked (Telephony.Sms.Intents): that is the messaging role, not
    interception, so such a receiver is not listed among the SMS receivers."""
    guarded = {SMS_DELIVER: "android.permission.BROADCAST_SMS",
               WAP_PUSH_DELIVER: "android.permission.BROADCAST_WAP_PUSH"}
    return all(a in guarded and guarded[a] == comp.permission for a in sms_actions)


def _sms_app_parts(components: Iterable[Component]) -> dict[str, Any]:
    """The four parts Android requires of a default-SMS-app candidate (AOSP
    frameworks/opt/telephony SmsApplication.getApplicationCollection): an SMS_DELIVER receiver
    guarded by BROADCAST_SMS, a WAP_PUSH_DELIVER receiver guarded by BROADCAST_WAP_PUSH, a
    RESPOND_VIA_MESSAGE service guarded by SEND_RESPOND_VIA_MESSAGE and a SENDTO activity for
    sms:/smsto:."""
    parts = {"sms_deliver": None, "wap_push_deliver": None, "respond_via_message": None, "sendto_activity": None}
    for comp in components:
        actions = _actions(comp)
        if comp.kind == "receiver" and SMS_DELIVER in actions and comp.permission == "android.permission.BROADCAST_SMS":
            parts["sms_deliver"] = comp.name
        if comp.kind == "receiver" and WAP_PUSH_DELIVER in actions and comp.permission == "android.permission.BROADCAST_WAP_PUSH":
            parts["wap_push_deliver"] = comp.name
        if comp.kind == "service" and RESPOND_VIA_MESSAGE in actions and comp.permission == "android.permission.SEND_RESPOND_VIA_MESSAGE":
            parts["respond_via_message"] = comp.name
        if comp.kind in ("activity", "activity-alias") and "android.intent.action.SENDTO" in actions:
            schemes = {d.get("scheme") for f in comp.intent_filters for d in f.data if isinstance(d, Mapping)}
            if schemes & {"sms", "smsto"}:
                parts["sendto_activity"] = comp.name
    return parts


# ---------------------------------------------------------------- the report

def build_report(facts: AppFacts, read: Callable[[str], tuple[Node | None, str | None, str | None]]) -> ComponentReport:
    accessibility, sms, listeners, admins, boot, projection, vpn, exported = [], [], [], [], [], [], [], []
    launchers, disabled_launchers = [], []
    components = tuple(c for c in (facts.components or ()) if isinstance(c, Component))
    for comp in components:
        actions = _actions(comp)
        perm = comp.permission
        if comp.kind == "service":
            if perm == BIND_ACCESSIBILITY or ACCESSIBILITY_ACTION in actions:
                accessibility.append(_read_accessibility(comp, read))
            if perm == BIND_NOTIFICATION_LISTENER or NOTIFICATION_LISTENER_ACTION in actions:
                listeners.append(comp.name)
            if perm == BIND_VPN or VPN_ACTION in actions:
                vpn.append(comp.name)
            fgs = (comp.attributes or {}).get("foregroundServiceType")
            if fgs is not None and _fgs_types(fgs) & FGS_MEDIA_PROJECTION:
                projection.append({"service": comp.name, "foregroundServiceType": fgs})
        elif comp.kind == "receiver":
            sms_actions = sorted(actions & set(SMS_ACTIONS))
            if sms_actions and not _default_sms_role_only(comp, sms_actions):
                prio = _max_priority(comp, sms_actions)
                sms.append({"receiver": comp.name, "actions": sms_actions,
                            "priority": _signed_int(prio) if prio is not None else None,
                            "permission": perm})
            if perm == BIND_DEVICE_ADMIN or DEVICE_ADMIN_ACTION in actions:
                admins.append(_read_device_admin(comp, read))
            boot_actions = sorted(actions & set(BOOT_ACTIONS))
            if boot_actions:
                boot.append({"receiver": comp.name, "actions": boot_actions})
        if _is_launcher(comp):
            (launchers if comp.enabled is not False else disabled_launchers).append(comp.name)
        if (comp.exported is True and not perm and comp.kind in ("service", "receiver", "provider")
                and comp.enabled is not False):
            exported.append({"kind": comp.kind, "name": comp.name, "actions": sorted(actions)[:10]})
    cleartext, user_ca = _read_network_config(facts, read)
    parts = _sms_app_parts(components)
    return ComponentReport(
        accessibility=tuple(accessibility),
        sms_receivers=tuple(sms),
        notification_listeners=tuple(listeners),
        device_admins=tuple(admins),
        boot_receivers=tuple(boot),
        media_projection_services=tuple(projection),
        vpn_services=tuple(vpn),
        exported_unprotected=tuple(exported),
        launchers=tuple(launchers),
        disabled_launchers=tuple(disabled_launchers),
        cleartext=cleartext,
        user_ca=user_ca,
        is_sms_app=all(parts.values()),
        sms_app_parts=parts,
    )


def component_report(ctx: ScanContext) -> ComponentReport:
    return ctx.shared(CACHE_KEY, lambda: build_report(ctx.facts, reader_for(ctx)))


# ---------------------------------------------------------------- findings

def report_findings(rep: ComponentReport) -> list[Finding]:
    out: list[Finding] = []
    make = fraud_findings.make
    for svc in rep.accessibility:
        ev = svc.to_evidence()
        out.append(make("COMP_ACCESSIBILITY_SERVICE", SOURCE, ev))
        if svc.config_problem and svc.config_ref:
            out.append(make("COMP_ACCESSIBILITY_CONFIG_UNREADABLE", SOURCE,
                            {"service": svc.component, "config": svc.config_ref, "problem": svc.config_problem}))
        # Event types can be changed at run time (AccessibilityService.setServiceInfo); the
        # declared capability to read window content cannot, so it alone decides.
        if svc.can_retrieve_window_content:
            out.append(make("COMP_ACCESSIBILITY_READS_SCREEN", SOURCE, ev))
        if svc.can_perform_gestures:
            out.append(make("COMP_ACCESSIBILITY_GESTURES", SOURCE, ev))
        if svc.can_filter_key_events:
            out.append(make("COMP_ACCESSIBILITY_KEY_EVENTS", SOURCE, ev))
        if svc.package_names:
            out.append(make("COMP_ACCESSIBILITY_TARGETS_APPS", SOURCE,
                            {"service": svc.component, "packageNames": list(svc.package_names)}))
    for rcv in rep.sms_receivers:
        out.append(make("COMP_SMS_RECEIVER", SOURCE, dict(rcv)))
        if rcv.get("priority") is not None and rcv["priority"] >= HIGH_PRIORITY:
            out.append(make("COMP_SMS_RECEIVER_HIGH_PRIORITY", SOURCE, dict(rcv)))
    for name in rep.notification_listeners:
        out.append(make("COMP_NOTIFICATION_LISTENER", SOURCE, {"service": name}))
    for admin in rep.device_admins:
        ev = dict(admin)
        ev["destructive_policies"] = [p for p in admin.get("policies", ()) if p in DESTRUCTIVE_POLICIES]
        out.append(make("COMP_DEVICE_ADMIN", SOURCE, ev))
    if rep.boot_receivers:
        out.append(make("COMP_BOOT_RECEIVER", SOURCE, {"receivers": [dict(b) for b in rep.boot_receivers]}))
    for svc in rep.media_projection_services:
        out.append(make("COMP_MEDIA_PROJECTION_SERVICE", SOURCE, dict(svc)))
    for name in rep.vpn_services:
        out.append(make("COMP_VPN_SERVICE", SOURCE, {"service": name}))
    if rep.exported_unprotected:
        out.append(make("COMP_EXPORTED_UNPROTECTED", SOURCE, {
            "components": [dict(c) for c in rep.exported_unprotected[:50]],
            "count": len(rep.exported_unprotected)}))
    hidden = _hidden_launcher(rep)
    if hidden:
        out.append(make("COMP_HIDDEN_LAUNCHER", SOURCE, hidden))
    if rep.cleartext:
        out.append(make("COMP_CLEARTEXT_TRAFFIC", SOURCE, dict(rep.cleartext)))
    if rep.user_ca:
        out.append(make("COMP_NSC_USER_CA", SOURCE, dict(rep.user_ca)))
    return out


def _hidden_launcher(rep: ComponentReport) -> dict | None:
    """No icon in the launcher while the app runs code in the background: how trojans hide after
    the victim has granted access. Plug-ins without an icon (keyboards, widgets) have no SMS
    receiver, accessibility service or device admin, so only those are counted."""
    if rep.launchers:
        return None
    background = ([s.component for s in rep.accessibility] + [r["receiver"] for r in rep.sms_receivers]
                  + [a["receiver"] for a in rep.device_admins] + list(rep.notification_listeners))
    if not background:
        return None
    return {"launcher_activities": [], "disabled_launchers": list(rep.disabled_launchers),
            "background_components": background[:20]}


class ComponentsAnalyzer:
    name = "components"

    def analyze(self, ctx: ScanContext) -> Iterable[Finding]:
        return report_findings(component_report(ctx))
