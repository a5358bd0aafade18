"""What the signature verification says about the APK, as findings (issue 4 item 6).

Texts and default severities: signatures/findings/signing.json; publicly known keys:
signatures/known_keys.json. The verification itself is apkscan.signing; this only reads its
result (SigningResult, and its ``algorithms``).

Everything about a signer (test key, weak key, digests, validity) is said of VERIFIED signers
only: a certificate whose signature does not verify proves nothing, and is reported as such.
"""
from __future__ import annotations

import datetime as _dt
import json
from functools import lru_cache
from typing import Iterable

from apkscan.analyzers.base import ScanContext
from apkscan.analyzers.catalog_finding import catalog_finding
from apkscan.datafiles import signatures_dir
from apkscan.model import Finding, Signer, SigningResult
from apkscan.signing.issues import entry_of
from apkscan.signing.result import weak_digests
from apkscan.signing.verifier import LIMIT_ISSUES

SOURCE = "signing"
SIGNATURE_SCHEMES = ("v1", "v2", "v3", "v3.1")  # what signs an APK (v4 is a detached file, a stamp signs no content)
BLOCK_SCHEMES = frozenset({"v2", "v3", "v3.1"})
# Issues after which blocks_present may be incomplete: an empty list does not mean "unsigned"
SIGNATURES_UNSEEN = frozenset({"APK_SIG_BLOCK_TOO_LARGE", "UNEXPECTED_EXCEPTION"})
# Janus (CVE-2017-13156): a DEX prepended to an APK keeps its JAR signature valid on Android 5.0-8.0
# (API 21-26), fixed by the December 2017 security bulletin; a v2+ signature protects from API 24.
JANUS_MIN_API, JANUS_MAX_API = 21, 26
SDK_N = 24  # first Android version that checks the APK Signing Block (v2+)
MIN_KEY_BITS = {"RSA": 2048, "DSA": 2048}
FRESH_DAYS = 30
MAX_LISTED = 20

# RFC 4514 / OpenSSL short names of the attributes in signer subjects, to compare the subjects of
# known_keys.json with the certificates' (which name unusual attributes by OID)
_DN_ALIASES = {
    "emailaddress": "1.2.840.113549.1.9.1",
    "e": "1.2.840.113549.1.9.1",
    "cn": "2.5.4.3",
    "ou": "2.5.4.11",
    "o": "2.5.4.10",
    "l": "2.5.4.7",
    "st": "2.5.4.8",
    "s": "2.5.4.8",
    "c": "2.5.4.6",
}


@lru_cache(maxsize=1)
def known_keys() -> tuple[dict[str, dict], dict[str, dict]]:
    data = json.loads((signatures_dir() / "known_keys.json").read_text(encoding="utf-8"))
    by_sha = {c["cert_sha256"].lower(): c for c in data.get("certificates", [])}
    by_subject = {_norm_dn(s["subject"]): s for s in data.get("subjects", [])}
    return by_sha, by_subject


def _norm_dn(dn: str) -> str:
    """Order-, case- and alias-insensitive form of a distinguished name ("A=x, B=y")."""
    parts = []
    for part in dn.replace(", ", ",").split(","):
        name, _, value = part.strip().partition("=")
        name = name.strip().lower()
        parts.append(f"{_DN_ALIASES.get(name, name)}={value.strip().lower()}")
    return ",".join(sorted(parts))


def known_key(signer: Signer) -> tuple[dict, str] | None:
    """(known_keys.json entry, "certificate" | "subject") when the signer is a publicly known key."""
    by_sha, by_subject = known_keys()
    entry = by_sha.get(signer.cert_sha256.lower())
    if entry is not None:
        return entry, "certificate"
    entry = by_subject.get(_norm_dn(signer.subject))
    return (entry, "subject") if entry is not None else None


def _finding(fid: str, evidence: dict, *, severity: str | None = None, detail: str = "") -> Finding:
    return catalog_finding(fid, SOURCE, evidence, severity=severity, detail=detail)


def _cert_hash_name(signer: Signer) -> str | None:
    if not signer.cert_der:
        return None
    try:
        from cryptography import x509

        algo = x509.load_der_x509_certificate(signer.cert_der).signature_hash_algorithm
        return algo.name if algo else None
    except Exception:  # noqa: BLE001 - an unusual certificate is not worth a crash
        return None


