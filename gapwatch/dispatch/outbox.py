"""The transactional dispatch outbox: queue messages with the alert, deliver them later.

`enqueue` runs inside the alert engine's transaction, so an alert, its tasks and their webhook
messages commit together or not at all. `deliver_due` (driven by `DeliveryWorker`) POSTs due
messages, signed per Standard Webhooks, and records the outcome. A message's `webhook-id` is its
row id and its body is stored exactly as sent, so a retry — even after the process was killed —
repeats the same id and bytes and the receiver can de-duplicate.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import os
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

from pydantic import BaseModel
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session, sessionmaker

from gapwatch.storage import DispatchEndpointRow, EventRow, OutboxRow, utcnow

__all__ = [
    "DEFAULT_ENDPOINT_ID",
    "DEFAULT_SECRET_ENV",
    "EndpointConfig",
    "EndpointSpec",
    "SecretLookup",
    "configured_endpoints",
    "disable_endpoint",
    "enqueue",
    "enqueue_all",
    "message_body",
    "message_id",
    "reenable_endpoint",
    "secret_lookup",
    "sync_endpoints",
    "wake_on_commit",
]

log = logging.getLogger(__name__)

DEFAULT_ENDPOINT_ID = "default"
"""Endpoint id of GAPWATCH_DISPATCH_URL."""
DEFAULT_SECRET_ENV = "GAPWATCH_DISPATCH_SECRET"
REMOVED_REASON = "已从配置中移除 / removed from the configuration"

SecretLookup = Callable[[str], str | None]
"""Maps an endpoint's `secret_env` name to the `whsec_` secret (None when unset)."""


_id_lock = threading.Lock()
_last_id_ns = 0


def message_id() -> str:
    """A fresh `webhook-id` that sorts after every earlier one from this process.

    Messages queued in the same transaction share a timestamp; ordering by id then keeps them in
    the order they were queued (a task's creation goes out before its cancellation).
    """
    global _last_id_ns
    with _id_lock:
        _last_id_ns = max(time.time_ns(), _last_id_ns + 1)
        stamp = _last_id_ns
    return f"msg_{stamp:016x}{secrets.token_hex(6)}"


class EndpointConfig(Protocol):
    """Anything that names a dispatch endpoint: the site file's entries or `EndpointSpec`."""

    @property
    def id(self) -> str: ...

    @property
    def url(self) -> str: ...

    @property
    def secret_env(self) -> str | None: ...


@dataclasses.dataclass(frozen=True)
class EndpointSpec:
    """One dispatch endpoint as configured (the secret itself stays in the environment)."""

    id: str
    url: str
    secret_env: str | None = None


def configured_endpoints(
    site_endpoints: Iterable[EndpointConfig],
    *,
    dispatch_url: str | None = None,
    unsigned: bool = False,
) -> list[EndpointSpec]:
    """The site file's endpoints plus GAPWATCH_DISPATCH_URL (id `default`, which it overrides),
    signed with GAPWATCH_DISPATCH_SECRET unless `unsigned` (GAPWATCH_DISPATCH_UNSIGNED)."""
    specs = {
        e.id: EndpointSpec(id=e.id, url=e.url, secret_env=e.secret_env) for e in site_endpoints
    }
    if dispatch_url:
        specs[DEFAULT_ENDPOINT_ID] = EndpointSpec(
            id=DEFAULT_ENDPOINT_ID,
            url=dispatch_url,
            secret_env=None if unsigned else DEFAULT_SECRET_ENV,
        )
    return list(specs.values())


def secret_lookup(overrides: Mapping[str, str] | None = None) -> SecretLookup:
    """A lookup reading `overrides` first (e.g. secrets from settings), then the environment."""
    fixed = dict(overrides or {})

    def lookup(name: str) -> str | None:
        return fixed.get(name) or os.environ.get(name)

    return lookup


