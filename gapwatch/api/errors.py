"""One error shape for the whole API: `{"detail": [{"msg": "..."}]}`, with the right status."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

__all__ = [
    "ApiError",
    "ConflictError",
    "ErrorBody",
    "ErrorItem",
    "NotFoundError",
    "UnavailableError",
    "error_responses",
    "install_error_handlers",
    "refusals_as_conflicts",
]

if TYPE_CHECKING:
    from gapwatch.runtime.pipeline import Service

log = logging.getLogger(__name__)


class ErrorItem(BaseModel):
    """One thing that went wrong; `loc` names the field for validation errors."""

    msg: str
    loc: list[str | int] | None = Field(
        default=None, description="Where the bad value is, e.g. ['query', 'limit']."
    )


class ErrorBody(BaseModel):
    """Every error response of the API."""

    detail: list[ErrorItem]


_DESCRIPTIONS: dict[int, str] = {
    400: "The body is not valid JSON",
    401: "Missing or invalid bearer token",
    403: "The token's role may not do this",
    404: "Not found",
    409: "Conflicts with the current state",
    422: "A parameter or the body is invalid; `loc` names it",
    503: "The service is starting or stopping",
}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries declaring the error shape for `codes`."""
    return {code: {"model": ErrorBody, "description": _DESCRIPTIONS[code]} for code in codes}


class ApiError(Exception):
    """A domain error that maps to an HTTP status with a message a person can act on."""

    status_code = 400

    def __init__(self, msg: str) -> None:
        super().__init__(msg)
        self.msg = msg


class NotFoundError(ApiError):
    status_code = 404


class ConflictError(ApiError):
    status_code = 409


class UnavailableError(ApiError):
    status_code = 503


@contextmanager
def refusals_as_conflicts(service: Service) -> Iterator[None]:
    """Turn the alert engine's refusals (illegal transitions) into 409s.

    A refusal is decided before the engine changes anything, so it needs no reload; any other
    failure rolled back a transaction the engine may have acted in, so its memory is reloaded."""
    from gapwatch.alerts import EngineError
    from gapwatch.patrol import TaskError

    try:
        yield
    except ApiError:
        raise  # decided before the engine was asked; nothing to reload
    except (EngineError, TaskError) as exc:
        raise ConflictError(str(exc)) from None
    except Exception:
        service.resync()
        raise


def _body(items: Iterable[ErrorItem]) -> dict[str, Any]:
    return ErrorBody(detail=list(items)).model_dump(exclude_none=True)


def _validation_items(errors: Sequence[Any]) -> list[ErrorItem]:
    items = []
    for error in errors:
        loc = [part for part in error.get("loc", ()) if isinstance(part, str | int)]
        where = ".".join(str(part) for part in loc)
        text = str(error.get("msg", "invalid value"))
        items.append(ErrorItem(msg=f"{where}: {text}" if where else text, loc=loc or None))
    return items


async def _on_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return JSONResponse(status_code=422, content=_body(_validation_items(exc.errors())))


async def _on_http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail
    if isinstance(detail, list):
        items = [ErrorItem.model_validate(item) for item in detail]
    else:
        items = [ErrorItem(msg=str(detail))]
    return JSONResponse(status_code=exc.status_code, content=_body(items), headers=exc.headers)


async def _on_domain(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return JSONResponse(status_code=exc.status_code, content=_body([ErrorItem(msg=exc.msg)]))


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    # A bug, not bad input: log it with the request so it can be found, answer in the one shape.
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return JSONResponse(status_code=500, content=_body([ErrorItem(msg="internal error")]))


def install_error_handlers(app: FastAPI) -> None:
    """Route validation, HTTP and domain errors through the one error shape."""
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(ApiError, _on_domain)
    app.add_exception_handler(Exception, _on_unexpected)
