"""Whatever a technician types, loading ends in a site or in FILE:LINE problems, never a crash."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gapwatch.site import SiteError, load_site
from tests.site.conftest import VALID_SITE

_LINES = VALID_SITE.splitlines()
_PROBLEM = re.compile(r"^(?P<file>.+):(?P<line>\d+): \S.*$")

edits = st.lists(
    st.tuples(
        st.sampled_from(["delete", "duplicate", "replace_value", "indent", "insert"]),
        st.integers(0, len(_LINES) - 1),
        st.sampled_from(
            [
                "",
                "-1",
                "1e999",
                ".nan",
                "[1, 2",
                "{a: b}",
                "null",
                "'x'",
                "yes",
                "[]",
                "\t",
                "18:30",
                "2026-02-30",
                "*nope",
                "&a",
                "rtsp://u:secret@h/x",
                "[[1, 2], [1, 2]]",
                "2026-10-09T10:00+08:00",
                "~",
                "0x1F",
                "[35.1, 104.0]",
            ]
        ),
    ),
    min_size=1,
    max_size=4,
)


def _apply(lines: list[str], edit: tuple[str, int, str]) -> list[str]:
    kind, at, token = edit
    at = min(at, len(lines) - 1)
    if not lines:
        return [token]
    line = lines[at]
    if kind == "delete":
        return lines[:at] + lines[at + 1 :]
    if kind == "duplicate":
        return [*lines[: at + 1], line, *lines[at + 1 :]]
    if kind == "replace_value" and ": " in line:
        key = line.split(": ", 1)[0]
        return [*lines[:at], f"{key}: {token}", *lines[at + 1 :]]
    if kind == "indent":
        return [*lines[:at], "  " + line, *lines[at + 1 :]]
    return [*lines[:at], token, *lines[at:]]


@pytest.mark.slow
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(edits)
def test_any_edit_gives_a_site_or_located_problems(
    tmp_path: Path, edit_list: list[tuple[str, int, str]]
) -> None:
    lines = list(_LINES)
    for edit in edit_list:
        lines = _apply(lines, edit)
    path = tmp_path / "fuzz.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    try:
        load_site(path)
    except SiteError as error:
        assert error.problems
        for problem in error.problems:
            match = _PROBLEM.match(problem)
            assert match, problem
            assert int(match["line"]) >= 1
            assert "secret" not in problem
