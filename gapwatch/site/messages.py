"""Schema errors in plain words: pydantic's error details → messages a technician acts on."""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Sequence
from typing import Any

import annotated_types
from pydantic import BaseModel
from pydantic_core import ErrorDetails

from gapwatch.site.problems import Text, split_bilingual

__all__ = ["describe_error", "field_bounds", "model_at"]


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The pydantic models an annotation can hold (through list, tuple, Optional, Annotated)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    origin = typing.get_origin(annotation)
    if origin is not None or isinstance(annotation, types.UnionType):
        for arg in typing.get_args(annotation):
            found.extend(_models_in(arg))
    return found


def model_at(root: type[BaseModel], loc: Sequence[str | int]) -> tuple[type[BaseModel], str] | None:
    """The model class and field name that `loc` ends in, if it names a field."""
    model: type[BaseModel] = root
    last: tuple[type[BaseModel], str] | None = None
    for part in loc:
        if isinstance(part, int):
            continue
        info = model.model_fields.get(part)
        if info is None:
            return last
        last = (model, part)
        inner = _models_in(info.annotation)
        if inner:
            model = inner[0]
    return last


def field_bounds(model: type[BaseModel], name: str) -> tuple[str, str]:
    """The numeric bounds of a field as text: ('> 0 and <= 360', '> 0 且 <= 360')."""
    info = model.model_fields.get(name)
    if info is None:
        return "", ""
    parts: list[str] = []
    for item in info.metadata:
        if isinstance(item, annotated_types.Gt):
            parts.append(f"> {_num(item.gt)}")
        elif isinstance(item, annotated_types.Ge):
            parts.append(f">= {_num(item.ge)}")
        elif isinstance(item, annotated_types.Lt):
            parts.append(f"< {_num(item.lt)}")
        elif isinstance(item, annotated_types.Le):
            parts.append(f"<= {_num(item.le)}")
    return " and ".join(parts), " 且 ".join(parts)


