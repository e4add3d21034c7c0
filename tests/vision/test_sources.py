"""Stream sources and the sampling plan: files, HTTP MJPEG, HTTP MPEG-TS; little decoding."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from gapwatch.cli import app
from gapwatch.runtime.probe_worker import ProbeMessage
from gapwatch.vision import (
    ProbePool,
    SamplingPlan,
    SourceError,
    StreamSpec,
    UnsupportedSourceError,
    parse,
)

from .conftest import LocalCameras, RecordingJudge


@pytest.mark.parametrize(
    ("location", "kind", "bare"),
    [
        (
            "rtsp://user:pass@10.1.2.3:554/Streaming/Channels/101",
            "rtsp",
            "rtsp://10.1.2.3:554/Streaming/Channels/101",
        ),
        ("rtsps://cam.example/ch1", "rtsp", None),
        ("rtmp://10.0.0.8:1935/rtp/34020000001320000001", "rtmp", None),
        ("http://127.0.0.1:8080/video.mjpg", "http", None),
        ("https://cam.example/stream.ts", "http", None),
        ("http://10.0.0.8/rtp/34020000001320000001.live.flv", "http", None),
        ("http://10.0.0.8/rtp/34020000001320000001/hls.m3u8", "hls", None),
        ("ws://10.0.0.8/rtp/34020000001320000001.live.flv", "ws", None),
        ("wss://10.0.0.8/rtp/ch1.live.ts", "ws", None),
    ],
)
def test_parse_classifies_network_sources(location: str, kind: str, bare: str | None) -> None:
    source = parse(location)
    assert (source.kind, source.live) == (kind, True)
    # The location FFmpeg is handed carries no credentials; the real URL is rebuilt from parts.
    assert source.location == (bare or location)
    assert source.spec.real_url() == location


def test_parse_accepts_paths_and_file_urls(clip_dir: Path) -> None:
    clip = clip_dir / "clean_day.mp4"
    assert parse(str(clip)).kind == "file"
    assert parse(f"file://{clip}").location == str(clip)
    assert not parse(str(clip)).live


@pytest.mark.parametrize(
    ("location", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("ftp://cam/video", "unsupported"),
        ("rtsp:///nohost", "no host"),
        ("/no/such/clip.mp4", "not found"),
        ("file:///no/such/clip.mp4", "not found"),
    ],
)
def test_parse_refuses_what_cannot_be_a_stream(location: str, message: str) -> None:
    with pytest.raises(SourceError, match=message):
        parse(location)


def test_parse_refuses_a_directory(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="not a regular file"):
        parse(str(tmp_path))


def test_parse_error_hides_credentials() -> None:
    with pytest.raises(SourceError) as caught:
        parse("rtsp://admin:hunter2@/x")
    assert "hunter2" not in str(caught.value)


def test_file_is_sampled_over_seconds_from_keyframes_only(
    pool: ProbePool, recording_judge: RecordingJudge, clip_dir: Path
) -> None:
    plan = SamplingPlan(frames=3, spacing_s=1.5, keyframe_wait_s=1.0)
    result = pool.probe(str(clip_dir / "clean_day.mp4"), timeout_s=10, plan=plan)
    assert result.status == "ok"
    assert result.frames == 3
    (frames,) = recording_judge.calls
    moments = [frame.at for frame in frames]
    assert moments[0] == 0.0
    assert all(b - a >= plan.spacing_s for a, b in itertools.pairwise(moments))
    # The clip has a keyframe every 2 s: each sample costs one decoded packet, not a GOP.
    assert result.metrics["decoded"] == 3
    assert result.metrics["packets"] > 3 * result.metrics["decoded"]
    # Different moments of a moving scene are different pictures.
    assert not np.array_equal(frames[0].image, frames[-1].image)
    assert frames[0].image.dtype == np.uint8
    assert frames[0].image.ndim == 3
    assert frames[0].image.shape[2] == 3


def test_long_gop_decodes_up_to_the_moment_not_the_whole_clip(
    pool: ProbePool, recording_judge: RecordingJudge, clip_dir: Path
) -> None:
    plan = SamplingPlan(frames=3, spacing_s=1.0, keyframe_wait_s=0.5)
    result = pool.probe(str(clip_dir / "long_gop.mp4"), timeout_s=10, plan=plan)
    assert result.frames == 3
    moments = [frame.at for frame in recording_judge.calls[0]]
    assert moments[-1] - moments[0] >= 2 * plan.spacing_s
    # No keyframe after the first: frames come from decoding forward, once, never twice.
    assert 3 < result.metrics["decoded"] <= result.metrics["packets"]
    assert result.metrics["decoded"] <= 10 * (moments[-1] + plan.keyframe_wait_s) + 1


def test_frames_are_scaled_down_to_the_plan_width(
    pool: ProbePool, recording_judge: RecordingJudge, clip_dir: Path
) -> None:
    plan = SamplingPlan(frames=2, spacing_s=0.5, max_width=320)
    pool.probe(str(clip_dir / "clean_day.mp4"), timeout_s=10, plan=plan)
    height, width, _ = recording_judge.calls[0][0].image.shape
    assert width == 320
    assert height == 240


def test_http_mjpeg_stream(
    pool: ProbePool, recording_judge: RecordingJudge, cameras: LocalCameras
) -> None:
    plan = SamplingPlan(frames=3, spacing_s=0.3, keyframe_wait_s=0.2)
    result = pool.probe(cameras.http("/mjpeg"), timeout_s=8, plan=plan)
    assert result.status == "ok", result.reason
    assert result.frames == 3
    moments = [frame.at for frame in recording_judge.calls[0]]
    assert moments[-1] - moments[0] >= 2 * plan.spacing_s  # wall-clock spacing on live streams


def test_http_mpeg_ts_stream(
    pool: ProbePool, recording_judge: RecordingJudge, cameras: LocalCameras
) -> None:
    plan = SamplingPlan(frames=3, spacing_s=0.5, keyframe_wait_s=0.2)
    result = pool.probe(cameras.http("/ts/clean_day.ts?seconds=8"), timeout_s=8, plan=plan)
    assert result.status == "ok", result.reason
    assert result.frames == 3
    moments = [frame.at for frame in recording_judge.calls[0]]
    assert moments[-1] - moments[0] >= 2 * plan.spacing_s


@pytest.mark.parametrize(
    "arguments",
    [
        ["srt://10.0.0.8:9000?streamid=live/cam"],
        ["webrtc://10.0.0.8/live/cam"],
        ["gb28181://34020000001320000001"],
        ["http://10.0.0.8/live/cam.flv", "--rtsp-transport", "udp"],
        ["rtsp://10.0.0.8/ch1", "--rtsp-transport", "sctp"],
    ],
)
def test_probe_of_a_form_gapwatch_cannot_read_is_unknown_not_offline(arguments: list[str]) -> None:
    done = CliRunner().invoke(app, ["probe", *arguments, "--timeout", "3", "--format", "json"])
    assert done.exit_code == 3, done.output
    assert "offline" not in done.stdout


def test_pool_refuses_an_unreadable_form_instead_of_calling_it_offline(pool: ProbePool) -> None:
    with pytest.raises(UnsupportedSourceError, match="srt"):
        pool.probe("srt://10.0.0.8:9000", timeout_s=3)


def test_probe_message_carries_where_the_password_lives_not_the_password() -> None:
    spec = StreamSpec.from_text(
        "rtsp://10.1.2.3/ch1", username="admin", password_env="CAM_PASSWORD"
    )
    message = ProbeMessage(camera_id="cam-1", source=spec.url, timeout_s=5, stream=spec.to_json())
    wire = json.dumps(message.to_json())
    assert "CAM_PASSWORD" in wire
    read = ProbeMessage.from_json(json.loads(wire))
    assert read.spec() == spec
    assert "admin" not in read.shown
