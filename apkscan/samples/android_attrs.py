"""Resource ids of the framework attributes the factory writes (``android.R.attr``).

Values are the public ids from AOSP ``frameworks/base/core/res/res/values/public.xml``
(public-final.xml for API 29+); the binary XML resource map must carry the real ids because
Android and aapt look attributes up by id, not by name. Only attributes the recipes use are listed.
"""
from __future__ import annotations

ANDROID_NS = "http://schemas.android.com/apk/res/android"

ATTR_IDS: dict[str, int] = {
    "theme": 0x01010000,
    "label": 0x01010001,
    "icon": 0x01010002,
    "name": 0x01010003,
    "permission": 0x01010006,
    "enabled": 0x0101000E,
    "debuggable": 0x0101000F,
    "exported": 0x01010010,
    "process": 0x01010011,
    "excludeFromRecents": 0x01010017,
    "authorities": 0x01010018,
    "grantUriPermissions": 0x0101001B,
    "priority": 0x0101001C,
    "launchMode": 0x0101001D,
    "description": 0x01010020,
    "value": 0x01010024,
    "resource": 0x01010025,
    "mimeType": 0x01010026,
    "scheme": 0x01010027,
    "host": 0x01010028,
    "port": 0x01010029,
    "path": 0x0101002A,
    "pathPrefix": 0x0101002B,
    "protectionLevel": 0x01010009,
    "hasCode": 0x0101000C,
    "targetActivity": 0x01010202,
    "minSdkVersion": 0x0101020C,
    "versionCode": 0x0101021B,
    "versionName": 0x0101021C,
    "settingsActivity": 0x01010225,
    "targetSdkVersion": 0x01010270,
    "maxSdkVersion": 0x01010271,
    "allowBackup": 0x01010280,
    "installLocation": 0x010102B7,
    "accessibilityEventTypes": 0x01010380,
    "packageNames": 0x01010381,
    "accessibilityFeedbackType": 0x01010382,
    "notificationTimeout": 0x01010383,
    "accessibilityFlags": 0x01010384,
    "canRetrieveWindowContent": 0x01010385,
    "supportsRtl": 0x010103AF,
    "extractNativeLibs": 0x010104EA,
    "usesCleartextTraffic": 0x010104EC,
    "directBootAware": 0x01010505,
    "canPerformGestures": 0x0101050D,
    "networkSecurityConfig": 0x01010527,
    "roundIcon": 0x0101052C,
    "compileSdkVersion": 0x01010572,
    "compileSdkVersionCodename": 0x01010573,
    "foregroundServiceType": 0x01010599,
}

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
