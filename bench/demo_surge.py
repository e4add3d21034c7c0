"""The demo's square filling with visitors, watched through the API of a real `serve --demo`.

    .venv/bin/python bench/demo_surge.py --minutes 6

Starts `gapwatch serve --demo` on the demo site with a fresh SQLite database in a temporary
folder, then reads `/api/v1/crowd` and the open alerts once every probe interval (20 s). Each
line: the square's people, its normal for the hour, the trend, the people each of its two
cameras counts, and where the alert of cam-023 (the square's faulty camera) stands in the
road-patrol order, with its severity and the people expected on its blind ground. The end
prints one JSON summary: the range of the square's count while normal and while a surge, the
severity of cam-023's alert in each, and how many rounds it led the road-patrol order.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "config" / "demo-weiyuan.yaml"
SQUARE = "yuangudui-square"
FAULTY = "cam-023"
INTERVAL_S = 20.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _token(workdir: Path, deadline: float) -> str:
    path = workdir / "var" / "demo-admin-token"
    while time.monotonic() < deadline:
        if path.exists() and len(path.read_text().strip()) >= 16:
            return path.read_text().strip()
        time.sleep(0.2)
    raise SystemExit("the demo wrote no admin token")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=6.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        port = _free_port()
        env = {
            **os.environ,
            "GAPWATCH_DB_URL": f"sqlite:///{workdir / 'demo.db'}",
            "GAPWATCH_PORT": str(port),
        }
        log = (workdir / "serve.log").open("wb")
        server = subprocess.Popen(
            [sys.executable, "-m", "gapwatch.cli", "serve", "--site", str(SITE), "--demo"],
            cwd=workdir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            rows = _watch(workdir, port, args.minutes * 60.0)
        finally:
            server.terminate()
            server.wait(timeout=60)
            log.close()
    print(json.dumps(_summary(rows), indent=2))


def _watch(workdir: Path, port: int, seconds: float) -> list[dict[str, Any]]:
    started = time.monotonic()
    token = _token(workdir, started + 120)
    client = httpx.Client(
        base_url=f"http://127.0.0.1:{port}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    while True:  # the first verdicts
        try:
            if client.get("/healthz").status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > started + 120:
            raise SystemExit("the demo did not come up")
        time.sleep(0.5)
    rows: list[dict[str, Any]] = []
    begun = time.monotonic()
    while time.monotonic() - begun < seconds:
        crowd = client.get("/api/v1/crowd").json()
        alerts = client.get("/api/v1/alerts", params={"limit": 200}).json()
        items = alerts["items"] if isinstance(alerts, dict) else alerts
        faulty = next(
            (a["id"] for a in items if a["cameras"] == [FAULTY] and a["status"] != "resolved"),
            None,
        )
        zone = next(z for z in crowd["zones"] if z["zone"] == SQUARE)
        people = {c["camera"]: c["people"] for c in crowd["cameras"]}
        order = [o["alert_id"] for o in crowd["road_patrol_order"]]
        place = next((o for o in crowd["road_patrol_order"] if o["alert_id"] == faulty), None)
        row = {
            "t_s": round(time.monotonic() - begun),
            "people": zone["people"],
            "normal": zone["normal"],
            "trend": zone["trend"],
            "cam-022": people.get("cam-022"),
            "cam-024": people.get("cam-024"),
            "position": order.index(faulty) + 1 if faulty in order else None,
            "severity": place["severity"] if place else None,
            "expected_people": place["expected_people"] if place else None,
        }
        rows.append(row)
        print(json.dumps(row), flush=True)
        time.sleep(INTERVAL_S)
    return rows


def _summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    def of(trend: str) -> dict[str, Any]:
        picked = [r for r in rows if r["trend"] == trend]
        people = [r["people"] for r in picked]
        return {
            "rounds": len(picked),
            "people_min": min(people, default=None),
            "people_median": statistics.median(people) if people else None,
            "people_max": max(people, default=None),
            "severities": sorted({r["severity"] for r in picked if r["severity"] is not None}),
            "rounds_first_in_road_patrol_order": sum(1 for r in picked if r["position"] == 1),
        }

    return {"rounds": len(rows), "normal": of("normal"), "surge": of("surge")}


if __name__ == "__main__":
    main()
