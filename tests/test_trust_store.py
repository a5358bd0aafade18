"""The trust store: bundled identities, user trust files, enrollment rules (factory-built reference
APKs are enrolled in test_trust_enroll.py)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from apkscan.cli.trust import trust_group
from apkscan.datafiles import signatures_dir
from apkscan.model import AppFacts, InputInfo, ScanError, ScanResult, Signer, SigningResult
from apkscan.trust import (TrustError, default_trust_file, enroll_scanned, load_store, read_trust_file,
                           signer_trust)

CERT = "ab" * 32
ROTATED = "cd" * 32


def signer(fp):
    return Signer(cert_sha256=fp, cert_sha1=fp[:40], subject="CN=Reference", issuer="CN=Reference", serial="01",
                  not_before="2020-01-01T00:00:00Z", not_after="2050-01-01T00:00:00Z", key_algorithm="RSA",
                  key_bits=2048)


def scanned(package="com.vnid", verified=True, lineage=(), status="ok", label="VNeID"):
    signing = SigningResult(verified=verified, schemes=("v2", "v3") if verified else (),
                            signers=(signer(CERT),) if verified else (),
                            lineage=tuple({"cert_sha256": f} for f in lineage))
    return ScanResult(input=InputInfo("/evidence/ref.apk", 10, sha256="ee" * 32), status=status,
                      error=None if status == "ok" else ScanError("NOT_A_ZIP", "not a ZIP"),
                      app=AppFacts(package=package, label=label, version_code=217, version_name="2.1.7"),
                      signing=signing)


def test_bundled_identities_have_no_certificates_until_enrolled():
    store = load_store()
    vneid = store.get("vneid")
    assert vneid.packages == ("com.vnid",) and not vneid.certificate_enrolled
    assert {"vneid", "vssid", "etax"} <= {i.id for i in store.identities if i.kind == "app"}
    assert {"bocongan", "dichvucong", "chinhphu", "thue", "bhxh", "evn"} <= {i.id for i in store.identities if i.kind == "brand"}
    raw = json.loads((signatures_dir() / "identities.json").read_text(encoding="utf-8"))
    for item in raw["identities"]:
        assert item["cert_sha256"] == [] and item["source"] and item["labels"] and item["packages"]


def test_enroll_writes_verified_signers_and_lineage_to_a_user_file(tmp_path):
    path = tmp_path / "cfg" / "trust.json"
    res = enroll_scanned(scanned(lineage=(ROTATED, CERT)), "vneid", path, icon_hash="p" + "1" * 16 + "d" + "2" * 16)
    assert res.identity == "vneid" and set(res.added_certificates) == {CERT, ROTATED}
    doc, digest = read_trust_file(path)
    (entry,) = doc["identities"]
    assert entry["packages"] == ["com.vnid"] and set(entry["cert_sha256"]) == {CERT, ROTATED}
    assert entry["enrollments"][0]["apk_sha256"] == "ee" * 32 and entry["enrollments"][0]["version_name"] == "2.1.7"
    store = load_store([str(path)])
    assert store.get("vneid").certificate_enrolled and store.sources[-1]["sha256"] == digest
    # enrolling again adds nothing new but records the enrollment
    again = enroll_scanned(scanned(), "vneid", path)
    assert again.added_certificates == ()
    assert len(read_trust_file(path)[0]["identities"][0]["enrollments"]) == 2


def test_enroll_refuses_what_it_cannot_vouch_for(tmp_path):
    path = tmp_path / "trust.json"
    with pytest.raises(TrustError, match="does not verify"):
        enroll_scanned(scanned(verified=False), "vneid", path)
    with pytest.raises(TrustError, match="could not be analysed"):
        enroll_scanned(scanned(status="error"), "vneid", path)
    with pytest.raises(TrustError, match="com.vnid"):
        enroll_scanned(scanned(package="com.vneid.fake"), "vneid", path)
    with pytest.raises(TrustError, match="identity id"):
        enroll_scanned(scanned(), "../etc", path)
    assert not path.exists()
    res = enroll_scanned(scanned(package="vss.gov.vssapp2"), "vssid", path, allow_new_package=True)
    assert "vss.gov.vssapp2" in load_store([str(path)]).get("vssid").packages and res.notes


def test_enroll_never_writes_into_the_package(tmp_path):
    with pytest.raises(TrustError, match="refusing"):
        enroll_scanned(scanned(), "vneid", signatures_dir() / "identities.json")
    import apkscan
    with pytest.raises(TrustError, match="refusing"):
        enroll_scanned(scanned(), "vneid", Path(apkscan.__file__).parent / "trust.json")


def test_new_identity_for_an_app_apkscan_does_not_know(tmp_path):
    path = tmp_path / "trust.json"
    res = enroll_scanned(scanned(package="com.mybank.app", label="My Bank"), "mybank", path)
    assert res.created_identity
    ident = load_store([str(path)]).get("mybank")
    assert ident.packages == ("com.mybank.app",) and ident.labels == ("My Bank",) and ident.certificate_enrolled


def test_default_trust_file_lives_in_the_user_config_dir(monkeypatch, tmp_path):
    monkeypatch.delenv("APKSCAN_TRUST_FILE", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert default_trust_file() == tmp_path / "apkscan" / "trust.json"
    monkeypatch.setenv("APKSCAN_TRUST_FILE", str(tmp_path / "x.json"))
    assert default_trust_file() == tmp_path / "x.json"


@pytest.mark.parametrize("content,message", [
    ("not json", "not a JSON"),
    ('{"format": "other"}', "not an apkscan trust file"),
    ('{"format": "apkscan-trust", "version": 9, "identities": []}', "version"),
    ('{"format": "apkscan-trust", "version": 1, "identities": [{"id": "vneid", "cert_sha256": ["zz"]}]}', "SHA-256"),
])
def test_unusable_trust_files_are_reported_not_raised(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(TrustError, match=message):
        read_trust_file(path)
    store = load_store([str(path)])
    assert store.problems and message.split()[0] in store.problems[0]
    assert not store.get("vneid").certificate_enrolled


def test_signer_trust_only_counts_verified_signers():
    store_path_doc = {"format": "apkscan-trust", "version": 1, "identities": [{"id": "vneid", "cert_sha256": [CERT]}]}
    from apkscan.trust import _merge_user, _bundled
    ident = next(i for i in _merge_user(_bundled()[0], store_path_doc, "t") if i.id == "vneid")
    # the genuine certificate merely present (extracted, not verified) proves nothing
    planted = SigningResult(verified=False, extracted_certificates=(signer(CERT),))
    assert signer_trust(ident, planted).status == "unverified"
    assert signer_trust(ident, SigningResult(verified=True, signers=(signer(CERT),))).status == "trusted"
    two = SigningResult(verified=True, signers=(signer(CERT), signer("99" * 32)))
    assert signer_trust(ident, two).status == "foreign"  # every signer must be trusted


def test_signer_trust_without_an_enrolled_certificate_is_not_enrolled():
    """'foreign' means "enrolled, other certificate"; the bundled VNeID has no certificate (none is
    public), so a verified signer there is 'not_enrolled', and an unverified one stays 'unverified'."""
    bundled = load_store().get("vneid")
    assert not bundled.certificate_enrolled
    verified = SigningResult(verified=True, signers=(signer(CERT),))
    assert signer_trust(bundled, verified).status == "not_enrolled"
    assert signer_trust(None, verified).status == "not_enrolled"
    assert signer_trust(bundled, SigningResult(verified=False)).status == "unverified"


def test_cli_show_lists_identities_and_enrolled_certificates(tmp_path):
    path = tmp_path / "trust.json"
    enroll_scanned(scanned(), "vneid", path)
    out = CliRunner().invoke(trust_group, ["show", "--trust-file", str(path), "--format", "json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    vneid = next(i for i in data["identities"] if i["id"] == "vneid")
    assert vneid["cert_sha256"] == [CERT] and str(path) in vneid["origins"]
    bad = tmp_path / "bad.json"
    bad.write_text("{}", encoding="utf-8")
    out = CliRunner().invoke(trust_group, ["show", "--trust-file", str(bad)])
    assert out.exit_code == 1
