"""`gapwatch serve --demo`: what a first look at the service needs besides the service itself:
an admin token, a dispatch receiver, and baselines for the cameras whose clip shows a fault, as
if each had been watched healthy for a while before it failed."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr
from sqlalchemy import select

from gapwatch.dispatch import generate_secret
from gapwatch.runtime.demo_dispatch import DemoDispatchReceiver
from gapwatch.settings import Settings
from gapwatch.site import Site

if TYPE_CHECKING:
    from gapwatch.vision import Baseline

__all__ = ["clean_twin", "demo_settings", "learn_demo_baselines"]

log = logging.getLogger(__name__)

# Healthy probes a demo camera is taught with before its fault starts; each takes a few frames
# spread over the clip, the way the scheduler's probes would over a quiet hour.
_TEACHING_PROBES = 6
_FRAMES_PER_PROBE = 3


def _admin_token(state_dir: Path) -> str:
    """The demo's admin token, kept in a private file so it survives restarts."""
    path = state_dir / "demo-admin-token"
    if path.exists():
        token = path.read_text(encoding="utf-8").strip()
        if len(token) >= 16:
            return token
    state_dir.mkdir(parents=True, exist_ok=True)
    token = "gw_demo_" + secrets.token_hex(24)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(token + "\n")
    return token


@contextlib.contextmanager
def demo_settings(settings: Settings, *, state_dir: Path) -> Iterator[Settings]:
    """Settings with an admin token and, unless one is configured, a local dispatch receiver."""
    update: dict[str, object] = {}
    if settings.admin_token is None:
        update["admin_token"] = SecretStr(_admin_token(state_dir))
    receiver: DemoDispatchReceiver | None = None
    if settings.dispatch_url is None:
        secret = generate_secret()
        receiver = DemoDispatchReceiver(secret, host="127.0.0.1", port=0)
        receiver.start()
        update["dispatch_url"] = receiver.url
        update["dispatch_secret"] = SecretStr(secret)
        # The demo receiver is on loopback, which dispatch refuses unless allowed by name.
        listed = [settings.dispatch_allow] if settings.dispatch_allow else []
        update["dispatch_allow"] = ",".join([*listed, receiver.url.split("/")[2]])
    demo = settings.model_copy(update=update)
    token = demo.admin_token.get_secret_value() if demo.admin_token else "(GAPWATCH_ADMIN_TOKEN)"
    sys.stderr.write(
        f"\n  看板 dashboard: http://{demo.host}:{demo.port}/\n"
        f"  管理员令牌 admin token: {token}\n"
        f"  调度演示接收端 demo dispatch receiver: {demo.dispatch_url}\n\n"
    )
    try:
        yield demo
    finally:
        if receiver is not None:
            receiver.stop()


def clean_twin(clip: Path) -> Path | None:
    """The healthy clip of the same scene as a derived fault clip (from the clips' labels.json),
    or None when `clip` is healthy itself or not a labelled sample clip."""
    labels_file = clip.parent / "labels.json"
    try:
        clips: dict[str, Any] = json.loads(labels_file.read_text(encoding="utf-8"))["clips"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    label = clips.get(clip.name)
    if not isinstance(label, dict) or label.get("status") == "ok":
        return None
    for name, other in clips.items():
        healthy = other.get("status") == "ok" and not other.get("faults")
        if (
            healthy
            and name.startswith("clean_")
            and other.get("reference") == label.get("reference")
        ):
            twin = clip.parent / name
            if twin.is_file():
                return twin
    return None


def _read_frames(clip: Path, count: int) -> list[Any]:
    """`count` runs of frames spread evenly over the clip, each run a few frames apart."""
    import cv2
    import numpy as np

    from gapwatch.vision import Frame

    capture = cv2.VideoCapture(str(clip))
    try:
        total = int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) or 1
        fps = capture.get(cv2.CAP_PROP_FPS) or 10.0
        runs: list[list[Frame]] = []
        for run in range(count):
            start = int(total * run / count)
            frames = []
            for k in range(_FRAMES_PER_PROBE):
                capture.set(cv2.CAP_PROP_POS_FRAMES, min(total - 1, start + k * 5))
                ok, image = capture.read()
                if ok:
                    frames.append(Frame(k * 5 / fps, np.asarray(image, dtype=np.uint8)))
            if frames:
                runs.append(frames)
        return runs
    finally:
        capture.release()


def _teach(clip: Path) -> Baseline | None:
    """A baseline taught by healthy probes of `clip` through the service's own judge."""
    from gapwatch.vision import Baseline
    from gapwatch.vision.judge import judge

    baseline = Baseline()
    taught = 0
    for frames in _read_frames(clip, _TEACHING_PROBES):
        verdict = judge(frames, baseline)
        taught += baseline.update(verdict, frames)
    return baseline if taught else None


def learn_demo_baselines(site: Site, db_url: str) -> list[str]:
    """Give each demo camera that shows a fault clip, and has no baseline yet, the baseline its
    healthy twin clip teaches; returns the cameras taught. Stored exactly as the service saves
    baselines, so the service loads them as its own."""
    from gapwatch.storage import BaselineRow, make_engine, session_factory, transaction

    engine = make_engine(db_url)
    taught: list[str] = []
    try:
        sessions = session_factory(engine)
        with transaction(sessions, write=False) as session:
            known = set(session.scalars(select(BaselineRow.camera_id)))
        lessons: dict[Path, Baseline | None] = {}  # cameras of one scene share a lesson
        for camera in site.spec.cameras:
            if camera.id in known or "://" in camera.stream:
                continue
            twin = clean_twin(site.resolve(camera.stream))
            if twin is None:
                continue
            if twin not in lessons:
                lessons[twin] = _teach(twin)
            baseline = lessons[twin]
            if baseline is None:
                continue
            data = baseline.to_dict()
            with transaction(sessions) as session:
                for mode in ("day", "night"):
                    session.add(
                        BaselineRow(
                            camera_id=camera.id,
                            mode=mode,
                            data={"format": data["format"], "mode": data[mode]},
                        )
                    )
            taught.append(camera.id)
            log.info(
                "demo camera %s: baseline learned from %s", camera.id, twin.name if twin else ""
            )
    finally:
        engine.dispose()
    return taught
