"""Impersonation and the identity verdict rule on facts and signing results built in the test
(factory-built APKs: test_identity_samples.py)."""
from __future__ import annotations

import json

import pytest

from apkscan.analyzers import components
from apkscan.analyzers.capabilities import build as build_caps
from apkscan.analyzers.identity import identity_verdict_hint, resolve_facts
from apkscan.analyzers.resource_xml import Node
from apkscan.model import AppFacts, Component, Identity, IntentFilter, Signer, SigningResult
from apkscan.trust import load_store

P = "android.permission."
GENUINE = "a1" * 32
ROTATED_FROM = "b2" * 32
OTHER = "c3" * 32


def signer(fp):
    return Signer(cert_sha256=fp, cert_sha1=fp[:40], subject="CN=test", issuer="CN=test", serial="01",
                  not_before="2020-01-01T00:00:00Z", not_after="2050-01-01T00:00:00Z", key_algorithm="RSA",
                  key_bits=2048)


def signed(*fps, lineage=()):
    return SigningResult(verified=True, schemes=("v2",), signers=tuple(signer(f) for f in fps),
                         lineage=tuple({"cert_sha256": f} for f in lineage))


UNSIGNED = SigningResult(verified=False, blocks_present=())

LAUNCHER = Component("activity", "x.Main", True, intent_filters=(
    IntentFilter(("android.intent.action.MAIN",), ("android.intent.category.LAUNCHER",)),))
A11Y = Component("service", "x.Acc", True, permission=P + "BIND_ACCESSIBILITY_SERVICE",
                 intent_filters=(IntentFilter(("android.accessibilityservice.AccessibilityService",)),),
                 meta_data={"android.accessibilityservice": "@xml/a11y"})
A11Y_CFG = Node("accessibility-service", {"canRetrieveWindowContent": True, "canPerformGestures": True})


def facts(package, label, perms=(P + "INTERNET",), comps=(LAUNCHER,), labels=None):
    return AppFacts(package=package, label=label, labels=labels or {"": label}, permissions=tuple(perms),
                    components=tuple(comps))


def resolve(f, signing, store=None):
    rep = components.build_report(f, lambda ref: (A11Y_CFG, "res/xml/a11y.xml", None))
    ident, found = resolve_facts(f, signing, store or load_store(), build_caps(f, rep))
    return ident, found, identity_verdict_hint(ident, signing)


@pytest.fixture
def enrolled(tmp_path):
    path = tmp_path / "trust.json"
    path.write_text(json.dumps({"format": "apkscan-trust", "version": 1, "identities": [
        {"id": "vneid", "cert_sha256": [ROTATED_FROM, GENUINE]}]}), encoding="utf-8")
    return load_store([str(path)])


def test_genuine_needs_the_package_and_an_enrolled_verified_signer(enrolled):
    ident, found, hint = resolve(facts("com.vnid", "VNeID"), signed(GENUINE), enrolled)
    assert (ident.claimed, ident.trusted, hint) == ("vneid", "vneid", "genuine")
    assert ident.certificate_enrolled is True and ident.package_owned is True
    assert not [f for f in found if f.severity != "info"]
    assert any("enrolled for VNeID" in r for r in ident.reasons)


def test_lineage_ancestor_makes_a_rotated_key_genuine(enrolled, tmp_path):
    path = tmp_path / "old.json"
    path.write_text(json.dumps({"format": "apkscan-trust", "version": 1, "identities": [
        {"id": "vneid", "cert_sha256": [ROTATED_FROM]}]}), encoding="utf-8")
    store = load_store([str(path)])
    new_key = "d4" * 32
    ident, _, hint = resolve(facts("com.vnid", "VNeID"), signed(new_key, lineage=(ROTATED_FROM, new_key)), store)
    assert hint == "genuine" and ident.signer_status == "trusted"
    # the same new key without the verified lineage is foreign
    ident, found, hint = resolve(facts("com.vnid", "VNeID"), signed(new_key), store)
    assert hint == "fake" and "IMPERSONATION_FOREIGN_SIGNER" in [f.id for f in found]


def test_protected_package_with_foreign_or_unverifiable_signer_is_fake(enrolled):
    ident, found, hint = resolve(facts("com.vnid", "VNeID"), signed(OTHER), enrolled)
    assert hint == "fake" and ident.signer_status == "foreign"
    assert "IMPERSONATION_FOREIGN_SIGNER" in [f.id for f in found]
    ident, found, hint = resolve(facts("com.vnid", "VNeID"), UNSIGNED, enrolled)
    assert hint == "fake" and "IMPERSONATION_UNVERIFIED_SIGNER" in [f.id for f in found]
    # unverifiable is fake even when nothing is enrolled: the genuine app always verifies
    _, _, hint = resolve(facts("com.vnid", "VNeID"), UNSIGNED)
    assert hint == "fake"


