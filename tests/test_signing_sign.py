"""The factory's signer: APKs it signs must verify with Debian's apksigner (the reference) and with
apkscan's verifier, naming the same signer; the same recipe must give the same bytes."""
from __future__ import annotations

import hashlib
import subprocess

import pytest

from apkscan.samples.build import Factory
from apkscan.samples.testkeys import load_test_key
from apkscan.signing import verify_apk
from apkscan.signing.sign import sign_apk
from conftest import require_tool

MAX_INT = 0x7FFFFFFF


@pytest.fixture(scope="module")
def keys():
    return {"rsa": load_test_key("TEST-ONLY-vneid-reference-standin"),
            "ec": load_test_key("TEST-ONLY-vneid-rotated-standin")}


@pytest.fixture(scope="module")
def unsigned():
    factory = Factory(sign=False)
    return {"modern": factory.apk("benign-notes"),  # minSdk 26: v1 not needed
            "legacy": factory.apk("benign-flashlight-legacy")}  # minSdk 19: v1 needed


def _sha(key) -> str:
    return hashlib.sha256(key.certificate_der).hexdigest()


def _apksigner(path) -> tuple[bool, str]:
    out = subprocess.run([require_tool("apksigner"), "verify", "-v", "--print-certs", str(path)],
                         capture_output=True, text=True, timeout=120)
    text = out.stdout + out.stderr
    return out.returncode == 0 and text.startswith("Verifies"), text


CASES = {
    # name: (apk, sign_apk kwargs, expected schemes (ours), expected signer key, lineage length)
    "v2-rsa": ("modern", dict(keys=["rsa"], schemes=("v2",)), ("v2",), "rsa", 0),
    "v2-ec": ("modern", dict(keys=["ec"], schemes=("v2",)), ("v2",), "ec", 0),
    "v3-rsa": ("modern", dict(keys=["rsa"], schemes=("v3",)), ("v3",), "rsa", 0),
    "v3-ec": ("modern", dict(keys=["ec"], schemes=("v2", "v3")), ("v2", "v3"), "ec", 0),
    "v3-lineage": ("modern", dict(keys=["ec"], schemes=("v2", "v3"), lineage=["rsa", "ec"]), ("v2", "v3"), "ec", 2),
    "v31-lineage": ("modern", dict(keys=["ec"], schemes=("v2", "v3"), lineage=["rsa", "ec"], v3_rotation_min_sdk=33),
                    ("v2", "v3", "v3.1"), "ec", 2),
    "v1v2v3-legacy-rsa": ("legacy", dict(keys=["rsa"], min_sdk=19), ("v1", "v2", "v3"), "rsa", 0),
    "v1v2v3-legacy-ec": ("legacy", dict(keys=["ec"], min_sdk=19), ("v1", "v2", "v3"), "ec", 0),
    "v1v2v3-legacy-lineage": ("legacy", dict(keys=["ec"], lineage=["rsa", "ec"], min_sdk=19),
                              ("v1", "v2", "v3"), "ec", 2),
}


def _sign(unsigned, keys, apk: str, kwargs: dict) -> bytes:
    kw = dict(kwargs)
    kw["keys"] = [keys[k] for k in kw["keys"]]
    if "lineage" in kw:
        kw["lineage"] = [keys[k] for k in kw["lineage"]]
    return sign_apk(unsigned[apk], **kw)


@pytest.mark.parametrize("case", sorted(CASES))
def test_signed_apk_verifies_with_apkscan(case, keys, unsigned, tmp_path):
    apk, kwargs, schemes, signer, lineage_len = CASES[case]
    path = tmp_path / f"{case}.apk"
    path.write_bytes(_sign(unsigned, keys, apk, kwargs))
    result = verify_apk(path)
    assert result.verified is True, result.issues
    assert result.schemes == schemes
    assert [s.cert_sha256 for s in result.signers] == [_sha(keys[signer])]
    assert len(result.lineage) == lineage_len
    if lineage_len:
        assert [x["cert_sha256"] for x in result.lineage] == [_sha(keys["rsa"]), _sha(keys["ec"])]


@pytest.mark.parametrize("case", ["v2-rsa", "v2-ec", "v3-rsa", "v3-lineage", "v31-lineage", "v1v2v3-legacy-lineage"])
def test_signed_apk_verifies_with_apksigner(case, keys, unsigned, tmp_path):
    require_tool("apksigner")
    apk, kwargs, _schemes, signer, lineage_len = CASES[case]
    path = tmp_path / f"{case}.apk"
    path.write_bytes(_sign(unsigned, keys, apk, kwargs))
    ok, text = _apksigner(path)
    assert ok, text
    # apksigner 31 predates v3.1: there it reports the v3 (original, pre-rotation) signer
    expected = "rsa" if case == "v31-lineage" else signer
    assert f"certificate SHA-256 digest: {_sha(keys[expected])}" in text


def test_v31_rotation_is_checked_by_sdk_range(keys, unsigned, tmp_path):
    """Below SDK 33 the original key is the signer, from 33 on the rotated one (v3.1)."""
    path = tmp_path / "v31.apk"
    path.write_bytes(_sign(unsigned, keys, *CASES["v31-lineage"][:2]))
    old = verify_apk(path, min_sdk=28, max_sdk=32)
    new = verify_apk(path, min_sdk=33)
    assert old.verified and [s.cert_sha256 for s in old.signers] == [_sha(keys["rsa"])]
    assert "v3.1" not in old.schemes
    assert new.verified and [s.cert_sha256 for s in new.signers] == [_sha(keys["ec"])]


def test_signing_is_deterministic(keys, unsigned):
    for case in ("v1v2v3-legacy-ec", "v31-lineage"):
        apk, kwargs = CASES[case][:2]
        assert _sign(unsigned, keys, apk, kwargs) == _sign(unsigned, keys, apk, kwargs)


def test_signer_refuses_inconsistent_requests(keys, unsigned):
    with pytest.raises(ValueError):
        sign_apk(unsigned["modern"], [keys["rsa"], keys["ec"]], schemes=("v3",))
    with pytest.raises(ValueError):
        sign_apk(unsigned["modern"], [keys["rsa"]], lineage=[keys["rsa"], keys["ec"]])
    signed_once = sign_apk(unsigned["legacy"], [keys["rsa"]], schemes=("v1",), min_sdk=19)
    with pytest.raises(ValueError, match="already JAR-signed"):
        sign_apk(signed_once, [keys["rsa"]])
