"""The pipeline for one APK: archive -> manifest -> signing -> analyzers -> scoring.

``scan_file`` never raises: whatever the bytes, the caller gets a ScanResult, with
``status: error`` and a clear message when the APK cannot be analysed.
"""
from __future__ import annotations

import hashlib
import os
import stat
import tempfile
import time
from dataclasses import replace
from typing import Iterable

from apkscan.analyzers import default_analyzers
from apkscan.analyzers.base import ScanContext
from apkscan.archive import ArchiveError, open_archive
from apkscan.config import ScanConfig
from apkscan.manifest import ManifestError, extract_facts
from apkscan.model import AppFacts, Finding, Identity, InputInfo, ScanError, ScanResult, SigningResult
from apkscan.scoring import score
from apkscan import signing

_HASH_CHUNK = 1 << 20


def _hash_only(path: str, display_path: str | None = None) -> InputInfo:
    """Hashes for an input that is not a readable APK (the report must still identify it)."""
    md5, sha1, sha256 = hashlib.md5(), hashlib.sha1(), hashlib.sha256()
    size = 0
    try:
        with open(path, "rb") as f:
            while chunk := f.read(_HASH_CHUNK):
                size += len(chunk)
                md5.update(chunk)
                sha1.update(chunk)
                sha256.update(chunk)
    except OSError:
        return InputInfo(path=display_path or path, size=size)
    return InputInfo(display_path or path, size, md5.hexdigest(), sha1.hexdigest(), sha256.hexdigest())


def _error(info: InputInfo, code: str, message: str, started: float, findings: Iterable[Finding] = (),
           app: AppFacts | None = None) -> ScanResult:
    return ScanResult(
        input=info,
        status="error",
        error=ScanError(code, message),
        app=app,
        signing=SigningResult(verified=None),
        findings=tuple(findings),
        verdict="error",
        elapsed_ms=int((time.monotonic() - started) * 1000),
    )


def scan_file(path: str, config: ScanConfig | None = None, *, display_path: str | None = None,
              depth: int = 0) -> ScanResult:
    """Analyse one APK file. Never raises (except KeyboardInterrupt/SystemExit)."""
    config = config or ScanConfig()
    started = time.monotonic()
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            # never read a device or FIFO: /dev/zero has no end and a FIFO blocks
            return _error(InputInfo(display_path or path, 0), "NOT_A_FILE", "not a regular file", started)
    except OSError as exc:
        return _error(InputInfo(display_path or path, 0), "IO_ERROR", f"cannot read: {exc.strerror or exc}", started)
    try:
        return _scan(path, config, display_path or path, depth, started)
    except ArchiveError as exc:  # a pass over an opened archive failed as a whole (I/O, memory)
        return _error(_hash_only(path, display_path), exc.code, exc.message, started)
    except (KeyboardInterrupt, SystemExit):
        raise
    except MemoryError:
        return _error(_hash_only(path, display_path), "MEMORY", "analysis ran out of memory", started)
    except Exception as exc:  # last line of defence: a bug must not stop the batch
        return _error(_hash_only(path, display_path), "INTERNAL",
                      f"internal error: {type(exc).__name__}: {exc}", started)


