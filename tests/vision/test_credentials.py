"""Stream credentials are data: kept apart from the URL, built into it only by the decoder worker,
and never shown: not by the API, the service log or probe output, in the vendor forms Chinese
NVRs and platforms use (passwords with spaces, `/`, `#`, `?`; secret query keys; XMEye paths).
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from gapwatch.api import create_app
from gapwatch.cli import app
from gapwatch.settings import Settings
from gapwatch.site import models as site_models
from gapwatch.vision import SUPPORTED_SCHEMES, ProbePool, StreamSpec, redact, shown_url
from tests.api.serving import running

from .conftest import RtspServer

# What vendors' passwords are made of: letters, digits, CJK, and the characters that break URLs.
PASSWORD_CHARS = st.sampled_from(
    list("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789") + list(" /#?@%:=!$*+,~密码")
)
passwords = st.text(PASSWORD_CHARS, min_size=6, max_size=16).filter(
    lambda p: p.strip() == p and len(set(p) & set("abcdefghijkmnpqrstuvwxyz")) >= 2
)
usernames = st.text(st.sampled_from(list("abcdefghijkmnpqrstuvwxyz0123456789")), min_size=3)
QUERY_KEYS = ("access_token", "api_key", "auth_key", "signature", "token", "password", "pwd")


def vendor_forms(user: str, password: str) -> list[str]:
    """The stream forms with a password inside them, as devices and platforms write them."""
    # A query value cannot hold the pair separators themselves; the other forms hold anything.
    query_password = password.replace("&", "").replace(";", "")
    forms = [
        f"rtsp://{user}:{password}@10.1.2.3:554/Streaming/Channels/101",
        f"rtsp://10.1.2.3/user={user}_password={password}_channel=1_stream=0.sdp",
        f"http://{user}:{password}@10.1.2.4/video.mjpg",
        f"rtmp://{user}:{password}@10.1.2.5:1935/live/cam",
    ]
    forms += [
        f"http://10.1.2.6:8080/rtp/34020000001320000001.live.flv?{key}={query_password}&ch=1"
        for key in QUERY_KEYS
    ]
    forms.append(f"ws://10.1.2.6/live/cam.flv?sign={query_password}")
    return forms


def leaks(text: str, user: str, password: str) -> bool:
    # the login is looked for after the scheme: user "tmp" is not leaked by "rtmp://"
    rest = text.split("://", 1)[-1]
    return password in text or unquote(password) in text or f"{user}:" in rest


@settings(max_examples=300, deadline=None)
@given(user=usernames, password=passwords)
def test_shown_forms_never_hold_the_password(user: str, password: str) -> None:
    for url in vendor_forms(user, password):
        assume(password not in url.replace(password, "", 1))  # the password appears once
        for shown in (shown_url(url), redact(url), StreamSpec.from_text(url).shown):
            assert not leaks(shown, user, password), (url, shown)
            assert "10.1.2." in shown  # still says which camera it is


@settings(max_examples=300, deadline=None)
@given(user=usernames, password=passwords)
def test_inline_credentials_are_split_off_and_rebuilt_percent_encoded(
    user: str, password: str
) -> None:
    assume(user not in password and password not in user)
    # `%` and two hex digits in an inline password is a percent escape (RFC 3986); see below.
    assume(re.search("%[0-9A-Fa-f]{2}", password) is None)
    public = "rtsp://10.1.2.3:554/Streaming/Channels/101"
    # A password that is part of the public address ("Stream"), or of the words a spec is
    # printed with ("userna" in `username=`), cannot be told apart in it.
    assume(password not in public and password not in repr(StreamSpec.from_text(public)))
    # `user:pa/ss=x@host` also reads as `host:port/key=value@…`, the XMEye path form; such a
    # login is ambiguous inside a URL and is given as separate fields instead (README).
    login = f"{user}:{password}"
    assume(not ("/" in login and "=" in login))
    written = f"rtsp://{user}:{password}@10.1.2.3:554/Streaming/Channels/101"
    spec = StreamSpec.from_text(written)
    assert spec.url == "rtsp://10.1.2.3:554/Streaming/Channels/101"
    assert password not in repr(spec)
    # The rebuilt URL parses back (by the standard parser) to the same login and host.
    real = urlsplit(spec.real_url())
    assert (real.hostname, real.port, real.path) == ("10.1.2.3", 554, "/Streaming/Channels/101")
    assert (unquote(real.username or ""), unquote(real.password or "")) == (user, password)


@pytest.mark.parametrize(
    ("written", "password"),
    [("p%40ss%2Fw", "p@ss/w"), ("100%", "100%"), ("a%zz", "a%zz"), ("x%ab", "x%ab")],
)
def test_inline_percent_escapes_are_decoded_only_when_they_are_escapes(
    written: str, password: str
) -> None:
    spec = StreamSpec.from_text(f"rtsp://admin:{written}@10.1.2.3/ch1")
    assert spec.password() == password


def test_password_from_the_environment_or_a_file_fills_the_vendor_slot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CAM7_PASSWORD", "a b/c#d?e")
    xmeye = StreamSpec.from_text(
        "rtsp://10.1.2.3/user={username}_password={password}_channel=1",
        username="admin",
        password_env="CAM7_PASSWORD",
    )
    assert xmeye.real_url() == "rtsp://10.1.2.3/user=admin_password=a%20b%2Fc%23d%3Fe_channel=1"
    assert xmeye.shown == "rtsp://10.1.2.3/user=***_password=***_channel=1"
    secret = tmp_path / "cam-8"
    secret.write_text("tok3n&x\n", encoding="utf-8")
    token = StreamSpec.from_text(
        "http://10.1.2.6/live.flv?token={password}", password_file=str(secret)
    )
    assert token.real_url() == "http://10.1.2.6/live.flv?token=tok3n%26x"
    login = StreamSpec.from_text(
        "rtsp://10.1.2.3/ch1", username="admin", password_env="CAM7_PASSWORD"
    )
    assert login.real_url() == "rtsp://admin:a%20b%2Fc%23d%3Fe@10.1.2.3/ch1"
    assert login.shown == "rtsp://***@10.1.2.3/ch1"


def test_the_site_schema_and_vision_agree_on_the_stream_schemes() -> None:
    assert site_models.STREAM_SCHEMES == SUPPORTED_SCHEMES


# --- real servers, real output ---

LOGIN_PASSWORD = "p@ss w/rd#?&=%"


@pytest.mark.rtsp
@pytest.mark.slow
def test_probe_logs_in_with_a_password_from_the_environment(
    own_rtsp_server: Callable[..., RtspServer],
) -> None:
    # The probe runs as its own process, as a monitoring system runs it: the variable is read
    # by the decoder worker of that process.
    server = own_rtsp_server(auth=f"admin:{LOGIN_PASSWORD}")
    url = server.url("clean_day", credentials="")
    gapwatch = str(Path(sys.executable).with_name("gapwatch"))
    env = {**os.environ, "CAM_PASSWORD": LOGIN_PASSWORD, "WRONG_PASSWORD": "nope"}
    outcomes = {}
    for variable in ("CAM_PASSWORD", "WRONG_PASSWORD"):
        done = subprocess.run(
            [gapwatch, "probe", url, "--username", "admin", "--password-env", variable,
             "--timeout", "8", "--format", "json"],
            capture_output=True, text=True, env=env, timeout=60, check=False,
        )  # fmt: skip
        assert LOGIN_PASSWORD not in done.stdout + done.stderr
        outcomes[variable] = json.loads(done.stdout)
    assert outcomes["CAM_PASSWORD"]["frames"] >= 1, outcomes
    assert outcomes["CAM_PASSWORD"]["status"] != "offline"
    assert outcomes["WRONG_PASSWORD"]["status"] == "offline"
    assert "401" in outcomes["WRONG_PASSWORD"]["reason"]


@pytest.mark.rtsp
@pytest.mark.slow
def test_inline_password_with_url_breaking_characters_still_logs_in(
    own_rtsp_server: Callable[..., RtspServer], pool: ProbePool
) -> None:
    server = own_rtsp_server(auth=f"admin:{LOGIN_PASSWORD}")
    written = f"rtsp://admin:{LOGIN_PASSWORD}@127.0.0.1:{server.port}/clean_day"
    result = pool.probe(written, timeout_s=8)
    assert result.status == "ok", result.reason
    assert result.frames >= 1


@pytest.mark.slow
@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(user=usernames, password=passwords)
def test_probe_output_never_holds_the_password(user: str, password: str, refused_port: int) -> None:
    runner = CliRunner()
    forms = [u.replace("10.1.2.", "127.0.0.") for u in vendor_forms(user, password)]
    for url in forms[:3]:
        host_port = f"127.0.0.1:{refused_port}"
        url = url.replace("127.0.0.3:554", host_port).replace("127.0.0.3/", f"{host_port}/")
        url = url.replace("127.0.0.4/", f"{host_port}/")
        for output_format in ("json", "text"):
            done = runner.invoke(app, ["probe", url, "--timeout", "3", "--format", output_format])
            assert done.exit_code == 2, done.output
            assert not leaks(done.output, user, password), done.output


CAMERA = """\
  - id: cam-{n}
    name: 摄像机 {n}
    stream: '{stream}'
    location: [104.05{n:02d}, 35.1301]
    heading_deg: 30
    hfov_deg: 90
    range_m: 60
