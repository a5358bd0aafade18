"""The risk model: weights, family caps, combinations, floors and verdict rules, and its documentation."""
from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest

from apkscan import scoring
from apkscan.findings_catalog import default_catalog, full_catalog, load_catalog
from apkscan.model import Finding, Identity, SigningResult
from apkscan.report.risk_model_doc import render_markdown
from apkscan.scoring import assess, default_model, load_model

ROOT = Path(__file__).resolve().parents[1]
SCORING_JSON = ROOT / "signatures" / "scoring.json"

VNEID_CLAIM = Identity(claimed="vneid", trusted=None, similarity=1.0, certificate_enrolled=False)


def F(fid: str, severity: str, **evidence) -> Finding:
    return Finding(fid, severity, fid.replace("_", " ").lower(), evidence, "test")


def banker_findings() -> list[Finding]:
    return [
        F("IMPERSONATION_LABEL", "high", label="VNeID"),
        F("COMP_ACCESSIBILITY_SERVICE", "high", component="x.Acc"),
        F("PERM_READ_SMS", "high", permission="android.permission.READ_SMS"),
        F("PERM_RECEIVE_SMS", "high", permission="android.permission.RECEIVE_SMS"),
        F("PERM_SYSTEM_ALERT_WINDOW", "medium", permission="android.permission.SYSTEM_ALERT_WINDOW"),
        F("YARA_VIRBOX_PROTECTOR_LIBS", "high", rule="virbox_protector_libs"),
        F("PERM_INTERNET", "info", permission="android.permission.INTERNET"),
    ]


def test_level_thresholds_follow_the_data():
    model = default_model()
    minimums = json.loads(SCORING_JSON.read_text(encoding="utf-8"))["levels"]
    assert model.level_for(0) == "none"
    for level in ("low", "medium", "high", "critical"):
        assert model.level_for(minimums[level]) == level
        assert model.level_for(minimums[level] - 1) != level
    assert model.level_for(100) == "critical"


def test_result_does_not_depend_on_finding_order():
    findings = banker_findings() * 2  # duplicates count once
    reference = assess(findings, identity=VNEID_CLAIM, identity_hint=None)
    rng = random.Random(7)
    for _ in range(20):
        rng.shuffle(findings)
        again = assess(findings, identity=VNEID_CLAIM, identity_hint=None)
        assert again == reference


def test_duplicate_ids_count_once_with_their_heaviest_severity():
    a = assess([F("YARA_X", "medium"), F("YARA_X", "high"), F("YARA_X", "low")], identity_hint=None)
    (factor,) = a.factors
    assert (factor.id, factor.severity, factor.count, factor.points) == ("YARA_X", "high", 3, default_model().severity_weights["high"])


def test_family_cap_keeps_permissions_alone_from_making_an_app_suspicious():
    # A genuine SMS app: every SMS permission, nothing else.
    sms_app = [F(f"PERM_{p}", "high", permission=f"android.permission.{p}")
               for p in ("READ_SMS", "RECEIVE_SMS", "SEND_SMS", "RECEIVE_MMS", "READ_CONTACTS")]
    a = assess(sms_app, identity_hint=None)
    cap = default_model().family_cap("PERM")
    assert sum(f.points for f in a.factors) == cap == a.risk.score
    assert a.verdict == "clean" and a.risk.level == "medium"
    capped = [f for f in a.factors if f.cap is not None]
    assert capped and all(f.cap == cap and f.cap_scope == "PERM" and f.points < f.weight for f in capped)


def test_permissions_and_components_share_a_cap():
    """An accessibility tool: its service, what the service may do, and the permissions it uses."""
    tool = [F("COMP_ACCESSIBILITY_SERVICE", "high"), F("COMP_ACCESSIBILITY_READS_SCREEN", "high"),
            F("COMP_ACCESSIBILITY_GESTURES", "high"), F("PERM_RECEIVE_BOOT_COMPLETED", "low"),
            F("PERM_SYSTEM_ALERT_WINDOW", "high")]
    (shared,) = [c for c in default_model().shared_caps if set(c.families) == {"PERM", "COMP"}]
    a = assess(tool, identity_hint=None)
    assert a.risk.score == shared.cap
    assert a.verdict == "clean"
    assert any(f.cap_scope == "PERM+COMP" for f in a.factors)
    # one independent piece of evidence on top (a packer) makes it suspicious
    packed = assess(tool + [F("YARA_PACKER_JIAGU", "medium")], identity_hint=None)
    assert packed.verdict == "suspicious" and packed.risk.score > a.risk.score


