"""What `gapwatch coverage` and `gapwatch audit` do, behind the thin wrappers in the CLI.

Each function returns the exit status: 0 done, 2 bad input (site file, camera id, format).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

    from gapwatch.site import Site

__all__ = ["FORMATS", "audit_command", "coverage_command"]

FORMATS = ("table", "json", "geojson")
EXIT_OK = 0
EXIT_BAD_INPUT = 2


def _error(message: str) -> int:
    sys.stderr.write(message.rstrip("\n") + "\n")
    return EXIT_BAD_INPUT


def _console() -> Console:
    """A console for tables; piped output gets a width that fits bilingual names."""
    from rich.console import Console

    console = Console()
    return console if console.is_terminal else Console(width=160)


def _load(site_file: Path) -> Site | int:
    """The loaded site, or the exit status after printing the loader's `FILE:LINE:` lines."""
    from gapwatch.site import SiteError, load_site
    from gapwatch.site.summary import language_from_env

    try:
        return load_site(site_file)
    except SiteError as err:
        # Same language as `gapwatch validate`: GAPWATCH_LANG, else the locale.
        return _error("\n".join(err.render(language_from_env())))


def coverage_command(site_file: Path, down: list[str], output_format: str) -> int:
    """Print coverage with the `down` cameras treated as broken, as table, JSON or GeoJSON."""
    if output_format not in FORMATS:
        return _error(
            f"未知格式 unknown --format {output_format!r}; choose one of: {', '.join(FORMATS)}"
        )
    site = _load(site_file)
    if isinstance(site, int):
        return site
    from gapwatch.coverage.audit import check_camera_ids
    from gapwatch.coverage.model import CoverageModel
    from gapwatch.coverage.report import (
        build_coverage_report,
        coverage_feature_collection,
        coverage_table,
    )

    try:
        down_ids = check_camera_ids(site, down)
    except ValueError as err:
        return _error(str(err))
    model = CoverageModel.from_site(site)
    healthy = [c.id for c in site.spec.cameras if c.id not in set(down_ids)]
    report = build_coverage_report(site, model.compute(healthy, overlap=False), down=down_ids)
    if output_format == "json":
        sys.stdout.write(report.model_dump_json() + "\n")
    elif output_format == "geojson":
        collection = coverage_feature_collection(site, report)
        sys.stdout.write(json.dumps(collection, ensure_ascii=False) + "\n")
    else:
        _console().print(coverage_table(report))
    return EXIT_OK


def audit_command(site_file: Path, out: Path, down: list[str]) -> int:
    """Run the audit, write its folder and print the summary."""
    site = _load(site_file)
    if isinstance(site, int):
        return site
    from gapwatch.coverage.audit import run_audit, write_audit
    from gapwatch.coverage.mapplot import MissingFontError, require_cjk_font
    from gapwatch.coverage.report import audit_summary_view

    try:
        require_cjk_font()  # before anything is written: a map of boxes is no audit
    except MissingFontError as err:
        return _error(str(err))
    try:
        audit = run_audit(site, down=down)
    except ValueError as err:
        return _error(str(err))
    try:
        written = write_audit(audit, out)
    except OSError as err:
        return _error(
            f"无法写入审计目录 cannot write the audit folder {out}: {err.strerror or err}"
        )
    console = _console()
    console.print(audit_summary_view(audit.summary))
    console.print(f"已写入 written to {out}: " + ", ".join(p.name for p in written))
    return EXIT_OK
