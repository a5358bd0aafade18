"""The verifier's result: model.SigningResult plus what the model does not carry yet.

``algorithms`` says, for each scheme that verified and each of its signers, which signature and
digest algorithms its protection rests on over the SDK range checked, so that a finding about
"MD5 / SHA-1" is about this APK's signature and not only about its certificate:

    {"scheme": "v1", "cert_sha256": ..., "signature_algorithm": "SHA1withRSA",
     "signature_digest": "SHA-1", "content_digests": ["SHA-1"]}
    {"scheme": "v2", "cert_sha256": ..., "signature_algorithm": "RSA_PKCS1_V1_5_WITH_SHA256",
     "signature_digest": "SHA-256", "content_digests": ["CHUNKED_SHA256"]}

It is a subclass so that every consumer of SigningResult keeps working. The report's JSON does
not carry it yet (model_io rebuilds stored results as SigningResult and must round-trip them);
findings quote the entries they are about in their evidence.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from apkscan.model import SigningResult

WEAK_DIGESTS = frozenset({"MD5", "SHA-1"})


@dataclass(frozen=True)
class VerificationResult(SigningResult):
    algorithms: tuple[Mapping[str, Any], ...] = ()


def weak_digests(entry: Mapping[str, Any]) -> list[str]:
    """MD5 / SHA-1 among the digests one ``algorithms`` entry relies on."""
    used = {entry.get("signature_digest")} | set(entry.get("content_digests") or ())
    return sorted(d for d in used if d in WEAK_DIGESTS)
