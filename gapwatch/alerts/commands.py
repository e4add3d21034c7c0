"""What `gapwatch replay` does, behind the thin wrapper in the CLI.

Exit status: 0 every line was used; 1 the replay ran but some lines were skipped (each named on
stderr); 2 nothing could run (bad site file, unreadable events file, unknown format).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

__all__ = ["EXIT_BAD_INPUT", "EXIT_OK", "EXIT_SKIPPED_LINES", "FORMATS", "replay_command"]

FORMATS = ("text", "json")
EXIT_OK = 0
EXIT_SKIPPED_LINES = 1
EXIT_BAD_INPUT = 2


def _error(message: str) -> int:
    sys.stderr.write(message.rstrip("\n") + "\n")
    return EXIT_BAD_INPUT


def replay_command(site_file: Path, events_file: Path, output_format: str) -> int:
    """Replay `events_file` against `site_file` and print the alerts raised."""
    if output_format not in FORMATS:
        return _error(
            f"未知格式 unknown --format {output_format!r}; choose one of: {', '.join(FORMATS)}"
        )
    from gapwatch.site import SiteError, load_site

    try:
        site = load_site(site_file)
    except SiteError as err:
        return _error("\n".join(err.problems))
    try:
        with events_file.open(encoding="utf-8-sig") as handle:
            lines = list(handle)
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        return _error(f"{events_file}:1: cannot be read: {reason} / 无法读取：{reason}")

    from gapwatch.alerts.replay import replay

    report = replay(site, lines)
    for problem in report.problems:
        sys.stderr.write(problem.text(str(events_file)) + "\n")
    if output_format == "json":
        sys.stdout.write(json.dumps(report.as_json(), ensure_ascii=False, indent=2) + "\n")
    else:
        sys.stdout.write(_text(report.alerts, report.events))
    return EXIT_SKIPPED_LINES if report.problems else EXIT_OK


def _text(alerts: list[dict[str, Any]], events: int) -> str:
    lines = [
        f"{events} events replayed, {len(alerts)} alerts / "
        f"回放 {events} 条事件，告警 {len(alerts)} 条"
    ]
    for a in alerts:
        state = a["status"] + (" flapping/抖动" if a["flapping"] else "")
        state += " silenced/静默" if a["silenced"] else ""
        lines.append(
            f"{a['opened_at']}  {a['severity']:<8} {a['kind']:<15} {state:<12} "
            f"{','.join(a['cameras']) or '-'}  blind {a['blind_spot_m2']:.0f} m² "
            f"({','.join(a['zones']) or '-'})"
        )
        if a["resolved_at"]:
            lines.append(f"    resolved 已解除 {a['resolved_at']}")
        if a["escalation_level"]:
            lines.append(f"    escalated 已升级 level {a['escalation_level']}")
        for t in a["tasks"]:
            lines.append(f"    {t['kind']:<13} {t['assignee'] or '-':<10} {t['status']}")
    return "\n".join(lines) + "\n"
