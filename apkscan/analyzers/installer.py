"""Evidence from acquisition: which installer put the app on the phone."""
from __future__ import annotations

from apkscan.model import Finding  # noqa: F401 (type of the result)

_PLAY = {"com.android.vending"}
# Installers that mean "the user opened a downloaded APK": the package installer UI, browsers,
# messengers (Zalo, Facebook Messenger, Telegram), file managers.
_SIDELOAD_SOURCES = {
    "com.google.android.packageinstaller": "the system package installer (an APK file opened by the user)",
    "com.android.packageinstaller": "the system package installer (an APK file opened by the user)",
    "com.zing.zalo": "Zalo",
    "com.facebook.orca": "Facebook Messenger",
    "com.facebook.katana": "Facebook",
    "org.telegram.messenger": "Telegram",
    "com.android.chrome": "Chrome",
    "com.sec.android.app.sbrowser": "Samsung Internet",
    "com.coccoc.trinhduyet": "Cốc Cốc",
}


def installer_finding(package: str, installer: str | None) -> Finding | None:
    from apkscan.analyzers.catalog_finding import catalog_finding

    if installer in _PLAY:
        return None
    via = _SIDELOAD_SOURCES.get(installer or "", installer or "unknown (no installer recorded: adb or a file manager)")
    severity = "medium" if installer in _SIDELOAD_SOURCES or installer is None else "low"
    return catalog_finding("INSTALLER_SIDELOADED", "acquisition", {"package": package, "installer": installer},
                           severity=severity, detail=f"via {via}")