def _scan(path: str, config: ScanConfig, display_path: str, depth: int, started: float) -> ScanResult:
    try:
        arc = open_archive(path, config.limits)
    except ArchiveError as exc:
        return _error(_hash_only(path, display_path), exc.code, exc.message, started)
    with arc:
        from apkscan.analyzers.tamper import archive_findings

        try:
            facts = extract_facts(arc)
        except ManifestError as exc:
            from apkscan.analyzers.manifest_integrity import rejection_finding

            arc.stream([])
            extra = [rejection_finding(exc)] if exc.code == "MANIFEST_REJECTED" else []
            return _error(_input_info(display_path, arc), exc.code, exc.message, started,
                          findings=archive_findings(arc) + extra)

        session = signing.prepare_verification(arc, min_sdk=config.min_sdk, max_sdk=config.max_sdk)
        # One sequential read of the file: MD5/SHA-1/SHA-256 and the v2/v3 chunked digests.
        arc.stream(session.file_consumers)

        ctx = ScanContext(path=path, archive=arc, facts=facts, signing=SigningResult(verified=None),
                          config=config, display_path=display_path, depth=depth)
        ctx.cache["scan_nested"] = _nested_scanner(config, display_path, depth)
        analyzers = default_analyzers()
        findings: list[Finding] = []
        entry_consumers = list(session.entry_consumers)
        for analyzer in analyzers:
            make = getattr(analyzer, "entry_consumer", None)
            if make is None:
                continue
            try:
                consumer = make(ctx)
            except Exception as exc:  # one analyzer's bug must not cost the others
                findings.append(_analyzer_failed(analyzer, "entry_consumer", exc))
                continue
            if consumer is not None:
                entry_consumers.append(consumer)
        # One pass over the entries: each is inflated once and shared by v1 digests, YARA,
        # DEX strings and payload sniffing.
        # In-process time bound (the batch workers also kill an APK at the full limit): stop
        # reading entries at 80% of it so the result still says what was seen.
        arc.for_each_entry(entry_consumers, deadline=started + 0.8 * config.limits.time_limit_s)
        ctx.signing = session.finish()
        if arc.skipped_for_time:
            from apkscan.analyzers.catalog_finding import catalog_finding

            findings.append(catalog_finding("SCAN_TIME_LIMIT", "apkscan", {
                "time_limit_s": config.limits.time_limit_s, "entries_not_read": arc.skipped_for_time}))
        for consumer, what in arc.consumer_errors:
            findings.append(_analyzer_failed(consumer, what, None))

        for analyzer in analyzers:
            try:
                findings.extend(analyzer.analyze(ctx))
            except Exception as exc:
                findings.append(_analyzer_failed(analyzer, "analyze", exc))
        identity = _identity(ctx, findings)
        findings = _dedupe(findings)
        risk, verdict = score(findings, identity, ctx.signing, facts)
        return ScanResult(
            input=_input_info(display_path, arc),
            status="ok",
            app=facts,
            signing=ctx.signing,
            identity=identity,
            findings=tuple(findings),
            risk=risk,
            verdict=verdict,
            elapsed_ms=int((time.monotonic() - started) * 1000),
        )


def _analyzer_failed(who, stage: str, exc: Exception | None) -> Finding:
    from apkscan.analyzers.catalog_finding import catalog_finding

    name = getattr(who, "name", None) or type(who).__name__
    detail = stage if exc is None else f"{stage}: {type(exc).__name__}: {exc}"
    return catalog_finding("SCAN_ANALYZER_FAILED", "apkscan", {"analyzer": name, "error": detail[:500]},
                           detail=name)


def _identity(ctx: ScanContext, findings: list[Finding]) -> Identity:
    from apkscan.analyzers import identity as identity_analyzer

    ident, extra = identity_analyzer.resolve(ctx)
    findings.extend(extra)
    return ident


def _input_info(path: str, arc) -> InputInfo:
    h = arc.hashes
    return InputInfo(path=path, size=arc.size, md5=h.get("md5"), sha1=h.get("sha1"), sha256=h.get("sha256"))


def _dedupe(findings: list[Finding]) -> list[Finding]:
    """Same id, path and evidence reported twice (e.g. by two rules) counts once; most severe first."""
    seen = set()
    out = []
    for f in findings:
        key = (f.id, f.path, repr(sorted(f.evidence.items(), key=lambda kv: kv[0])))
        if key in seen:
            continue
        seen.add(key)
        out.append(f)
    out.sort(key=lambda f: (-f.rank, f.id, f.path))
    return out


