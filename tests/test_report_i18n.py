"""UI strings: the Vietnamese translation is complete, correctly accented and keeps every placeholder."""
from __future__ import annotations

import re
import string
import unicodedata

import pytest

from apkscan import i18n

VIETNAMESE_LETTERS = re.compile(r"[àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ]", re.I)


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_both_languages_have_the_same_keys_and_placeholders():
    en, vi = i18n.strings("en"), i18n.strings("vi")
    assert set(en) == set(vi)
    for key in en:
        assert placeholders(en[key]) == placeholders(vi[key]), key


def test_vietnamese_is_precomposed_and_accented():
    vi = i18n.strings("vi")
    for key, text in vi.items():
        assert unicodedata.normalize("NFC", text) == text, key  # no decomposed combining marks
    # Sentences (more than two words) must carry Vietnamese letters: an untranslated one would not.
    untranslated = [k for k, v in vi.items() if len(v.split()) > 2 and not VIETNAMESE_LETTERS.search(v)]
    assert untranslated == []
    differing = [k for k in vi if vi[k] != i18n.strings("en")[k]]
    assert len(differing) > 0.9 * len(vi)


def test_official_advice_wording():
    vi = i18n.strings("vi")
    assert "App Store" in vi["advice.install_only"] and "CH Play" in vi["advice.install_only"]
    assert "không bao giờ" in vi["advice.police"] and "mạng xã hội" in vi["advice.police"] and "kích hoạt" in vi["advice.police"]
    assert "1900.0368" in vi["advice.hotline"]


def test_lookup_and_errors():
    assert i18n.t("html.apps_analysed", "vi", n=3) == "Số ứng dụng đã phân tích: 3"
    assert i18n.verdict_name("fake", "vi") == "Giả mạo" and i18n.level_name("critical", "en") == "critical"
    with pytest.raises(KeyError):
        i18n.t("no.such.key", "vi")
    with pytest.raises(ValueError):
        i18n.strings("fr")


def test_reveal_text_marks_invisible_characters():
    assert i18n.reveal_text("VNe\u200bID\u202e") == "VNe<U+200B>ID<U+202E>"
    assert i18n.reveal_text("Định danh điện tử") == "Định danh điện tử"
    assert i18n.reveal_text("a\tb\nc") == "a<U+0009>b<U+000A>c"
