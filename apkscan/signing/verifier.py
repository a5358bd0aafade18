"""The verification facade: which schemes must verify for the SDK range [minSdk, maxSdk], in
which order, and how their signers must agree (apksig ApkVerifier.verify).

    session = prepare_verification(archive)           # reads the tail, the signing block, the manifest
    archive.stream(session.file_consumers)            # one pass: file hashes + content digests
    archive.for_each_entry(session.entry_consumers)   # one pass over entries: JAR (v1) verification
    result = session.finish()                         # -> model.SigningResult

Rules (Android / apksig):
* Android 7+ (SDK 24) verifies the APK Signing Block; 9+ (28) prefers v3, 13+ (33) v3.1. A scheme
  block that is present must verify; JAR signing (v1) only matters below SDK 24 or when no block
  of a supported scheme exists.
* Stripping protection: v1 .SF X-Android-APK-Signed and the v2 attribute name the newer schemes;
  a v3 signer names the v3.1 rotation SDK.
* All schemes must name the same signer (v3 may have rotated, proven by its lineage).
* targetSdk >= 30 requires v2 or newer; targetSandboxVersion > 1 requires v2 or newer.
* `signers` only lists certificates whose signature verified over this APK's content;
  `extracted_certificates` lists everything seen.
* `blocks_present` and `extracted_certificates` are collected before anything can stop
  verification (apkscan.signing.carried), so a result that stopped early still names the
  signature it could not check. Where apksig throws because minSdkVersion cannot be read
  (MinSdkVersionException) the verdict is None ("not checked", issue MIN_SDK_VERSION_UNKNOWN);
  a missing manifest or an unopenable ZIP stays False, as apksig's own tests assert.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from apkscan.model import Signer, SigningIssue, SigningResult
from apkscan.signing import block as block_mod
from apkscan.signing import rules
from apkscan.signing import v2 as v2_mod
from apkscan.signing import v3 as v3_mod
from apkscan.signing.carried import carried_certificates, has_jar_signature, unopened_file_signatures
from apkscan.signing.certs import signer_from_der
from apkscan.signing.digests import ContentDigester
from apkscan.signing.issues import make
from apkscan.signing.outcome import Outcome, verified_algorithms, verified_signers

from apkscan.signing.scheme_block import SchemeResult, check_integrity

SDK_N, SDK_O, SDK_P, SDK_T = 24, 26, 28, 33
INT_MAX = 0x7FFFFFFF
MANIFEST = "AndroidManifest.xml"
MAX_EOCD = 65535 + 22 + 1024  # EOCD record + longest comment (+ slack for odd tails)
BLOCK_NAMES = {block_mod.V2_BLOCK_ID: "v2", block_mod.V3_BLOCK_ID: "v3", block_mod.V31_BLOCK_ID: "v3.1",
               block_mod.STAMP_V2_BLOCK_ID: "stamp"}
LIMIT_CODES = frozenset({"IO_ERROR", "INTERNAL", "LIMIT_EXCEEDED"})  # ArchiveError codes that are apkscan's


@dataclass
class _Stage:
    """One scheme in apksig's order: its parse result and how to finish it."""

    name: str  # v3.1 | v3 | v2
    result: SchemeResult
    min_sdk: int
    max_sdk: int
    rotation_min_sdk: int | None = None


@dataclass
class VerificationSession:
    """Built by prepare_verification; feed the archive passes, then call finish()."""

    archive: object
    file_consumers: list = field(default_factory=list)
    entry_consumers: list = field(default_factory=list)
    _state: _State | None = None
    _result: SigningResult | None = None

    def finish(self) -> SigningResult:
        if self._result is None:
            try:
                self._result = _finish(self._state)
            except Exception as exc:  # noqa: BLE001 - a bug must not escape as a crash of the scan
                present = _present(self._state) if self._state is not None else ()
                self._result = SigningResult(verified=None, blocks_present=present,
                                             issues=(make("UNEXPECTED_EXCEPTION", f"{type(exc).__name__}: {exc}"),))
        return self._result