def test_without_an_enrolled_certificate_the_identity_says_so_instead_of_guessing():
    ident, found, hint = resolve(facts("com.vnid", "VNeID"), signed(OTHER))
    assert hint is None
    assert ident.claimed == "vneid" and ident.certificate_enrolled is False and ident.trusted is None
    # "foreign" means "enrolled, other certificate": with nothing enrolled the status says so
    assert ident.signer_status == "not_enrolled"
    assert ident.to_dict()["signer_status"] == "not_enrolled"
    assert any("no enrolled signing certificate" in r for r in ident.reasons)
    assert any("chưa có chứng chỉ" in r for r in ident.reasons_vi)
    assert [f.id for f in found] == ["IMPERSONATION_CERT_NOT_ENROLLED"]
    note = found[0]
    assert note.severity == "low"  # weighs, so the text report's top reasons show it
    assert note.title == ("VNeID has no enrolled certificate: apkscan cannot confirm this copy is genuine — "
                          "enrol a Play-installed copy with `apkscan trust enroll`")
    assert note.title_vi.startswith("VNeID chưa có chứng chỉ được đăng ký")
    assert note.evidence["signers"] == [OTHER]


def test_not_enrolled_is_not_foreign_and_decides_nothing_alone():
    """The same foreign-looking signer is 'foreign' only once a certificate is enrolled."""
    ident, found, hint = resolve(facts("com.vnid", "VNeID"), signed(OTHER))
    assert (ident.signer_status, hint) == ("not_enrolled", None)
    assert "IMPERSONATION_FOREIGN_SIGNER" not in [f.id for f in found]
    # capabilities the genuine app never has still make a trojanised copy fake without enrollment
    trojan = facts("com.vnid", "VNeID", perms=(P + "INTERNET", P + "READ_SMS"), comps=(LAUNCHER, A11Y))
    ident, found, hint = resolve(trojan, signed(OTHER))
    assert ident.signer_status == "not_enrolled" and hint == "fake"
    assert {"IMPERSONATION_CERT_NOT_ENROLLED", "IMPERSONATION_PROFILE_MISMATCH"} <= {f.id for f in found}
    # an unverifiable signature stays "unverified" (fake), enrolled or not
    ident, _, hint = resolve(facts("com.vnid", "VNeID"), UNSIGNED)
    assert (ident.signer_status, hint) == ("unverified", "fake")


@pytest.mark.parametrize("label,how", [("VNeID", "exact"), ("VNelD", "confusable"), ("VNe1D", "confusable"),
                                        ("VN\u0435ID", "confusable"), ("VNNeID", "edit"),
                                        ("Dinh danh dien tu", "folded"), ("VNeID - Cập nhật", "contains")])
def test_look_alike_labels_on_another_package_are_fakes(label, how):
    ident, found, hint = resolve(facts("com.example.update", label), signed(OTHER))
    assert ident.claimed == "vneid" and hint == "fake", ident.reasons
    label_finding = next(f for f in found if f.id == "IMPERSONATION_LABEL")
    assert label_finding.evidence["labels"][0]["how"] == how
    assert label_finding.evidence["genuine_packages"] == ["com.vnid"]
    assert ident.package_owned is False and ident.similarity >= 0.8


@pytest.mark.parametrize("package,how", [("com.vnid.update", "extends"), ("com.vnld", "confusable"),
                                          ("com.Vnid", "folded")])
def test_package_look_alikes(package, how):
    ident, found, hint = resolve(facts(package, "Cập nhật dữ liệu"), signed(OTHER))
    assert ident.claimed == "vneid" and hint == "fake"
    pkg = next(f for f in found if f.id == "IMPERSONATION_PACKAGE")
    assert pkg.evidence["signals"][0]["how"] == how


def test_profile_mismatch_names_the_forbidden_capabilities():
    f = facts("com.vneid.app", "VNeID", perms=(P + "INTERNET", P + "READ_SMS", P + "SYSTEM_ALERT_WINDOW"),
              comps=(LAUNCHER, A11Y))
    ident, found, hint = resolve(f, signed(OTHER))
    assert hint == "fake"
    mismatch = next(x for x in found if x.id == "IMPERSONATION_PROFILE_MISMATCH")
    assert mismatch.severity == "critical"
    assert set(mismatch.evidence["forbidden_capabilities"]) == {"sms_read", "accessibility", "overlay"}
    assert "permission android.permission.READ_SMS" in mismatch.evidence["forbidden_capabilities"]["sms_read"]
    assert any("reading or intercepting SMS" in r for r in ident.reasons)