def _parse_utc(text: str) -> _dt.datetime | None:
    try:
        return _dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=_dt.timezone.utc)
    except (TypeError, ValueError):
        return None


def _validity_findings(s: Signer, ev: dict, now: _dt.datetime) -> list[Finding]:
    nb, na = _parse_utc(s.not_before), _parse_utc(s.not_after)
    if not (nb and na):
        return []
    dates = {"not_before": s.not_before, "not_after": s.not_after}
    if na < nb:
        return [_finding("SIG_CERT_VALIDITY_ODD", {**ev, **dates, "problem": "ends before it starts"},
                         detail="ends before it starts")]
    if nb > now:
        return [_finding("SIG_CERT_VALIDITY_ODD", {**ev, **dates, "problem": "not valid yet (issued in the future)"},
                         detail="issued in the future")]
    if na < now:
        return [_finding("SIG_CERT_EXPIRED", {**ev, **dates})]
    if (now - nb).days < FRESH_DAYS:
        return [_finding("SIG_CERT_FRESH", {**ev, **dates, "age_days": (now - nb).days})]
    return []


def signer_findings(signers: Iterable[Signer], now: _dt.datetime | None = None) -> list[Finding]:
    """Findings about verified signers' certificates: publicly known key, short key, weak
    certificate hash, odd validity."""
    now = now or _dt.datetime.now(_dt.timezone.utc)
    out: list[Finding] = []
    for s in signers:
        ev = {"cert_sha256": s.cert_sha256, "subject": s.subject}
        known = known_key(s)
        if known:
            entry, matched_by = known
            out.append(_finding("SIG_PUBLIC_TEST_KEY", {**ev, "key": entry["name"], "matched_by": matched_by,
                                                        "source": entry["source"]}, detail=entry["name"]))
        floor = MIN_KEY_BITS.get(s.key_algorithm)
        if floor and 0 < s.key_bits < floor:
            out.append(_finding("SIG_WEAK_KEY", {**ev, "key_algorithm": s.key_algorithm, "key_bits": s.key_bits},
                                detail=f"{s.key_algorithm} {s.key_bits} bits"))
        hash_name = _cert_hash_name(s)
        if hash_name in ("md5", "sha1"):
            out.append(_finding("SIG_WEAK_CERT_HASH", {**ev, "certificate_signature_hash": hash_name},
                                detail=hash_name.upper()))
        out.extend(_validity_findings(s, ev, now))
    return out


def _invalid(res: SigningResult) -> list[Finding]:
    """SIG_INVALID says which scheme failed and, for JAR signing, which entries."""
    failed = sorted({i.scheme or "apk" for i in res.issues})
    entries: list[str] = []
    for issue in res.issues:
        name = entry_of(issue)
        if name is not None and name not in entries:
            entries.append(name)
    detail = ", ".join(failed)
    if entries:
        detail += f" ({', '.join(entries[:3])}{', ...' if len(entries) > 3 else ''})"
    evidence = {
        "schemes_present": list(res.blocks_present),
        "failed_schemes": failed,
        "entries": entries[:MAX_LISTED],
        "issues": [i.to_dict() for i in res.issues[:MAX_LISTED]],
    }
    damaged = [w for w in res.warnings if w.name == "APK_SIG_BLOCK_MALFORMED"]
    if damaged:  # a signing block Android ignores: the APK was signed, then damaged
        evidence["signing_block_malformed"] = damaged[0].message
    out = [_finding("SIG_INVALID", evidence, detail=detail)]
    proven = {s.cert_sha256 for s in res.signers}
    unproven = [c for c in res.extracted_certificates if c.cert_sha256 not in proven]
    if unproven:
        out.append(_finding("SIG_UNPROVEN_CERTIFICATE", {
            "certificates": [{"cert_sha256": c.cert_sha256, "subject": c.subject} for c in unproven[:5]]}))
    return out


