"""What the signature verification says about the APK, as findings (issue 4 item 6).

Texts and default severities: signatures/findings/signing.json. The verification itself is
apkscan.signing; this only reads its SigningResult (and the certificates' DER).
"""
from __future__ import annotations

import datetime as _dt
import json
from functools import lru_cache
from typing import Iterable

from apkscan.analyzers.base import ScanContext
from apkscan.datafiles import signatures_dir
from apkscan.analyzers.catalog_finding import catalog_finding
from apkscan.model import Finding, Signer

SOURCE = "signing"
# Janus (CVE-2017-13156): a DEX prepended to a v1-only APK keeps the JAR signature valid on
# Android 5.0-8.0 (API 21-26), fixed in the December 2017 security bulletin; v2+ protects.
JANUS_MAX_API = 26
WEAK_HASHES = {"md5", "sha1"}


@lru_cache(maxsize=1)
def known_keys() -> tuple[dict[str, dict], dict[str, dict]]:
    data = json.loads((signatures_dir() / "known_keys.json").read_text(encoding="utf-8"))
    by_sha = {c["cert_sha256"].lower(): c for c in data.get("certificates", [])}
    by_subject = {_norm_dn(s["subject"]): s for s in data.get("subjects", [])}
    return by_sha, by_subject


def _norm_dn(dn: str) -> str:
    return ",".join(part.strip().lower() for part in sorted(dn.replace(", ", ",").split(",")))


def _finding(fid: str, evidence: dict, *, severity: str | None = None, detail: str = "") -> Finding:
    return catalog_finding(fid, SOURCE, evidence, severity=severity, detail=detail)


def _cert_hash_name(signer: Signer) -> str | None:
    if not signer.cert_der:
        return None
    try:
        from cryptography import x509

        algo = x509.load_der_x509_certificate(signer.cert_der).signature_hash_algorithm
        return algo.name if algo else None
    except Exception:
        return None


def _parse_utc(text: str) -> _dt.datetime | None:
    try:
        return _dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=_dt.timezone.utc)
    except (TypeError, ValueError):
        return None


def signer_findings(signers: Iterable[Signer], now: _dt.datetime | None = None) -> list[Finding]:
    now = now or _dt.datetime.now(_dt.timezone.utc)
    by_sha, by_subject = known_keys()
    out: list[Finding] = []
    for s in signers:
        ev = {"cert_sha256": s.cert_sha256, "subject": s.subject}
        known = by_sha.get(s.cert_sha256.lower()) or by_subject.get(_norm_dn(s.subject))
        if known:
            out.append(_finding("SIG_PUBLIC_TEST_KEY", {**ev, "key": known["name"], "source": known["source"]},
                                detail=known["name"]))
        if s.key_algorithm in ("RSA", "DSA") and 0 < s.key_bits < 2048:
            out.append(_finding("SIG_WEAK_KEY", {**ev, "key_algorithm": s.key_algorithm, "key_bits": s.key_bits},
                                detail=f"{s.key_algorithm} {s.key_bits} bits"))
        hash_name = _cert_hash_name(s)
        if hash_name in WEAK_HASHES:
            out.append(_finding("SIG_WEAK_CERT_HASH", {**ev, "certificate_signature_hash": hash_name},
                                detail=hash_name.upper()))
        nb, na = _parse_utc(s.not_before), _parse_utc(s.not_after)
        if nb and na:
            if na < nb:
                out.append(_finding("SIG_CERT_VALIDITY_ODD", {**ev, "not_before": s.not_before, "not_after": s.not_after,
                                                              "problem": "ends before it starts"}))
            elif nb > now:
                out.append(_finding("SIG_CERT_VALIDITY_ODD", {**ev, "not_before": s.not_before,
                                                              "problem": "not valid yet (issued in the future)"}))
            elif na < now:
                out.append(_finding("SIG_CERT_EXPIRED", {**ev, "not_after": s.not_after}))
            elif (now - nb).days < 30:
                out.append(_finding("SIG_CERT_FRESH", {**ev, "not_before": s.not_before}))
    return out


class SigningAnalyzer:
    name = SOURCE

    def analyze(self, ctx: ScanContext) -> Iterable[Finding]:
        res = ctx.signing
        out: list[Finding] = []
        if res is None or res.verified is None:
            return out
        issue_names = [i.name for i in res.issues]
        if not res.blocks_present:
            out.append(_finding("SIG_UNSIGNED", {"issues": issue_names}))
        elif not res.verified:
            by_scheme: dict[str, list[str]] = {}
            for i in res.issues:
                by_scheme.setdefault(i.scheme or "apk", []).append(i.name)
            out.append(_finding("SIG_INVALID", {
                "schemes_present": list(res.blocks_present),
                "issues": [i.to_dict() for i in res.issues[:20]],
                "by_scheme": by_scheme,
            }, detail=", ".join(sorted(by_scheme))))
            verified_shas = {s.cert_sha256 for s in res.signers}
            unproven = [c for c in res.extracted_certificates if c.cert_sha256 not in verified_shas]
            if unproven:
                out.append(_finding("SIG_UNPROVEN_CERTIFICATE", {
                    "certificates": [{"cert_sha256": c.cert_sha256, "subject": c.subject} for c in unproven[:5]]}))
        if res.verified and set(res.schemes) == {"v1"}:
            min_sdk = ctx.facts.min_sdk if ctx.facts.min_sdk is not None else 1
            if min_sdk <= JANUS_MAX_API:
                out.append(_finding("SIG_V1_ONLY_JANUS", {"verified_schemes": list(res.schemes), "min_sdk": min_sdk}))
        if len(res.signers) > 1:
            out.append(_finding("SIG_MULTIPLE_SIGNERS", {"signers": [s.cert_sha256 for s in res.signers]}))
        unprotected = [w for w in (*res.warnings, *res.issues) if w.name == "JAR_SIG_UNPROTECTED_ZIP_ENTRY"]
        if unprotected:
            out.append(_finding("SIG_UNPROTECTED_ENTRIES", {"entries": [w.message for w in unprotected[:20]],
                                                             "count": len(unprotected)}))
        out.extend(signer_findings(res.signers))
        return out
