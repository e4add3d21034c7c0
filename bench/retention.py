"""Retention on SQLite: deleting a backlog of old probe results in batches, against one DELETE.

    .venv/bin/python bench/retention.py [--rows 200000] [--batch 5000]

Both runs delete the same rows (every row is older than the window but the newest tenth) from
identical copies of one database, in this process. Printed: seconds for each, the ratio, and
the longest single batch (how long the writer lock is held at most).
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import delete, insert

from gapwatch.runtime.retention import Retention, prune
from gapwatch.storage import ProbeResultRow, make_engine, migrate, session_factory, transaction

NOW = dt.datetime(2026, 12, 3, tzinfo=dt.UTC)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=5_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        first = Path(folder) / "a.db"
        url = f"sqlite:///{first}"
        engine = make_engine(url)
        migrate(engine)
        step = dt.timedelta(days=40) / args.rows
        with engine.begin() as conn:
            conn.execute(
                insert(ProbeResultRow),
                [
                    {"camera_id": f"cam-{k % 5000:04d}", "at": NOW - k * step, "status": "ok"}
                    for k in range(args.rows)
                ],
            )
        engine.dispose()
        second = Path(folder) / "b.db"
        shutil.copyfile(first, second)
        keep = Retention(probes=dt.timedelta(days=4), events=dt.timedelta(days=400))

        factory = session_factory(make_engine(url))
        longest = 0.0

        class Timed:
            def __enter__(self) -> None:
                self.start = time.perf_counter()

            def __exit__(self, *_exc: object) -> None:
                nonlocal longest
                longest = max(longest, time.perf_counter() - self.start)

        start = time.perf_counter()
        pruned = prune(factory, keep, NOW, batch=args.batch, writing=Timed)
        batched = time.perf_counter() - start

        plain = session_factory(make_engine(f"sqlite:///{second}"))
        start = time.perf_counter()
        with transaction(plain) as session:
            gone = session.execute(
                delete(ProbeResultRow).where(ProbeResultRow.at < NOW - keep.probes)
            ).rowcount
        one = time.perf_counter() - start
    print(f"rows {args.rows:,}, deleted {pruned.probes:,} (one DELETE: {gone:,})")
    print(f"in batches of {args.batch:,}: {batched:.2f} s; longest batch {longest * 1000:.0f} ms")
    print(f"one DELETE (holds the writer for all of it): {one:.2f} s; ratio {batched / one:.2f}")


if __name__ == "__main__":
    main()
