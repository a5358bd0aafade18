"""The one taxonomy of signature problems: apksig's ApkVerifier.Issue names (the library behind
apksigner), so that a verdict can be compared with Android's tooling name for name.

Messages are apkscan's wording of the same facts; `{0}`, `{1}`... are the issue's parameters in
apksig's order. Names marked "apkscan" are not apksig issues (limits of this tool).
"""
from __future__ import annotations

import functools
import re

from apkscan.model import SigningIssue

ISSUES: dict[str, str] = {
    # JAR signing (v1); produced by apkscan.signing.v1
    "JAR_SIG_NO_SIGNATURES": "No JAR signatures",
    "JAR_SIG_MAX_SIGNATURES_EXCEEDED": "APK Signature Scheme v1 only supports a maximum of {0} signers, found {1}",
    "JAR_SIG_NO_SIGNED_ZIP_ENTRIES": "No JAR entries covered by JAR signatures",
    "JAR_SIG_DUPLICATE_ZIP_ENTRY": "Duplicate entry: {0}",
    "JAR_SIG_DUPLICATE_MANIFEST_SECTION": "Duplicate section in META-INF/MANIFEST.MF: {0}",
    "JAR_SIG_UNNNAMED_MANIFEST_SECTION": "Malformed META-INF/MANIFEST.MF: individual section #{0} does not have a name",
    "JAR_SIG_UNNNAMED_SIG_FILE_SECTION": "Malformed {0}: individual section #{1} does not have a name",
    "JAR_SIG_NO_MANIFEST": "Missing META-INF/MANIFEST.MF",
    "JAR_SIG_MISSING_ZIP_ENTRY_REFERENCED_IN_MANIFEST": "{0} entry referenced by META-INF/MANIFEST.MF not found in the APK",
    "JAR_SIG_NO_ZIP_ENTRY_DIGEST_IN_MANIFEST": "No digest for {0} in META-INF/MANIFEST.MF",
    "JAR_SIG_NO_ZIP_ENTRY_DIGEST_IN_SIG_FILE": "No digest for {0} in {1}",
    "JAR_SIG_ZIP_ENTRY_NOT_SIGNED": "{0} entry not signed",
    "JAR_SIG_ZIP_ENTRY_SIGNERS_MISMATCH": "Entries {0} and {2} are signed with different sets of signers: <{1}> vs <{3}>",
    "JAR_SIG_ZIP_ENTRY_DIGEST_DID_NOT_VERIFY": "{1} digest of {0} does not match the digest specified in {2}. Expected: <{4}>, actual: <{3}>",
    "JAR_SIG_MANIFEST_MAIN_SECTION_DIGEST_DID_NOT_VERIFY": "{0} digest of META-INF/MANIFEST.MF main section does not match the digest specified in {1}. Expected: <{3}>, actual: <{2}>",
    "JAR_SIG_MANIFEST_SECTION_DIGEST_DID_NOT_VERIFY": "{1} digest of META-INF/MANIFEST.MF section for {0} does not match the digest specified in {2}. Expected: <{4}>, actual: <{3}>",
    "JAR_SIG_NO_MANIFEST_DIGEST_IN_SIG_FILE": "{0} does not specify digest of META-INF/MANIFEST.MF. This slows down verification.",
    "JAR_SIG_NO_APK_SIG_STRIP_PROTECTION": "APK is signed using APK Signature Scheme v2 but these signatures may be stripped without being detected because {0} does not contain anti-stripping protections.",
    "JAR_SIG_MISSING_FILE": "Partial JAR signature. Found: {0}, missing: {1}",
    "JAR_SIG_VERIFY_EXCEPTION": "Failed to verify JAR signature {0} against {1}: {2}",
    "JAR_SIG_UNSUPPORTED_SIG_ALG": "JAR signature {0} uses digest algorithm {4} and signature algorithm {5} which is not supported on API Level(s) {3} for which this APK is being verified",
    "JAR_SIG_PARSE_EXCEPTION": "Failed to parse JAR signature {0}: {1}",
    "JAR_SIG_MALFORMED_CERTIFICATE": "Malformed certificate in JAR signature {0}: {1}",
    "JAR_SIG_DID_NOT_VERIFY": "JAR signature {0} did not verify against {1}",
    "JAR_SIG_NO_SIGNERS": "JAR signature {0} contains no signers",
    "JAR_SIG_DUPLICATE_SIG_FILE_SECTION": "Duplicate section in {0}: {1}",
    "JAR_SIG_MISSING_VERSION_ATTR_IN_SIG_FILE": "Malformed {0}: missing Signature-Version attribute",
    "JAR_SIG_UNKNOWN_APK_SIG_SCHEME_ID": "JAR signature {0} references unknown APK signature scheme ID: {1}",
    "JAR_SIG_MISSING_APK_SIG_REFERENCED": "JAR signature {0} indicates the APK is signed using {2} but no such signature was found. Signature stripped?",
    "JAR_SIG_UNPROTECTED_ZIP_ENTRY": "{0} not protected by signature. Unauthorized modifications to this JAR entry will not be detected.",
    "JAR_SIG_MISSING": "No JAR signature from this signer",
    # whole-APK rules
    "NO_SIG_FOR_TARGET_SANDBOX_VERSION": "Missing APK Signature Scheme v2 signature required for target sandbox version {0}",
    "MIN_SIG_SCHEME_FOR_TARGET_SDK_NOT_MET": "Target SDK version {0} requires a minimum of signature scheme v{1}; the APK is not signed with this or a later signature scheme",
    # APK Signature Scheme v2
    "V2_SIG_MISSING": "No APK Signature Scheme v2 signature from this signer",
    "V2_SIG_MALFORMED_SIGNERS": "Malformed list of signers",
    "V2_SIG_MALFORMED_SIGNER": "Malformed signer block",
    "V2_SIG_MALFORMED_PUBLIC_KEY": "Malformed public key: {0}",
    "V2_SIG_MALFORMED_CERTIFICATE": "Malformed certificate #{1}: {2}",
    "V2_SIG_MALFORMED_SIGNATURE": "Malformed APK Signature Scheme v2 signature record #{0}",
    "V2_SIG_MALFORMED_DIGEST": "Malformed APK Signature Scheme v2 digest record #{0}",
    "V2_SIG_MALFORMED_ADDITIONAL_ATTRIBUTE": "Malformed additional attribute #{0}",
    "V2_SIG_UNKNOWN_APK_SIG_SCHEME_ID": "APK Signature Scheme v2 signer: {0} references unknown APK signature scheme ID: {1}",
    "V2_SIG_MISSING_APK_SIG_REFERENCED": "APK Signature Scheme v2 signature {0} indicates the APK is signed using {1} but no such signature was found. Signature stripped?",
    "V2_SIG_MAX_SIGNATURES_EXCEEDED": "APK Signature Scheme V2 only supports a maximum of {0} signers, found {1}",
    "V2_SIG_NO_SIGNERS": "No signers in APK Signature Scheme v2 signature",
    "V2_SIG_UNKNOWN_SIG_ALGORITHM": "Unknown signature algorithm: {0:#x}",
    "V2_SIG_UNKNOWN_ADDITIONAL_ATTRIBUTE": "Unknown additional attribute: ID {0:#x}",
    "V2_SIG_VERIFY_EXCEPTION": "Failed to verify {0} signature: {1}",
    "V2_SIG_DID_NOT_VERIFY": "{0} signature over signed-data did not verify",
    "V2_SIG_NO_SIGNATURES": "No signatures",
    "V2_SIG_NO_SUPPORTED_SIGNATURES": "No supported signatures: {0}",
    "V2_SIG_NO_CERTIFICATES": "No certificates",
    "V2_SIG_PUBLIC_KEY_MISMATCH_BETWEEN_CERTIFICATE_AND_SIGNATURES_RECORD": "Public key mismatch between certificate and signature record: <{0}> vs <{1}>",
    "V2_SIG_SIG_ALG_MISMATCH_BETWEEN_SIGNATURES_AND_DIGESTS_RECORDS": "Signature algorithms mismatch between signatures and digests records: {0} vs {1}",
    "V2_SIG_APK_DIGEST_DID_NOT_VERIFY": "APK integrity check failed. {0} digest mismatch. Expected: <{1}>, actual: <{2}>",
    # APK Signature Scheme v3 and v3.1 (one verifier, two block ids)
    "V3_SIG_MALFORMED_SIGNERS": "Malformed list of signers",
    "V3_SIG_MALFORMED_SIGNER": "Malformed signer block",
    "V3_SIG_MALFORMED_PUBLIC_KEY": "Malformed public key: {0}",
    "V3_SIG_MALFORMED_CERTIFICATE": "Malformed certificate #{1}: {2}",
    "V3_SIG_MALFORMED_SIGNATURE": "Malformed APK Signature Scheme v3 signature record #{0}",
    "V3_SIG_MALFORMED_DIGEST": "Malformed APK Signature Scheme v3 digest record #{0}",
    "V3_SIG_MALFORMED_ADDITIONAL_ATTRIBUTE": "Malformed additional attribute #{0}",
    "V3_SIG_NO_SIGNERS": "No signers in APK Signature Scheme v3 signature",
    "V3_SIG_MULTIPLE_SIGNERS": "Multiple APK Signature Scheme v3 signatures found for a single platform version.",
    "V3_SIG_MULTIPLE_PAST_SIGNERS": "Multiple signatures found for pre-v3 signing with an APK Signature Scheme v3 signer. Only one allowed.",
    "V3_SIG_PAST_SIGNERS_MISMATCH": "v3 signer differs from v1/v2 signer without proper signing certificate lineage.",
    "V3_SIG_UNKNOWN_SIG_ALGORITHM": "Unknown signature algorithm: {0:#x}",
    "V3_SIG_UNKNOWN_ADDITIONAL_ATTRIBUTE": "Unknown additional attribute: ID {0:#x}",
    "V3_SIG_VERIFY_EXCEPTION": "Failed to verify {0} signature: {1}",
    "V3_SIG_INVALID_SDK_VERSIONS": "Invalid SDK Version parameter(s) encountered in APK Signature scheme v3 signature: minSdkVersion {0} maxSdkVersion: {1}",
    "V3_SIG_DID_NOT_VERIFY": "{0} signature over signed-data did not verify",
    "V3_SIG_NO_SIGNATURES": "No signatures",
    "V3_SIG_NO_SUPPORTED_SIGNATURES": "No supported signatures",
    "V3_SIG_NO_CERTIFICATES": "No certificates",
    "V3_MIN_SDK_VERSION_MISMATCH_BETWEEN_SIGNER_AND_SIGNED_DATA_RECORD": "minSdkVersion mismatch between signed data and signature record: <{0}> vs <{1}>",
    "V3_MAX_SDK_VERSION_MISMATCH_BETWEEN_SIGNER_AND_SIGNED_DATA_RECORD": "maxSdkVersion mismatch between signed data and signature record: <{0}> vs <{1}>",
    "V3_SIG_PUBLIC_KEY_MISMATCH_BETWEEN_CERTIFICATE_AND_SIGNATURES_RECORD": "Public key mismatch between certificate and signature record: <{0}> vs <{1}>",
    "V3_SIG_SIG_ALG_MISMATCH_BETWEEN_SIGNATURES_AND_DIGESTS_RECORDS": "Signature algorithms mismatch between signatures and digests records: {0} vs {1}",
    "V3_SIG_APK_DIGEST_DID_NOT_VERIFY": "APK integrity check failed. {0} digest mismatch. Expected: <{1}>, actual: <{2}>",
    "V3_SIG_POR_DID_NOT_VERIFY": "SigningCertificateLineage attribute contains a proof-of-rotation record with signature(s) that did not verify.",
    "V3_SIG_MALFORMED_LINEAGE": "Failed to parse the SigningCertificateLineage structure in the APK Signature Scheme v3 signature's additional attributes section.",
    "V3_SIG_POR_CERT_MISMATCH": "APK signing certificate differs from the associated certificate found in the signer's SigningCertificateLineage.",
    "V3_INCONSISTENT_SDK_VERSIONS": "APK Signature Scheme v3 signers supported min/max SDK versions are not continuous.",
    "V3_MISSING_SDK_VERSIONS": "APK Signature Scheme v3 signers supported min/max SDK versions do not cover the entire desired range. Found min: {0} max {1}",
    "V3_INCONSISTENT_LINEAGES": "SigningCertificateLineages targeting different platform versions using APK Signature Scheme v3 are not all a part of the same overall lineage.",
    "V31_BLOCK_MISSING": "The v3 signer indicates key rotation should be supported starting from SDK version {0}, but a v3.1 block was not found",
    "V31_ROTATION_MIN_SDK_MISMATCH": "The v3 signer indicates key rotation should be supported starting from SDK version {0}, but the v3.1 block targets {1} for rotation",
    "V31_ROTATION_MIN_SDK_ATTR_MISSING": "APK supports key rotation starting from SDK version {0}, but the v3 signer does not contain the attribute to detect if this signature is stripped",
    "V31_BLOCK_FOUND_WITHOUT_V3_BLOCK": "The APK contains a v3.1 signing block without a v3.0 base block",
    "V31_ROTATION_TARGETS_DEV_RELEASE_ATTR_ON_V3_SIGNER": "The rotation-targets-dev-release attribute is only supported on v3.1 signers; this attribute will be ignored by the platform in a v3.0 signer",
    "APK_SIG_BLOCK_UNKNOWN_ENTRY_ID": "APK Signing Block contains unknown entry: ID {0:#x}",
    # APK Signature Scheme v4 (.idsig)
    "V4_SIG_MALFORMED_SIGNERS": "V4 signature has malformed signer block",
    "V4_SIG_UNKNOWN_SIG_ALGORITHM": "V4 signature has unknown signing algorithm: {0:#x}",
    "V4_SIG_NO_SIGNATURES": "V4 signature has no signature found",
    "V4_SIG_NO_SUPPORTED_SIGNATURES": "V4 signature has no supported signature",
    "V4_SIG_DID_NOT_VERIFY": "{0} signature over signed-data did not verify",
    "V4_SIG_VERIFY_EXCEPTION": "Failed to verify {0} signature: {1}",
    "V4_SIG_MALFORMED_PUBLIC_KEY": "Malformed public key: {0}",
    "V4_SIG_MALFORMED_CERTIFICATE": "V4 signature has malformed certificate",
    "V4_SIG_NO_CERTIFICATE": "V4 signature has no certificate",
    "V4_SIG_PUBLIC_KEY_MISMATCH_BETWEEN_CERTIFICATE_AND_SIGNATURES_RECORD": "V4 signature has mismatched certificate and signature: <{0}> vs <{1}>",
    "V4_SIG_APK_ROOT_DID_NOT_VERIFY": "V4 signature's hash tree root (content digest) did not verify",
    "V4_SIG_APK_TREE_DID_NOT_VERIFY": "V4 signature's hash tree did not verify",
    "V4_SIG_MULTIPLE_SIGNERS": "V4 signature only supports one signer",
    "V41_SIG_NEEDS_TWO_SIGNERS": "V4.1 signature requires two signers",
    "V4_SIG_V2_V3_SIGNERS_MISMATCH": "V4 signature and V2/V3 signature have mismatched certificates",
    "V4_SIG_V2_V3_DIGESTS_MISMATCH": "V4 signature and V{0} signature have mismatched digests, V{0} digest: {1}, V4 digest: {2}",
    "V4_SIG_UNEXPECTED_DIGESTS": "V4 signature does not have the expected number of digests, found {0}",
    "V4_SIG_VERSION_NOT_CURRENT": "V4 signature format version {0} is different from the tool's current version {1}",
    # source stamp (warnings only: a stamp never decides the verdict)
    "SOURCE_STAMP_CERT_DIGEST_AND_SIG_BLOCK_MISSING": "Neither the source stamp certificate digest file nor the signature block are present in the APK",
    "SOURCE_STAMP_SIG_MISSING": "No SourceStamp signature",
    "SOURCE_STAMP_MALFORMED_CERTIFICATE": "Malformed certificate: {0}",
    "SOURCE_STAMP_MALFORMED_SIGNATURE": "Malformed SourceStamp signature",
    "SOURCE_STAMP_UNKNOWN_SIG_ALGORITHM": "Unknown signature algorithm: {0:#x}",
    "SOURCE_STAMP_VERIFY_EXCEPTION": "Failed to verify {0} signature: {1}",
    "SOURCE_STAMP_DID_NOT_VERIFY": "{0} signature over signed-data did not verify",
    "SOURCE_STAMP_NO_SIGNATURE": "No signature",
    "SOURCE_STAMP_NO_SUPPORTED_SIGNATURE": "Signature(s) {{{0}}} not supported: {1}",
    "SOURCE_STAMP_CERTIFICATE_MISMATCH_BETWEEN_SIGNATURE_BLOCK_AND_APK": "Certificate mismatch between SourceStamp block in APK signing block and SourceStamp file in APK: <{0}> vs <{1}>",
    "SOURCE_STAMP_SIGNATURE_BLOCK_WITHOUT_CERT_DIGEST": "A source stamp signature block was found without a corresponding certificate digest in the APK",
    "SOURCE_STAMP_EXPECTED_DIGEST_MISMATCH": "The source stamp certificate digest in the APK, {0}, does not match the expected digest, {1}",
    "SOURCE_STAMP_MALFORMED_ATTRIBUTE": "Malformed stamp attribute #{0}",
    "SOURCE_STAMP_UNKNOWN_ATTRIBUTE": "Unknown stamp attribute: ID {0:#x}",
    "SOURCE_STAMP_MALFORMED_LINEAGE": "Failed to parse the SigningCertificateLineage structure in the source stamp attributes section.",
    "SOURCE_STAMP_POR_CERT_MISMATCH": "APK signing certificate differs from the associated certificate found in the signer's SigningCertificateLineage.",
    "SOURCE_STAMP_POR_DID_NOT_VERIFY": "Source stamp SigningCertificateLineage attribute contains a proof-of-rotation record with signature(s) that did not verify.",
    "SOURCE_STAMP_INVALID_TIMESTAMP": "The source stamp timestamp attribute has an invalid value: {0}",
    "SOURCE_STAMP_SIGNATURE_SCHEME_NOT_AVAILABLE": "No digests are available in the source stamp for signature scheme: {0}",
    # whole file
    "MALFORMED_APK": "Malformed APK; the following problem was found when attempting to parse the APK: {0}",
    "UNEXPECTED_EXCEPTION": "An unexpected exception was caught when verifying the signature: {0}",
    # apkscan: bounds of this tool, not apksig issues
    "APK_SIG_BLOCK_TOO_LARGE": "APK Signing Block not verified: {0}",
    "APK_SIG_BLOCK_MALFORMED": "APK Signing Block present but malformed, so Android ignores it: {0}",
    "INVALID_SDK_RANGE": "The SDK range to verify for is invalid: {0}",
    "VERIFICATION_INCOMPLETE": "Verification could not read the whole APK: {0}",
    # apksig throws MinSdkVersionException (no Issue): without minSdkVersion the SDK range is unknown
    "MIN_SDK_VERSION_UNKNOWN": "Signatures not verified: minSdkVersion cannot be determined from AndroidManifest.xml ({0}); "
                               "verify for an explicit range with `apkscan verify --min-sdk N`",
}


