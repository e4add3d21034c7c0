"""`gapwatch serve --demo`: what a first look at the service needs besides the service itself:
an admin token, a dispatch receiver, recorded clips probed by the clock (each probe sees another
moment, as of a live camera), baselines for every camera with a labelled clip (a faulty one is
taught by its scene's healthy twin, as if watched healthy for a while before it failed), and
each zone's usual crowd for every weekday-hour, from the people the lessons show, as if the
site had been watched for weeks: the square filling with holiday visitors is then a surge."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr
from sqlalchemy import select

from gapwatch.dispatch import generate_secret
from gapwatch.runtime.demo_dispatch import DemoDispatchReceiver
from gapwatch.settings import Settings
from gapwatch.site import Site

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from gapwatch.vision import Baseline

__all__ = ["clean_twin", "demo_settings", "learn_demo_baselines", "lesson_for", "seed_normals"]

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
    if "file_playback" not in settings.model_fields_set:
        update["file_playback"] = "clock"
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


def lesson_for(clip: Path) -> tuple[Path, float | None] | None:
    """The healthy clip a demo camera showing `clip` is taught from, and how many of its first
    seconds (None: all of it): the label's own `lesson` when it names one (a clip whose
    ordinary stretch is its first seconds), the healthy twin of a fault clip, or a healthy
    clip itself. None for a clip without a label."""
    try:
        clips: dict[str, Any] = json.loads(
            (clip.parent / "labels.json").read_text(encoding="utf-8")
        )["clips"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    label = clips.get(clip.name)
    if not isinstance(label, dict):
        return None
    lesson = label.get("lesson")
    if isinstance(lesson, str) and (clip.parent / lesson).is_file():
        until = label.get("lesson_until_s")
        # resolved: a lesson may name a clip of another folder (`../clips/clean_day.mp4`)
        taught = (clip.parent / lesson).resolve()
        return taught, float(until) if isinstance(until, int | float) else None
    if label.get("status") == "ok" and not label.get("faults"):
        return clip, None
    twin = clean_twin(clip)
    return (twin, None) if twin is not None else None


def _read_frames(clip: Path, count: int, until_s: float | None = None) -> list[Any]:
    """`count` runs of frames spread evenly over the clip (or its first `until_s` seconds),
    each run a few frames apart."""
    import cv2
    import numpy as np

    from gapwatch.vision import Frame, SamplingPlan

    capture = cv2.VideoCapture(str(clip))
    try:
        total = int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) or 1
        fps = capture.get(cv2.CAP_PROP_FPS) or 10.0
        # Frames as far apart as the service's probes take them: the temporal noise learned
        # is then the noise its probes will measure.
        step = max(1, round(SamplingPlan().spacing_s * fps))
        last = total if until_s is None else min(total, int(until_s * fps))
        total = max(1, last - (_FRAMES_PER_PROBE - 1) * step)
        runs: list[list[Frame]] = []
        for run in range(count):
            start = int(total * run / count)
            frames = []
            for k in range(_FRAMES_PER_PROBE):
                capture.set(cv2.CAP_PROP_POS_FRAMES, start + k * step)
                ok, image = capture.read()
                if ok:
                    frames.append(Frame(k * step / fps, np.asarray(image, dtype=np.uint8)))
            if frames:
                runs.append(frames)
        return runs
    finally:
        capture.release()


@dataclass
class _Lesson:
    """What one lesson clip taught: the baseline, and the probes it was taught with."""

    baseline: Baseline
    probes: list[tuple[list[Any], Any]]  # (frames, verdict) of each healthy lesson probe


def _teach(clip: Path, until_s: float | None = None) -> _Lesson | None:
    """A baseline taught by healthy probes of `clip` through the service's own judge."""
    from gapwatch.vision import Baseline
    from gapwatch.vision.judge import judge

    baseline = Baseline()
    probes: list[tuple[list[Any], Any]] = []
    for frames in _read_frames(clip, _TEACHING_PROBES, until_s):
        verdict = judge(frames, baseline)
        if baseline.update(verdict, frames):
            probes.append((frames, verdict))
    return _Lesson(baseline, probes) if probes else None


