"""`gapwatch import wvp|onvif`: read a platform, merge into the site file, report, write safely.

Nothing is written unless the platform was read completely and the merged file passes the same
checks `gapwatch validate` runs; the new file replaces the old one in one rename.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO, cast

from gapwatch.platforms.credentials import SecretMissing, resolve_password
from gapwatch.platforms.merge import MergeReport, SiteDocument, merge_inventory
from gapwatch.platforms.types import Inventory, PlatformError, PlatformUnreachable
from gapwatch.site.datum import Datum, to_wgs84
from gapwatch.site.loader import read_site

__all__ = ["EXIT_BAD_INPUT", "EXIT_UNREACHABLE", "ImportRequest", "run_import"]

EXIT_BAD_INPUT = 2
EXIT_UNREACHABLE = 3


@dataclass(frozen=True)
class ImportRequest:
    """What the command line asked for, common to every importer."""

    site: Path | None
    platform: str
    password_env: str
    secrets_file: Path | None
    output_format: str
    prune: bool = False


def _err(text: str) -> None:
    sys.stderr.write(text + "\n")


def _load_document(path: Path | None) -> SiteDocument | str:
    if path is None or not path.exists():
        stem = path.stem if path is not None else "imported"
        return SiteDocument.new(stem.replace(" ", "-")[:64] or "imported", stem or "imported")
    reading = read_site(path)
    if reading.errors:
        lines = [p.render("en") for p in reading.errors]
        return "\n".join(
            [
                *lines,
                f"{path}: fix the site file first; nothing imported ｜ 请先修正站点文件；未导入",
            ]
        )
    try:
        return SiteDocument.load(path)
    except (OSError, ValueError) as error:
        return str(error)


def _write_checked(doc: SiteDocument, path: Path) -> str | None:
    """Write `doc` to `path` if it passes validation; the problems otherwise (nothing written)."""
    text = doc.dump()
    folder = path.resolve().parent
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".yaml", dir=folder)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        reading = read_site(tmp)
        if reading.errors:
            return "\n".join(p.render("en").replace(str(tmp), str(path)) for p in reading.errors)
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        os.replace(tmp, path)
        return None
    finally:
        if tmp.exists():
            tmp.unlink()


def _print_report(
    report: MergeReport, output_format: str, written: Path | None, out: TextIO
) -> None:
    if output_format == "json":
        body = report.as_dict() | {"written": str(written) if written else None}
        out.write(json.dumps(body, ensure_ascii=False) + "\n")
        return
    out.write(
        f"{report.platform}: {len(report.added)} added, {len(report.changed)} changed, "
        f"{len(report.gone)} gone, {len(report.unplaced)} unplaced ｜ "
        f"新增 {len(report.added)}，变更 {len(report.changed)}，消失 {len(report.gone)}，"
        f"待定位 {len(report.unplaced)}\n"
    )
    for camera_id in report.added:
        out.write(f"  + {camera_id}\n")
    for camera_id, fields in report.changed.items():
        out.write(f"  ~ {camera_id}: {', '.join(fields)}\n")
    for camera_id in report.gone:
        out.write(f"  - {camera_id} (gone from the platform ｜ 平台上已不存在)\n")
    for channel_id in report.unplaced:
        out.write(
            f"  ? {channel_id} (under unplaced: needs a location or play URL ｜ "
            f"列于 unplaced：需补充位置或播放地址)\n"
        )
    for note in report.notes:
        out.write(f"  ! {note}\n")
    if written is not None:
        out.write(f"wrote {written} ｜ 已写入 {written}\n")


def run_import(
    request: ImportRequest,
    *,
    read: Callable[[str], Inventory],
    source: Mapping[str, Any],
    onvif: Mapping[str, Any] | None = None,
    placed: Mapping[str, tuple[float, float]] | None = None,
) -> int:
    """Resolve the password, read the platform with `read(password)`, merge, write, report.

    `placed` positions (by platform id, `*` for any) are in the site file's own datum."""
    doc = _load_document(request.site)
    if isinstance(doc, str):
        _err(doc)
        return EXIT_BAD_INPUT
    try:
        password = resolve_password(request.password_env, secrets_file=request.secrets_file)
    except (SecretMissing, OSError) as error:
        _err(str(error))
        return EXIT_BAD_INPUT
    try:
        inventory = read(password)
    except PlatformUnreachable as error:
        _err(f"{error}; nothing written ｜ 未写入任何内容")
        return EXIT_UNREACHABLE
    except PlatformError as error:
        _err(f"{error}; nothing written ｜ 未写入任何内容")
        return EXIT_BAD_INPUT
    finally:
        del password
    datum = doc.datum()
    wgs84 = {
        key: to_wgs84(cast(Datum, datum if datum in ("gcj02", "bd09") else "wgs84"), *where)
        for key, where in (placed or {}).items()
    }
    report = merge_inventory(
        doc, inventory, source=source, onvif=onvif, prune=request.prune, placed=wgs84
    )
    if request.site is None:
        sys.stdout.write(doc.dump())  # the site file on stdout, the report beside it on stderr
        _print_report(report, request.output_format, None, sys.stderr)
        return 0
    problems = _write_checked(doc, request.site)
    if problems is not None:
        _err(problems)
        _err(f"{request.site}: the merged file would not load; nothing written ｜ 合并结果无法加载")
        return EXIT_BAD_INPUT
    _print_report(report, request.output_format, request.site, sys.stdout)
    return 0
