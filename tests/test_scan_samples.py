"""End to end on the factory's sample set: every sample gets the verdict its recipe expects."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from apkscan.cli import cli


@pytest.fixture(scope="module")
def report(sample_set, sample_trust, tmp_path_factory):
    folder, _ = sample_set
    out = tmp_path_factory.mktemp("rep") / "r.json"
    res = CliRunner().invoke(cli, ["scan", str(folder), "--trust", str(sample_trust), "--format", "json",
                                   "-o", str(out), "--jobs", "2"])
    assert res.exit_code == 1, res.output  # the fakes reach --fail-on high
    return json.loads(out.read_text())


def _by_file(report):
    return {r["input"]["path"].rsplit("/", 1)[-1]: r for r in report["results"]}


def test_every_sample_gets_expected_verdict(sample_set, report):
    _, index = sample_set
    got = _by_file(report)
    wrong = {s["file"]: (s["expected"].get("verdict"), got[s["file"]]["verdict"])
             for s in index["samples"] if got[s["file"]]["verdict"] != s["expected"].get("verdict")}
    assert not wrong, wrong
    assert len(got) == len(index["samples"])


def test_claimed_identity_and_reasons(sample_set, report):
    _, index = sample_set
    got = _by_file(report)
    for s in index["samples"]:
        claimed = s["expected"].get("identity_claimed")
        r = got[s["file"]]
        if "identity_claimed" in s["expected"]:
            assert r["identity"]["claimed"] == claimed, s["file"]
        if r["verdict"] == "fake":
            assert r["identity"]["reasons"], s["file"]
        if r["verdict"] == "genuine":
            assert r["identity"]["trusted"] == "vneid" and r["signing"]["verified"] is True


def test_without_trust_genuine_is_never_claimed(sample_set, tmp_path):
    """No enrolled certificate: the genuine stand-in must not be called genuine (no guessing)."""
    folder, _ = sample_set
    out = tmp_path / "r.json"
    CliRunner().invoke(cli, ["scan", str(folder / "vneid-reference.apk"), "--format", "json", "-o", str(out),
                             "--jobs", "0"])
    (r,) = json.loads(out.read_text())["results"]
    assert r["verdict"] != "genuine"
    assert r["identity"]["claimed"] == "vneid" and r["identity"]["trusted"] is None
    assert r["identity"]["certificate_enrolled"] is False


def test_copied_signing_block_is_not_genuine(sample_set, sample_trust, tmp_path):
    """A fake carrying the genuine APK's signing block verbatim must not verify as the genuine signer."""
    from apkscan.archive import open_archive
    from apkscan.signing.block import locate

    def find_signing_block(arc):
        return locate(arc.read_at, arc.cd_offset, arc.cd_size, arc.eocd_offset)

    folder, _ = sample_set
    genuine = (folder / "vneid-reference.apk").read_bytes()
    fake_path = folder / "vneid-repackaged-foreign-key.apk"
    fake = fake_path.read_bytes()
    with open_archive(folder / "vneid-reference.apk") as g, open_archive(fake_path) as f:
        gb = find_signing_block(g)
        fb = find_signing_block(f)
    g_block = genuine[gb.offset:gb.offset + gb.size]
    spliced = fake[:fb.offset] + g_block + fake[fb.offset + fb.size:]
    # keep the central directory offset in the EOCD consistent with the new block size
    import struct
    delta = len(g_block) - fb.size
    eocd = spliced.rfind(b"PK\x05\x06")
    cd_off = struct.unpack_from("<I", spliced, eocd + 16)[0] + delta
    spliced = spliced[:eocd + 16] + struct.pack("<I", cd_off) + spliced[eocd + 20:]
    target = tmp_path / "spliced.apk"
    target.write_bytes(spliced)
    out = tmp_path / "r.json"
    CliRunner().invoke(cli, ["scan", str(target), "--trust", str(sample_trust), "--format", "json", "-o", str(out),
                             "--jobs", "0"])
    (r,) = json.loads(out.read_text())["results"]
    genuine_cert = "983895af1e05425ea0e46170c47a3f3c57a9fc2361b60fc66a477870c2310e20"
    assert genuine_cert not in {s["cert_sha256"] for s in r["signing"]["signers"]}
    assert r["verdict"] == "fake" and r["identity"]["trusted"] is None
