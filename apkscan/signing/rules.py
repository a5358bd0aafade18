"""apksig's rules across schemes, applied after each scheme verified on its own
(apksig ApkVerifier.verify): one signer identity across v1/v2/v3 (v3 may have rotated, with
proof), and the minimum scheme that a target SDK demands. The JAR anti-stripping check
(X-Android-APK-Signed) is per signer, in apkscan.signing.v1, fed with the blocks the facade found."""
from __future__ import annotations

from apkscan.signing.issues import make

SDK_R = 30


def check_signers_agree(out) -> None:
    """v1 and v2 must have the same signers; v3's signer must be v1/v2's or descend from it
    through the lineage (apksig ApkVerifier.verify)."""
    v1 = out.v1_result
    v1_ok = v1 is not None and v1.verified
    v2 = out.verified_schemes.get("v2")
    v3 = out.verified_schemes.get("v3")
    v1_certs = [s.cert_der for s in v1.signers] if v1_ok else []
    if v1_ok and v2 is not None:
        v2_certs = [s.cert for s in v2.signers]
        if any(c not in v2_certs for c in v1_certs):
            out.errors.append(make("V2_SIG_MISSING", scheme="v1"))
        if any(c not in v1_certs for c in v2_certs):
            out.errors.append(make("JAR_SIG_MISSING", scheme="v2"))
    if v3 is not None and (v1_ok or v2 is not None):
        if v1_ok:
            if len(v1_certs) != 1:
                out.errors.append(make("V3_SIG_MULTIPLE_PAST_SIGNERS", scheme="v3"))
            old = v1_certs[0] if v1_certs else None
        else:
            if len(v2.signers) != 1:
                out.errors.append(make("V3_SIG_MULTIPLE_PAST_SIGNERS", scheme="v3"))
            old = v2.signers[0].cert
        v31 = out.verified_schemes.get("v3.1")
        lineage = v31.lineage if v31 is not None and v31.lineage is not None else v3.lineage
        if lineage is None:
            if len(v3.signers) != 1:
                out.errors.append(make("V3_SIG_MULTIPLE_SIGNERS", scheme="v3"))
            if old != v3.signers[0].cert:
                out.errors.append(make("V3_SIG_PAST_SIGNERS_MISMATCH", scheme="v3"))
        else:
            try:
                if len(lineage.sub_lineage(old)) != 1:
                    out.errors.append(make("V3_SIG_PAST_SIGNERS_MISMATCH", scheme="v3"))
            except KeyError:
                out.errors.append(make("V3_SIG_PAST_SIGNERS_MISMATCH", scheme="v3"))


def check_target_sdk(target_sdk: int | None, max_sdk: int, out) -> None:
    """Android 11 (targetSdk 30) requires APK Signature Scheme v2 or newer."""
    target = target_sdk
    if target is None or target < SDK_R or max_sdk < target:
        return
    if any(s in out.verified_schemes for s in ("v2", "v3", "v3.1")):
        return
    out.errors.append(make("MIN_SIG_SCHEME_FOR_TARGET_SDK_NOT_MET", target, 2))