def test_impersonation_with_accessibility_gets_the_documented_boost():
    a = assess(banker_findings(), identity=VNEID_CLAIM, identity_hint=None)
    boosts = {f.id: f for f in a.factors if f.kind == "combination"}
    combo = default_model().combination("BOOST_IMPERSONATION_ACCESSIBILITY")
    assert boosts["BOOST_IMPERSONATION_ACCESSIBILITY"].points == combo.boost
    assert "COMP_ACCESSIBILITY_SERVICE" in boosts["BOOST_IMPERSONATION_ACCESSIBILITY"].evidence
    assert scoring.FACT_CLAIMS_PROTECTED_APP in boosts["BOOST_IMPERSONATION_ACCESSIBILITY"].evidence
    assert {"BOOST_IMPERSONATION_SMS", "BOOST_IMPERSONATION_OVERLAY", "BOOST_IMPERSONATION_PACKER",
            "BOOST_PACKED_ACCESSIBILITY"} <= set(boosts)
    assert a.risk.level == "critical" and a.verdict == "malicious"


def test_same_capabilities_without_a_claim_score_lower_and_get_no_impersonation_boost():
    capabilities = [F("COMP_ACCESSIBILITY_SERVICE", "high"), F("PERM_READ_SMS", "high")]
    a = assess(capabilities, identity=Identity(), identity_hint=None)
    assert not [f for f in a.factors if f.kind == "combination"]
    assert a.verdict == "clean"  # capabilities alone stay under the shared PERM+COMP cap
    claimed = assess(capabilities + [F("IMPERSONATION_LABEL", "high")], identity=VNEID_CLAIM, identity_hint=None)
    boosts = {f.id for f in claimed.factors if f.kind == "combination"}
    assert boosts == {"BOOST_IMPERSONATION_ACCESSIBILITY", "BOOST_IMPERSONATION_SMS"}
    assert claimed.risk.score == min(100, a.risk.score + 25 + sum(default_model().combination(b).boost for b in boosts))
    assert a.risk.score < claimed.risk.score
    assert claimed.verdict == "malicious"


def test_genuine_app_carrying_its_trusted_certificate_is_not_treated_as_a_claim():
    genuine = Identity(claimed="vneid", trusted="vneid", certificate_enrolled=True)
    a = assess([F("COMP_ACCESSIBILITY_SERVICE", "high")], identity=genuine,
               signing=SigningResult(verified=True), identity_hint="genuine")
    assert a.verdict == "genuine" and a.verdict_basis == "identity"
    assert not [f for f in a.factors if f.kind == "combination"]


def test_broken_signature_combines_with_a_claim():
    a = assess([F("IMPERSONATION_PACKAGE_TYPOSQUAT", "medium")], identity=VNEID_CLAIM,
               signing=SigningResult(verified=False), identity_hint=None)
    assert "BOOST_IMPERSONATION_BROKEN_SIGNATURE" in {f.id for f in a.factors}
    assert scoring.FACT_SIGNATURE_NOT_VERIFIED in next(f for f in a.factors if f.id == "BOOST_IMPERSONATION_BROKEN_SIGNATURE").evidence


def test_info_findings_do_not_trigger_combinations():
    a = assess([F("IMPERSONATION_LABEL", "high"), F("PERM_SMS_DECLARED", "info")], identity=VNEID_CLAIM, identity_hint=None)
    assert "BOOST_IMPERSONATION_SMS" not in {f.id for f in a.factors}


def test_one_critical_finding_makes_the_app_critical_and_malicious():
    a = assess([F("PERM_X", "critical")], identity_hint=None)  # capped family: the floor does the work
    assert a.risk.level == "critical" and a.verdict == "malicious"
    assert a.risk.score == default_model().level_minimums["critical"]
    assert [f.id for f in a.factors if f.kind == "floor"] == ["FLOOR_SEVERITY_CRITICAL"]


def test_known_malware_hash_weighs_the_maximum():
    a = assess([F("IOC_SHA256_MATCH", "critical", sha256="ab" * 32)], identity_hint=None)
    assert a.risk.score == 100 and a.verdict == "malicious"


def test_fake_verdict_is_at_least_high_even_with_weak_findings():
    a = assess([F("IMPERSONATION_LABEL", "medium")], identity=VNEID_CLAIM, identity_hint="fake")
    assert a.verdict == "fake"
    assert a.risk.level == "high" and a.risk.score == default_model().level_minimums["high"]
    assert a.top_reasons()[0].id == "IMPERSONATION_LABEL"  # the floor raises the level but is no reason


def test_fake_wins_over_malicious_and_error_wins_over_everything():
    assert assess(banker_findings(), identity=VNEID_CLAIM, identity_hint="fake").verdict == "fake"
    error = assess(banker_findings(), identity=VNEID_CLAIM, status="error", identity_hint="fake")
    assert (error.verdict, error.risk.score, error.risk.level, error.factors) == ("error", 0, "none", ())


