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


@app.command()
def serve(
    site: Annotated[
        Path | None, typer.Option("--site", help="Site file (or GAPWATCH_SITE). 站点文件。")
    ] = None,
    db: Annotated[
        str | None, typer.Option("--db", help="SQLAlchemy URL (or GAPWATCH_DB_URL). 数据库地址。")
    ] = None,
    host: Annotated[str | None, typer.Option("--host", help="Bind address. 监听地址。")] = None,
    port: Annotated[int | None, typer.Option("--port", help="Port. 端口。")] = None,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo",
            help="Also run a local dispatch receiver that logs the signed tasks, and keep an "
            "admin token in var/demo-admin-token. 演示模式：本地调度接收端与管理员令牌。",
        ),
    ] = False,
) -> None:
    """Run the service: probing, alerts, API and dashboard. 运行服务：探测、告警、接口与看板。"""
    from gapwatch.api.commands import serve_command

    raise typer.Exit(serve_command(site, db, host, port, demo=demo))


token_app = typer.Typer(help="API tokens. 访问令牌。", no_args_is_help=True)
app.add_typer(token_app, name="token")


@token_app.command("create")
def token_create(
    role: Annotated[
        str, typer.Option("--role", help="operator | technician | dispatcher | admin. 角色。")
    ],
    name: Annotated[str | None, typer.Option("--name", help="Who holds it. 持有人。")] = None,
    db: Annotated[
        str | None, typer.Option("--db", help="SQLAlchemy URL (or GAPWATCH_DB_URL). 数据库地址。")
    ] = None,
    endpoint: Annotated[
        str | None,
        typer.Option(
            "--endpoint",
            help="Dispatcher: the dispatch endpoint id whose tasks it may see. 绑定的调度端点。",
        ),
    ] = None,
    unit: Annotated[
        str | None,
        typer.Option(
            "--unit", help="Dispatcher: the patrol unit whose tasks it may see. 绑定的巡逻单元。"
        ),
    ] = None,
) -> None:
    """Create a bearer token and print it once; a dispatcher's is bound to --endpoint and/or
    --unit. 创建访问令牌并仅显示一次；调度令牌须绑定端点或单元。"""
    from gapwatch.api.commands import token_create_command

    raise typer.Exit(token_create_command(role, name, db, endpoint=endpoint, unit=unit))


@app.command()
def probe(
    source: Annotated[
        str | None,
        typer.Argument(
            metavar="SOURCE",
            help="Stream: rtsp://, rtmp://, http(s):// (FLV, HLS .m3u8, MJPEG, TS), ws(s):// "
            "(WS-FLV), file path or file://. 视频流地址或文件。",
            show_default=False,
        ),
    ] = None,
    reference: Annotated[
        Path | None,
        typer.Option(
            "--reference",
            metavar="IMAGE",
            help="Reference picture of the healthy view. 正常画面的参考图像。",
        ),
    ] = None,
    timeout: Annotated[
        str,
        typer.Option(
            "--timeout", metavar="SECONDS", help="Deadline for the whole probe. 探测时限（秒）。"
        ),
    ] = "10",
    output_format: Annotated[
        str, typer.Option("--format", help="text | json. 输出格式。")
    ] = "text",
    rtsp_transport: Annotated[
        str, typer.Option("--rtsp-transport", help="tcp | udp (RTSP only). RTSP 传输方式。")
    ] = "tcp",
    username: Annotated[
        str | None, typer.Option("--username", help="Stream user name. 视频流用户名。")
    ] = None,
    password_env: Annotated[
        str | None,
        typer.Option(
            "--password-env",
            metavar="VAR",
            help="Environment variable holding the stream password. 存放密码的环境变量。",
        ),
    ] = None,
) -> None:
    """Sample one stream and judge its health; exit 0 ok, 1 degraded, 2 offline, 3 unknown.
    采样一路视频并判断其状态。"""
    from gapwatch.vision.command import probe_command

    raise typer.Exit(
        probe_command(
            source,
            reference,
            timeout,
            output_format,
            rtsp_transport=rtsp_transport,
            username=username,
            password_env=password_env,
        )
    )


@app.command()
def replay(
    site_file: Annotated[
        Path, typer.Argument(metavar="SITE", help="Site file (YAML). 站点配置文件。")
    ],
    events_file: Annotated[
        Path,
        typer.Argument(
            metavar="EVENTS.jsonl", help="Recorded probe results, one JSON per line. 探测记录。"
        ),
    ],
    output_format: Annotated[
        str, typer.Option("--format", help="text | json. 输出格式。")
    ] = "text",
) -> None:
    """Replay recorded probe results through the alert engine and print the alerts raised;
    exit 0 all lines used, 1 some lines skipped (named on stderr), 2 bad input.
    回放探测记录并输出产生的告警。

    One JSON object per line, e.g. a probe result:
    {"at": "2026-07-30T21:00:00+08:00", "camera": "cam-001", "status": "offline"}

    Lines with "action" replay people and dispatch: ack, resolve, task_status, silence, tick.
    带 "action" 的行回放确认、解除、任务状态、静默等操作。"""
    from gapwatch.alerts.commands import replay_command

    raise typer.Exit(replay_command(site_file, events_file, output_format))


@app.command()
def worker(
    broker: Annotated[
        str | None,
        typer.Option(
            "--broker",
            metavar="URL",
            help="Redis URL of the broker (or GAPWATCH_BROKER_URL). 消息代理地址。",
        ),
    ] = None,
    queue: Annotated[
        list[str] | None,
        typer.Option(
            "--queue",
            metavar="QUEUE",
            help="Probe queue to serve, e.g. the county's (repeatable; default gapwatch.probe). "
            "服务的探测队列（可重复）。",
        ),
    ] = None,
    concurrency: Annotated[
        int,
        typer.Option("--concurrency", min=1, max=256, help="Probes at once. 并发探测数。"),
    ] = 4,
) -> None:
    """Run a probe worker next to the cameras; verdicts go back through the broker.
    运行探测节点：就近探测摄像机，结果经消息代理返回。"""
    from gapwatch.runtime.probe_worker import worker_command

    raise typer.Exit(worker_command(broker, queue or [], concurrency))


def _register_import() -> None:
    # The module imports only typer; each import command loads its client when it runs.
    from gapwatch.platforms.cli import import_app

    app.add_typer(import_app, name="import")


_register_import()


def main() -> None:
    """Entry point of the `gapwatch` console script."""
    app()


if __name__ == "__main__":
    main()
