"""A JAR signer (a META-INF signature block and its .SF) and stage 4 of v1 verification: the
signature block, a PKCS #7 SignedData, must verify against the .SF for every API level in
[min_sdk, max_sdk] (apksig V1SchemeVerifier.Signer.verifySigBlockAgainstSigFile). Which
digest/signature pairs a SignerInfo may use per API level is pkcs7.SUPPORTED_SIG_ALGS.
"""
from __future__ import annotations

import hashlib
import warnings
from dataclasses import replace

from apkscan.model import Signer, SigningIssue
from apkscan.signing import jar_manifest, pkcs7
from apkscan.signing.certs import signer_from_der
from apkscan.signing.issues import make
from apkscan.signing.jar_manifest import Section

# AndroidSdkVersion constants used by the v1 rules
KITKAT, N, P = 19, 24, 28


def issue(name: str, *params, signer: str | None = None) -> SigningIssue:
    """A v1 SigningIssue (apksig name, apkscan.signing.issues wording), prefixed with the signer
    ("JAR signer CERT.RSA: ...") as apksigner prints signer issues."""
    made = make(name, *params, scheme="v1")
    return replace(made, message=f"JAR signer {signer}: {made.message}") if signer else made


class Fatal(Exception):
    """Stops verification: apksig throws (e.g. ApkFormatException) where this is raised."""

    def __init__(self, issue_: SigningIssue):
        super().__init__(issue_.message)
        self.issue = issue_


