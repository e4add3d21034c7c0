"""API tokens (admin only): create one (shown once), list them, revoke one."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, Field, model_validator
from sqlalchemy import select

from gapwatch.api.auth import Role, TokenBindingError, check_binding, create_token
from gapwatch.api.deps import ID_PATTERN, Admin, ReadSession, ServiceDep
from gapwatch.api.errors import ApiError, NotFoundError, error_responses
from gapwatch.storage import ApiTokenRow, DispatchEndpointRow, transaction, utcnow

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/tokens", tags=["tokens"])


class UnknownBinding(ApiError):
    """A dispatcher token bound to an endpoint or unit that does not exist would see nothing."""

    status_code = 422


class TokenIn(BaseModel):
    """A token to create; a dispatcher's names the endpoint and/or unit whose tasks it sees."""

    role: Role
    name: str = Field(min_length=1, max_length=128, pattern=r"^[^\x00-\x1f]+$")
    endpoint_id: str | None = Field(
        default=None,
        pattern=ID_PATTERN,
        description="Dispatcher only: the dispatch endpoint (site file `dispatch.endpoints` id, "
        "or `default` for GAPWATCH_DISPATCH_URL) whose tasks the token may read and report on.",
    )
    unit_id: str | None = Field(
        default=None,
        pattern=ID_PATTERN,
        description="Dispatcher only: the patrol unit whose assigned tasks the token may read "
        "and report on. With endpoint_id too, a task must match both.",
    )

    @model_validator(mode="after")
    def _binding_fits_role(self) -> TokenIn:
        try:
            check_binding(self.role, endpoint_id=self.endpoint_id, unit_id=self.unit_id)
        except TokenBindingError as exc:
            raise ValueError(str(exc)) from None
        return self


class TokenOut(BaseModel):
    id: str
    name: str
    role: str
    endpoint_id: str | None
    unit_id: str | None
    created_at: dt.datetime
    revoked_at: dt.datetime | None


class NewTokenOut(TokenOut):
    token: str = Field(description="The bearer token; shown only in this response.")


def _out(row: ApiTokenRow) -> TokenOut:
    return TokenOut(
        id=row.id,
        name=row.name,
        role=row.role,
        endpoint_id=row.endpoint_id,
        unit_id=row.unit_id,
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
    """Create a token for a role; the token is in this response and nowhere else.

    A dispatcher token must name an existing `endpoint_id` and/or one of the site's patrol
    units as `unit_id`; it then reads and reports on those tasks only."""
    units = {unit.id for unit in service.site.spec.patrol_units}
    if body.unit_id is not None and body.unit_id not in units:
        raise UnknownBinding(
            f"unit_id: the site has no patrol unit {body.unit_id!r} / "
            f"站点没有巡逻单元 {body.unit_id!r}"
        )
    with transaction(service.sessions) as session:
        if (
            body.endpoint_id is not None
            and session.get(DispatchEndpointRow, body.endpoint_id) is None
        ):
            raise UnknownBinding(
                f"endpoint_id: no dispatch endpoint {body.endpoint_id!r} / "
                f"没有调度端点 {body.endpoint_id!r}"
            )
        token, row = create_token(
            session,
            name=body.name,
            role=body.role,
            endpoint_id=body.endpoint_id,
            unit_id=body.unit_id,
        )
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