@dataclass
class _State:
    archive: object
    min_sdk: int = 1
    max_sdk: int = INT_MAX
    fatal: list[SigningIssue] = field(default_factory=list)
    fatal_verified: bool | None = False
    target_sdk: int | None = None
    target_sandbox: int = 1
    manifest_error: SigningIssue | None = None
    # the verdict when manifest_error stops verification: a missing or corrupt manifest fails as
    # in apksig (ApkFormatException: Android cannot install it either); a limit means "not checked"
    manifest_verdict: bool | None = False
    signing_block: block_mod.SigningBlock | None = None
    stages: list[_Stage] = field(default_factory=list)
    found: set[int] = field(default_factory=set)
    digester: ContentDigester | None = None
    v1: object | None = None
    v1_needed: bool = False
    v1_present_by_name: bool = False
    v4: object | None = None
    stamp: object | None = None
    blocks_present: list[str] = field(default_factory=list)
    warnings: list[SigningIssue] = field(default_factory=list)  # found before the schemes ran


def prepare_verification(archive, min_sdk: int | None = None, max_sdk: int | None = None,
                         idsig_path: str | None = None) -> VerificationSession:
    """Read what verification needs before the passes (EOCD, signing block, manifest), verify the
    signatures over each signer's signed data, and return the consumers for the passes."""
    state = _State(archive=archive)
    session = VerificationSession(archive=archive, _state=state)
    try:
        _prepare(state, session, min_sdk, max_sdk, idsig_path)
    except Exception as exc:  # noqa: BLE001
        state.fatal.append(make("UNEXPECTED_EXCEPTION", f"{type(exc).__name__}: {exc}"))
        state.fatal_verified = None
        session.file_consumers.clear()
        session.entry_consumers.clear()
    return session


def verify_apk(path, min_sdk: int | None = None, max_sdk: int | None = None,
               idsig_path: str | None = None) -> SigningResult:
    """Open the APK, run both passes, return the verdict. Never raises on a bad file."""
    from apkscan.archive import ArchiveError, open_archive

    try:
        archive = open_archive(path)
    except ArchiveError as err:
        verified = None if err.code in LIMIT_CODES else False
        # the verdict stands (Android cannot install it), but a signing block is still named
        ids, carried = unopened_file_signatures(path)
        present = tuple(dict.fromkeys(BLOCK_NAMES[i] for i in ids if i in BLOCK_NAMES))
        return SigningResult(verified=verified, issues=(make("MALFORMED_APK", err.message),),
                             blocks_present=present, extracted_certificates=carried)
    try:
        session = prepare_verification(archive, min_sdk=min_sdk, max_sdk=max_sdk, idsig_path=idsig_path)
        if session.file_consumers:
            archive.stream(session.file_consumers)
        if session.entry_consumers:
            archive.for_each_entry(session.entry_consumers)
        return session.finish()
    except ArchiveError as err:
        return SigningResult(verified=None, issues=(make("VERIFICATION_INCOMPLETE", err.message),))
    finally:
        archive.close()


# --- before the passes --------------------------------------------------------------------------