def _num(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _shown(value: Any) -> str:
    if isinstance(value, str | list | dict) and len(value) > 40:
        # A 100 MB string must not be copied into a message to be cut down again.
        value = (
            value[:40] if isinstance(value, str) else f"<{type(value).__name__} of {len(value):,}>"
        )
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def describe_error(root: type[BaseModel], error: ErrorDetails) -> Text:
    """Plain-words message (without the key path) for one pydantic error."""
    kind = error["type"]
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    loc = [p for p in error["loc"] if isinstance(p, str | int)]
    value = error.get("input")
    located = model_at(root, loc)

    if kind == "missing":
        return Text("is required", "必须填写")
    if kind == "extra_forbidden":
        name = str(loc[-1]) if loc else "?"
        parent = model_at(root, loc[:-1]) if len(loc) > 1 else None
        if parent is not None:
            inner = _models_in(parent[0].model_fields[parent[1]].annotation)
            allowed = sorted(inner[0].model_fields) if inner else []
        else:
            allowed = sorted(root.model_fields)
        guess = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
        if guess:
            return Text(
                f"unknown key; did you mean '{guess[0]}'?",
                f"未知的键；是否应为 '{guess[0]}'？",
            )
        listing = ", ".join(allowed)
        return Text(f"unknown key (allowed: {listing})", f"未知的键（可用：{listing}）")
    if kind in {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}:
        en, zh = field_bounds(*located) if located else ("", "")
        if not en:
            symbol = {
                "greater_than": ">",
                "greater_than_equal": ">=",
                "less_than": "<",
                "less_than_equal": "<=",
            }[kind]
            bound = next(iter(ctx.values()), "?")
            en = zh = f"{symbol} {_num(bound)}"
        return Text(f"must be {en} (is {_num(value)})", f"必须 {zh}（当前为 {_num(value)}）")
    if kind in {"string_type"}:
        return Text(
            f"must be text (got {_shown(value)}; put it in quotes)",
            f"必须是文本（当前为 {_shown(value)}；请加引号）",
        )
    if kind == "string_too_short":
        return Text("must not be empty", "不能为空")
    if kind == "string_pattern_mismatch":
        pattern = str(ctx.get("pattern", ""))
        if pattern.startswith("^https?"):
            return Text("must start with http:// or https://", "必须以 http:// 或 https:// 开头")
        return Text(f"must match {pattern}", f"必须符合 {pattern}")
    if kind in {"int_type", "int_parsing", "int_from_float"}:
        return Text(
            f"must be a whole number (got {_shown(value)})", f"必须是整数（当前为 {_shown(value)}）"
        )
    if kind == "finite_number":
        return Text(
            f"must be a finite number (got {_shown(value)})",
            f"必须是有限数值（当前为 {_shown(value)}）",
        )
    if kind == "string_too_long":
        most = f"{ctx['max_length']:,}" if isinstance(ctx.get("max_length"), int) else "?"
        length = f"{len(value):,}" if isinstance(value, str) else "?"
        return Text(
            f"is {length} characters long; at most {most} are allowed",
            f"长度为 {length} 个字符；最多允许 {most} 个",
        )
    if kind in {"float_type", "float_parsing"}:
        return Text(
            f"must be a number (got {_shown(value)})", f"必须是数字（当前为 {_shown(value)}）"
        )
    if kind in {"bool_type", "bool_parsing"}:
        return Text(
            f"must be true or false (got {_shown(value)})",
            f"必须是 true 或 false（当前为 {_shown(value)}）",
        )
    if kind in {"list_type", "tuple_type"} and value is None:
        return Text(
            "is empty; write [] for none, or list the items under it",
            "为空；没有内容请写 []，否则在其下列出各项",
        )
    if kind in {"list_type", "tuple_type"}:
        return Text(
            f"must be a list [...] (got {_shown(value)})",
            f"必须是列表 [...]（当前为 {_shown(value)}）",
        )
    if kind in {"dict_type", "model_type", "model_attributes_type"}:
        return Text(
            f"must be a mapping of keys (got {_shown(value)})",
            f"必须是键值映射（当前为 {_shown(value)}）",
        )
    if kind in {"too_short", "too_long"} and ctx.get("field_type") == "Tuple":
        if located is not None and located[1] == "resolution":
            return Text(
                f"must be [width, height] (got {_shown(value)})",
                f"必须写作 [宽, 高]（当前为 {_shown(value)}）",
            )
        return Text(
            f"a position is [longitude, latitude] (got {_shown(value)})",
            f"位置应写作 [经度, 纬度]（当前为 {_shown(value)}）",
        )
    if kind == "too_short":
        least = ctx.get("min_length", "?")
        return Text(f"needs at least {least} items", f"至少需要 {least} 项")
    if kind == "too_long":
        most = ctx.get("max_length", "?")
        return Text(f"takes at most {most} items", f"最多 {most} 项")
    if kind == "literal_error":
        expected = str(ctx.get("expected", "")).replace("'", "")
        return Text(
            f"must be one of {expected} (got {_shown(value)})",
            f"必须是 {expected} 之一（当前为 {_shown(value)}）",
        )
    if kind in {"time_parsing", "time_type"}:
        return Text(
            f"must be a time HH:MM (got {_shown(value)})",
            f"必须是时间 HH:MM（当前为 {_shown(value)}）",
        )
    if kind.startswith("datetime") or kind.startswith("date_"):
        return Text(
            f"must be a date and time such as 2026-10-01T08:00 (got {_shown(value)})",
            f"必须是日期时间，如 2026-10-01T08:00（当前为 {_shown(value)}）",
        )
    if kind in {"value_error", "assertion_error"} and ctx.get("error") is not None:
        return split_bilingual(str(ctx["error"]))
    return Text(error["msg"], error["msg"])