def _lessons(site: Site, skip: set[str]) -> dict[str, _Lesson]:
    """Each file camera's lesson but those in `skip` (cameras showing one clip share it)."""
    taught: dict[tuple[Path, float | None], _Lesson | None] = {}
    out: dict[str, _Lesson] = {}
    for camera in site.spec.cameras:
        if "://" in camera.stream or camera.id in skip:
            continue
        lesson = lesson_for(site.resolve(camera.stream))
        if lesson is None:
            continue
        if lesson not in taught:
            taught[lesson] = _teach(*lesson)
            log.info("demo lesson: %s", lesson[0].name)
        found = taught[lesson]
        if found is not None:
            out[camera.id] = found
    return out


def learn_demo_baselines(site: Site, db_url: str) -> list[str]:
    """Give each demo camera with a labelled clip, and no baseline yet, the baseline its lesson
    teaches (`lesson_for`), and each zone with no stored normal its usual crowd from the people
    those lessons show (`seed_normals`); returns the cameras taught. Stored exactly as the
    service saves baselines and normals, so the service loads them as its own."""
    from gapwatch.storage import (
        BaselineRow,
        CrowdNormalRow,
        make_engine,
        session_factory,
        transaction,
    )

    engine = make_engine(db_url)
    taught: list[str] = []
    try:
        sessions = session_factory(engine)
        with transaction(sessions, write=False) as session:
            known = set(session.scalars(select(BaselineRow.camera_id)))
            has_normals = session.scalars(select(CrowdNormalRow.zone_id).limit(1)).first()
        # A restart teaches nothing again; the normals need every camera's lesson.
        lessons = _lessons(site, skip=known if has_normals is not None else set())
        with transaction(sessions) as session:
            for camera_id, lesson in lessons.items():
                if camera_id in known:
                    continue
                data = lesson.baseline.to_dict()
                for mode in ("day", "night"):
                    session.add(
                        BaselineRow(
                            camera_id=camera_id,
                            mode=mode,
                            data={"format": data["format"], "mode": data[mode]},
                        )
                    )
                taught.append(camera_id)
        if has_normals is None:
            seed_normals(site, lessons, sessions)
    finally:
        engine.dispose()
    return taught


def seed_normals(
    site: Site, lessons: dict[str, _Lesson], sessions: sessionmaker[Session]
) -> dict[str, float]:
    """Store each counted zone's usual crowd for every weekday-hour: the zone's people in each
    lesson probe (its cameras counted as the service counts them, against the lesson's
    baseline), one sample each, as if every hour of past weeks had looked like the lessons, with
    at least a Poisson count's variance. Returns each zone's mean."""
    import datetime as dt

    from gapwatch.coverage import CoverageModel
    from gapwatch.crowd import CrowdNormals
    from gapwatch.runtime.crowd import live_crowd_for
    from gapwatch.storage import CrowdNormalRow, transaction
    from gapwatch.vision.crowd import backgrounds_of, count_crowd

    crowd = live_crowd_for(site, CoverageModel.from_site(site))
    counts: dict[str, list[Any]] = {}
    for camera_id, lesson in lessons.items():
        pose = crowd.pose(camera_id)
        if pose is None:
            continue
        background = backgrounds_of(lesson.baseline)
        counts[camera_id] = [count_crowd(f, v, background, pose) for f, v in lesson.probes]
    normals = CrowdNormals()
    monday = dt.datetime(2026, 11, 30)  # any Monday: only weekday and hour are kept
    rounds = max((len(c) for c in counts.values()), default=0)
    means: dict[str, list[float]] = {}
    for k in range(rounds):
        for camera_id, found in counts.items():
            crowd.observe(camera_id, found[k % len(found)])
        for zone, now in crowd.zone_crowds().items():
            if not now.cameras:
                continue
            means.setdefault(zone, []).append(now.people)
            for hour in range(7 * 24):
                normals.learn(zone, monday + dt.timedelta(hours=hour), now.people)
    for slot in normals.slots.values():
        # Six lesson moments understate how much an hour's count varies over weeks; people who
        # come independently vary at least as a Poisson count does (variance = mean). Without
        # this floor, zones whose live count merely wandered were called a surge.
        slot.var = max(slot.var, slot.mean)
    with transaction(sessions) as session:
        for (zone, weekday, hour), slot in normals.slots.items():
            session.add(
                CrowdNormalRow(
                    zone_id=zone,
                    weekday=weekday,
                    hour=hour,
                    mean=slot.mean,
                    var=slot.var,
                    samples=slot.samples,
                )
            )
    seeded = {zone: sum(v) / len(v) for zone, v in means.items()}
    log.info("demo crowd normals: %s", {z: round(m, 1) for z, m in seeded.items()})
    return seeded
