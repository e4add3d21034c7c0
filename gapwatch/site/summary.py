"""One-line descriptions of a site for people: what a valid file holds."""

from __future__ import annotations

import os

from gapwatch.site.models import SiteFile
from gapwatch.site.problems import Language, Text

__all__ = ["language_from_env", "site_summary"]


def language_from_env() -> Language:
    """The language for messages: GAPWATCH_LANG (en|zh), else the locale, else English."""
    chosen = os.environ.get("GAPWATCH_LANG", "").strip().lower()
    if chosen.startswith("zh"):
        return "zh"
    if chosen.startswith("en"):
        return "en"
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "")
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def site_summary(spec: SiteFile) -> Text:
    """Counts of what the site holds, e.g. '12 zones, 40 cameras, ...'."""
    counts = (
        (len(spec.zones), "zone", "个区域"),
        (len(spec.cameras), "camera", "台摄像机"),
        (len(spec.obstacles), "obstacle", "个障碍物"),
        (len(spec.patrol_units), "patrol unit", "个巡逻单元"),
        (len(spec.roads), "road", "条道路"),
        (len(spec.periods), "period", "个时段"),
        (len(spec.maintenance), "maintenance window", "个维护时段"),
    )
    en = ", ".join(f"{n} {word}{'' if n == 1 else 's'}" for n, word, _ in counts)
    zh = "，".join(f"{n} {word}" for n, _, word in counts)
    return Text(f"{spec.site.id}: valid; {en}", f"{spec.site.id}：有效；{zh}")