def test_a_fakes_reasons_start_with_its_impersonation_evidence():
    findings = [F("YARA_GIGABUD_A", "critical"), F("IMPERSONATION_LABEL", "high"), F("COMP_ACCESSIBILITY_SERVICE", "high")]
    fake = assess(findings, identity=VNEID_CLAIM, identity_hint="fake")
    assert [f.id for f in fake.top_reasons(3)] == ["BOOST_IMPERSONATION_ACCESSIBILITY", "IMPERSONATION_LABEL", "YARA_GIGABUD_A"]
    malicious = assess(findings, identity=VNEID_CLAIM, identity_hint=None)
    assert malicious.top_reasons(1)[0].id == "YARA_GIGABUD_A"  # otherwise the heaviest leads


def test_no_findings_is_clean():
    a = assess([], identity_hint=None)
    assert (a.risk.score, a.risk.level, a.verdict) == (0, "none", "clean")


def test_verdict_from_level_follows_the_data():
    levels = default_model().verdict_levels
    assert assess([F("PERM_CAMERA", "low")], identity_hint=None).verdict == "clean"
    medium = assess([F("COMP_BOOT_RECEIVER", "medium"), F("STR_X", "medium")], identity_hint=None)
    assert medium.risk.level == "medium"
    assert medium.verdict == ("suspicious" if levels["suspicious"] == "medium" else "clean")
    high = assess([F("COMP_X", "high"), F("STR_X", "high")], identity_hint=None)
    assert high.risk.level == "high" and high.verdict == "suspicious"


def test_identity_hint_is_validated():
    with pytest.raises(ValueError):
        assess([], identity_hint="trusted")


def test_fallback_identity_rule():
    verified = SigningResult(verified=True)
    rule = scoring._fallback_identity_hint
    assert rule(Identity(claimed="vneid", trusted="vneid"), verified) == "genuine"
    assert rule(Identity(claimed="vneid", trusted="vneid"), SigningResult(verified=False)) is None
    assert rule(Identity(claimed="vneid", certificate_enrolled=True), verified) == "fake"
    # no enrolled certificate: no guess
    assert rule(Identity(claimed="vneid", certificate_enrolled=False), verified) is None
    assert rule(Identity(), verified) is None


def test_score_entry_point_matches_assess():
    findings = banker_findings()
    risk, verdict = scoring.score(findings, VNEID_CLAIM, SigningResult(verified=True), None, identity_hint=None)
    a = assess(findings, identity=VNEID_CLAIM, signing=SigningResult(verified=True), identity_hint=None)
    assert (risk, verdict) == (a.risk, a.verdict)


def test_inconsistent_model_is_rejected(tmp_path):
    raw = json.loads(SCORING_JSON.read_text(encoding="utf-8"))
    raw["levels"]["high"] = 10  # below medium
    raw["combinations"][0]["requires"] = ["no_such_group"]
    bad = tmp_path / "scoring.json"
    bad.write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(ValueError, match="no_such_group"):
        load_model(bad)


def test_every_combination_kind_matches_real_finding_ids():
    """A pattern that matches no catalogued id (or YARA rule id) is a dead combination."""
    ids = full_catalog().ids()
    model = default_model()
    for name, group in model.groups.items():
        if group.match:
            assert any(re.fullmatch(p.replace("*", ".*"), i) for p in group.match for i in ids), name


def test_catalogue_is_consistent_and_bilingual():
    catalog = default_catalog()
    assert catalog.problems == ()
    for finding_id in catalog.ids():
        entry = catalog.get(finding_id)
        assert re.fullmatch(r"[A-Z][A-Z0-9]*(_[A-Z0-9]+)+", finding_id), finding_id
        assert entry.title and entry.title_vi, finding_id
        assert entry.description and entry.description_vi, finding_id
        # Vietnamese text carries Vietnamese letters (a title left in English would not)
        assert re.search(r"[àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ]",
                         entry.description_vi.lower()), finding_id


def test_catalogue_loader_reports_duplicates_and_bad_entries(tmp_path):
    (tmp_path / "a.json").write_text(json.dumps({"X_ONE": {"severity": "low", "title": "one"}}), encoding="utf-8")
    (tmp_path / "b.json").write_text(json.dumps({"X_ONE": {"severity": "high", "title": "again"},
                                                 "X_BAD": {"severity": "severe", "title": "bad"},
                                                 "_comment": "ignored"}), encoding="utf-8")
    catalog = load_catalog(tmp_path)
    assert catalog.ids() == ["X_ONE"] and catalog.get("X_ONE").severity == "low"
    assert len(catalog.problems) == 2


def test_risk_model_page_is_generated_from_the_data():
    page = (ROOT / "docs" / "risk-model.md").read_text(encoding="utf-8")
    assert page == render_markdown(), (
        "docs/risk-model.md is stale: run `python -m apkscan.report.risk_model_doc > docs/risk-model.md`")
    for verdict in ("genuine", "fake", "malicious", "suspicious", "clean", "error"):
        assert f"**{verdict}**" in page
    for combo in default_model().combinations:
        assert combo.id in page
