"""API tokens (admin only): create one (shown once), list them, revoke one."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from gapwatch.api.auth import Role, create_token
from gapwatch.api.deps import ID_PATTERN, Admin, ReadSession, ServiceDep
from gapwatch.api.errors import NotFoundError, error_responses
from gapwatch.storage import ApiTokenRow, transaction, utcnow

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/tokens", tags=["tokens"])


class TokenIn(BaseModel):
    role: Role
    name: str = Field(min_length=1, max_length=128, pattern=r"^[^\x00-\x1f]+$")


class TokenOut(BaseModel):
    id: str
    name: str
    role: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None


class NewTokenOut(TokenOut):
    token: str = Field(description="The bearer token; shown only in this response.")


def _out(row: ApiTokenRow) -> TokenOut:
    return TokenOut(
        id=row.id,
        name=row.name,
        role=row.role,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


@router.post(
    "",
    response_model=NewTokenOut,
    status_code=201,
    responses=error_responses(400, 401, 403, 422, 503),
)
def create(service: ServiceDep, _who: Admin, body: TokenIn) -> NewTokenOut:
    """Create a token for a role; the token is in this response and nowhere else."""
    with transaction(service.sessions) as session:
        token, row = create_token(session, name=body.name, role=body.role)
        return NewTokenOut(**_out(row).model_dump(), token=token)


@router.get("", response_model=list[TokenOut], responses=error_responses(401, 403, 503))
def list_tokens(session: ReadSession, _who: Admin) -> list[TokenOut]:
    """Every token (never the token itself or its hash)."""
    rows = session.scalars(select(ApiTokenRow).order_by(ApiTokenRow.created_at))
    return [_out(row) for row in rows]


@router.delete(
    "/{token_id}",
    status_code=204,
    response_class=Response,
    responses=error_responses(401, 403, 404, 422, 503),
)
def revoke(
    service: ServiceDep,
    _who: Admin,
    token_id: Annotated[str, Path(pattern=ID_PATTERN)],
) -> Response:
    """Revoke a token: it stops working at once."""
    with transaction(service.sessions) as session:
        row = session.get(ApiTokenRow, token_id)
        if row is None:
            raise NotFoundError(f"no token {token_id!r} / 没有令牌 {token_id!r}")
        if row.revoked_at is None:
            row.revoked_at = utcnow()
    return Response(status_code=204)
