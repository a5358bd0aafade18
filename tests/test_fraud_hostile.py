"""Hostile manifests: whatever the decoder hands over, the fraud analyzers never raise."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apkscan.analyzers import components, permissions
from apkscan.analyzers.capabilities import build as build_caps
from apkscan.analyzers.combinations import evaluate as combos
from apkscan.analyzers.identity import identity_verdict_hint, resolve_facts
from apkscan.analyzers.resource_xml import Node, to_node
from apkscan.model import AppFacts, Component, IntentFilter, SigningResult
from apkscan.trust import load_store

weird = st.one_of(st.none(), st.booleans(), st.integers(-2**40, 2**40), st.text(max_size=40),
                  st.sampled_from(["0xffffffff", "typeAllMask|bogus", "mediaProjection|", "true", "@xml/a11y",
                                   "android.provider.Telephony.SMS_RECEIVED", "VNeID", "Dịch vụ công"]))
names = st.one_of(st.text(max_size=30), st.sampled_from([
    "android.permission.READ_SMS", "android.permission.BIND_ACCESSIBILITY_SERVICE", "android.permission.FOO",
    "android.accessibilityservice.AccessibilityService", "android.intent.action.MAIN",
    "android.intent.category.LAUNCHER", "android.provider.Telephony.SMS_DELIVER"]))
filters = st.builds(IntentFilter, st.lists(names, max_size=3).map(tuple), st.lists(names, max_size=3).map(tuple),
                    st.lists(st.dictionaries(st.sampled_from(["scheme", "host"]), st.text(max_size=8), max_size=2),
                             max_size=2).map(tuple), weird)
comps = st.builds(Component, st.sampled_from(["activity", "activity-alias", "service", "receiver", "provider", "x"]),
                  names, st.one_of(st.none(), st.booleans()), st.none(), st.one_of(st.none(), names), st.booleans(),
                  st.lists(filters, max_size=2).map(tuple),
                  st.dictionaries(st.sampled_from(["foregroundServiceType", "label", "x"]), weird, max_size=2),
                  st.dictionaries(st.sampled_from(["android.accessibilityservice", "android.app.device_admin"]),
                                  weird, max_size=2))
facts_st = st.builds(
    AppFacts, package=st.one_of(st.none(), names, st.sampled_from(["com.vnid", "com.vnid.x", "com.vnld"])),
    label=st.one_of(st.none(), st.text(max_size=60), st.sampled_from(["VNelD", "Hướng dẫn VNeID", "EVN"])),
    labels=st.dictionaries(st.sampled_from(["", "vi", "en"]), st.text(max_size=30), max_size=2),
    permissions=st.lists(names, max_size=6).map(tuple), components=st.lists(comps, max_size=5).map(tuple),
    application=st.dictionaries(st.sampled_from(["usesCleartextTraffic", "networkSecurityConfig", "debuggable"]),
                                weird, max_size=3))
nodes = st.recursive(st.builds(Node, st.sampled_from(["accessibility-service", "uses-policies", "wipe-data",
                                                      "base-config", "certificates", "x"]),
                               st.dictionaries(st.sampled_from(["accessibilityEventTypes", "accessibilityFlags",
                                                                "canRetrieveWindowContent", "packageNames", "src",
                                                                "cleartextTrafficPermitted"]), weird, max_size=4)),
                     lambda kids: st.builds(Node, st.sampled_from(["device-admin", "network-security-config",
                                                                   "base-config", "trust-anchors"]),
                                            st.just({}), st.lists(kids, max_size=3).map(tuple)), max_leaves=8)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(facts_st, nodes, st.sampled_from([SigningResult(verified=None), SigningResult(verified=False)]))
def test_analyzers_never_raise(facts, node, signing):
    rep = components.build_report(facts, lambda ref: (node, "res/xml/x.xml", None))
    found = components.report_findings(rep) + permissions.analyze_permissions(facts.permissions)
    caps = build_caps(facts, rep)
    found += combos(caps, rep)
    ident, more = resolve_facts(facts, signing, load_store(), caps)
    assert identity_verdict_hint(ident, signing) in (None, "genuine", "fake")
    for f in found + more:
        f.to_dict()


def test_to_node_tolerates_garbage_and_is_bounded():
    assert to_node(object()) is None and to_node(None) is None
    deep = {"tag": "a", "children": []}
    cur = deep
    for _ in range(10000):
        nxt = {"tag": "a", "children": []}
        cur["children"].append(nxt)
        cur = nxt
    node = to_node(deep)  # no RecursionError: depth is bounded
    assert node is not None and sum(1 for _ in node.iter()) <= 65
