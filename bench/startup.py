"""Start-up cost of `gapwatch serve`: where the time to healthy goes, with and without bytecode.

    .venv/bin/python bench/startup.py --starts 3                       # SQLite
    .venv/bin/python bench/startup.py --starts 3 --db postgresql+psycopg://postgres@127.0.0.1/gw

Each start is a real `gapwatch serve` (the soak's site) timed from launch to `/healthz`, then
stopped with SIGTERM. The baseline in the same run starts the same command with an empty
bytecode cache (`-X pycache_prefix=EMPTY` and PYTHONDONTWRITEBYTECODE=1, as on an install whose
.pyc files were never written): every module is compiled from source on every start. The
phases (imports, site, migrations, coverage, loading alerts) are timed in a child process the
same two ways. It prints one JSON object with the ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from soak import (
    ADMIN,
    CLIP,
    REPO,
    SECRET,
    Receiver,
    _drop_schema,
    _free_port,
    _healthy,
    _own_schema,
)
from soak import _site as soak_site

PHASES = """
import sys, time, json
marks = [("start", time.perf_counter())]
import gapwatch.api.app  # everything `serve` imports
from gapwatch.alerts import AlertEngine
from gapwatch.coverage import CoverageModel
from gapwatch.site import load_site
from gapwatch.storage import make_engine, migrate, session_factory, transaction, utcnow
marks.append(("imports", time.perf_counter()))
site = load_site(sys.argv[2])
marks.append(("site", time.perf_counter()))
engine = make_engine(sys.argv[1])
migrate(engine)
marks.append(("migrations", time.perf_counter()))
coverage = CoverageModel.from_site(site)
marks.append(("coverage", time.perf_counter()))
with transaction(session_factory(engine)) as session:
    AlertEngine(site, coverage=coverage).start(session, at=utcnow())
marks.append(("loading alerts", time.perf_counter()))
engine.dispose()
print(json.dumps({b[0]: round(b[1] - a[1], 3) for a, b in zip(marks, marks[1:])}))
"""


def _python(cold: Path | None) -> list[str]:
    return [sys.executable, *(["-X", f"pycache_prefix={cold}"] if cold is not None else [])]


def _env() -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONDONTWRITEBYTECODE": "1",
        "GAPWATCH_ADMIN_TOKEN": ADMIN,
        "SOAK_SECRET": SECRET,
        "GAPWATCH_DISPATCH_ALLOW": "127.0.0.1",
    }


def _time_to_healthy(cold: Path | None, site: Path, db: str, log: Path) -> float | None:
    port = _free_port()
    with log.open("ab") as out:
        process = subprocess.Popen(
            [*_python(cold), "-m", "gapwatch.cli", "serve", "--site", str(site), "--db", db,
             "--port", str(port)],
            env=_env(), stdout=out, stderr=subprocess.STDOUT, cwd=REPO,
        )  # fmt: skip
        took = _healthy(f"http://127.0.0.1:{port}", process, 300)
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return took


def _phases(cold: Path | None, site: Path, db: str) -> dict[str, float]:
    done = subprocess.run(
        [*_python(cold), "-c", PHASES, db, str(site)],
        env=_env(), cwd=REPO, capture_output=True, text=True, check=True,
    )  # fmt: skip
    phases: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return phases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--starts", type=int, default=3)
    parser.add_argument("--db", default="", help="SQLAlchemy URL (default: a fresh SQLite file)")
    parser.add_argument("--cameras", type=int, default=6)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="gapwatch-startup-"))
    db, schema = args.db or f"sqlite:///{folder / 'startup.db'}", None
    if db.startswith("postgresql"):
        db, schema = _own_schema(db)
    receiver = Receiver(0)
    receiver.start()
    site, links = soak_site(folder, receiver.port, args.cameras)
    for link in links:
        link.symlink_to(CLIP)
    log = folder / "serve.log"
    result: dict[str, object] = {"db": db.split("://", 1)[0], "load": os.getloadavg()[0]}
    try:
        runs: dict[str, dict[str, object]] = {}
        for label in ("installed bytecode", "no bytecode (baseline)"):
            cold = None if label == "installed bytecode" else Path(tempfile.mkdtemp(dir=folder))
            starts = [_time_to_healthy(cold, site, db, log) for _ in range(args.starts)]
            healthy = [s for s in starts if s is not None]
            runs[label] = {
                "time_to_healthy_s": [round(s, 2) for s in healthy],
                "median_s": round(statistics.median(healthy), 2) if healthy else None,
                "not_healthy": len(starts) - len(healthy),
                "phases_s": _phases(cold, site, db),
            }
        result["runs"] = runs
        warm = runs["installed bytecode"]["median_s"]
        cold_median = runs["no bytecode (baseline)"]["median_s"]
        if isinstance(warm, float) and isinstance(cold_median, float):
            result["baseline_over_installed"] = round(cold_median / warm, 2)
    finally:
        receiver.stop()
        if schema is not None:
            _drop_schema(args.db, schema)
    result["load_after"] = os.getloadavg()[0]
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
