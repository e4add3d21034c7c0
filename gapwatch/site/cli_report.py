"""What `gapwatch validate` and `gapwatch schema` print."""

from __future__ import annotations

import json
import sys

from gapwatch.site.json_schema import site_json_schema
from gapwatch.site.loader import read_site
from gapwatch.site.problems import Language
from gapwatch.site.summary import language_from_env, site_summary

__all__ = ["schema_command", "validate_command"]

EXIT_INVALID = 2


def _language(option: str) -> Language:
    chosen = option.strip().lower()
    if chosen.startswith("zh"):
        return "zh"
    if chosen.startswith("en"):
        return "en"
    return language_from_env()


def validate_command(path: str, lang: str = "") -> int:
    """Check a site file: summary on stdout and 0, or problems on stderr and 2."""
    language = _language(lang)
    try:
        reading = read_site(path)
    except Exception as exc:  # a fault of ours must still not show a traceback to the user
        sys.stderr.write(
            f"{path}:1: could not be checked ({type(exc).__name__}: {exc})"
            f" ｜ 无法检查（{type(exc).__name__}: {exc}）\n"
        )
        return EXIT_INVALID
    for problem in reading.errors:
        sys.stderr.write(problem.render(language) + "\n")
    label = "warning" if language == "en" else "警告"
    for warning in reading.warnings:
        message = warning.text.zh if language == "zh" else warning.text.en
        sys.stderr.write(f"{warning.file}:{warning.line}: {label}: {message}\n")
    if reading.errors or reading.spec is None:
        count = len(reading.errors)
        sys.stderr.write(
            f"{path}: {count} problem(s); nothing was loaded ｜ {count} 个问题；未加载\n"
        )
        return EXIT_INVALID
    text = site_summary(reading.spec)
    sys.stdout.write(f"{text.en} ｜ {text.zh}\n")
    return 0


def schema_command() -> int:
    """Print the site file's JSON Schema."""
    sys.stdout.write(json.dumps(site_json_schema(), ensure_ascii=False, indent=2) + "\n")
    return 0
