"""Bit values of the manifest's flag attributes, to show them by name.

Sources: AOSP ``core/res/res/values/attrs_manifest.xml`` (``<attr name="protectionLevel">``,
``<attr name="foregroundServiceType">``), ``PermissionInfo.PROTECTION_*`` and
``ServiceInfo.FOREGROUND_SERVICE_TYPE_*``.
"""
from __future__ import annotations

PROTECTION_BASE = {0: "normal", 1: "dangerous", 2: "signature", 3: "signatureOrSystem", 4: "internal"}
PROTECTION_FLAGS = {
    0x10: "privileged",
    0x20: "development",
    0x40: "appop",
    0x80: "pre23",
    0x100: "installer",
    0x200: "verifier",
    0x400: "preinstalled",
    0x800: "setup",
    0x1000: "instant",
    0x2000: "runtime",
    0x4000: "oem",
    0x8000: "vendorPrivileged",
}

FOREGROUND_SERVICE_TYPES = {
    0x1: "dataSync",
    0x2: "mediaPlayback",
    0x4: "phoneCall",
    0x8: "location",
    0x10: "connectedDevice",
    0x20: "mediaProjection",
    0x40: "camera",
    0x80: "microphone",
    0x100: "health",
    0x200: "remoteMessaging",
    0x400: "systemExempted",
    0x800: "shortService",
    0x1000: "fileManagement",
    0x2000: "mediaProcessing",
    0x40000000: "specialUse",
}


def flag_names(value: int, table: dict[int, str]) -> str:
    """``0x21`` -> ``"dataSync|mediaProjection"``; unknown bits as hex."""
    names = [name for bit, name in table.items() if value & bit]
    rest = value & ~sum(table)
    if rest:
        names.append(f"0x{rest:x}")
    return "|".join(names) if names else "0"


def protection_level_name(value: int) -> str:
    """``0x12`` -> ``"signature|privileged"`` (base level in the low 4 bits, flags above)."""
    base = PROTECTION_BASE.get(value & 0xF, f"0x{value & 0xF:x}")
    flags = value & ~0xF
    return base if not flags else f"{base}|{flag_names(flags, PROTECTION_FLAGS)}"


# attributes shown by name rather than as numbers
NAMED_FLAGS = {
    "foregroundServiceType": lambda v: flag_names(v, FOREGROUND_SERVICE_TYPES),
    "protectionLevel": protection_level_name,
}
