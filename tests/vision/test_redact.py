"""Credentials in stream URLs never reach output or logs."""

from __future__ import annotations

import json
import logging

import pytest
from typer.testing import CliRunner

from gapwatch.cli import app
from gapwatch.vision import ProbePool, RedactingFilter, redact


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("rtsp://user:pass@host/stream", "rtsp://***@host/stream"),
        ("rtsp://admin:p@ss@10.1.2.3:554/ch1", "rtsp://***@10.1.2.3:554/ch1"),
        ("rtsp://admin@host", "rtsp://***@host"),
        ("HTTPS://u:p@cam.local/mjpeg?x=1", "HTTPS://***@cam.local/mjpeg?x=1"),
        (
            "rtsp://10.0.0.9/cam/realmonitor?channel=1&user=admin&password=hunter2",
            "rtsp://10.0.0.9/cam/realmonitor?channel=1&user=***&password=***",
        ),
        (
            "cannot open 'rtsp://a:b@h1/x' nor 'rtsp://c:d@h2/y'",
            "cannot open 'rtsp://***@h1/x' nor 'rtsp://***@h2/y'",
        ),
        # A password may hold `/`, so `@host` after a slash is read as the end of userinfo:
        # shown over-redacted rather than risk showing `admin:12/34`.
        ("rtsp://host:554/path@weird", "rtsp://***@weird"),
        ("rtsp://admin:12/34@10.0.0.5/ch1", "rtsp://***@10.0.0.5/ch1"),
        ("/srv/clips/clean.mp4", "/srv/clips/clean.mp4"),
        ("mail me at ops@example.org", "mail me at ops@example.org"),
    ],
)
def test_redact_hides_userinfo_and_secret_parameters(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_redacting_filter_cleans_formatted_log_records(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("gapwatch.test.redact")
    caplog.handler.addFilter(RedactingFilter())
    with caplog.at_level(logging.INFO, logger="gapwatch.test.redact"):
        logger.info("opening %s", "rtsp://viewer:topsecret@127.0.0.1/ch1")
    assert "topsecret" not in caplog.text
    assert "rtsp://***@127.0.0.1/ch1" in caplog.text


def test_probe_result_and_logs_carry_no_password(
    caplog: pytest.LogCaptureFixture, refused_port: int, pool: ProbePool
) -> None:
    url = f"rtsp://viewer:topsecret@127.0.0.1:{refused_port}/ch1"
    with caplog.at_level(logging.DEBUG):
        result = pool.probe(url, timeout_s=5)
    assert result.faults == ["no_signal"]
    assert "topsecret" not in repr(result)
    assert "topsecret" not in caplog.text
    assert "***@127.0.0.1" in caplog.text  # the probe did log, redacted


def test_probe_command_json_and_text_carry_no_password(refused_port: int) -> None:
    url = f"rtsp://viewer:topsecret@127.0.0.1:{refused_port}/ch1"
    runner = CliRunner()
    as_json = runner.invoke(app, ["probe", url, "--timeout", "5", "--format", "json"])
    as_text = runner.invoke(app, ["probe", url, "--timeout", "5"])
    for done in (as_json, as_text):
        assert done.exit_code == 2, done.output
        assert "topsecret" not in done.output
        assert "viewer" not in done.output
    document = json.loads(as_json.stdout)
    assert document["source"] == f"rtsp://***@127.0.0.1:{refused_port}/ch1"
    assert document["status"] == "offline"
