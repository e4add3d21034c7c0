"""A fast reader for the plain YAML most site files are, with the careful reader as fallback.

The careful reader (`yaml_lines`) composes nodes to know every line, checks aliases and duplicate
keys, and reads scalars the way a site file means them (YAML 1.1 without base 60 or dates). On a
county's site that is most of the time `gapwatch coverage` spends. Most site files use nothing
where YAML 1.1 and the YAML 1.2 core schema read a value differently, so a YAML 1.2 reader in
native code (`yaml_rs`) gives the very same values, about twenty times faster.

`plain_values` says yes only when the text holds none of the forms the two could read
differently, and returns None (use the careful reader) otherwise: anchors, aliases, merge keys,
tags, directives, several documents, block scalars, escapes, tabs, control characters, a
yes/no/on/off scalar, or a number in any form but plain decimal. A false alarm only costs speed.
Lines are not needed unless something is wrong, so the caller builds them later, on demand.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["plain_values"]

# Where a plain scalar can start: a line's start after indentation and `- `/`? ` indicators,
# after `: `, or inside a flow collection after `[`, `{` or `,`. Each branch begins with one
# character (the text is scanned with a newline before it), so the scan skips everything else.
_START = r"(?:\n[ \t]*(?:[-?][ \t]+)*|:[ \t]+|[\[{,][ \t]*)"
# Where it can end, as far as the words and numbers below care.
_END = r"[ \t]*(?:$|[,\]}#:])"

_NUMBER = r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?"

# Three scans, each cheap on a long file: characters, line starts, then scalar starts.
_DOUBTFUL = (
    # Anchors, aliases, tags, merge keys, escapes and tabs; characters YAML 1.1 refuses or takes
    # as line breaks (NEL, LS, PS), and a BOM.
    re.compile(
        r"[&*!\\\t]|<<|"
        "[^\n\r\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
    ),
    # Directives, several documents, complex keys.
    re.compile(r"^(?:%|---|\.\.\.|[ \t]*\?)", re.MULTILINE),
    re.compile(
        _START
        + "(?:"
        + "|".join(
            (
                # YAML 1.1 booleans (1.2 reads them as text); null/true/false as keys.
                r"(?i:y|n|yes|no|on|off)" + _END,
                r"(?i:true|false|null|~)[ \t]*:",
                # An empty key, a block scalar, or a plain scalar that starts with an indicator
                # (libyaml is stricter).
                r"[:?@`%|>]",
                r"-(?![0-9. \t\n])",
                # `=` is YAML 1.1's value tag, which the careful reader refuses.
                "=" + _END,
                # Anything that looks like a number but is not plain decimal: octal, hex,
                # binary, signs, underscores, .inf, .nan, a number used as a key.
                r"(?=[-+.]?[0-9.])(?!" + _NUMBER + r"[ \t]*(?:$|[,\]}#]))",
            )
        )
        + ")",
        re.MULTILINE,
    ),
)


def _fast_loads() -> Any:
    try:
        import yaml_rs
    except ImportError:  # pragma: no cover - the lock file installs it
        return None
    return yaml_rs


def plain_values(text: str) -> tuple[bool, Any]:
    """(True, the document's values) when the fast reader is sure to agree, else (False, None)."""
    scanned = "\n" + text
    if any(scan.search(scanned) is not None for scan in _DOUBTFUL):
        return False, None
    reader = _fast_loads()
    if reader is None:
        return False, None
    try:
        values = reader.loads(
            text,
            parse_datetime=False,
            duplicate_key_policy=reader.DuplicateKeyPolicy.Error,
        )
    except Exception:  # any refusal goes to the careful reader, which explains it with a line
        return False, None
    return True, values


Path = tuple[str | int, ...]

# `key:` then the value on the line, if any; the key is plain text without quotes or brackets.
_KEY = re.compile(r"([^\s'\"\[\]{},#:&*!|>%@`-][^#]*?|-[^\s#]*?)[ \t]*:(?:[ \t]+(.*))?$")


class _Open:
    """A block collection being read, or a value whose first line has not come yet."""

    __slots__ = ("column", "count", "data", "path")

    def __init__(self, column: int, path: Path, data: Any) -> None:
        self.column = column
        self.path = path
        self.data = data
        self.count = 0


def _inline_complete(value: str) -> bool:
    """Whether a value written on one line ends on it (no multi-line flow or quoted text)."""
    text = value.split(" #", 1)[0].rstrip() if "#" in value else value.rstrip()
    if not text:
        return True
    if text[0] in "[{":
        return (
            "'" not in text
            and '"' not in text
            and text.count("[") == text.count("]")
            and (text.count("{") == text.count("}"))
        )
    if text[0] in "'\"":
        return len(text) > 1 and text[-1] == text[0]
    return True


def plain_lines(text: str, document: Any) -> tuple[dict[Path, int], dict[Path, int]] | None:
    """Lines of the values and keys of a document `plain_values` read, found without a parser.

    Only for the usual layout: block mappings and sequences whose scalars and flow collections
    each stay on one line. Anything else (a value continued on the next line, a quoted key)
    gives None, and the caller composes the document with the careful reader instead. What is
    found is checked against `document`: every mapping and sequence must account for exactly
    the keys and items the values have.
    """
    values: dict[Path, int] = {}
    keys: dict[Path, int] = {}
    stack: list[_Open] = []
    waiting: tuple[Path, Any, int, int] | None = None  # path, data, line, column of its parent

    def finish(top: _Open) -> bool:
        return bool(top.count == len(top.data))

    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.lstrip(" ")
        if not stripped or stripped[0] == "#":
            continue
        column = len(raw) - len(stripped)
        rest = stripped.rstrip()
        if waiting is not None:
            path, data, wline, wcolumn = waiting
            waiting = None
            # A mapping's value may be a sequence written at the key's own column.
            opens_child = column > wcolumn or (
                column == wcolumn
                and rest[:1] == "-"
                and isinstance(data, list)
                and bool(path)
                and isinstance(path[-1], str)
            )
            if opens_child and isinstance(data, dict | list) and data:
                values[path] = number
                stack.append(_Open(column, path, data))
            elif data is None:
                values[path] = wline
            else:
                return None
        while stack and (
            stack[-1].column > column
            or (
                stack[-1].column == column
                and isinstance(stack[-1].data, list)
                and not rest.startswith("-")
            )
        ):
            if not finish(stack.pop()):
                return None
        if not stack:
            if values or not isinstance(document, dict | list) or not document:
                return None
            values[()] = number
            stack.append(_Open(column, (), document))
        top = stack[-1]
        if top.column != column:
            return None
        # `- ` items, possibly several on one line (`- - x`), then a key or a value.
        while rest[:2] == "- " or rest == "-":
            if not isinstance(top.data, list) or top.count >= len(top.data):
                return None
            path, data = (*top.path, top.count), top.data[top.count]
            top.count += 1
            body = rest[1:].lstrip(" ")
            if not body:
                if data is None:
                    values[path] = number
                else:
                    waiting = (path, data, number, column)
                rest = ""
                break
            column += len(rest) - len(body)
            rest = body
            values[path] = number
            if isinstance(data, dict | list) and data and (rest[:2] == "- " or _KEY.match(rest)):
                top = _Open(column, path, data)
                stack.append(top)
            else:
                if not _inline_complete(rest):
                    return None
                rest = ""
                break
        if not rest:
            continue
        match = _KEY.match(rest)
        if match is None or not isinstance(top.data, dict):
            return None
        key, inline = match.group(1), match.group(2)
        if key not in top.data:
            return None
        path, data = (*top.path, key), top.data[key]
        top.count += 1
        keys[path] = number
        if inline and inline[0] != "#":
            if not _inline_complete(inline):
                return None
            values[path] = number
        else:
            waiting = (path, data, number, column)
    if waiting is not None:
        path, data, wline, _ = waiting
        if data is not None:
            return None
        values[path] = wline
    while stack:
        if not finish(stack.pop()):
            return None
    return values, keys