def test_benign_look_alikes_are_not_fakes():
    guide = facts("com.hocmeo.vneidguide", "Hướng dẫn sử dụng VNeID")
    ident, found, hint = resolve(guide, signed(OTHER))
    assert ident.claimed is None and hint is None
    assert [x.id for x in found] == ["IMPERSONATION_BRAND_MENTION"]
    helper = facts("org.helper.a11y", "Trợ năng dễ dàng", comps=(LAUNCHER, A11Y))
    ident, found, hint = resolve(helper, signed(OTHER))
    assert ident.claimed is None and hint is None and found == []
    sms = facts("org.sms.messenger", "Tin nhắn", perms=(P + "READ_SMS", P + "SEND_SMS", P + "RECEIVE_SMS"))
    ident, found, hint = resolve(sms, signed(OTHER))
    assert ident.claimed is None and hint is None and found == []
    # unrelated names close to nothing protected
    for pkg, label in [("com.vnpt.app", "VNPT"), ("com.vnit.tools", "VNIT Tools"), ("vn.evaair", "EVA Air")]:
        ident, found, hint = resolve(facts(pkg, label), signed(OTHER))
        assert ident.claimed is None and hint is None, (pkg, ident.reasons)


def test_a_guide_that_asks_for_sms_and_accessibility_is_claimed():
    guide = facts("com.x.guide", "Hướng dẫn VNeID", perms=(P + "INTERNET", P + "RECEIVE_SMS"), comps=(LAUNCHER, A11Y))
    ident, found, hint = resolve(guide, signed(OTHER))
    assert ident.claimed == "vneid" and hint == "fake"
    assert "IMPERSONATION_PROFILE_MISMATCH" in [f.id for f in found]


def test_brands_without_a_known_package():
    plain = facts("gov.dichvucong.portal", "Dịch vụ công Quốc gia")
    ident, found, hint = resolve(plain, signed(OTHER))
    assert (ident.claimed, ident.claimed_kind, ident.package_owned, hint) == ("dichvucong", "brand", None, None)
    assert [f.id for f in found] == ["IMPERSONATION_BRAND"]
    trojan = facts("gov.dichvucong.portal", "Dịch vụ công", perms=(P + "INTERNET", P + "READ_SMS"),
                   comps=(LAUNCHER, A11Y))
    ident, found, hint = resolve(trojan, signed(OTHER))
    assert hint == "fake" and {"IMPERSONATION_BRAND", "IMPERSONATION_PROFILE_MISMATCH"} <= {f.id for f in found}
    for label, brand in [("EVNCPC CSKH", "evn"), ("Phần mềm bảo mật Bộ Công an", "bocongan"),
                         ("Thuế", "thue"), ("BHXH số", "bhxh"), ("CHÍNH PHỦ", "chinhphu")]:
        ident, _, _ = resolve(facts("com.x.y", label), signed(OTHER))
        assert ident.claimed == brand, label
    # the generic word alone inside a longer name is not the tax authority
    ident, _, _ = resolve(facts("com.x.y", "Tính thuế thu nhập cá nhân"), signed(OTHER))
    assert ident.claimed is None


def test_developer_key_on_another_package_is_not_fake(enrolled):
    ident, found, hint = resolve(facts("com.vnid.beta", "VNeID Beta"), signed(GENUINE), enrolled)
    assert ident.trusted == "vneid" and hint is None
    assert not [f for f in found if f.id.startswith("IMPERSONATION_") and f.severity != "info"]


def test_other_locales_and_launcher_labels_are_checked():
    f = AppFacts(package="com.x.y", label="Cập nhật", labels={"": "Update", "vi": "VNeID"},
                 components=(LAUNCHER,))
    assert resolve(f, signed(OTHER))[0].claimed == "vneid"
    alias = Component("activity-alias", "x.Alias", True, attributes={"label": "VNeID"}, intent_filters=(
        IntentFilter(("android.intent.action.MAIN",), ("android.intent.category.LAUNCHER",)),))
    f = AppFacts(package="com.x.y", label="Tiện ích", components=(alias,))
    assert resolve(f, signed(OTHER))[0].claimed == "vneid"


def test_hint_on_a_plain_identity_read_back_from_json():
    assert identity_verdict_hint(None, None) is None
    assert identity_verdict_hint(Identity(), signed(OTHER)) is None
    assert identity_verdict_hint(Identity(claimed="vneid", trusted="vneid", certificate_enrolled=True),
                                 signed(GENUINE)) is None  # package ownership unknown: no 'genuine'
    assert identity_verdict_hint(Identity(claimed="vneid", certificate_enrolled=True), signed(OTHER)) == "fake"
    assert identity_verdict_hint(Identity(claimed="vneid", certificate_enrolled=False), signed(OTHER)) is None


def test_identity_report_fields_serialise():
    ident, _, _ = resolve(facts("com.vnid.update", "VNeID"), signed(OTHER))
    d = ident.to_dict()
    json.dumps(d, ensure_ascii=False)
    assert d["claimed"] == "vneid" and d["package_owned"] is False and d["reasons_vi"]
    assert set(Identity().to_dict()) <= set(d)
