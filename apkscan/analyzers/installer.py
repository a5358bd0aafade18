"""Evidence from acquisition: which installer put the app on the phone."""
from __future__ import annotations

from apkscan.model import Finding  # noqa: F401 (type of the result)

PLAY_STORE_INSTALLERS = frozenset({"com.android.vending"})
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

    if installer in PLAY_STORE_INSTALLERS:
        return None
    via = _SIDELOAD_SOURCES.get(installer or "", installer or "unknown (no installer recorded: adb or a file manager)")
    severity = "medium" if installer in _SIDELOAD_SOURCES or installer is None else "low"
    return catalog_finding("INSTALLER_SIDELOADED", "acquisition", {"package": package, "installer": installer},
                           severity=severity, detail=f"via {via}")


def installer_adjuster(record: dict, outdir: str):
    """For `apkscan adb`: add the installer evidence recorded at acquisition to each app's result
    (matched by its folder ``outdir/apps/<package>``) and score it again."""
    import os
    from dataclasses import replace

    from apkscan.scoring import score

    by_folder = {os.path.realpath(os.path.join(outdir, "apps", a["package"])): a for a in record.get("apps", [])}

    def adjust(candidate, result):
        app = by_folder.get(os.path.realpath(os.path.dirname(candidate.path)))
        if app is None or result.status != "ok":
            return result
        finding = installer_finding(app["package"], app.get("installer"))
        if finding is None:
            return result
        findings = tuple(sorted(result.findings + (finding,), key=lambda f: (-f.rank, f.id, f.path)))
        risk, verdict = score(findings, result.identity, result.signing, result.app)
        return replace(result, findings=findings, risk=risk, verdict=verdict)

    return adjust