def sync_endpoints(
    session: Session, endpoints: Iterable[EndpointConfig], *, now: dt.datetime | None = None
) -> list[DispatchEndpointRow]:
    """Make the stored endpoints match the configuration (caller commits).

    New endpoints are added and a changed URL or secret is taken over. Endpoints no longer
    configured are disabled and their pending messages held back; when one comes back as it
    was, it is enabled and the held messages go out. An endpoint disabled for any reason whose
    URL changed is enabled again; messages held for the old URL stay held.
    """
    at = now or utcnow()
    session.info.pop(_ENDPOINTS_KEY, None)
    wanted = {e.id: e for e in endpoints}
    stored = {row.id: row for row in session.scalars(select(DispatchEndpointRow))}
    for endpoint_id, spec in wanted.items():
        row = stored.get(endpoint_id)
        if row is None:
            row = DispatchEndpointRow(id=endpoint_id, url=spec.url, secret_env=spec.secret_env)
            session.add(row)
            stored[endpoint_id] = row
            continue
        moved = row.url != spec.url
        row.url = spec.url
        row.secret_env = spec.secret_env
        if row.disabled and row.disabled_reason == REMOVED_REASON and not moved:
            # Back in the configuration as it was: what was held back for it goes out now.
            held = reenable_endpoint(session, endpoint_id, now=at)
            log.info(
                "dispatch endpoint %s is configured again; %d held messages requeued",
                endpoint_id,
                held,
            )
        elif row.disabled and moved:
            # A new address: messages held for the old one stay held (reenable_endpoint sends
            # them on purpose).
            row.disabled = False
            row.disabled_reason = None
            row.disabled_at = None
            log.info("dispatch endpoint %s enabled again at its new address", endpoint_id)
    for endpoint_id, row in stored.items():
        if endpoint_id not in wanted and not row.disabled:
            disable_endpoint(session, row, reason=REMOVED_REASON, at=at)
    session.flush()
    return [stored[i] for i in wanted]


def reenable_endpoint(session: Session, endpoint_id: str, *, now: dt.datetime | None = None) -> int:
    """Enable a disabled endpoint again and requeue its held-back messages; returns how many."""
    at = now or utcnow()
    session.info.pop(_ENDPOINTS_KEY, None)
    row = session.get(DispatchEndpointRow, endpoint_id)
    if row is None:
        raise LookupError(f"no dispatch endpoint with id {endpoint_id!r}")
    row.disabled = False
    row.disabled_reason = None
    row.disabled_at = None
    result = session.execute(
        update(OutboxRow)
        .where(OutboxRow.endpoint_id == endpoint_id, OutboxRow.state == "disabled")
        .values(state="pending", next_attempt_at=at, attempts=0)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def disable_endpoint(
    session: Session, row: DispatchEndpointRow, *, reason: str, at: dt.datetime
) -> None:
    """Stop sending to an endpoint, hold back its queued messages, and say so (caller commits)."""
    session.info.pop(_ENDPOINTS_KEY, None)
    row.disabled = True
    row.disabled_reason = reason
    row.disabled_at = at
    # Its queued messages are held back, not lost: `reenable_endpoint` puts them back in line.
    session.execute(
        update(OutboxRow)
        .where(OutboxRow.endpoint_id == row.id, OutboxRow.state == "pending")
        .values(state="disabled", last_error=reason)
    )
    session.add(
        EventRow(
            at=at,
            type="dispatch.endpoint_disabled",
            data={"endpoint": row.id, "reason": reason},
        )
    )
    log.warning("dispatch endpoint %s disabled: %s", row.id, reason)


def _json_default(value: object) -> object:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"cannot put a {type(value).__name__} into a webhook body")