def _weak_digest(res: SigningResult) -> list[Finding]:
    """MD5 / SHA-1 in the signatures that verified (not in the certificates: SIG_WEAK_CERT_HASH)."""
    weak = []
    for entry in getattr(res, "algorithms", ()):
        found = weak_digests(entry)
        if found:
            weak.append({**dict(entry), "weak": found})
    if not weak:
        return []
    names = sorted({d for e in weak for d in e["weak"]})
    newer = sorted(BLOCK_SCHEMES & set(res.schemes))
    evidence = {
        "weak_digests": names,
        "signatures": weak[:MAX_LISTED],
        # a v2+ signature protects Android 7.0+; older versions rely on the weak one
        "relied_on_by": f"API < {SDK_N}" if newer else "every Android version",
        "stronger_schemes": newer,
    }
    severity = "medium" if ("MD5" in names or not newer) else "low"
    return [_finding("SIG_WEAK_DIGEST", evidence, severity=severity,
                     detail=f"{'/'.join(names)} in {', '.join(sorted({e['scheme'] for e in weak}))}")]


def _janus(res: SigningResult, min_sdk: int | None) -> list[Finding]:
    if "v1" not in res.schemes or BLOCK_SCHEMES & set(res.schemes):
        return []
    low = 1 if min_sdk is None else min_sdk
    if low > JANUS_MAX_API:
        return []
    return [_finding("SIG_V1_ONLY_JANUS", {"verified_schemes": list(res.schemes), "min_sdk": low,
                                          "affected_api": f"{max(low, JANUS_MIN_API)}-{JANUS_MAX_API}"})]


def _unprotected(res: SigningResult) -> list[Finding]:
    found = [w for w in (*res.warnings, *res.issues) if w.name == "JAR_SIG_UNPROTECTED_ZIP_ENTRY"]
    if not found:
        return []
    entries = [entry_of(w) or w.message for w in found]
    return [_finding("SIG_UNPROTECTED_ENTRIES", {
        "entries": entries[:MAX_LISTED], "count": len(entries),
        "protected_by_newer_scheme_from_api": SDK_N if BLOCK_SCHEMES & set(res.schemes) else None,
    }, detail=", ".join(entries[:3]) + (", ..." if len(entries) > 3 else ""))]


def _not_verifiable(res: SigningResult) -> list[Finding]:
    """Verification could not run to a verdict (apksig would throw, or apkscan's limits): say so,
    and what the APK carries -- never "unsigned", never "invalid"."""
    reasons = [i.to_dict() for i in res.issues[:MAX_LISTED]]
    # apkscan's own limits already weigh as LIMIT_*/ZIP_* findings: this one only informs then
    severity = "info" if all(i.name in LIMIT_ISSUES for i in res.issues) else None
    return [_finding("SIG_NOT_VERIFIABLE", {
        "blocks_present": list(res.blocks_present),
        "reasons": reasons,
        "certificates_carried": [{"cert_sha256": c.cert_sha256, "subject": c.subject}
                                 for c in res.extracted_certificates[:5]],
    }, severity=severity, detail=", ".join(dict.fromkeys(r["name"] for r in reasons)))]


def signing_findings(res: SigningResult | None, min_sdk: int | None = None,
                     now: _dt.datetime | None = None) -> list[Finding]:
    """All signing findings for one verification result (``min_sdk``: the manifest's)."""
    if res is None:
        return []
    signed = any(s in SIGNATURE_SCHEMES for s in res.blocks_present)
    if res.verified is None:
        if not res.issues:  # a placeholder: verification was never attempted
            return []
        if signed or {i.name for i in res.issues} & SIGNATURES_UNSEEN:
            return _not_verifiable(res)
    if not signed:  # whatever the SDK range, nothing could verify
        return [_finding("SIG_UNSIGNED", {"blocks_present": list(res.blocks_present),
                                          "issues": [i.name for i in res.issues]})]
    if not res.verified:
        return _invalid(res)
    out: list[Finding] = []
    out += _janus(res, min_sdk)
    out += _weak_digest(res)
    if len(res.signers) > 1:
        out.append(_finding("SIG_MULTIPLE_SIGNERS", {
            "signers": [{"cert_sha256": s.cert_sha256, "subject": s.subject} for s in res.signers],
            "schemes": list(res.schemes)}, detail=str(len(res.signers))))
    out += _unprotected(res)
    out += signer_findings(res.signers, now)
    return out


class SigningAnalyzer:
    name = SOURCE

    def analyze(self, ctx: ScanContext) -> Iterable[Finding]:
        return signing_findings(ctx.signing, ctx.facts.min_sdk if ctx.facts else None)
