"""The `gapwatch` command: validate and audit sites, probe streams, replay events, serve."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    name="gapwatch",
    help="Find and close the blind spots of a camera network.\n\n查找并消除视频监控网络的盲区。",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.command()
def coverage(
    site_file: Annotated[
        Path, typer.Argument(metavar="SITE", help="Site file (YAML). 站点配置文件。")
    ],
    down: Annotated[
        list[str] | None,
        typer.Option(
            "--down",
            metavar="CAMERA_ID",
            help="Treat this camera as broken (repeatable). 按故障计的摄像机（可重复）。",
        ),
    ] = None,
    output_format: Annotated[
        str,
        typer.Option(
            "--format",
            help="table | json | geojson (one FeatureCollection for QGIS). 输出格式。",
        ),
    ] = "table",
) -> None:
    """Coverage of every zone and its blind spots. 各区域覆盖率与盲区。"""
    from gapwatch.coverage.commands import coverage_command

    raise typer.Exit(coverage_command(site_file, down or [], output_format))


@app.command()
def audit(
    site_file: Annotated[
        Path, typer.Argument(metavar="SITE", help="Site file (YAML). 站点配置文件。")
    ],
    out: Annotated[
        Path,
        typer.Option("--out", metavar="DIR", help="Folder for the audit files. 审计结果目录。"),
    ],
    down: Annotated[
        list[str] | None,
        typer.Option(
            "--down",
            metavar="CAMERA_ID",
            help="Treat this camera as broken (repeatable). 按故障计的摄像机（可重复）。",
        ),
    ] = None,
) -> None:
    """Coverage audit: GeoJSON, CSV, PNG map and targets. 覆盖审计：地图、表格与国家目标对照。"""
    from gapwatch.coverage.commands import audit_command

    raise typer.Exit(audit_command(site_file, out, down or []))


@app.command()
def validate(
    site_file: Annotated[
        str, typer.Argument(metavar="SITE", help="Site file (YAML). 站点配置文件。")
    ],
    lang: Annotated[
        str,
        typer.Option(
            "--lang",
            help="Message language: en | zh (default: GAPWATCH_LANG, then the locale). 消息语言。",
        ),
    ] = "",
) -> None:
    """Check a site file; every problem as FILE:LINE: message. 检查站点文件并列出全部问题。"""
    from gapwatch.site.cli_report import validate_command

    raise typer.Exit(validate_command(site_file, lang))


@app.command()
def schema() -> None:
    """JSON Schema of the site file, for editors. 输出站点文件的 JSON Schema（供编辑器使用）。"""
    from gapwatch.site.cli_report import schema_command

    raise typer.Exit(schema_command())


def main() -> None:
    """Entry point of the `gapwatch` console script."""
    app()


if __name__ == "__main__":
    main()