def _prepare(state: _State, session: VerificationSession, min_sdk, max_sdk, idsig_path) -> None:
    archive = state.archive
    # What the APK carries is read before anything can stop verification: a result that could not
    # verify must still name its signing block and JAR signature (it is never "unsigned").
    state.v1_present_by_name = has_jar_signature(archive)
    _locate_block(state)
    if state.fatal:
        return
    state.max_sdk = INT_MAX if max_sdk is None else int(max_sdk)
    if min_sdk is not None and (int(min_sdk) < 0 or int(min_sdk) > state.max_sdk):
        # the caller's mistake, not the APK's (apksig: IllegalArgumentException): nothing was checked
        problem = (f"minSdkVersion must not be negative: {min_sdk}" if int(min_sdk) < 0
                   else f"minSdkVersion ({min_sdk}) > maxSdkVersion ({max_sdk})")
        state.fatal.append(make("INVALID_SDK_RANGE", problem))
        state.fatal_verified = None
        return
    levels = _read_manifest(state)
    if min_sdk is not None:
        state.min_sdk = int(min_sdk)
    else:
        if state.manifest_error is not None:
            state.fatal.append(state.manifest_error)
            state.fatal_verified = state.manifest_verdict
            return
        if levels.min_sdk is None:
            # apksig throws MinSdkVersionException here (apksigner: "Failed to determine APK's minimum
            # supported platform version"): the SDK range is unknown, so nothing can be concluded --
            # Android itself does not need this reading to install the APK.
            state.fatal.append(make("MIN_SDK_VERSION_UNKNOWN", levels.min_error))
            state.fatal_verified = None
            return
        state.min_sdk = levels.min_sdk
        if state.min_sdk > state.max_sdk:
            # apksig: IllegalArgumentException -- the requested platforms cannot install this APK
            state.fatal.append(make("INVALID_SDK_RANGE", f"minSdkVersion from APK ({state.min_sdk}) > maxSdkVersion ({state.max_sdk})"))
            state.fatal_verified = None
            return
    if state.max_sdk >= SDK_O and state.manifest_error is not None:
        # apksig reads targetSandboxVersion for SDK 26+, so a missing manifest fails there too
        state.fatal.append(state.manifest_error)
        state.fatal_verified = state.manifest_verdict
        return
    _parse_schemes(state)
    if idsig_path is not None:
        _prepare_v4(state, session, idsig_path)
    _prepare_stamp(state)

    needed: set[str] = set()
    for stage in state.stages:
        if not stage.result.contains_errors():
            needed |= stage.result.digests_needed
    if state.stamp is not None:
        needed |= state.stamp.digests_needed()
    if needed and state.signing_block is not None:
        eocd = archive.read_at(archive.eocd_offset, min(archive.size - archive.eocd_offset, MAX_EOCD))
        state.digester = ContentDigester(needed, state.signing_block.offset, archive.cd_offset,
                                         archive.eocd_offset, eocd)
        session.file_consumers.append(state.digester)

    state.v1_needed = state.min_sdk < SDK_N or not state.found
    if state.v1_needed:
        try:
            from apkscan.signing.v1 import V1Verifier
        except ImportError as exc:
            state.fatal.append(make("UNEXPECTED_EXCEPTION", f"JAR signature verifier unavailable: {exc}"))
            state.fatal_verified = None
            session.file_consumers.clear()
            return
        # the blocks found above drive v1's per-signer anti-stripping check (X-Android-APK-Signed)
        state.v1 = V1Verifier(archive, state.min_sdk, state.max_sdk, found_apk_sig_scheme_ids=state.found)
        session.entry_consumers.append(state.v1)


def _read_manifest(state: _State):
    from apkscan.archive import ArchiveError
    from apkscan.signing.sdk_levels import read_sdk_levels

    archive = state.archive
    entry = archive.entry(MANIFEST)
    if entry is None:
        state.manifest_error = make("MALFORMED_APK", "Missing AndroidManifest.xml")
        return read_sdk_levels(b"")
    try:
        data = archive.read(entry)
    except ArchiveError as err:
        state.manifest_error = make("MALFORMED_APK", f"Failed to read AndroidManifest.xml: {err.message}")
        if err.code in LIMIT_CODES:
            state.manifest_verdict = None  # apkscan's bound, not the APK's fault: not checked
        return read_sdk_levels(b"")
    levels = read_sdk_levels(data)
    state.target_sdk = levels.target_sdk
    state.target_sandbox = levels.target_sandbox
    return levels


def _locate_block(state: _State) -> None:
    archive = state.archive
    ids: tuple[int, ...] = ()
    try:
        state.signing_block = block_mod.locate(archive.read_at, archive.cd_offset, archive.cd_size,
                                               archive.eocd_offset)
        ids = state.signing_block.ids()
    except block_mod.SignatureNotFound as exc:
        state.signing_block = None
        # Android ignores a badly framed block (as apksig: "no signature"); it is still evidence
        # that the APK was signed, so it is named (and warned about), never verified.
        damaged = block_mod.damaged_block_ids(archive.read_at, archive.cd_offset)
        if damaged is not None:
            state.warnings.append(make("APK_SIG_BLOCK_MALFORMED", exc))
            ids = damaged
    except block_mod.BlockTooLarge as exc:
        state.fatal.append(make("APK_SIG_BLOCK_TOO_LARGE", exc))
        state.fatal_verified = None
        return
    for ident in ids:
        name = BLOCK_NAMES.get(ident)
        if name and name not in state.blocks_present:
            state.blocks_present.append(name)