HASHLIB = {"MD5": "md5", "SHA-1": "sha1", "SHA-224": "sha224", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512"}


def jca_digest(jca: str, data: bytes) -> bytes:
    return hashlib.new(HASHLIB[jca], data).digest()


def b64(data: bytes) -> str:
    return jar_manifest.b64encode(data)


def levels_text(gaps: list[tuple[int, int]]) -> str:
    parts = []
    for lo, hi in gaps:
        if lo == hi:
            parts.append(str(lo))
        elif hi == pkcs7.INF:
            parts.append(f"{lo}+")
        else:
            parts.append(f"{lo}-{hi}")
    return ", ".join(parts)


def describe_certificate(cert: pkcs7.Certificate) -> Signer:
    """model.Signer for a bag certificate; fingerprints are over the bytes found in the APK (which,
    for a BER-encoded certificate, differ from the DER re-encoding used to read it)."""
    with warnings.catch_warnings():  # cryptography warns about out-of-spec names; they are reported as is
        warnings.simplefilter("ignore")
        signer = signer_from_der(cert.der)
    if cert.der is not cert.encoded:
        signer = replace(
            signer,
            cert_sha256=hashlib.sha256(cert.encoded).hexdigest(),
            cert_sha1=hashlib.sha1(cert.encoded).hexdigest(),
            cert_der=cert.encoded,
        )
    return signer


class JarSigner:
    """One JAR signer: a signature block (META-INF/X.RSA|.DSA|.EC) and its .SF, with what
    verifying them found."""

    def __init__(self, block_name: str, block_entry, sf_name: str, sf_entry):
        self.block_entry = block_entry
        self.sf_entry = sf_entry
        self.block_name = block_name
        self.sf_name = sf_name
        self.name = block_name[len("META-INF/") :]
        self.errors: list[SigningIssue] = []
        self.warnings: list[SigningIssue] = []
        self.ignored = False
        self.version_missing = False
        self.sf_bytes = b""
        self.sf_main: Section | None = None
        self.sf_sections: list[Section] = []
        self.certificate: pkcs7.Certificate | None = None
        self.bag: list[pkcs7.Certificate] = []
        self.entry_names: set[str] = set()
        # .SF-against-manifest checks that do not depend on the APK Signing Block (see finish()).
        self.digest_errors: list[SigningIssue] = []
        self.digest_warnings: list[SigningIssue] = []
        self.digest_failure: Exception | None = None
        self.signature_algorithm: str | None = None  # of the SignerInfo that verified
        self.signature_digest: str | None = None
        self.sf_digests: set[str] = set()  # digests of MANIFEST.MF (or its sections) checked

    def error(self, name: str, *params) -> None:
        self.errors.append(issue(name, *params, signer=self.name))


def verify_block(signer: JarSigner, block: bytes, min_sdk: int, max_sdk: int) -> None:
    """Stage 4: the signature block must verify against the .SF (signer.sf_bytes); problems go to
    signer.errors, the signing certificate to signer.certificate."""
    try:
        signed_data = pkcs7.parse_signed_data(block)
    except pkcs7.Pkcs7DecodingError as e:
        signer.error("JAR_SIG_PARSE_EXCEPTION", signer.block_name, e)
        return
    if not signed_data.signer_infos:
        signer.error("JAR_SIG_NO_SIGNERS", signer.block_name)
        return
    # Before Android N only the first SignerInfo is tried; from N the first that verifies counts.
    to_try = signed_data.signer_infos[:1] if min_sdk < N else signed_data.signer_infos
    first_verified = None
    for signer_info in to_try:
        if not signer.bag and signed_data.certificates:
            try:
                signer.bag = [pkcs7.parse_certificate(c) for c in signed_data.certificates]
            except pkcs7.CertificateParseError as e:
                signer.error("JAR_SIG_PARSE_EXCEPTION", signer.block_name, e)
                return
        try:
            cert = verify_signer_info(signer, signed_data, signer_info, min_sdk, max_sdk)
        except pkcs7.Pkcs7DecodingError as e:
            signer.error("JAR_SIG_PARSE_EXCEPTION", signer.block_name, e)
            return
        except pkcs7.SignatureVerifyError as e:
            signer.error("JAR_SIG_VERIFY_EXCEPTION", signer.block_name, signer.sf_name, e)
            return
        if signer.errors:
            return
        if cert is not None and first_verified is None:
            first_verified = cert
            digest_oid, sig_oid = signer_info.digest_algorithm.oid, signer_info.signature_algorithm.oid
            signer.signature_digest = pkcs7.DIGEST_OID_TO_JCA.get(digest_oid, digest_oid)
            try:
                signer.signature_algorithm = pkcs7.jca_signature_algorithm(digest_oid, sig_oid)
            except Exception:  # noqa: BLE001 - it verified, so the name is known; never fail over a label
                signer.signature_algorithm = pkcs7.OID_NAMES.get(sig_oid, sig_oid)
    if first_verified is None:
        signer.error("JAR_SIG_DID_NOT_VERIFY", signer.block_name, signer.sf_name)
        return
    signer.certificate = first_verified

def verify_signer_info(signer: JarSigner, signed_data: pkcs7.SignedData, si: pkcs7.SignerInfo,
                       min_sdk: int, max_sdk: int):
    """The signing certificate if this SignerInfo verifies against the .SF, else None."""
    digest_oid = si.digest_algorithm.oid
    sig_oid = si.signature_algorithm.oid
    gaps = pkcs7.unsupported_api_levels(digest_oid, sig_oid, min_sdk, max_sdk)
    if gaps:
        signer.error(
            "JAR_SIG_UNSUPPORTED_SIG_ALG",
            signer.block_name,
            digest_oid,
            sig_oid,
            levels_text(gaps),
            pkcs7.OID_NAMES.get(digest_oid, digest_oid),
            pkcs7.OID_NAMES.get(sig_oid, sig_oid),
        )
        return None
    cert = find_certificate(signer.bag, si.sid)
    if cert is None:
        raise pkcs7.SignatureVerifyError("Signing certificate referenced in SignerInfo not found in SignedData")
    if cert.unsupported_critical_extension:
        raise pkcs7.SignatureVerifyError("Signing certificate has unsupported critical extensions")
    if cert.key_usage is not None:
        ku = cert.key_usage
        if not (len(ku) >= 1 and ku[0]) and not (len(ku) >= 2 and ku[1]):
            raise pkcs7.SignatureVerifyError(
                "Signing certificate not authorized for use in digital signatures: keyUsage extension"
                " missing digitalSignature and nonRepudiation"
            )
    jca = pkcs7.jca_signature_algorithm(digest_oid, sig_oid)
    public_key = pkcs7.load_public_key(cert.public_key_info)
    pkcs7.check_key_type(public_key, jca)
    sf = signer.sf_bytes
    if si.signed_attrs is not None:
        if min_sdk < KITKAT:
            # Before KitKat the digest in signed attributes was not checked: such a signature does
            # not protect the APK there, so apksig rejects it outright.
            raise pkcs7.SignatureVerifyError(f"APKs with Signed Attributes broken on platforms with API Level < {KITKAT}")
        attrs = pkcs7.SignedAttributes(si.signed_attrs)
        if max_sdk >= N:  # content type is checked from Android N only
            content_type = attrs.single_oid(pkcs7.OID_CONTENT_TYPE)
            if content_type is None:
                raise pkcs7.SignatureVerifyError("No Content Type in signed attributes")
            if content_type != signed_data.content_type:
                return None
        expected = attrs.single_octets(pkcs7.OID_MESSAGE_DIGEST)
        if expected is None:
            raise pkcs7.SignatureVerifyError("No content digest in signed attributes")
        digest_name = pkcs7.DIGEST_OID_TO_JCA.get(digest_oid)
        if digest_name is None:
            raise pkcs7.SignatureVerifyError(f"Unsupported digest algorithm: {digest_oid}")
        if jca_digest(digest_name, sf) != expected:
            return None
        # Android verifies over the attributes' original encoding with the IMPLICIT [0] tag byte
        # replaced by SET (0x31), without DER re-encoding.
        signed = b"\x31" + si.signed_attrs[1:]
    else:
        signed = sf
    return cert if pkcs7.verify_signature(public_key, jca, signed, si.signature) else None

def find_certificate(bag: list[pkcs7.Certificate], sid: pkcs7.IssuerAndSerial | None):
    if sid is None:  # subjectKeyIdentifier: Android only supports issuer + serial number
        return None
    for cert in bag:
        if cert.serial == sid.serial and pkcs7.names_equal(sid.issuer, cert.issuer):
            return cert
    return None
