"""How big a site file may be: checked before the schema, so a huge file is refused in
milliseconds with a line number instead of being validated into gigabytes of memory.

A province has tens of thousands of cameras; these limits sit well above that and far below
what would take the service down (a million obstacles reached 5.8 GB).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gapwatch.site.models import MAX_VERTICES
from gapwatch.site.problems import Locator, Problem

__all__ = [
    "MAX_SECTION_ITEMS",
    "MAX_SITE_FILE_BYTES",
    "MAX_TOTAL_VERTICES",
    "check_sizes",
]

MAX_SITE_FILE_BYTES = 64 * 1024 * 1024
"""A site file (or one GeoJSON layer) larger than this is refused unread."""

MAX_SECTION_ITEMS: dict[str, int] = {
    "zones": 20_000,
    "obstacles": 200_000,
    "cameras": 100_000,
    "patrol_units": 10_000,
    "roads": 50_000,
    "periods": 1_000,
    "maintenance": 10_000,
}
"""Items allowed in each list section of the merged document (site file and GeoJSON layers)."""

MAX_TOTAL_VERTICES = 4_000_000
"""Points of all polygons and road lines together."""

_SHAPED = (("zones", "polygon"), ("obstacles", "polygon"), ("roads", "line"))


def _count(
    locator: Locator, path: Sequence[str | int], n: int, most: int, what: str, zh: str
) -> Problem:
    return locator.problem(
        path,
        f"{n:,} {what}; at most {most:,} are allowed",
        f"{n:,} 个{zh}；最多允许 {most:,} 个",
        prefer_key=True,  # the line of `obstacles:`, not of its first item
    )


def check_sizes(data: dict[str, Any], locator: Locator) -> list[Problem]:
    """Problems with the document's sizes; when there are any, nothing else should be checked."""
    problems: list[Problem] = []
    for section, most in MAX_SECTION_ITEMS.items():
        items = data.get(section)
        if isinstance(items, list) and len(items) > most:
            problems.append(_count(locator, (section,), len(items), most, "items", "条目"))
    total = 0
    for section, key in _SHAPED:
        items = data.get(section)
        if not isinstance(items, list):
            continue
        for index, item in enumerate(items):
            points = item.get(key) if isinstance(item, dict) else None
            if not isinstance(points, list):
                continue
            total += len(points)
            if len(points) > MAX_VERTICES:
                problems.append(
                    _count(
                        locator, (section, index, key), len(points), MAX_VERTICES, "points", "点"
                    )
                )
    if total > MAX_TOTAL_VERTICES:
        problems.append(
            _count(locator, (), total, MAX_TOTAL_VERTICES, "points in all shapes", "形状点")
        )
    return problems
