"""Remote probe workers count people too: the pose travels in the message, the count in the
reply (JSON both ways), and a worker's probe counts exactly as a local one does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gapwatch.crowd import CameraPose, CrowdCount, PersonBlob
from gapwatch.runtime.probe_worker import (
    MessageError,
    ProbeMessage,
    ProbeReply,
    pose_json,
    pose_of,
    run_probe,
)
from gapwatch.vision.baseline import Baseline
from gapwatch.vision.types import ProbeResult
from tests.vision.test_probe_crowd import PEOPLE, POSE, scene  # noqa: F401 - the fixture

POSED = CameraPose(10.0, -5.0, 6.0, 45.0, 20.0, 90.0, 2560, 1440, 45.0)


def test_the_pose_and_the_count_survive_the_wire() -> None:
    message = ProbeMessage("cam-1", "rtsp://cam/1", 5.0, pose=pose_json(POSED))
    back = ProbeMessage.from_json(json.loads(json.dumps(message.to_json())))
    assert back.pose is not None and pose_of(back.pose) == POSED
    crowd = CrowdCount(2.5, (PersonBlob(100.0, 700.0, 1.5), PersonBlob(900.0, 1200.0, 1.0)), 0.04)
    reply = ProbeReply(ProbeResult("ok", [], frames=3, crowd=crowd))
    read = ProbeReply.from_json(json.loads(json.dumps(reply.to_json())))
    assert read.result.crowd == crowd
    assert ProbeReply.from_json(ProbeReply(ProbeResult("ok", [])).to_json()).result.crowd is None


@pytest.mark.parametrize(
    "pose",
    [{"x": 0}, {**pose_json(POSED), "height_m": -1}, "tall", {**pose_json(POSED), "roll": 3}],  # type: ignore[dict-item]
)
def test_a_bad_pose_is_refused_with_a_reason(pose: object) -> None:
    body = {**ProbeMessage("cam-1", "rtsp://cam/1", 5.0).to_json(), "pose": pose}
    with pytest.raises(MessageError, match="pose"):
        ProbeMessage.from_json(body)


def test_a_bad_count_in_a_reply_is_refused() -> None:
    body = {**ProbeReply(ProbeResult("ok", [])).to_json(), "crowd": {"people": "many"}}
    with pytest.raises(MessageError, match="crowd"):
        ProbeReply.from_json(body)


def test_a_workers_probe_counts_the_people(scene: tuple[Path, Path]) -> None:  # noqa: F811
    empty, clip = scene
    message = ProbeMessage(
        "cam-1",
        str(clip),
        10.0,
        baseline=Baseline.from_image(empty).to_dict(),
        pose=pose_json(POSE),
    )
    reply = ProbeReply.from_json(run_probe(message, workers=1).to_json())
    assert reply.result.status == "ok"
    assert reply.result.crowd is not None
    assert reply.result.crowd.people == pytest.approx(PEOPLE, abs=1.0)
