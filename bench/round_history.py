"""Cost of a past day's video-patrol rounds read through the stored health history.

A day of rounds that has passed is built from the `camera.state` events (the health of then);
the baseline, measured in the same run on the same service, is a day still to come, built from
the live health alone (how every day was built before). Each size adds that many state changes,
spread over the last 30 days, to the events table (SQLite), and prints both times and the ratio.
The last two columns time the read a handover a day ago needs (each camera's state at that
moment, `load_health_history` with no span), against the same read with no changes stored,
measured first in the same run: what the (type, camera, at) index keeps from growing with all
that is stored. The rest of a past day's cost grows with the changes inside the day, as its
rounds do.

    .venv/bin/python bench/round_history.py [--sizes 0,10000,100000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gapwatch.api import create_app
from gapwatch.api.health_history import load_health_history
from gapwatch.api.patrol_plans import rounds_between
from gapwatch.runtime.pipeline import Service
from gapwatch.settings import Settings
from gapwatch.storage import EventRow, transaction
from tests.api.serving import running
from tests.api.site import write_site


def _median_ms(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        run()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def _add_changes(service: Service, count: int, now: dt.datetime, rng: random.Random) -> None:
    cameras = [c.id for c in service.site.spec.cameras]
    for done in range(0, count, 5000):
        # Batches, so the service's own workers are not kept waiting for the write lock.
        with transaction(service.sessions) as session:
            for _ in range(min(5000, count - done)):
                at = now - dt.timedelta(seconds=rng.uniform(0, 30 * 86400))
                status = rng.choice(["ok", "ok", "offline", "degraded"])
                data = {"camera": rng.choice(cameras), "status": status, "flapping": False}
                session.add(EventRow(at=at, type="camera.state", data=data | {"faults": []}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="0,10000,100000")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    rng = random.Random(11)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        settings = Settings(
            db_url=f"sqlite:///{folder / 'bench.db'}",
            site=write_site(folder),
            admin_token="gw_bench-admin-0123456789abcdef",
            scheduler=False,
        )
        app = create_app(settings)
        with running(app):
            service: Service = app.state.service
            _measure(service, [int(s) for s in args.sizes.split(",")], args.repeat, rng)


def _measure(service: Service, sizes: list[int], repeat: int, rng: random.Random) -> None:
    now = dt.datetime.now(dt.UTC)
    day = dt.timedelta(days=1)
    added = 0
    cameras = [c.id for c in service.site.spec.cameras]
    read_empty = 0.0
    print(
        "state changes stored | day to come (live) ms | past day (history) ms | ratio"
        " | history read ms | read ratio to none stored"
    )
    for size in sizes:
        _add_changes(service, size - added, now, rng)
        added = size
        with service.sessions() as session:

            def ahead(session: Session = session) -> object:
                return rounds_between(
                    service=service, session=session, start=now, end=now + day, now=now
                )

            def past(session: Session = session) -> object:
                return rounds_between(
                    service=service, session=session, start=now - day, end=now, now=now
                )

            def read(session: Session = session) -> object:
                return load_health_history(
                    session, cameras=cameras, since=now - day, until=now - day
                )

            live_ms = _median_ms(ahead, repeat)
            history_ms = _median_ms(past, repeat)
            read_ms = _median_ms(read, repeat)
        read_empty = read_empty or read_ms
        ratio = history_ms / live_ms
        print(
            f"{size:>20,} | {live_ms:>21.1f} | {history_ms:>21.1f} | {ratio:>5.2f}"
            f" | {read_ms:>15.1f} | {read_ms / read_empty:.2f}"
        )


if __name__ == "__main__":
    main()
