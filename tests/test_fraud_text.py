"""Label comparison: NFKC, Vietnamese folding, TR39 skeletons, edit distance."""
from __future__ import annotations

import pytest

from apkscan.analyzers.text_similarity import (compare, edit_distance, find_phrase, fold_key,
                                               fold_vietnamese, skeleton, skeleton_key, tokens)


def test_vietnamese_folding_handles_d_with_stroke_and_tones():
    assert fold_vietnamese("Định danh điện tử") == "Dinh danh dien tu"
    assert fold_key("ĐỊNH DANH ĐIỆN TỬ") == "dinh danh dien tu"
    assert fold_key("Bộ Công an") == fold_key("bo cong an") == "bo cong an"
    # decomposed input (NFD, as some resource compilers store it) folds the same way
    import unicodedata
    assert fold_key(unicodedata.normalize("NFD", "Dịch vụ công")) == "dich vu cong"


def test_nfkc_width_and_invisible_characters():
    assert fold_key("ＶＮｅＩＤ") == "vneid"
    assert fold_key("VN\u200beID") == "vneid"  # zero-width space
    assert compare("VN\u200beID", "VNeID").kind in ("folded", "confusable")


def test_tr39_skeleton_prototypes():
    assert skeleton("I") == skeleton("1") == skeleton("l") == "l"
    assert skeleton("m") == "rn"
    assert skeleton("\u0430") == "a"  # Cyrillic a
    assert skeleton("\u039d") == "N"  # Greek capital nu


@pytest.mark.parametrize("label", ["VNelD", "VNe1D", "VN\u0435ID", "V\u039deID", "VNe|D"])
def test_look_alikes_of_vneid_are_confusable(label):
    m = compare(label, "VNeID")
    assert m.kind == "confusable" and m.similarity == 0.95


def test_rn_m_look_alike():
    assert skeleton_key("rnobile") == skeleton_key("mobile")
    assert compare("Cornpany", "Company").kind == "confusable"


def test_case_and_diacritics_only_is_folded_not_exact():
    assert compare("VNeID", "VNeID").kind == "exact"
    assert compare("vneid", "VNeID").kind == "folded"
    assert compare("Dinh danh dien tu", "Định danh điện tử").kind == "folded"


def test_edit_distance_look_alike_and_limits():
    m = compare("VNNeID", "VNeID")
    assert m.kind == "edit" and m.distance == 1 and 0.8 <= m.similarity < 0.95
    assert compare("VNPT", "VNeID").kind == "none"
    assert compare("EVA", "EVN").kind == "none"  # too short for edits to mean anything
    assert compare("VietinBank", "VNeID").kind == "none"


def test_damerau_transposition_counts_once():
    assert edit_distance("vneid", "vnedi") == 1
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance("abc", "abcdefgh", limit=2) == 3


def test_phrase_search_on_tokens_and_glued_words():
    assert find_phrase(tokens("Hướng dẫn sử dụng VNeID"), tokens("VNeID")) == 4
    assert find_phrase(tokens("Cổng DichVuCong quốc gia"), tokens("Dịch vụ công")) == 1
    assert find_phrase(tokens("Ngân hàng"), tokens("Dịch vụ công")) == -1


def test_hostile_lengths_are_bounded():
    long = "VNeID " * 10000
    assert len(fold_key(long)) < 600
    assert compare(long, "VNeID").kind == "none"
