"""APK signature verification (v1 JAR, v2, v3, v3.1, v4, source stamp) as Android and apksig do
it, and the signer the APK factory uses. See verifier.py for the rules.

    from apkscan.signing import verify_apk, prepare_verification, sign_apk
"""
from apkscan.signing.verifier import VerificationSession, prepare_verification, verify_apk


def sign_apk(unsigned_zip, keys, schemes=("v1", "v2", "v3"), lineage=None, v3_rotation_min_sdk=None,
             min_sdk=None):
    """See apkscan.signing.sign.sign_apk (imported lazily: verification does not need the signer)."""
    from apkscan.signing.sign import sign_apk as _sign_apk

    return _sign_apk(unsigned_zip, keys, schemes=schemes, lineage=lineage,
                     v3_rotation_min_sdk=v3_rotation_min_sdk, min_sdk=min_sdk)


__all__ = ["VerificationSession", "prepare_verification", "verify_apk", "sign_apk"]
