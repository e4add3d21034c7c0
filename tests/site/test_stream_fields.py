"""A camera's stream in the site file: the forms gapwatch reads, and credentials kept apart."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from gapwatch.site import load_site
from tests.site.conftest import VALID_SITE
from tests.site.helpers import find, line_of_text, problems_of

WriteSite = Callable[..., Path]
STREAM_LINE = "    stream: rtsp://127.0.0.1:8554/cam1\n    username: viewer\n"


def with_camera_fields(fields: str) -> str:
    assert STREAM_LINE in VALID_SITE
    return VALID_SITE.replace(STREAM_LINE, fields)


@pytest.mark.parametrize(
    "stream",
    [
        "rtmp://10.0.0.8:1935/rtp/34020000001320000001",
        "http://10.0.0.8/rtp/34020000001320000001.live.flv",
        "https://10.0.0.8/rtp/34020000001320000001/hls.m3u8",
        "ws://10.0.0.8/rtp/34020000001320000001.live.flv",
        "wss://10.0.0.8/rtp/34020000001320000001.live.flv",
        "rtsps://10.0.0.8/ch1",
    ],
)
def test_platform_play_urls_are_accepted(write_site: WriteSite, stream: str) -> None:
    site = load_site(write_site(with_camera_fields(f"    stream: {stream}\n")))
    assert site.spec.cameras[0].stream == stream


@pytest.mark.parametrize("scheme", ["srt", "webrtc", "rtp", "udp", "gb28181", "ftp"])
def test_a_scheme_gapwatch_cannot_read_is_refused_at_its_line(
    write_site: WriteSite, scheme: str
) -> None:
    text = with_camera_fields(f"    stream: {scheme}://10.0.0.8:9000/live\n")
    line, message = find(problems_of(write_site(text)), "cannot read")
    assert line == line_of_text(text, f"{scheme}://")
    assert f"{scheme}://" in message


def test_validate_exits_2_with_file_and_line_for_an_unreadable_scheme(
    write_site: WriteSite,
) -> None:
    text = with_camera_fields("    stream: srt://10.0.0.8:9000?streamid=x\n")
    path = write_site(text)
    done = subprocess.run(
        [str(Path(sys.executable).with_name("gapwatch")), "validate", str(path)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert f"{path}:{line_of_text(text, 'srt://')}:" in done.stdout + done.stderr


def test_credentials_as_fields_load_without_a_warning(
    write_site: WriteSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CAM1_PASSWORD", "x")
    text = with_camera_fields(
        "    stream: rtsp://127.0.0.1:8554/cam1\n    username: admin\n"
        "    password_env: CAM1_PASSWORD\n    rtsp_transport: udp\n"
    )
    site = load_site(write_site(text))
    camera = site.spec.cameras[0]
    assert (camera.username, camera.password_env, camera.rtsp_transport) == (
        "admin", "CAM1_PASSWORD", "udp",
    )  # fmt: skip
    assert site.warnings == ()


@pytest.mark.parametrize(
    ("fields", "needle", "at"),
    [
        (
            "    stream: rtsp://127.0.0.1/cam1\n    password_env: A\n    password_file: /run/x\n",
            "give the stream password once",
            "stream:",
        ),
        (
            "    stream: http://127.0.0.1/live.flv\n    rtsp_transport: udp\n",
            "rtsp_transport applies to rtsp",
            "stream:",
        ),
        (
            "    stream: rtsp://127.0.0.1/user={username}_password={password}_channel=1\n"
            "    username: admin\n",
            "{password} slot",
            "stream:",
        ),
        (
            "    stream: rtsp://127.0.0.1/cam1\n    password_env: 9-bad\n",
            "not an environment",
            "password_env",
        ),
        (
            "    stream: rtsp://admin:secret@127.0.0.1/cam1\n    password_env: CAM1_PASSWORD\n",
            "give it once",
            "stream:",
        ),
    ],
)
def test_credential_field_mistakes_are_refused(
    write_site: WriteSite, fields: str, needle: str, at: str
) -> None:
    text = with_camera_fields(fields)
    line, message = find(problems_of(write_site(text)), needle)
    assert line >= line_of_text(text, "id: cam-001")
    assert "secret" not in message


def test_a_password_written_in_the_site_file_is_a_warning_that_hides_it(
    write_site: WriteSite,
) -> None:
    text = with_camera_fields("    stream: 'rtsp://admin:p@ss w/rd#?@127.0.0.1:8554/cam1'\n")
    site = load_site(write_site(text))
    (warning,) = [w.render() for w in site.warnings if "password_env" in w.render()]
    assert f":{line_of_text(text, 'stream:')}:" in warning
    assert "p@ss" not in warning and "w/rd" not in warning