def make(name: str, *params, scheme: str | None = None) -> SigningIssue:
    """A SigningIssue with the taxonomy's message filled in. Unknown names are kept (a v1 issue
    this table lacks must not be lost), their parameters appended."""
    template = ISSUES.get(name)
    if template is None:
        message = name + (": " + ", ".join(str(p) for p in params) if params else "")
    else:
        try:
            message = template.format(*params)
        except (IndexError, ValueError, TypeError, KeyError):
            message = template
    return SigningIssue(name=name, message=message, scheme=scheme)


# Issues that name a ZIP entry, and the index of that parameter (apksig's parameter order).
ENTRY_PARAMETER = {
    "JAR_SIG_DUPLICATE_ZIP_ENTRY": 0,
    "JAR_SIG_MISSING_ZIP_ENTRY_REFERENCED_IN_MANIFEST": 0,
    "JAR_SIG_NO_ZIP_ENTRY_DIGEST_IN_MANIFEST": 0,
    "JAR_SIG_NO_ZIP_ENTRY_DIGEST_IN_SIG_FILE": 0,
    "JAR_SIG_ZIP_ENTRY_NOT_SIGNED": 0,
    "JAR_SIG_ZIP_ENTRY_DIGEST_DID_NOT_VERIFY": 0,
    "JAR_SIG_MANIFEST_SECTION_DIGEST_DID_NOT_VERIFY": 0,
    "JAR_SIG_UNPROTECTED_ZIP_ENTRY": 0,
    "JAR_SIG_ZIP_ENTRY_SIGNERS_MISMATCH": 2,
}
_PREFIXES = re.compile(r"^(?:\(ignored signer\) )?(?:JAR signer [^:]*: )?")
_FIELD = re.compile(r"\{(\d+)(?::[^}]*)?\}")


