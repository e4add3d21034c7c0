"""Video-patrol rounds of a past shift look through the cameras that worked then (from the stored
health history), and a round's check-off can be taken back, with the undo kept in the record.
Through the real API on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sqlalchemy import event, select, text

from gapwatch.api.health_history import load_health_history
from gapwatch.storage import EventRow, make_engine, migrate, session_factory, transaction
from gapwatch.vision.types import ProbeResult
from tests.api.conftest import Api


def _judge(api: Api, camera: str, status: str, at: dt.datetime) -> None:
    """Probe results enough for the health rules to call `camera` `status` from `at` on."""
    spec = api.service.site.spec.health
    faults = [] if status == "ok" else ["no_signal"]
    verdict = ProbeResult(status=status, faults=faults, elapsed_s=1.0)  # type: ignore[arg-type]
    count = spec.open_after if status != "ok" else spec.close_after
    for i in range(count):
        api.service.handle_probe(camera, at - dt.timedelta(seconds=count - 1 - i), verdict)


def _rounds(api: Api, start: dt.datetime, hours: float) -> list[dict[str, Any]]:
    response = api.client.get(
        "/api/v1/patrol-rounds",
        headers=api.headers("operator"),
        params={"from": start.isoformat(), "hours": str(hours)},
    )
    assert response.status_code == 200, response.text
    rounds: list[dict[str, Any]] = response.json()
    return rounds


def _report(api: Api, start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    response = api.client.get(
        "/api/v1/reports/shift",
        headers=api.headers("operator"),
        params={"from": start.isoformat(), "to": end.isoformat()},
    )
    assert response.status_code == 200, response.text
    report: dict[str, Any] = response.json()
    return report


def test_a_past_shift_has_the_rounds_and_cameras_of_its_own_time(api: Api) -> None:
    now = dt.datetime.now(dt.UTC)
    start = (now - dt.timedelta(hours=10)).replace(minute=0, second=0, microsecond=0)
    down, up = start + dt.timedelta(hours=2), start + dt.timedelta(hours=4)
    # The trail's only camera was out for two hours of the shift, and is fine today; the gate's
    # cam-1 worked all through the shift and is down today.
    _judge(api, "cam-3", "offline", down)
    _judge(api, "cam-3", "ok", up)
    _judge(api, "cam-1", "offline", now)

    rounds = _rounds(api, start, 6)
    trail = [dt.datetime.fromisoformat(r["at"]) for r in rounds if r["zone"] == "trail"]
    assert trail, rounds
    assert not [t for t in trail if down <= t < up], trail  # nothing to look through then
    assert [t for t in trail if t < down] and [t for t in trail if t >= up]
    gate = [r for r in rounds if r["zone"] == "gate"]
    assert gate and all("cam-1" in {v["camera"] for v in r["cameras"]} for r in gate)
    # Rounds still to come use today's cameras.
    ahead = [r for r in _rounds(api, now + dt.timedelta(minutes=1), 4) if r["zone"] == "gate"]
    assert ahead and all("cam-1" not in {v["camera"] for v in r["cameras"]} for r in ahead)

    report = _report(api, start, start + dt.timedelta(hours=6))
    assert report["rounds"]["scheduled"] == len(rounds)
    assert report["rounds"]["done"] == 0
    # Handed over at the shift's end: everything was back by then, today's cam-1 is not in it.
    assert report["cameras_down"] == []
    middle = _report(api, start, start + dt.timedelta(hours=3))
    assert [(c["id"], c["status"], c["faults"]) for c in middle["cameras_down"]] == [
        ("cam-3", "offline", ["no_signal"])
    ]
    assert dt.datetime.fromisoformat(middle["cameras_down"][0]["since"]) >= down
    assert middle["rounds"]["scheduled"] == sum(
        1 for r in rounds if dt.datetime.fromisoformat(r["at"]) < start + dt.timedelta(hours=3)
    )
    # A shift still running says the cameras down now.
    current = _report(api, now - dt.timedelta(hours=1), now + dt.timedelta(minutes=5))
    assert [c["id"] for c in current["cameras_down"]] == ["cam-1"]


def test_a_round_check_off_is_undone_kept_in_the_record_and_can_be_redone(api: Api) -> None:
    now = dt.datetime.now(dt.UTC)
    start = now - dt.timedelta(hours=2)
    rounds = _rounds(api, start, 2)
    assert rounds
    target = {"zone": rounds[0]["zone"], "at": rounds[0]["at"]}
    url = "/api/v1/patrol-rounds/checks"
    op, dispatcher = api.headers("operator"), api.headers("dispatcher")
    assert api.client.post(url, json=target, headers=op).status_code == 201

    # Undo takes the rights of a check-off: a dispatcher may not, an operator may.
    refused = api.client.post(f"{url}/undo", json=target, headers=dispatcher)
    assert refused.status_code == 403, refused.text
    undone = api.client.post(f"{url}/undo", json=target | {"note": "看错区域"}, headers=op)
    assert undone.status_code == 200, undone.text
    body = undone.json()
    assert body["checked_by"] == body["undone_by"] == "test operator"
    assert body["undo_note"] == "看错区域" and body["undone_at"] is not None

    query = {"from": start.isoformat(), "hours": "3"}
    assert api.client.get(url, params=query, headers=op).json() == []
    kept = api.client.get(url, params=query | {"undone": "true"}, headers=op).json()
    assert [(k["zone"], k["undone_by"]) for k in kept] == [(target["zone"], "test operator")]
    report = _report(api, start, now)
    assert report["rounds"]["done"] == 0

    again = api.client.post(f"{url}/undo", json=target, headers=op)
    assert again.status_code == 404
    assert again.json()["detail"][0]["msg"] == "this round is not checked off / 该巡查未签到"
    # Checked off anew after the undo, it counts again.
    assert api.client.post(url, json=target, headers=op).status_code == 201
    assert len(api.client.get(url, params=query, headers=op).json()) == 1
    assert _report(api, start, now)["rounds"]["done"] == 1
    with transaction(api.service.sessions) as session:
        kinds = session.scalars(
            select(EventRow.type).where(EventRow.type.like("patrol_round.%")).order_by(EventRow.seq)
        ).all()
    assert kinds == ["patrol_round.checked", "patrol_round.unchecked", "patrol_round.checked"]


def test_a_camera_handed_over_down_is_down_since_its_outage_began_not_its_flapping(
    api: Api,
) -> None:
    now = dt.datetime.now(dt.UTC)
    start = (now - dt.timedelta(hours=10)).replace(minute=0, second=0, microsecond=0)
    down = start + dt.timedelta(hours=1)
    _judge(api, "cam-3", "offline", down)
    # Then the picture comes and goes every minute: never two good probes in a row, so the
    # camera stays offline, but it turns flapping, a change of the flag alone.
    verdicts = {
        "ok": ProbeResult(status="ok", faults=[], elapsed_s=1.0),
        "offline": ProbeResult(status="offline", faults=["no_signal"], elapsed_s=1.0),
    }
    for i in range(1, 21):
        status = "ok" if i % 2 else "offline"
        api.service.handle_probe("cam-3", down + dt.timedelta(minutes=i), verdicts[status])
    with transaction(api.service.sessions, write=False) as session:
        changes = session.execute(
            select(EventRow.at, EventRow.data)
            .where(EventRow.type == "camera.state", EventRow.camera == "cam-3")
            .order_by(EventRow.seq)
        ).all()
    assert [(d["status"], d["flapping"]) for _, d in changes] == [
        ("offline", False),
        ("offline", True),
    ]
    assert changes[0].at == down and changes[1].at > down

    report = _report(api, start, start + dt.timedelta(hours=3))
    [camera] = report["cameras_down"]
    assert camera["id"] == "cam-3" and camera["status"] == "offline"
    assert dt.datetime.fromisoformat(camera["since"]) == down


def test_health_history_seeks_through_the_camera_index_and_never_reads_all_history(
    tmp_path: Path,
) -> None:
    """Every read of the events table is bounded: by camera through the (type, camera, at)
    index, by the span at both ends, or by sequence number; none reads every change before a
    span (SQLite's own query plans say which)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'plans.db'}")
    migrate(engine)
    t0 = dt.datetime(2026, 7, 30, 13, 0, tzinfo=dt.UTC)
    with transaction(session_factory(engine)) as session:
        for i in range(200):
            status = ("ok", "offline", "offline", "degraded")[i % 4]
            data = {"camera": f"cam-{i % 5}", "status": status, "flapping": i % 3 == 0}
            session.add(EventRow(at=t0 + dt.timedelta(minutes=i), type="camera.state", data=data))
        session.execute(text("ANALYZE"))
    statements: list[tuple[str, Any]] = []

    def keep(_conn: Any, _cursor: Any, sql: str, params: Any, *_: Any) -> None:
        statements.append((sql, params))

    event.listen(engine, "before_cursor_execute", keep)
    with transaction(session_factory(engine), write=False) as session:
        since = t0 + dt.timedelta(minutes=150)
        history = load_health_history(
            session, cameras=[f"cam-{i}" for i in range(5)], since=since, until=since
        )
    event.remove(engine, "before_cursor_execute", keep)
    assert len(history.states_at(since)) == 5
    reads = [(sql, p) for sql, p in statements if "FROM events" in sql]
    assert reads
    with engine.connect() as conn:
        for sql, params in reads:
            plan = [row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params)]
            for step in plan:
                if " events " not in f"{step} ":
                    continue
                bounded = (
                    "camera=?" in step or "rowid=?" in step or ("at>?" in step and "at<?" in step)
                )
                assert bounded, (sql, plan)
    engine.dispose()
