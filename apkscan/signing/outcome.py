"""What the verifier's final stage gathers (``Outcome``) and the two answers read from it for
``model.SigningResult``: whose certificates verified (apksig's choice of signers) and the
algorithms their protection rests on (``algorithms``, see apkscan.signing.result)."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from apkscan.model import Signer, SigningIssue
from apkscan.signing.certs import signer_from_der
from apkscan.signing.scheme_block import SchemeResult


@dataclass
class Outcome:
    errors: list[SigningIssue] = field(default_factory=list)
    warnings: list[SigningIssue] = field(default_factory=list)
    verified_schemes: dict[str, SchemeResult] = field(default_factory=dict)
    v1_result: object | None = None


def verified_algorithms(out: Outcome) -> tuple[dict, ...]:
    """What each verified scheme's signers rest on (apkscan.signing.result explains the shape)."""
    found: list[dict] = []
    v1 = out.v1_result
    if v1 is not None and v1.verified:
        found.extend(getattr(v1, "algorithms", ()))
    for name in ("v2", "v3", "v3.1"):
        result = out.verified_schemes.get(name)
        for signer in result.signers if result is not None else ():
            if signer.cert is None:
                continue
            for alg in signer.verified_algorithms:
                found.append({
                    "scheme": name,
                    "cert_sha256": hashlib.sha256(signer.cert).hexdigest(),
                    "signature_algorithm": alg.name,
                    "signature_digest": alg.hash_name.upper().replace("SHA", "SHA-"),
                    "content_digests": [alg.digest],
                })
    return tuple(found)


def verified_signers(out: Outcome) -> tuple[Signer, ...]:
    """apksig's choice: the v3.1 signer, else the v3 signer (the newest SDK's), else all v2
    signers, else all v1 signers, taken from schemes that verified over the content."""
    for name in ("v3.1", "v3"):
        result = out.verified_schemes.get(name)
        if result is not None:
            return (signer_from_der(result.signers[-1].cert),)
    v2 = out.verified_schemes.get("v2")
    if v2 is not None:
        return tuple(signer_from_der(s.cert) for s in v2.signers)
    v1 = out.v1_result
    if v1 is not None and v1.verified:
        return tuple(v1.signers)
    return ()