def message_body(*, event_type: str, payload: object, at: dt.datetime) -> str:
    """The JSON text sent: `{"type", "timestamp", "data"}` as Standard Webhooks suggests."""
    if isinstance(payload, BaseModel):
        data: object = payload.model_dump(mode="json")
    elif dataclasses.is_dataclass(payload) and not isinstance(payload, type):
        data = dataclasses.asdict(payload)
    else:
        data = payload
    envelope = {"type": event_type, "timestamp": at.astimezone(dt.UTC).isoformat(), "data": data}
    return json.dumps(envelope, ensure_ascii=False, separators=(",", ":"), default=_json_default)


def enqueue(
    session: Session,
    *,
    endpoint_id: str,
    event_type: str,
    payload: Mapping[str, Any] | BaseModel | Any,
    task_id: str | None = None,
    now: dt.datetime | None = None,
) -> OutboxRow:
    """Queue one webhook message to one endpoint in the caller's transaction (caller commits)."""
    at = now or utcnow()
    known = _endpoints(session)
    endpoint = known.get(endpoint_id)
    if endpoint is None:
        endpoint = session.get(DispatchEndpointRow, endpoint_id)  # added in this transaction?
        if endpoint is not None:
            known[endpoint_id] = endpoint
    if endpoint is None:
        raise LookupError(f"no dispatch endpoint with id {endpoint_id!r}; run sync_endpoints first")
    row = OutboxRow(
        id=message_id(),
        endpoint_id=endpoint_id,
        event_type=event_type,
        body=message_body(event_type=event_type, payload=payload, at=at),
        task_id=task_id,
        created_at=at,
        attempts=0,
        next_attempt_at=at,
        # A message for an endpoint that is switched off waits with the others held back there.
        state="disabled" if endpoint.disabled else "pending",
        last_error=endpoint.disabled_reason if endpoint.disabled else None,
    )
    session.add(row)
    if row.state == "pending":
        session.info[_QUEUED_KEY] = session.info.get(_QUEUED_KEY, 0) + 1
    return row


_QUEUED_KEY = "gapwatch.outbox.queued"


def wake_on_commit(sessions: sessionmaker[Session], wake: Callable[[], None]) -> None:
    """Call `wake` after every commit, through any session of `sessions`, that queued a
    message: delivery looks at once, whoever wrote (probe batch, API request, tick)."""

    def committed(session: Session) -> None:
        queued = session.info.pop(_QUEUED_KEY, 0)
        if queued:
            wake()

    def rolled_back(session: Session, _previous: object) -> None:
        session.info.pop(_QUEUED_KEY, None)

    event.listen(sessions, "after_commit", committed)
    event.listen(sessions, "after_soft_rollback", rolled_back)


def enqueue_all(
    session: Session,
    *,
    event_type: str,
    payload: Mapping[str, Any] | BaseModel | Any,
    task_id: str | None = None,
    now: dt.datetime | None = None,
) -> list[OutboxRow]:
    """Queue the message once for every enabled endpoint (caller commits)."""
    return [
        enqueue(
            session,
            endpoint_id=endpoint_id,
            event_type=event_type,
            payload=payload,
            task_id=task_id,
            now=now,
        )
        for endpoint_id in _enabled_endpoint_ids(session)
    ]


_ENDPOINTS_KEY = "gapwatch.outbox.endpoints"


def _endpoints(session: Session) -> dict[str, DispatchEndpointRow]:
    """Every stored endpoint, loaded once per transaction (and held, so it stays loaded)."""
    # A busy engine queues many messages in one transaction; a query per message would also
    # flush the session each time.
    transaction = session.get_transaction()
    cached = session.info.get(_ENDPOINTS_KEY)
    if cached is not None and cached[0] is transaction:
        endpoints: dict[str, DispatchEndpointRow] = cached[1]
        return endpoints
    with session.no_autoflush:
        endpoints = {row.id: row for row in session.scalars(select(DispatchEndpointRow))}
    session.info[_ENDPOINTS_KEY] = (transaction, endpoints)
    return endpoints


def _enabled_endpoint_ids(session: Session) -> list[str]:
    return sorted(i for i, row in _endpoints(session).items() if not row.disabled)
