"""The `gapwatch import` verb group: WVP-GB28181-pro platforms and ONVIF cameras.

Only typer is imported here; each command imports its client when it runs, so `gapwatch --help`
stays fast.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, cast

import typer

__all__ = ["import_app"]

import_app = typer.Typer(
    help="Import cameras from a video platform or ONVIF cameras into a site file. "
    "从视频平台或 ONVIF 摄像机导入到站点文件。",
    no_args_is_help=True,
)

SiteOption = Annotated[
    Path | None,
    typer.Option(
        "--site",
        metavar="SITE",
        help="Site file to merge into (created when missing; printed to stdout when omitted). "
        "要合并的站点文件。",
    ),
]
UserOption = Annotated[str, typer.Option("--user", metavar="U", help="Login name. 用户名。")]
PasswordEnvOption = Annotated[
    str,
    typer.Option(
        "--password-env",
        metavar="VAR",
        help="Environment variable (or secrets-file key) holding the password; the password "
        "never goes into the site file. 存放密码的环境变量名。",
    ),
]
SecretsOption = Annotated[
    Path | None,
    typer.Option(
        "--secrets-file",
        metavar="FILE",
        help="File of NAME=value lines to look the password up in. 密钥文件（NAME=value）。",
    ),
]
FormatOption = Annotated[str, typer.Option("--format", help="text | json. 输出格式。")]
PruneOption = Annotated[
    bool,
    typer.Option(
        "--prune", help="Remove cameras the platform no longer has. 删除平台上已不存在的摄像机。"
    ),
]


def _platform_id(explicit: str | None, url: str, prefix: str) -> str:
    if explicit:
        return explicit
    host = re.sub(r"^[a-z]+://", "", url).split("/")[0].split("@")[-1]
    return re.sub(r"[^A-Za-z0-9_.-]", "-", f"{prefix}-{host}")[:64]


@import_app.command("wvp")
def import_wvp(
    url: Annotated[str, typer.Argument(metavar="URL", help="WVP web address. WVP 地址。")],
    user: UserOption,
    password_env: PasswordEnvOption,
    site: SiteOption = None,
    play: Annotated[
        str, typer.Option("--play", help="rtsp | rtmp | flv | hls: which play URL to keep.")
    ] = "rtsp",
    datum: Annotated[
        str,
        typer.Option(
            "--datum", help="auto | wgs84 | gcj02: datum of WVP's positions. 平台坐标系。"
        ),
    ] = "auto",
    platform: Annotated[
        str | None, typer.Option("--platform-id", help="Id of the platform in the site file.")
    ] = None,
    secrets_file: SecretsOption = None,
    prune: PruneOption = False,
    output_format: FormatOption = "text",
) -> None:
    """Devices, channels and play URLs of a WVP-GB28181-pro platform; exit 0 merged, 2 bad
    input or refused login, 3 platform unreachable (nothing written).
    导入 WVP-GB28181-pro 平台的设备、通道与播放地址。"""
    from gapwatch.platforms.importing import EXIT_BAD_INPUT, ImportRequest, run_import
    from gapwatch.platforms.types import Inventory
    from gapwatch.platforms.wvp import Datum, PlayKind, WvpClient, WvpLogin, read_wvp

    if play not in ("rtsp", "rtmp", "flv", "hls") or datum not in ("auto", "wgs84", "gcj02"):
        typer.echo("--play is rtsp|rtmp|flv|hls, --datum auto|wgs84|gcj02", err=True)
        raise typer.Exit(EXIT_BAD_INPUT)
    if not re.match(r"^https?://", url):
        typer.echo(
            f"{url}: give the platform's http(s):// address ｜ 请给出 http(s):// 地址", err=True
        )
        raise typer.Exit(EXIT_BAD_INPUT)
    platform_id = _platform_id(platform, url, "wvp")
    source = {
        "id": platform_id,
        "kind": "wvp",
        "url": url,
        "user": user,
        "password_env": password_env,
        "play": play,
        "datum": datum,
    }

    def read(password: str) -> Inventory:
        with WvpClient(WvpLogin(url, user, password)) as client:
            return read_wvp(
                client,
                platform=platform_id,
                play=cast(PlayKind, play),
                datum=cast(Datum, datum),
            )

    request = ImportRequest(site, platform_id, password_env, secrets_file, output_format, prune)
    raise typer.Exit(run_import(request, read=read, source=source))


def _host_port(text: str) -> tuple[str, int] | None:
    match = re.fullmatch(r"\[?([^\]\s/]+?)\]?(?::(\d{1,5}))?", text.strip())
    if match is None:
        return None
    port = int(match.group(2) or 80)
    return (match.group(1), port) if 0 < port < 65536 else None


def _lonlat(text: str) -> tuple[float, float] | None:
    try:
        lon, lat = (float(part) for part in text.split(","))
    except ValueError:
        return None
    return (lon, lat) if -180 <= lon <= 180 and -90 <= lat <= 90 else None


@import_app.command("onvif")
def import_onvif(
    host: Annotated[
        str, typer.Argument(metavar="HOST[:PORT]", help="Camera address (port 80 if omitted).")
    ],
    user: UserOption,
    password_env: PasswordEnvOption,
    site: SiteOption = None,
    name: Annotated[str | None, typer.Option("--name", help="Camera name. 摄像机名称。")] = None,
    profile: Annotated[
        str | None, typer.Option("--profile", help="Media profile token (default: the first).")
    ] = None,
    location: Annotated[
        str | None,
        typer.Option(
            "--location",
            metavar="LON,LAT",
            help="Where it stands, in the site file's datum; without it the camera waits "
            "under unplaced. 安装位置（经度,纬度）。",
        ),
    ] = None,
    platform: Annotated[
        str | None, typer.Option("--platform-id", help="Id of the camera's platform entry.")
    ] = None,
    secrets_file: SecretsOption = None,
    output_format: FormatOption = "text",
) -> None:
    """Device information, stream URI and PTZ presets of an ONVIF camera; exit 0 merged, 2 bad
    input or refused login, 3 camera unreachable (nothing written).
    导入 ONVIF 摄像机的设备信息、码流地址与预置位。"""
    from gapwatch.platforms.importing import EXIT_BAD_INPUT, ImportRequest, run_import
    from gapwatch.platforms.onvif_device import OnvifTarget, read_onvif
    from gapwatch.platforms.types import Inventory

    address = _host_port(host)
    where = _lonlat(location) if location is not None else None
    if address is None or (location is not None and where is None):
        typer.echo("give HOST[:PORT] and --location LON,LAT ｜ 地址或位置格式有误", err=True)
        raise typer.Exit(EXIT_BAD_INPUT)
    hostname, port = address
    platform_id = _platform_id(platform, f"{hostname}-{port}", "onvif")
    source = {
        "id": platform_id,
        "kind": "onvif",
        "url": f"http://{hostname}:{port}",
        "user": user,
        "password_env": password_env,
    }
    access = {"host": hostname, "port": port, "user": user, "password_env": password_env}

    def read(password: str) -> Inventory:
        target = OnvifTarget(hostname, port, user, password)
        return read_onvif(target, platform=platform_id, name=name, profile=profile)

    request = ImportRequest(site, platform_id, password_env, secrets_file, output_format)
    placed = {"*": where} if where is not None else None
    raise typer.Exit(run_import(request, read=read, source=source, onvif=access, placed=placed))