"""
SITE = """\
site: {{id: creds, name: 凭据测试}}
zones:
  - id: gate
    name: 大门
    importance: 5
    polygon: [[104.0500, 35.1300], [104.0530, 35.1300], [104.0530, 35.1310], [104.0500, 35.1310]]
cameras:
{cameras}
"""


@pytest.mark.slow
@settings(
    max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(user=usernames, password=passwords)
def test_service_api_and_log_never_hold_the_password(
    user: str,
    password: str,
    tmp_path_factory: pytest.TempPathFactory,
    refused_port: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    folder = tmp_path_factory.mktemp("creds")
    streams = [
        u.replace("10.1.2.3:554", f"127.0.0.1:{refused_port}")
        .replace("10.1.2.3/", f"127.0.0.1:{refused_port}/")
        .replace("10.1.2.4/", f"127.0.0.1:{refused_port}/")
        .replace("10.1.2.5:1935", f"127.0.0.1:{refused_port}")
        .replace("10.1.2.6:8080", f"127.0.0.1:{refused_port}")
        .replace("10.1.2.6/", f"127.0.0.1:{refused_port}/")
        for u in vendor_forms(user, password)
    ]
    cameras = "".join(
        CAMERA.format(n=n, stream=s.replace("'", "''")) for n, s in enumerate(streams)
    )
    site = folder / "site.yaml"
    site.write_text(SITE.format(cameras=cameras), encoding="utf-8")
    token = "gw_test-admin-token-0123456789abcdef"
    service_settings = Settings(
        db_url=f"sqlite:///{folder / 'gw.db'}",
        site=site,
        admin_token=token,
        probe_interval_s=2.0,
    )
    caplog.set_level(logging.DEBUG)
    service = create_app(service_settings)
    with running(service) as base_url, httpx.Client(base_url=base_url, timeout=30) as client:
        headers = {"Authorization": f"Bearer {token}"}
        deadline = time.monotonic() + 40
        while True:
            cameras_out = client.get("/api/v1/cameras", headers=headers)
            assert cameras_out.status_code == 200
            probed = [c for c in cameras_out.json() if c["last_probe_at"] is not None]
            if len(probed) == len(streams) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert len(probed) == len(streams), "every camera was probed"
        bodies = [cameras_out.text]
        for camera in cameras_out.json():
            bodies.append(client.get(f"/api/v1/cameras/{camera['id']}", headers=headers).text)
            bodies.append(
                client.get(f"/api/v1/cameras/{camera['id']}/probes", headers=headers).text
            )
        events = client.get("/api/v1/alerts", headers=headers).text
    for body in [*bodies, events, caplog.text]:
        assert not leaks(body, user, password), body[:2000]
    assert "probe of" in caplog.text  # the service did log about these streams
