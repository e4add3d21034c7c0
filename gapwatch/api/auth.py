"""Bearer tokens with roles: who may read, respond to alerts, maintain the site, call back."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Protocol

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.orm import Session

from gapwatch.storage import ApiTokenRow, SessionFactory, transaction, utcnow

__all__ = [
    "ROLE_PERMISSIONS",
    "DbTokenStore",
    "Permission",
    "Principal",
    "Role",
    "TokenBindingError",
    "TokenRecord",
    "TokenStore",
    "authenticated",
    "check_binding",
    "create_token",
    "ensure_token",
    "hash_token",
    "new_token",
    "require",
    "require_any",
]

TOKEN_PREFIX = "gw_"


class Role(StrEnum):
    """What kind of user or system holds a token."""

    operator = "operator"
    technician = "technician"
    dispatcher = "dispatcher"
    admin = "admin"


class Permission(StrEnum):
    """One kind of action an endpoint needs."""

    read = "read"
    respond = "respond"  # acknowledge, resolve, assign, silence
    maintain = "maintain"  # camera and site changes, audits
    task_status = "task_status"  # dispatcher callbacks
    tokens = "tokens"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.operator: frozenset({Permission.read, Permission.respond}),
    Role.technician: frozenset({Permission.read, Permission.maintain}),
    # A dispatch system only reports on its tasks; it reads nothing else.
    Role.dispatcher: frozenset({Permission.task_status}),
    Role.admin: frozenset(Permission),
}


@dataclass(frozen=True)
class TokenRecord:
    """A stored token: never the token itself, only its hash."""

    id: str
    name: str
    role: Role
    token_hash: str
    endpoint_id: str | None = None
    unit_id: str | None = None


@dataclass(frozen=True)
class Principal:
    """Who is calling: the token's name and role, and for a dispatcher what it is bound to."""

    name: str
    role: Role
    endpoint_id: str | None = None
    """A dispatcher sees only tasks sent to this dispatch endpoint."""
    unit_id: str | None = None
    """A dispatcher sees only tasks assigned to this patrol unit."""

    def may(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS[self.role]

    @property
    def task_scoped(self) -> bool:
        """True when this caller reaches only the tasks of its binding (a dispatcher)."""
        return not self.may(Permission.read)


class TokenBindingError(ValueError):
    """A token's binding does not fit its role (only dispatchers are bound, and must be)."""


class TokenStore(Protocol):
    """Where token hashes live (the `api_tokens` table in the service)."""

    def find(self, token_hash: str) -> TokenRecord | None: ...


def new_token() -> str:
    """A fresh high-entropy bearer token (256 bits)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """The stored form of a token: SHA-256, hex; enough for random 256-bit tokens."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


_bearer = HTTPBearer(auto_error=False, description="A token from `gapwatch token create`.")

_UNAUTHORIZED_HEADERS = {"WWW-Authenticate": "Bearer"}


def authenticate(store: TokenStore, token: str) -> Principal | None:
    """The principal a presented token belongs to, or None."""
    digest = hash_token(token)
    record = store.find(digest)
    # The lookup is by hash; compare again in constant time so a store that matches loosely
    # (case folding, prefix indexes) cannot let a near miss through.
    if record is None or not hmac.compare_digest(record.token_hash, digest):
        return None
    return Principal(
        name=record.name, role=record.role, endpoint_id=record.endpoint_id, unit_id=record.unit_id
    )


def require(permission: Permission) -> Callable[..., Principal]:
    """A dependency that lets a request through only with a token whose role has `permission`.

    A plain function on purpose: the token lookup reads the store, so FastAPI runs it in its
    thread pool instead of stalling the event loop (and every live event stream with it).
    """

    def dependency(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> Principal:
        principal = authenticated(request, credentials)
        if not principal.may(permission):
            raise HTTPException(
                403,
                f"role {principal.role.value} may not {permission.value} / "
                f"角色 {principal.role.value} 无权执行此操作",
            )
        return principal

    return dependency


def require_any(*permissions: Permission) -> Callable[..., Principal]:
    """A dependency that lets a request through with a token whose role has any of
    `permissions` (e.g. the task list: readers, and dispatchers for their own tasks)."""

    def dependency(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> Principal:
        principal = authenticated(request, credentials)
        if not any(principal.may(p) for p in permissions):
            raise HTTPException(
                403,
                f"role {principal.role.value} may not do this / "
                f"角色 {principal.role.value} 无权执行此操作",
            )
        return principal

    return dependency


def authenticated(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """Any valid token, whatever its role (the API description is for every integrator)."""
    if credentials is None or not credentials.credentials:
        raise HTTPException(
            401, "missing bearer token / 缺少访问令牌", headers=_UNAUTHORIZED_HEADERS
        )
    store: TokenStore = request.app.state.token_store
    principal = authenticate(store, credentials.credentials)
    if principal is None:
        raise HTTPException(
            401, "invalid bearer token / 访问令牌无效", headers=_UNAUTHORIZED_HEADERS
        )
    return principal


class DbTokenStore:
    """Token hashes in the `api_tokens` table."""

    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    def find(self, token_hash: str) -> TokenRecord | None:
        with transaction(self._sessions, write=False) as session:
            row = session.scalar(
                select(ApiTokenRow).where(
                    ApiTokenRow.token_hash == token_hash, ApiTokenRow.revoked_at.is_(None)
                )
            )
            if row is None or row.role not in Role.__members__:
                return None
            return TokenRecord(
                row.id,
                row.name,
                Role(row.role),
                row.token_hash,
                endpoint_id=row.endpoint_id,
                unit_id=row.unit_id,
            )


def check_binding(role: Role, *, endpoint_id: str | None, unit_id: str | None) -> None:
    """Raise TokenBindingError unless the binding fits the role: a dispatcher names its
    dispatch endpoint and/or patrol unit, other roles name neither."""
    bound = endpoint_id is not None or unit_id is not None
    if role is Role.dispatcher and not bound:
        raise TokenBindingError(
            "a dispatcher token must be bound to a dispatch endpoint and/or a patrol unit "
            "(endpoint_id, unit_id) / 调度令牌必须绑定调度端点或巡逻单元"
        )
    if role is not Role.dispatcher and bound:
        raise TokenBindingError(
            f"only dispatcher tokens are bound to an endpoint or unit, not {role.value} / "
            "只有调度令牌可以绑定调度端点或巡逻单元"
        )


def create_token(
    session: Session,
    *,
    name: str,
    role: Role,
    endpoint_id: str | None = None,
    unit_id: str | None = None,
) -> tuple[str, ApiTokenRow]:
    """Store a new token's hash; the token itself is returned once and kept nowhere.

    A dispatcher token is bound to `endpoint_id` and/or `unit_id` (TokenBindingError if not):
    it reaches only the tasks sent to that endpoint and assigned to that unit.
    """
    check_binding(role, endpoint_id=endpoint_id, unit_id=unit_id)
    token = new_token()
    row = ApiTokenRow(
        name=name,
        role=role.value,
        token_hash=hash_token(token),
        created_at=utcnow(),
        endpoint_id=endpoint_id,
        unit_id=unit_id,
    )
    session.add(row)
    session.flush()
    return token, row


def ensure_token(session: Session, *, token: str, name: str, role: Role) -> bool:
    """Make sure `token` (e.g. GAPWATCH_ADMIN_TOKEN) is stored with `role`; idempotent.

    A token an admin revoked stays revoked: a restart with the same environment must not bring
    it back (it used to). Returns False when the token is revoked and so not usable.
    """
    digest = hash_token(token)
    row = session.scalar(select(ApiTokenRow).where(ApiTokenRow.token_hash == digest))
    if row is None:
        session.add(ApiTokenRow(name=name, role=role.value, token_hash=digest, created_at=utcnow()))
        return True
    if row.revoked_at is not None:
        return False
    row.role = role.value
    return True