def _block_value(state: _State, block_id: int) -> bytes | None:
    if state.signing_block is None:
        return None
    try:
        return state.signing_block.find(block_id)
    except block_mod.SignatureNotFound:
        return None


def _parse_schemes(state: _State) -> None:
    """apksig order: v3.1 (SDK 33+), v3 (28+), v2 (24+, unless v3 covers every SDK checked)."""
    lo, hi = state.min_sdk, state.max_sdk
    if hi < SDK_N:
        return
    rotation_min = None
    if hi >= SDK_T:
        value = _block_value(state, block_mod.V31_BLOCK_ID)
        if value is not None:
            # v3.1 may target any SDK from 33 on, v3 covers the rest: only the top SDK is required
            # of it (apksig V3SchemeVerifier.Builder: mMinSdkVersion = mMaxSdkVersion for v3.1)
            result = v3_mod.parse(value, "v3.1", max(lo, SDK_T), hi)
            state.found.add(31)
            state.stages.append(_Stage("v3.1", result, hi, hi))
            mins = [s.min_sdk for s in result.signers]
            rotation_min = min(mins) if mins and min(mins) > 0 else None
    if hi >= SDK_P:
        value = _block_value(state, block_mod.V3_BLOCK_ID)
        if value is not None:
            result = v3_mod.parse(value, "v3", max(lo, SDK_P), hi, rotation_min)
            state.found.add(3)
            state.stages.append(_Stage("v3", result, max(lo, SDK_P), hi, rotation_min))
        elif 31 in state.found:
            orphan = SchemeResult("v3")
            orphan.error("V31_BLOCK_FOUND_WITHOUT_V3_BLOCK")
            state.stages.append(_Stage("v3", orphan, max(lo, SDK_P), hi))
    if lo < SDK_P or not state.found:
        value = _block_value(state, block_mod.V2_BLOCK_ID)
        if value is not None:
            result = v2_mod.parse(value, max(lo, SDK_N), hi, v2_mod.supported_scheme_names(hi), set(state.found))
            state.found.add(2)
            state.stages.append(_Stage("v2", result, max(lo, SDK_N), hi))


def _prepare_v4(state: _State, session: VerificationSession, idsig_path) -> None:
    from apkscan.signing import v4 as v4_mod

    state.v4 = v4_mod.V4Check(idsig_path)
    state.blocks_present.append("v4")
    session.file_consumers.append(state.v4.consumer)


def _prepare_stamp(state: _State) -> None:
    from apkscan.signing import stamp as stamp_mod

    value = _block_value(state, block_mod.STAMP_V2_BLOCK_ID)
    entry = state.archive.entry(stamp_mod.STAMP_ENTRY)
    if value is None and entry is None:
        return
    state.stamp = stamp_mod.StampCheck(state.archive, entry, value, state.min_sdk, state.max_sdk)


# --- after the passes ---------------------------------------------------------------------------

def _finish(state: _State) -> SigningResult:
    if state.fatal:
        return _stopped_result(state)
    out = Outcome()
    digests = state.digester.results if state.digester is not None else {}
    stopped = False
    for stage in state.stages:
        result = stage.result
        if not result.contains_errors() and result.signers:
            if state.digester is None or not state.digester.finished:
                result.error("VERIFICATION_INCOMPLETE", "the APK content was not streamed")
            else:
                check_integrity(result, digests, state.signing_block.offset, state.archive.cd_offset)
            if result.scheme != "v2" and not result.contains_errors():
                v3_mod.check_sdk_coverage(result, stage.min_sdk, stage.max_sdk, stage.rotation_min_sdk)
            if not result.contains_errors():
                result.verified = True
                out.verified_schemes[result.scheme] = result
        out.errors += result.all_errors()
        out.warnings += result.all_warnings()
        if out.errors:
            stopped = True  # apksig returns at the first scheme that fails
            break
    if not stopped and state.v4 is not None:
        state.v4.finish(out, state.archive.size)
        stopped = bool(out.errors)
    if not stopped:
        _finish_rest(state, out)
    return _build_result(state, out)


