"""The catalogue: every template has a Chinese translation with the same placeholders,
codes are unique per template, and filled-in texts come back in Chinese with their code."""
import string

import pytest

from minyi_common import i18n, messages


def _names(text):
    return sorted(n for _, n, _, _ in string.Formatter().parse(text) if n is not None)


def test_every_template_has_a_chinese_translation_with_the_same_placeholders():
    catalogue = i18n._catalogue("zh")
    templates = ([m for _, m in messages.TITLES] + [m for _, m in messages.DETAILS]
                 + list(messages.FIELD_MESSAGES))
    missing = [t for t in templates if t not in catalogue]
    assert not missing
    for template in templates:
        assert _names(catalogue[template]) == _names(template), template
        assert any("\u4e00" <= ch <= "\u9fff" for ch in catalogue[template]), template


def test_a_code_names_one_kind_of_detail():
    codes = [c for c, _ in messages.DETAILS]
    assert len(codes) == len(set(codes))


@pytest.mark.parametrize("text, code, chinese", [
    ("a report in status 'adopted' cannot be edited", "cannot_edit", "已采用的信息不能修改"),
    ("no report r-1 in review", "report_not_in_review", "审核中没有信息 r-1"),
    ("no report r-1", "report_not_found", "信息 r-1 不存在"),
    ("this needs one of the roles: editor, admin", "role_required",
     "此操作需要以下角色之一：编辑、管理员"),
    ("the bulletin for 2026-Q3 is published already", "bulletin_published",
     "2026年第三季度通报已发布"),
    ("cannot retain a report that is adopted", "decision_not_allowed", "已采用的信息不能留存"),
])
def test_details_come_back_in_chinese_with_their_code(text, code, chinese):
    assert i18n.translate_detail(text, "zh") == (code, chinese)
    assert i18n.translate_detail(text, "en") == (code, text)


def test_field_messages_name_categories_in_words_not_code_names():
    errors = {"category": ["Must be one of: economy, rural, other."],
              "title": ["Length must be between 5 and 60."],
              "rules": {0: {"points": ["Not a valid number."]}}}
    assert i18n.translate_field_errors(errors, "zh") == {
        "category": ["须为以下之一：经济发展、乡村振兴、其他。"],
        "title": ["长度须在 5 至 60 字之间。"],
        "rules": {"0": {"points": ["须为数字。"]}}}


def test_an_unknown_text_is_left_as_it_is():
    assert i18n.translate_detail("something new", "zh") == (None, "something new")


@pytest.mark.parametrize("header, lang", [
    (None, "zh"), ("", "zh"), ("en", "en"), ("en-US,en;q=0.9", "en"), ("zh-CN,en;q=0.5", "zh"),
    ("en;q=0.3, zh", "zh"), ("fr, en;q=0.8", "en"), ("de", "zh"), ("en;q=abc", "zh"),
])
def test_the_language_comes_from_accept_language(header, lang):
    assert i18n.language(header) == lang