@functools.lru_cache(maxsize=None)
def _template_pattern(name: str) -> re.Pattern | None:
    template = ISSUES.get(name)
    if template is None:
        return None
    parts, pos, seen = [], 0, set()
    for m in _FIELD.finditer(template):
        parts.append(re.escape(template[pos:m.start()].replace("{{", "{").replace("}}", "}")))
        index = int(m.group(1))
        parts.append(f"(?P<p{index}>.*?)" if index not in seen else ".*?")
        seen.add(index)
        pos = m.end()
    parts.append(re.escape(template[pos:].replace("{{", "{").replace("}}", "}")))
    return re.compile("".join(parts) + r"\Z", re.DOTALL)


def parameter(issue: SigningIssue, index: int) -> str | None:
    """Parameter ``index`` of an issue made by ``make`` (e.g. the entry an issue is about), read
    back from its message; None when the message does not follow the taxonomy's template."""
    pattern = _template_pattern(issue.name)
    if pattern is None:
        return None
    m = pattern.match(_PREFIXES.sub("", issue.message, count=1))
    if m is None:
        return None
    return m.groupdict().get(f"p{index}")


def entry_of(issue: SigningIssue) -> str | None:
    """The ZIP entry an issue is about, if it names one."""
    index = ENTRY_PARAMETER.get(issue.name)
    return None if index is None else parameter(issue, index)
