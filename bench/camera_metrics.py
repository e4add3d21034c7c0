"""What the per-camera Prometheus series cost: series count, scrape size and scrape time.

    .venv/bin/python bench/camera_metrics.py                 # 50,000 cameras
    .venv/bin/python bench/camera_metrics.py --cameras 2000  # quick look

A synthetic site's cameras get states in a real SQLite store (5 % degraded with one or two faults,
2 % offline, 1 % never judged; every camera from a WVP platform). One scrape is what `/metrics`
does: read the judged states, rebuild the per-camera readings, render the exposition text. The
baseline, measured in the same run, is the same registry without per-camera series
(GAPWATCH_CAMERA_METRICS=false). The text is parsed back with prometheus_client's own parser to
count the series it really holds.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import time
from collections.abc import Callable

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import insert, select

from gapwatch.runtime.metrics import ServiceMetrics, exposition
from gapwatch.storage import CameraStateRow, make_engine, migrate, session_factory, transaction

FAULTS = ("black", "frozen", "blur", "occluded", "noise", "color_cast")


def _fill(url: str, n: int, rng: random.Random) -> None:
    engine = make_engine(url)
    migrate(engine)
    now = dt.datetime.now(dt.UTC)
    rows = []
    for i in range(n):
        roll = rng.random()
        if roll < 0.01:
            continue  # never judged: no row yet
        status, faults = "ok", []
        if roll < 0.03:
            status, faults = "offline", ["no_signal"]
        elif roll < 0.08:
            status, faults = "degraded", rng.sample(FAULTS, rng.choice((1, 2)))
        rows.append(
            {"camera_id": f"cam-{i:05d}", "status": status, "faults": faults,
             "since": now, "last_probe_at": now}
        )  # fmt: skip
    with engine.begin() as conn:
        for start in range(0, len(rows), 5000):
            conn.execute(insert(CameraStateRow), rows[start : start + 5000])
    engine.dispose()


def _timed(run: Callable[[], bytes], repeat: int) -> tuple[float, bytes]:
    times, out = [], b""
    for _ in range(repeat):
        start = time.perf_counter()
        out = run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cameras", type=int, default=50_000)
    parser.add_argument("--zones", type=int, default=400)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--db", default="sqlite:///var/bench-camera-metrics.db")
    args = parser.parse_args()
    rng = random.Random(7)
    import pathlib

    pathlib.Path("var").mkdir(exist_ok=True)
    db_path = args.db.removeprefix("sqlite:///")
    pathlib.Path(db_path).unlink(missing_ok=True)
    _fill(args.db, args.cameras, rng)
    engine = make_engine(args.db)
    sessions = session_factory(engine)
    cameras = [f"cam-{i:05d}" for i in range(args.cameras)]
    zones = {c: f"zone-{rng.randrange(args.zones):03d}" for c in cameras}
    platform = {c: ("online" if rng.random() > 0.02 else "offline") for c in cameras}
    platforms = dict.fromkeys(cameras, "county-wvp")

    totals_only = ServiceMetrics.create(per_camera=False)
    per_camera = ServiceMetrics.create(per_camera=True)

    flips = iter(range(10**9))

    def scrape(metrics: ServiceMetrics, *, change: bool = False) -> bytes:
        if change:  # one camera's platform status flips, so the series must be rendered again
            camera = cameras[next(flips) % len(cameras)]
            platform[camera] = "offline" if platform[camera] == "online" else "online"
        with transaction(sessions, write=False) as session:
            states = {
                cid: (status, faults or [])
                for cid, status, faults in session.execute(
                    select(
                        CameraStateRow.camera_id, CameraStateRow.status, CameraStateRow.faults
                    ).where(CameraStateRow.last_probe_at.is_not(None))
                )
            }
            for state in ("ok", "degraded", "offline", "unknown"):
                metrics.camera_states.labels(state).set(
                    sum(1 for s, _ in states.values() if s == state)
                )
        if metrics.cameras is not None:
            metrics.cameras.refresh(
                cameras=cameras, states=states, zones=lambda: zones,
                platform_status=platform, platforms=platforms,
            )  # fmt: skip
        return exposition(metrics)

    base_s, base_text = _timed(lambda: scrape(totals_only), args.repeat)
    full_s, full_text = _timed(lambda: scrape(per_camera, change=True), args.repeat)
    same_s, same_text = _timed(lambda: scrape(per_camera), args.repeat)
    assert same_text == full_text or len(same_text) == len(full_text)
    series = {
        family.name: len(family.samples)
        for family in text_string_to_metric_families(full_text.decode())
    }
    per_camera_series = sum(v for k, v in series.items() if k.startswith("gapwatch_camera_"))
    print(f"cameras: {args.cameras:,}  zones: {args.zones}")
    for name in ("gapwatch_camera_up", "gapwatch_camera_fault", "gapwatch_camera_platform_online"):
        print(f"  {name}: {series.get(name, 0):,} series")
    print(f"per-camera series: {per_camera_series:,} "
          f"({per_camera_series / args.cameras:.2f} per camera)")  # fmt: skip
    print(f"scrape size: {len(full_text) / 1e6:.2f} MB with, {len(base_text) / 1e3:.1f} kB without"
          f" ({len(full_text) / max(1, len(base_text)):.0f}x)")  # fmt: skip
    print(f"scrape time (median of {args.repeat}; the store read is in all three):")
    print(f"  without per-camera series: {base_s * 1000:.0f} ms")
    print(f"  with, some camera changed: {full_s * 1000:.0f} ms (ratio {full_s / base_s:.1f}x)")
    print(f"  with, nothing changed:     {same_s * 1000:.0f} ms (ratio {same_s / base_s:.1f}x)")
    engine.dispose()


if __name__ == "__main__":
    main()
