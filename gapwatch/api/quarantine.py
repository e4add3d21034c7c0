"""Stored records the alert engine could not load, listed for an admin."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter
from pydantic import BaseModel, Field

from gapwatch.api.deps import Admin, ServiceDep
from gapwatch.api.errors import error_responses

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])


class QuarantinedOut(BaseModel):
    """A stored record set aside at the last load, and why."""

    kind: str = Field(description="What the record is (alert).")
    id: str
    error: str = Field(description="Why it could not be loaded.")
    at: dt.datetime = Field(description="When the record was made.")


@router.get(
    "/quarantine",
    response_model=list[QuarantinedOut],
    responses=error_responses(401, 403, 503),
)
def list_quarantine(service: ServiceDep, _who: Admin) -> list[QuarantinedOut]:
    """Records the alert engine could not load at start-up or resync (kept aside, never
    fatal: an alert stays open and holds its cameras without its stored ground)."""
    return [
        QuarantinedOut(kind=r.kind, id=r.record_id, error=r.error, at=r.at)
        for r in service.alerts.quarantined()
    ]
