"""The site file's JSON Schema, in the dialect editors understand (draft-07)."""

from __future__ import annotations

from typing import Any

from gapwatch.site.models import SiteFile

__all__ = ["site_json_schema"]

_DRAFT_07 = "http://json-schema.org/draft-07/schema#"


def _to_draft_07(node: Any) -> Any:
    # pydantic writes tuples as 2020-12 `prefixItems`; yaml-language-server (draft-07) reads
    # the older array form of `items`, so [lon, lat] positions are still checked while typing.
    # Draft-07 keeps shared definitions under `definitions` (`$defs` is 2019-09 on).
    if isinstance(node, dict):
        out = {
            ("definitions" if key == "$defs" else key): _to_draft_07(value)
            for key, value in node.items()
        }
        if "prefixItems" in out:
            out["items"] = out.pop("prefixItems")
        ref = out.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            out["$ref"] = "#/definitions/" + ref.removeprefix("#/$defs/")
        return out
    if isinstance(node, list):
        return [_to_draft_07(item) for item in node]
    return node


def site_json_schema() -> dict[str, Any]:
    """JSON Schema of the site file, for editors (e.g. yaml-language-server)."""
    document: dict[str, Any] = _to_draft_07(SiteFile.model_json_schema())
    return {"$schema": _DRAFT_07, **document, "title": "gapwatch site file"}
