"""Shared helpers for the site tests: run the loader and find lines in the written text."""

from __future__ import annotations

from pathlib import Path

import pytest

from gapwatch.site import SiteError, load_site


def problems_of(path: Path) -> list[str]:
    """The `FILE:LINE: message` problems that refuse `path` (fails if it loads)."""
    with pytest.raises(SiteError) as caught:
        load_site(path)
    assert caught.value.problems, "a SiteError must carry at least one problem"
    return caught.value.problems


def line_of_text(text: str, needle: str, occurrence: int = 1) -> int:
    """1-based line of the `occurrence`-th line of `text` containing `needle`."""
    seen = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            seen += 1
            if seen == occurrence:
                return number
    raise AssertionError(f"{needle!r} not in the text")


def find(problems: list[str], needle: str) -> tuple[int, str]:
    """(line, whole problem) of the single problem that mentions `needle`."""
    hits = [p for p in problems if needle in p]
    assert len(hits) == 1, f"expected one problem with {needle!r}, got {hits} in {problems}"
    _, line, _ = hits[0].split(":", 2)
    return int(line), hits[0]
