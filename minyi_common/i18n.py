"""Translating what the API says to people (docs/office.md): Chinese unless the caller asks for
English with ``Accept-Language: en``.

Services raise errors with English texts filled in from the templates in ``messages``;
here each text is matched back to its template, which gives the stable ``code`` and the
gettext translation (``locale/<lang>/LC_MESSAGES/minyi.po``, read with Babel). Values
filled into a template that are code names (statuses, roles, categories, ...) are put in
words too, so a person never reads ``local_matter`` or ``retained``.
"""
import functools
import os
import re
import string

from babel.messages.pofile import read_po

from . import messages, words

DEFAULT_LANGUAGE = "zh"
LOCALE_DIR = os.path.join(os.path.dirname(__file__), "locale")

# Code names a template may be filled with, in words.
WORDS = {
    **words.CATEGORIES, **words.REJECT_REASONS, **words.STATUSES, **words.ROLES,
    **words.LEVELS, **words.OUTCOMES, **words.MODES, **words.UNIT_KINDS,
    "adopt": "采用", "return": "退回", "retain": "留存", "reject": "不予采用",
    "pending": "待发送", "sending": "发送中", "sent": "已发送", "failed": "发送失败",
    "intake": "报送", "review": "审核", "scoring": "积分", "notify": "通知",
    "username": "用户名", "phone": "手机号", "email": "邮箱",
}
def language(accept_language: str | None) -> str:
    """``zh`` or ``en`` from an Accept-Language header; Chinese unless English is preferred
    over Chinese (a browser in English that the web app marks zh-CN stays Chinese)."""
    best, best_q = DEFAULT_LANGUAGE, -1.0
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in ("zh", "en"):
            continue
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q <= 0:
            continue  # q=0: not acceptable
        q -= position * 1e-6  # equal weights: the first named wins
        if q > best_q:
            best, best_q = primary, q
    return best


@functools.cache
def _catalogue(lang: str) -> dict:
    path = os.path.join(LOCALE_DIR, f"{lang}_CN" if lang == "zh" else lang, "LC_MESSAGES",
                        "minyi.po")
    if not os.path.exists(path):
        return {}
    with open(path, "rb") as po:
        return {m.id: m.string for m in read_po(po) if m.id and m.string}


class _Template:
    def __init__(self, code: str | None, msgid: str):
        self.code, self.msgid = code, msgid
        pattern, self.names = "", []
        for literal, name, _, _ in string.Formatter().parse(msgid):
            pattern += re.escape(literal)
            if name is not None:
                pattern += f"(?P<{name}>.+?)" if name not in self.names else f"(?P={name})"
                self.names.append(name)
        self.regex = re.compile(pattern + r"\Z", re.DOTALL)
        self.specificity = len(re.sub(r"\{[^}]*\}", "", msgid))

    def match(self, text: str):
        found = self.regex.match(text)
        return found.groupdict() if found else None


@functools.cache
def _templates(group: str) -> tuple:
    if group == "titles":
        items = messages.TITLES
    elif group == "details":
        items = messages.DETAILS
    else:
        items = [(None, m) for m in messages.FIELD_MESSAGES]
    # The most literal text first, so "no report {id} in review" beats "no report {id}".
    return tuple(sorted((_Template(c, m) for c, m in items), key=lambda t: -t.specificity))


def _words(name: str, value: str) -> str:
    value = value.strip("'\"")
    if name == "period":
        return words.period_words(value)
    if ", " in value or " and " in value:
        parts = re.split(r", | and ", value)
        if all(p.strip("'\"") in WORDS for p in parts):
            return "、".join(WORDS[p.strip("'\"")] for p in parts)
    return WORDS.get(value, value)


def _translate(group: str, text: str, lang: str) -> tuple:
    """(code, translated text) of one text; (None, text) when no template matches."""
    for template in _templates(group):
        values = template.match(text)
        if values is None:
            continue
        if lang == "en":
            return template.code, text
        translated = _catalogue(lang).get(template.msgid)
        if not translated:
            return template.code, text
        words = {name: _words(name, value) for name, value in values.items()}
        return template.code, translated.format(**words)
    return None, text


def translate_title(title: str, lang: str) -> str:
    return _translate("titles", title, lang)[1]


def translate_detail(detail: str, lang: str) -> tuple:
    return _translate("details", detail, lang)


def translate_field_errors(errors, lang: str):
    """A marshmallow error structure (dicts, lists, strings) with every message translated."""
    if isinstance(errors, dict):
        return {str(key): translate_field_errors(value, lang) for key, value in errors.items()}
    if isinstance(errors, (list, tuple)):
        return [translate_field_errors(value, lang) for value in errors]
    if isinstance(errors, str):
        return _translate("fields", errors, lang)[1]
    return errors


def translate_message(text: str, lang: str) -> str:
    """One field message (as in ``errors``) in the caller's language."""
    return _translate("fields", text, lang)[1]


def code_for_title(title: str) -> str | None:
    return _translate("titles", title, "en")[0]
