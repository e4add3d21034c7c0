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
    "TokenRecord",
    "TokenStore",
    "authenticated",
    "create_token",
    "ensure_token",
    "hash_token",
    "new_token",
    "require",
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


@dataclass(frozen=True)
class Principal:
    """Who is calling: the token's name and role."""

    name: str
    role: Role

    def may(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS[self.role]


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
    return Principal(name=record.name, role=record.role)


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
            return TokenRecord(row.id, row.name, Role(row.role), row.token_hash)


def create_token(session: Session, *, name: str, role: Role) -> tuple[str, ApiTokenRow]:
    """Store a new token's hash; the token itself is returned once and kept nowhere."""
    token = new_token()
    row = ApiTokenRow(name=name, role=role.value, token_hash=hash_token(token), created_at=utcnow())
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
