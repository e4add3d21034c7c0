"""The crowd's wired path at province scale: 5,000 cameras counted and summed every 60 s.

    .venv/bin/python bench/crowd_wired_scale.py [--cameras 5000] [--zones 400] [--rounds 3]

Synthetic, seeded: cameras scattered over a 20 km square, each with a pose (6 m mount, 20°
tilt, 90° lens) and the view its lens sees on flat ground, zones tiling the square. One round is
what the service does in a probe interval: every camera's picture counted against its background
(`count_people` on a 1080p picture with four people, as the probe does on a healthy verdict),
each count taken in by the service's `LiveCrowd` (placed on the ground, clipped to the view),
then the zone sums, the facts priorities read and the zones the API and /metrics show, and the
stored side: the changed counts written in batches of 200 (as the verdict writer commits them,
to a SQLite file) and read back by a second ledger, as an API replica follows them. Prints
the process CPU time of each step (so other work on a shared machine does not inflate it), the
round against the 60 s budget, and against the library-only sum (`CrowdMap.zone_crowds` on
counts already on the ground) measured in the same run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import tempfile
import time
from pathlib import Path

import numpy as np
import shapely

from gapwatch.crowd import CameraPose, CrowdCount, LiveCrowd, count_people
from gapwatch.runtime.crowd import CrowdLedger
from gapwatch.storage import make_engine, migrate, session_factory, transaction

WIDTH, HEIGHT = 1920, 1080
BATCH = 200  # the verdict writer's largest batch


def view_of(pose: CameraPose, reach: float) -> shapely.Polygon:
    """The ground the pose sees, from the picture's bottom corners to `reach` metres."""
    h = math.radians(pose.heading_deg)
    half = math.radians(pose.hfov_deg / 2)
    near = pose.ground_points([0.0, WIDTH - 1.0], [HEIGHT - 1.0, HEIGHT - 1.0])
    arc = [
        (pose.x + reach * math.sin(h + a), pose.y + reach * math.cos(h + a))
        for a in np.linspace(half, -half, 9)
    ]
    return shapely.Polygon([tuple(near[0]), tuple(near[1]), *arc]).buffer(0)


def scene(rng: np.random.Generator, pose: CameraPose) -> tuple[np.ndarray, np.ndarray]:
    """A 1080p picture with four people and its empty background."""
    background = np.clip(rng.normal(120, 6, (HEIGHT, WIDTH)), 0, 255).astype(np.uint8)
    picture = background.copy()
    heights = pose.person_heights()
    for k in range(4):
        feet = 700 + 80 * k
        tall = round(heights[feet])
        u = 300 + 350 * k
        picture[feet - tall : feet, u : u + max(2, tall // 4)] = 30
    return np.dstack([picture] * 3), background


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cameras", type=int, default=5000)
    ap.add_argument("--zones", type=int, default=400)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    rng = np.random.default_rng(11)
    side = 20_000.0
    poses: dict[str, CameraPose] = {}
    views: dict[str, shapely.Polygon] = {}
    for i in range(args.cameras):
        x, y = rng.uniform(0, side, 2)
        pose = CameraPose(x, y, 6.0, rng.uniform(0, 360), 20.0, 90.0, WIDTH, HEIGHT, 50.0)
        poses[f"c{i}"] = pose
        views[f"c{i}"] = view_of(pose, 60.0)
    n = int(math.sqrt(args.zones))
    step = side / n
    zones = {
        f"z{a}-{b}": shapely.box(a * step, b * step, (a + 1) * step, (b + 1) * step)
        for a in range(n)
        for b in range(n)
    }
    started = time.process_time()
    live = LiveCrowd(views, zones, poses, timezone="Asia/Shanghai")
    build_s = time.process_time() - started
    picture, background = scene(rng, poses["c0"])
    ground = np.asarray(background, np.uint8)
    heights = poses["c0"].person_heights()
    small = count_people(picture, ground, heights)  # warm-up, and what each camera counts
    at = dt.datetime(2026, 10, 2, 6, 0, tzinfo=dt.UTC)
    rows = []
    for r in range(args.rounds):
        t0 = time.process_time()
        counts: dict[str, CrowdCount] = {}
        for cam in poses:
            counts[cam] = count_people(picture, ground, heights)
        t1 = time.process_time()
        for cam, count in counts.items():
            # a fresh count object per round, as each probe brings one
            live.observe(cam, CrowdCount(count.people + 0.0 * r, count.blobs))
        t2 = time.process_time()
        zone_now = live.zone_crowds()
        facts = live.facts(at)
        shown = live.now(at)
        t3 = time.process_time()
        rows.append((t1 - t0, t2 - t1, t3 - t2))
        live.observe("c0", None)  # something changed before the next round
    # baseline in the same run: the library's sum alone on counts already on the ground
    store_s, follow_s = stored_side(live, views, zones, poses, at)
    placed = list(live._cameras.values())  # the bench reads the owner's state
    t0 = time.process_time()
    live._map.zone_crowds(placed)
    library_s = time.process_time() - t0
    count_s = min(r[0] for r in rows)
    take_s = min(r[1] for r in rows)
    sum_s = min(r[2] for r in rows)
    people = sum(z.people for z in zone_now.values())
    with open("/proc/loadavg") as load:
        print(f"load: {load.read().split()[:3]} (process CPU seconds below)")
    print(
        f"{args.cameras} cameras, {len(zones)} zones, {small.people:.1f} people counted per "
        f"camera, {people:.0f} in the zones after overlaps; CrowdMap built in {build_s:.2f} s"
    )
    print(f"counting (count_people x {args.cameras}, 1080p):      {count_s:.2f} s")
    print(f"taking counts in (LiveCrowd.observe x {args.cameras}): {take_s:.2f} s")
    print(f"zone sums + facts + zones shown:              {sum_s:.3f} s")
    total = count_s + take_s + sum_s
    print(f"round: {total:.2f} s = {100 * total / 60:.1f} % of the 60 s interval on one core")
    wired = take_s + sum_s
    print(
        f"wired service part (observe + sums) {wired:.3f} s against the library sum alone "
        f"{library_s:.3f} s: ratio {wired / library_s:.1f}; {len(facts.density)} zones counted, "
        f"{len(shown)} shown"
    )
    print(
        f"stored side: writing every camera's count in batches of {BATCH} {store_s:.3f} s, "
        f"a replica taking them in {follow_s:.3f} s; writing against observe + sums: "
        f"ratio {store_s / wired:.2f}"
    )


def stored_side(
    live: LiveCrowd,
    views: dict[str, shapely.Polygon],
    zones: dict[str, shapely.Polygon],
    poses: dict[str, CameraPose],
    at: dt.datetime,
) -> tuple[float, float]:
    """Process CPU seconds to record every camera's count (in writer-sized batches, one
    transaction each) and for a second ledger to take them all in."""
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'crowd.db'}")
        migrate(engine)
        sessions = session_factory(engine)
        ledger = CrowdLedger(live)
        cameras = list(poses)
        t0 = time.process_time()
        for start in range(0, len(cameras), BATCH):
            with transaction(sessions) as session:
                ledger.record(session, cameras[start : start + BATCH], at=at)
            ledger.committed()
        t1 = time.process_time()
        mirror = CrowdLedger(LiveCrowd(views, zones, poses, timezone="Asia/Shanghai"))
        t2 = time.process_time()
        with transaction(sessions, write=False) as session:
            mirror.follow(session)
        t3 = time.process_time()
        assert mirror.crowd.camera_people() == live.camera_people()
        engine.dispose()
    return t1 - t0, t3 - t2


if __name__ == "__main__":
    main()
