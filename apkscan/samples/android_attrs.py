"""Resource ids of the framework attributes the factory writes (``android.R.attr``), and the
flag values of the few attributes whose values the recipes spell by name.

The ids come from the one generated table of public ids, apkscan/manifest/framework_attrs.json
(AOSP framework-res.apk, API 29): the binary XML resource map must carry the real ids because
Android and aapt look attributes up by id, not by name.
"""
from __future__ import annotations

from apkscan.manifest.framework_attrs import ATTR_IDS

__all__ = ["ANDROID_NS", "ATTR_IDS", "FOREGROUND_SERVICE_TYPES", "PROTECTION_LEVELS"]

ANDROID_NS = "http://schemas.android.com/apk/res/android"

# android:foregroundServiceType flag values (ServiceInfo.FOREGROUND_SERVICE_TYPE_*).
FOREGROUND_SERVICE_TYPES: dict[str, int] = {
    "dataSync": 0x01,
    "mediaPlayback": 0x02,
    "phoneCall": 0x04,
    "location": 0x08,
    "connectedDevice": 0x10,
    "mediaProjection": 0x20,
    "camera": 0x40,
    "microphone": 0x80,
    "specialUse": 0x40000000,
}

# android:protectionLevel values (PermissionInfo.PROTECTION_*).
PROTECTION_LEVELS: dict[str, int] = {"normal": 0, "dangerous": 1, "signature": 2, "signatureOrSystem": 3}