def _finish_rest(state: _State, out: Outcome) -> None:
    if state.max_sdk >= SDK_O and state.target_sandbox > 1 and not state.found:
        out.errors.append(make("NO_SIG_FOR_TARGET_SANDBOX_VERSION", state.target_sandbox))
    if state.v1 is not None:
        v1 = state.v1.finish()
        out.v1_result = v1
        out.errors += list(v1.issues)
        out.warnings += list(v1.warnings)
    if out.errors:
        return
    if state.stamp is not None:
        out.warnings += state.stamp.finish(out)
    rules.check_signers_agree(out)
    if state.v4 is not None:
        state.v4.cross_check(out)
    if out.errors:
        return
    rules.check_target_sdk(state.target_sdk, state.max_sdk, out)


# apkscan's own bounds: hitting them means "could not check", not "does not verify"
LIMIT_ISSUES = frozenset({"VERIFICATION_INCOMPLETE", "APK_SIG_BLOCK_TOO_LARGE"})


def _build_result(state: _State, out: Outcome) -> SigningResult:
    verified: bool | None = not out.errors
    if out.errors and all(e.name in LIMIT_ISSUES for e in out.errors):
        verified = None
    schemes: list[str] = []
    v1 = out.v1_result
    if v1 is not None and v1.verified:
        schemes.append("v1")
    for name in ("v2", "v3", "v3.1"):
        if name in out.verified_schemes:
            schemes.append(name)
    if state.v4 is not None and state.v4.verified:
        schemes.append("v4")
    signers = verified_signers(out)
    lineage = ()
    source = out.verified_schemes.get("v3.1") or out.verified_schemes.get("v3")
    if source is not None and source.lineage is not None:
        lineage = source.lineage.report()
    return SigningResult(
        verified=verified,
        schemes=tuple(schemes),
        signers=signers,
        issues=tuple(out.errors),
        warnings=tuple(state.warnings) + tuple(out.warnings),
        lineage=lineage,
        blocks_present=_present(state, v1),
        extracted_certificates=_extracted(state, out),
        algorithms=verified_algorithms(out) if verified else (),
    )


def _present(state: _State, v1_result=None) -> tuple[str, ...]:
    """Schemes found in the APK, verified or not, in a fixed order."""
    v1_present = getattr(v1_result, "present", None) if v1_result is not None else state.v1_present_by_name
    found = set(state.blocks_present) | ({"v1"} if v1_present else set())
    return tuple(name for name in ("v1", "v2", "v3", "v3.1", "v4", "stamp") if name in found)


def _stopped_result(state: _State) -> SigningResult:
    """Verification stopped before the schemes ran: the verdict of the stop (fatal_verified), and
    what the APK carries, read without verifying (never proof, but never "unsigned" either)."""
    try:
        carried = carried_certificates(state.archive, state.signing_block)
    except Exception:  # noqa: BLE001 - the stop's reason matters more than the certificates
        carried = ()
    return SigningResult(verified=state.fatal_verified, issues=tuple(state.fatal), warnings=tuple(state.warnings),
                         blocks_present=_present(state), extracted_certificates=carried)


def _extracted(state: _State, out: Outcome) -> tuple[Signer, ...]:
    seen: dict[str, Signer] = {}

    def add_der(der: bytes) -> None:
        key = hashlib.sha256(der).hexdigest()
        if key not in seen:
            seen[key] = signer_from_der(der)

    for stage in state.stages:
        for der in stage.result.certificates_seen():
            add_der(der)
    v1 = out.v1_result
    if v1 is not None:
        for signer in tuple(getattr(v1, "signers", ())) + tuple(getattr(v1, "extracted_certificates", ())):
            seen.setdefault(signer.cert_sha256, signer)
    for extra in (state.v4, state.stamp):
        if extra is not None:
            for der in extra.certificates_seen():
                add_der(der)
    return tuple(seen.values())
