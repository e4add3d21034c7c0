"""The HTTP API: FastAPI app, routers per domain, bearer-token roles, live events.

`create_app` is imported on first use, so a command that needs only a part of the API (`token
create` needs the token store) does not load the whole web application first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gapwatch.api.app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from gapwatch.api.app import create_app

        return create_app
    raise AttributeError(f"module 'gapwatch.api' has no attribute {name!r}")
