"""The dashboard's files themselves: every module type-checked, every string translated both
ways, English free of full-width punctuation."""

from __future__ import annotations

import json
import re

from gapwatch.api.app import STATIC_DIR

FULL_WIDTH = re.compile(r"[（），。：；、！？]")
# Keys the code builds from a prefix and a server code (tCode), not spelled out in full.
PREFIXES = ("timeline.alert.", "timeline.task.")


def _dictionaries() -> dict[str, dict[str, str]]:
    return {
        lang: json.loads((STATIC_DIR / "i18n" / f"{lang}.json").read_text(encoding="utf-8"))
        for lang in ("zh-CN", "en")
    }


def test_every_module_is_type_checked() -> None:
    modules = sorted(STATIC_DIR.glob("*.js"))
    assert len(modules) >= 8
    unchecked = [
        p.name for p in modules if not p.read_text(encoding="utf-8").startswith("// @ts-check")
    ]
    assert unchecked == []


def test_both_languages_have_every_string_the_pages_use() -> None:
    zh, en = _dictionaries().values()
    assert zh.keys() == en.keys()
    used: set[str] = set()
    for path in [*STATIC_DIR.glob("*.js"), *STATIC_DIR.glob("*.html")]:
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r'\bt\("([\w.]+)"', text))
        used |= set(re.findall(r'data-i18n(?:-placeholder|-title)?="([\w.]+)"', text))
    missing = sorted(k for k in used if k not in zh)
    assert missing == []
    assert any(k.startswith(PREFIXES) for k in zh)


def test_english_has_no_full_width_punctuation_and_chinese_brackets_are_full_width() -> None:
    zh, en = _dictionaries().values()
    wrong = {k: v for k, v in en.items() if FULL_WIDTH.search(v)}
    assert wrong == {}
    assert zh["common.bracket"] == "（{text}）" and en["common.bracket"] == "({text})"