def _nested_scanner(config: ScanConfig, outer_display: str, depth: int):
    """Analyse an APK found inside another one (a dropper's payload). The bytes go to a private
    temporary directory (0700) under a fixed name: entry names never become file paths."""

    def scan_nested(data: bytes, inner_path: str) -> ScanResult | None:
        if depth + 1 > config.max_depth:
            return None
        with tempfile.TemporaryDirectory(prefix="apkscan-") as tmp:
            os.chmod(tmp, 0o700)
            target = os.path.join(tmp, "nested.apk")
            with open(target, "wb") as f:
                f.write(data)
            return scan_file(target, config, display_path=f"{outer_display}!{inner_path}", depth=depth + 1)

    return scan_nested


# Findings that describe content, which a split APK can carry as well as the base (native
# libraries often live in split_config.<abi>.apk); app-level analyzers only read the base.
_SPLIT_SOURCES = {"archive", "manifest_integrity", "yara", "indicators", "payloads", "signing", "apkscan"}


def scan_app(base: str, splits: tuple[str, ...] = (), config: ScanConfig | None = None, *,
             display_path: str | None = None, split_names: tuple[str, ...] = ()) -> ScanResult:
    """Analyse an installed app as Android holds it: base.apk plus its split APKs."""
    config = config or ScanConfig()
    display = display_path or base
    result = scan_file(base, config, display_path=display)
    if not splits or result.status != "ok":
        return result
    names = split_names or tuple(os.path.basename(s) for s in splits)
    findings = list(result.findings)
    infos = []
    base_certs = {s.cert_sha256 for s in result.signing.signers} if result.signing else set()
    for split, name in zip(splits, names):
        sub = scan_file(split, config, display_path=f"{display}!{name}" if display != base else split)
        infos.append(sub.input)
        if sub.status != "ok":
            findings.append(_split_finding("SPLIT_UNREADABLE", "high", f"Split APK {name} could not be analysed",
                                           {"split": name, "error": sub.error.to_dict() if sub.error else None}))
            continue
        other_app = sub.app is not None and sub.app.package != (result.app.package if result.app else None)
        if other_app:
            # A whole other app hiding as a split: Android installs only splits of the base's
            # package, so this file is not part of the app; report all it says.
            findings.append(_split_finding(
                "SPLIT_PACKAGE_MISMATCH", "high", f"{name} is another app ({sub.app.package}), not a split",
                {"split": name, "split_package": sub.app.package, "split_label": sub.app.label,
                 "split_verdict": sub.verdict, "base_package": result.app.package if result.app else None}))
        for f in sub.findings:
            if other_app or f.source in _SPLIT_SOURCES:
                findings.append(replace(f, path=f"{name}!{f.path}" if f.path else name))
        sub_certs = {s.cert_sha256 for s in sub.signing.signers} if sub.signing else set()
        if base_certs and sub_certs != base_certs:
            findings.append(_split_finding(
                "SPLIT_SIGNER_MISMATCH", "critical", f"Split APK {name} is not signed by the base APK's signer",
                {"split": name, "base_signers": sorted(base_certs), "split_signers": sorted(sub_certs)}))
    findings = _dedupe(findings)
    risk, verdict = score(findings, result.identity, result.signing, result.app)
    return replace(result, findings=tuple(findings), risk=risk, verdict=verdict, splits=tuple(infos))


def _split_finding(fid: str, severity: str, title: str, evidence: dict) -> Finding:
    from apkscan.analyzers.catalog_finding import catalog_finding

    return catalog_finding(fid, "inputs", evidence, severity=severity, fallback_title=title)


def scan_candidate(cand, config: ScanConfig | None = None) -> ScanResult:
    """Analyse one discovered input (APK, adb-pull folder, bundle, or APK inside an evidence ZIP)."""
    from apkscan.inputs.materialize import InputError, local_app

    config = config or ScanConfig()
    started = time.monotonic()
    try:
        with local_app(cand, config.limits.max_entry_size) as app:
            return scan_app(app.base, app.splits, config, display_path=app.display_path,
                            split_names=app.split_names)
    except InputError as exc:
        return _error(InputInfo(cand.display_path, 0), exc.code, exc.message, started)
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as exc:
        return _error(InputInfo(cand.display_path, 0), "INTERNAL", f"internal error: {type(exc).__name__}: {exc}", started)
