"""Request dependencies: the running service, a read session, the caller and pagination."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Generic, TypeVar

from fastapi import Depends, HTTPException, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from gapwatch.api.auth import Permission, Principal, require
from gapwatch.runtime.pipeline import Service
from gapwatch.storage import transaction

__all__ = [
    "ID_PATTERN",
    "Admin",
    "Dispatcher",
    "Maintainer",
    "Page",
    "Paging",
    "PagingQuery",
    "ReadSession",
    "Reader",
    "Responder",
    "ServiceDep",
]

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$"
"""Ids of cameras, alerts, tasks and tokens; anything else cannot exist, so it is a 422."""


def get_service(request: Request) -> Service:
    """The service the app runs; 503 while it is starting or stopping."""
    service: Service | None = getattr(request.app.state, "service", None)
    if service is None or service.stopping.is_set():
        raise HTTPException(503, "the service is starting or stopping / 服务正在启动或停止")
    return service


ServiceDep = Annotated[Service, Depends(get_service)]


def read_session(service: ServiceDep) -> Iterator[Session]:
    """A read-only transaction for one request."""
    with transaction(service.sessions, write=False) as session:
        yield session


ReadSession = Annotated[Session, Depends(read_session)]

Reader = Annotated[Principal, Depends(require(Permission.read))]
Responder = Annotated[Principal, Depends(require(Permission.respond))]
Maintainer = Annotated[Principal, Depends(require(Permission.maintain))]
Dispatcher = Annotated[Principal, Depends(require(Permission.task_status))]
Admin = Annotated[Principal, Depends(require(Permission.tokens))]


class Paging(BaseModel):
    """Which slice of a list to return."""

    limit: int = Field(default=50, ge=1, le=500, description="Items per page.")
    offset: int = Field(default=0, ge=0, le=1_000_000, description="Items to skip.")


PagingQuery = Annotated[Paging, Query()]


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list: the items and how many there are in all."""

    items: list[T]
    total: int
    limit: int
    offset: int
