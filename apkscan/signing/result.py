"""Reading ``model.SigningResult.algorithms``.

``algorithms`` says, for each scheme that verified and each of its signers, which signature and
digest algorithms its protection rests on over the SDK range checked, so that a finding about
"MD5 / SHA-1" is about this APK's signature and not only about its certificate:

    {"scheme": "v1", "cert_sha256": ..., "signature_algorithm": "SHA1withRSA",
     "signature_digest": "SHA-1", "content_digests": ["SHA-1"]}
    {"scheme": "v2", "cert_sha256": ..., "signature_algorithm": "RSA_PKCS1_V1_5_WITH_SHA256",
     "signature_digest": "SHA-256", "content_digests": ["CHUNKED_SHA256"]}

"""
from __future__ import annotations

from typing import Any, Mapping

WEAK_DIGESTS = frozenset({"MD5", "SHA-1"})


def weak_digests(entry: Mapping[str, Any]) -> list[str]:
    """MD5 / SHA-1 among the digests one ``algorithms`` entry relies on."""
    used = {entry.get("signature_digest")} | set(entry.get("content_digests") or ())
    return sorted(d for d in used if d in WEAK_DIGESTS)
