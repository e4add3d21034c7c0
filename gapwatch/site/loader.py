"""Load a site file: read YAML, merge GeoJSON sources, validate, convert the datum, check meaning.

Every problem is collected before anything is refused, so a technician fixes the whole file in
one pass instead of one error per run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from gapwatch.site.checks import check_site
from gapwatch.site.dem import check_dem
from gapwatch.site.geojson_source import merge_geojson_sources
from gapwatch.site.limits import MAX_SITE_FILE_BYTES, check_sizes
from gapwatch.site.loaded import Site, SiteError
from gapwatch.site.messages import describe_error
from gapwatch.site.models import SiteFile
from gapwatch.site.parts import SiteParts
from gapwatch.site.problems import Locator, Problem, Text, key_path
from gapwatch.site.projection import LocalProjection
from gapwatch.site.yaml_lines import YamlSyntaxError, parse_yaml

__all__ = ["SiteReading", "load_site", "read_site"]


@dataclass(frozen=True)
class SiteReading:
    """What reading a site file gave: the spec and projection when usable, every problem."""

    path: Path
    spec: SiteFile | None = None
    projection: LocalProjection | None = None
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


def _fatal(path: Path, line: int, en: str, zh: str) -> SiteReading:
    return SiteReading(path, errors=[Problem(path, line, Text(en, zh))])


def _too_big(site_path: Path, size: int) -> SiteReading:
    mib = MAX_SITE_FILE_BYTES // (1024 * 1024)
    return _fatal(
        site_path,
        1,
        f"is {size / 1024 / 1024:,.1f} MiB; a site file may be at most {mib} MiB",
        f"大小为 {size / 1024 / 1024:,.1f} MiB；站点文件最大 {mib} MiB",
    )


def _read_text(site_path: Path) -> str | SiteReading:
    try:
        with site_path.open("rb") as handle:
            # Read one byte past the limit: a pipe or /dev/zero has no size to stat.
            raw = handle.read(MAX_SITE_FILE_BYTES + 1)
        if len(raw) > MAX_SITE_FILE_BYTES:
            return _too_big(site_path, max(len(raw), site_path.stat().st_size))
    except FileNotFoundError:
        return _fatal(site_path, 1, "file not found", "文件不存在")
    except IsADirectoryError:
        return _fatal(site_path, 1, "is a folder, not a site file", "是文件夹，不是站点文件")
    except OSError as exc:
        reason = exc.strerror or str(exc)
        return _fatal(site_path, 1, f"cannot be read: {reason}", f"无法读取：{reason}")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return _fatal(site_path, line, "not UTF-8 text", "不是 UTF-8 文本")


def read_site(path: str | Path) -> SiteReading:
    """Read and check a site file, collecting every error and warning instead of raising."""
    site_path = Path(path)
    text = _read_text(site_path)
    if isinstance(text, SiteReading):
        return text
    parsed = parse_yaml(text)
    if isinstance(parsed, YamlSyntaxError):
        zh = parsed.message.replace("YAML syntax", "YAML 语法错误")
        return _fatal(site_path, parsed.line, parsed.message, zh)
    if parsed.data is None:
        return _fatal(site_path, 1, "file is empty", "文件为空")
    if not isinstance(parsed.data, dict):
        return _fatal(
            site_path,
            parsed.lines.line_of(()),
            "the top level must be a mapping of keys (site, zones, cameras, ...)",
            "顶层必须是键值映射（site、zones、cameras 等）",
        )

    locator = Locator(site_path, parsed.lines)
    errors: list[Problem] = []
    for dup in parsed.duplicates:
        shown = key_path(dup.path)
        errors.append(
            Problem(
                site_path,
                dup.line,
                Text(
                    f"{shown}: key written twice (first on line {dup.first_line}); keep only one",
                    f"{shown}: 键重复（首次出现在第 {dup.first_line} 行）；只能保留一个",
                ),
            )
        )

    data: dict[str, Any] = dict(parsed.data)
    yaml_counts = {
        section: len(data[section]) if isinstance(data.get(section), list) else 0
        for section in ("zones", "obstacles")
    }
    sizes = check_sizes(data, locator)
    if sizes:
        return SiteReading(site_path, errors=sizes)
    geo_errors, warnings = merge_geojson_sources(data, site_path, locator)
    errors.extend(geo_errors)
    sizes = check_sizes(data, locator)
    if sizes:
        return SiteReading(site_path, errors=[*errors, *sizes], warnings=warnings)

    spec: SiteFile | None
    try:
        spec = SiteFile.model_validate(data)
    except ValidationError as exc:
        spec = None
        for error in exc.errors(include_url=False):
            loc = [p for p in error["loc"] if isinstance(p, str | int)]
            message = describe_error(SiteFile, error)
            unknown_key = error["type"] == "extra_forbidden"
            errors.append(locator.problem(loc, message.en, message.zh, prefer_key=unknown_key))

    # Meaning checks run on every item that passed the schema, so one pass reports everything.
    parts = SiteParts.from_spec(spec) if spec is not None else SiteParts.from_raw(data)
    parts = parts.to_wgs84(yaml_counts)
    check_errors, check_warnings = check_site(parts, data, locator, site_path)
    errors.extend(check_errors)
    warnings.extend(check_warnings)
    # The site as it will be served, once nothing else is wrong with it.
    served = parts.apply_to(spec) if spec is not None and not errors else None
    # A DEM named under `terrain:` is opened and checked against the site's ground (site/dem.py).
    errors.extend(check_dem(spec, data, locator, site_path, list(parts.positions()), served))

    def order(problem: Problem) -> tuple[bool, str, int]:
        # The site file's own problems first, then each GeoJSON layer's, each by line.
        return (problem.file != site_path, str(problem.file), problem.line)

    # One bad property of a MultiPolygon feature is reported once, not once per part.
    errors = sorted(dict.fromkeys(errors), key=order)
    warnings.sort(key=order)
    if errors or served is None:
        return SiteReading(site_path, errors=errors, warnings=warnings)
    positions = list(parts.positions())
    if not positions:
        return SiteReading(
            site_path,
            errors=[
                locator.problem(
                    (),
                    "the site has no zones, cameras or other positions",
                    "站点没有任何区域、摄像机或其他位置",
                )
            ],
            warnings=warnings,
        )
    return SiteReading(
        site_path,
        spec=served,
        projection=LocalProjection.around(positions),
        warnings=warnings,
    )


def load_site(path: str | Path) -> Site:
    """Load a site file; raise SiteError listing every problem as `FILE:LINE: message`."""
    reading = read_site(path)
    if reading.errors or reading.spec is None or reading.projection is None:
        raise SiteError.from_problems(reading.errors, reading.warnings)
    return Site(reading.spec, reading.path, reading.projection, tuple(reading.warnings))
