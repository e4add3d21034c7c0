"""A delivery worker process for the crash tests
(`python -m tests.dispatch.outbox_worker_proc CFG`).

CFG is JSON: db_url, delays_s, claim_s, pause_s, timeout_s, max_s, and optionally
die_after_response (N: SIGKILL itself just after the N-th answer arrived, before it is
recorded). Exits 0 once nothing is left pending.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import sys
import time

import httpx
from sqlalchemy import func, select

from gapwatch.dispatch.delivery import RetryPolicy, deliver_due
from gapwatch.dispatch.outbox import secret_lookup
from gapwatch.storage import OutboxRow, make_engine, session_factory, transaction


def main() -> int:
    config = json.loads(sys.argv[1])
    factory = session_factory(make_engine(config["db_url"]))
    policy = RetryPolicy(
        delays_s=tuple(config["delays_s"]),
        claim_s=config["claim_s"],
        endpoint_pause_s=config["pause_s"],
    )
    counts = {"response": 0}

    def on_response(_response: httpx.Response) -> None:
        counts["response"] += 1
        if counts["response"] == config.get("die_after_response"):
            os.kill(os.getpid(), signal.SIGKILL)

    client = httpx.Client(
        timeout=config["timeout_s"],
        event_hooks={"response": [on_response]},
    )
    paused: dict[str, dt.datetime] = {}
    deadline = time.monotonic() + config["max_s"]
    while time.monotonic() < deadline:
        deliver_due(factory, client, policy=policy, secrets=secret_lookup(), paused=paused)
        with transaction(factory, write=False) as session:
            left = session.scalar(
                select(func.count()).select_from(OutboxRow).where(OutboxRow.state == "pending")
            )
        if not left:
            return 0
        time.sleep(0.05)
    return 3


if __name__ == "__main__":
    sys.exit(main())
