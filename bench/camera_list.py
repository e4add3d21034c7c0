"""`GET /api/v1/cameras` on a large site: the whole list against a page and the status filter.

Run: .venv/bin/python bench/camera_list.py --cameras 50000 [--runs 5]

Prints the median time of each request form and its ratio to the whole unpaged list measured in
the same process (the baseline), on the bench site of bench/serve.py with about 3 % of cameras
offline. In-process (Starlette's TestClient), so the ratio is the server's work, not the network's.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import serve
from fastapi.testclient import TestClient
from sqlalchemy import update

from gapwatch.api import create_app
from gapwatch.settings import Settings
from gapwatch.storage import CameraStateRow, transaction


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cameras", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="gapwatch-camlist-"))
    site = serve.write_site(folder, args.cameras, "synthetic", 25)
    settings = Settings(
        db_url=f"sqlite:///{folder / 'gapwatch.db'}",
        site=site,
        admin_token=serve.TOKEN,
        scheduler=False,
    )
    app = create_app(settings)
    headers = {"Authorization": f"Bearer {serve.TOKEN}"}
    with TestClient(app) as client:
        service = app.state.service
        now = dt.datetime.now(dt.UTC)
        # Camera states set straight in the store (as the prober would leave them).
        offline = [serve.camera_id(i) for i in range(0, args.cameras, 33)]
        with transaction(service.sessions) as session:
            session.execute(update(CameraStateRow).values(status="ok", last_probe_at=now))
            session.execute(
                update(CameraStateRow)
                .where(CameraStateRow.camera_id.in_(offline))
                .values(status="offline", faults=["no_signal"])
            )
        forms = {
            "whole list": "/api/v1/cameras",
            "page of 200": "/api/v1/cameras?limit=200&offset=1000",
            "status=offline": "/api/v1/cameras?status=offline",
            "zone=zone-0": "/api/v1/cameras?zone=zone-0",
        }
        times: dict[str, float] = {}
        for name, path in forms.items():
            client.get(path, headers=headers)
            runs = []
            for _ in range(args.runs):
                started = time.perf_counter()
                response = client.get(path, headers=headers)
                runs.append(time.perf_counter() - started)
                assert response.status_code == 200, response.text
            times[name] = statistics.median(runs)
            print(
                f"{name:16s} {times[name] * 1000:9.1f} ms  {len(response.content):>10,d} B  "
                f"X-Total-Count {response.headers['X-Total-Count']}"
            )
        base = times["whole list"]
        for name, value in times.items():
            print(f"ratio {name:16s} {value / base:.3f}")


if __name__ == "__main__":
    main()
