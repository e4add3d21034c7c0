"""A fast reader for the plain YAML most site files are, with the careful reader as fallback.

The careful reader (`yaml_lines`) composes nodes to know every line, checks aliases and duplicate
keys, and reads scalars the way a site file means them (YAML 1.1 without base 60 or dates). On a
county's site that is most of the time `gapwatch coverage` spends. A site file with no aliases
can be loaded straight by the same libyaml loader and scalar rules, refusing duplicate keys,
without composing nodes and their lines: the very same values in about two thirds of the time.

`plain_values` says yes only when the text holds none of the forms the two could read
differently, and returns None (use the careful reader) otherwise: anchors, aliases, merge keys,
tags, directives, several documents, block scalars, escapes, tabs, control characters, a
yes/no/on/off scalar, or a number in any form but plain decimal. A false alarm only costs speed.
Lines are not needed unless something is wrong, so the caller builds them later, on demand.
"""

from __future__ import annotations

import json
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

# Characters YAML 1.1 refuses or takes as line breaks (NEL, LS, PS), and a BOM.
_ODD_CHARACTER = (
    "[^\n\r\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)
# What the block reader cannot judge line by line: those, and tabs (a tab is white space
# before a comment and at a value's end, which the reader only looks for as spaces).
_UNREADABLE = re.compile("\t|" + _ODD_CHARACTER)

# For PyYAML's reading without nodes: three scans, each cheap on a long file: characters, line
# starts, then scalar starts.
_DOUBTFUL = (
    # Merge keys, escapes and tabs; an anchor, alias or tag right after a flow key's `:`
    # (`{"a":*x}`); odd characters.
    re.compile(r"[\\\t]|<<|:[&*!]|" + _ODD_CHARACTER),
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
                # An anchor, alias or tag (inside a word, `&` and the rest are text, as in
                # `?channel=1&subtype=0`); an empty key, a block scalar, or a plain scalar that
                # starts with an indicator (libyaml is stricter).
                r"[&*!:?@`%|>]",
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


class _DuplicateKey(ValueError):
    pass


_LOADERS: dict[type[Any], type[Any]] = {}


def _refusing_duplicates(base: type[Any]) -> type[Any]:
    """`base` (the careful reader's libyaml loader, with its scalar rules) that refuses a key
    given twice in one mapping instead of keeping the last."""
    import yaml

    class PlainLoader(base):  # type: ignore[misc]
        pass

    def mapping(loader: Any, node: Any, deep: bool = False) -> Any:
        seen: set[object] = set()
        for key, _ in node.value:
            if key.value in seen:
                raise _DuplicateKey(key.value)
            seen.add(key.value)
        return yaml.SafeLoader.construct_mapping(loader, node, deep)

    PlainLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    return PlainLoader


def plain_values(text: str, loader: type[Any] | None = None) -> tuple[bool, Any]:
    """(True, the document's values) when the fast reader is sure to agree, else (False, None).

    `loader` is the careful reader's PyYAML loader class (its own by default): its scalar rules
    are used as they are, without the node composition and line index the careful reader
    builds."""
    if loader is None:
        from gapwatch.site import yaml_lines

        loader = yaml_lines.SITE_LOADER
    if _UNREADABLE.search(text) is None:
        try:
            return True, _BlockReader(text, loader).document()
        except (_Declined, RecursionError):  # nesting too deep: the careful reader says so
            pass
    scanned = "\n" + text
    if any(scan.search(scanned) is not None for scan in _DOUBTFUL):
        return False, None
    fast = _LOADERS.get(loader)
    if fast is None:
        fast = _LOADERS[loader] = _refusing_duplicates(loader)
    try:
        values = _load_with_numbers_aside(text, fast)
    except Exception:  # any refusal goes to the careful reader, which explains it with a line
        return False, None
    return True, values


class _Declined(Exception):
    """A form the block reader leaves to PyYAML."""


# A block mapping's key: a plain word, then `:` and a space or the line's end.
_BLOCK_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_.-]*):(?: +(.*))?$")
_DECIMAL_INT = re.compile(r"-?(?:0|[1-9][0-9]*)")
_DECIMAL_FLOAT = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")
_QUOTED = re.compile(r"'([^']*)'|\"([^\"\\]*)\"")
# A plain word inside a one-line flow sequence (`[cam-1, cam-2]`).
_FLOW_WORD = re.compile(r"[^\s\[\]{},:#'\"&*!|>%@`?-][^\[\]{},:#'\"]*")
# A plain value the block reader takes: no indicator first (but a minus sign before a digit),
# no flow brackets anywhere; `: ` and a final `:` are refused apart.
_PLAIN = re.compile(r"(?:[^-?:,\[\]{}#&*!|>%@`'\" ]|-[0-9])[^\[\]{}]*")
_BOOLEANS = {"true": True, "false": False}
_NULL, _BOOL = "tag:yaml.org,2002:null", "tag:yaml.org,2002:bool"
_INT, _FLOAT = "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"
_TEXT = object()
"""What `_BlockReader._resolve` returns for a plain scalar that stays text."""


class _BlockReader:
    """The usual layout of a site file read line by line, with the loader's own scalar rules.

    Block mappings with plain keys, block sequences, and values that each fit on their line:
    plain, single- or double-quoted words, numeric flow sequences (read by json), flow
    sequences of plain words, and `[]`/`{}`. Anything else raises _Declined and PyYAML reads
    the text: a value continued on the next line, a quoted key, a flow mapping, a duplicate key,
    an indentation libyaml would refuse. Every plain scalar is resolved by the loader's own
    rules, and only text, null, true/false and plain decimal numbers are taken: an anchor,
    alias, tag, merge key, `yes`/`on`, an octal or hex number is declined where it stands. Text
    with a tab or a character YAML refuses never comes here (`_UNREADABLE`).
    """

    __slots__ = ("at", "keys", "lines", "resolvers")

    def __init__(self, text: str, loader: type[Any]) -> None:
        lines: list[tuple[int, str]] = []
        for raw in text.splitlines():
            stripped = raw.lstrip(" ")
            if stripped and stripped[0] != "#":
                lines.append((len(raw) - len(stripped), stripped.rstrip(" ")))
        if not lines:
            raise _Declined
        self.lines = lines
        self.at = 0
        self.keys: set[str] = set()  # keys known to be text
        self.resolvers: dict[Any, list[tuple[str, re.Pattern[str]]]] = (
            loader.yaml_implicit_resolvers
        )

    def document(self) -> Any:
        column, content = self.lines[0]
        value = self._node(column, content)
        if self.at != len(self.lines):
            raise _Declined
        return value

    def _node(self, column: int, content: str) -> Any:
        if content[:2] == "- " or content == "-":
            return self._sequence(column)
        if _BLOCK_KEY.match(content) is None:
            raise _Declined  # a lone scalar, or a key PyYAML has to read
        return self._mapping(column)

    def _indent(self) -> int:
        """Column of the next line, -1 after the last."""
        return self.lines[self.at][0] if self.at < len(self.lines) else -1

    def _nested(self, column: int, in_mapping: bool) -> Any:
        """The value that starts on the next line, under an entry at `column`."""
        below = self._indent()
        if below > column:
            return self._node(below, self.lines[self.at][1])
        if in_mapping and below == column:
            content = self.lines[self.at][1]
            if content[:2] == "- " or content == "-":  # a sequence at its key's column
                return self._sequence(column)
        return None

    def _mapping(self, column: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        lines = self.lines
        while self.at < len(lines):
            indent, content = lines[self.at]
            if indent < column:
                break
            match = _BLOCK_KEY.match(content) if indent == column else None
            if match is None:
                raise _Declined
            key, rest = match.group(1), match.group(2)
            if key in out or (key not in self.keys and self._resolve(key) is not _TEXT):
                raise _Declined
            self.keys.add(key)
            self.at += 1
            if rest is None or rest[0] == "#":
                out[key] = self._nested(column, in_mapping=True)
            else:
                out[key] = self._inline(rest)
                if self._indent() > column:
                    raise _Declined  # a value continued on the next line
        return out

    def _sequence(self, column: int) -> list[Any]:
        out: list[Any] = []
        lines = self.lines
        while self.at < len(lines):
            indent, content = lines[self.at]
            if indent < column or (indent == column and content[:2] != "- " and content != "-"):
                break
            if indent > column:
                raise _Declined
            body = content[2:].lstrip(" ")
            if not body or body[0] == "#":
                self.at += 1
                out.append(self._nested(column, in_mapping=False))
            elif body[:2] == "- " or body == "-":
                raise _Declined  # `- - x`
            elif _BLOCK_KEY.match(body) is not None:
                # `- key: value` opens a mapping at the key's column: read it from there.
                inner = column + len(content) - len(body)
                lines[self.at] = (inner, body)
                out.append(self._mapping(inner))
            else:
                self.at += 1
                out.append(self._inline(body))
                if self._indent() > column:
                    raise _Declined
        return out

    def _inline(self, text: str) -> Any:
        """A value written after `key: ` or `- `, which must end on its line."""
        first = text[0]
        if first == "[":
            flow = text.split(" #", 1)[0].rstrip(" ") if "#" in text else text
            if flow[-1] != "]":
                raise _Declined
            inner = flow[1:-1]
            if "[" in inner or inner.lstrip(" ")[:1] in tuple("-0123456789"):
                if _NUMERIC_TOKENS.fullmatch(flow.replace(" ", "")) is None:
                    raise _Declined
                try:
                    return json.loads(flow)
                except ValueError:  # a trailing comma, an empty item
                    raise _Declined from None
            if not inner.strip(" "):
                return []
            return [self._flow_word(word) for word in inner.split(",")]
        if first == "{":
            if text.split(" #", 1)[0].rstrip(" ") == "{}":
                return {}
            raise _Declined
        if first in "'\"":
            match = _QUOTED.match(text)
            if match is None:
                raise _Declined
            after = text[match.end() :]
            # Only spaces and then a comment may follow the closing quote.
            if after and (after[0] != " " or after.lstrip(" ")[0] != "#"):
                raise _Declined
            quoted = match.group(1)
            return quoted if quoted is not None else match.group(2)
        if " #" in text:
            text = text.split(" #", 1)[0].rstrip(" ")
        if _PLAIN.fullmatch(text) is None or ": " in text or text[-1] == ":":
            raise _Declined
        return self._scalar(text)

    def _flow_word(self, word: str) -> Any:
        word = word.strip(" ")
        if _FLOW_WORD.fullmatch(word) is None or " #" in word:
            raise _Declined
        return self._scalar(word)

    def _resolve(self, text: str) -> Any:
        """The value PyYAML's resolver and constructors make of a plain scalar, or _TEXT."""
        rules = self.resolvers.get(text[0])
        if not rules:
            return _TEXT
        tag = next((tag for tag, pattern in rules if pattern.match(text)), None)
        if tag is None:
            return _TEXT
        if tag == _NULL:
            return None
        if tag == _BOOL and text.lower() in _BOOLEANS:
            return _BOOLEANS[text.lower()]
        if tag == _INT and _DECIMAL_INT.fullmatch(text):
            return int(text)
        if tag == _FLOAT and _DECIMAL_FLOAT.fullmatch(text):
            return float(text)
        raise _Declined

    def _scalar(self, text: str) -> Any:
        value = self._resolve(text)
        return text if value is _TEXT else value


# A value that is a one-line flow sequence of plain decimals, such as a polygon
# `[[104.0500, 35.1300], [104.0510, 35.1300]]`. Written so (no exponent, no sign but a minus, no
# leading zero), it is JSON as well, and json reads it as the careful reader does: ints as ints,
# floats as floats. Most of a county's site file is such sequences, and PyYAML builds them one
# Python call per number.
_NUMERIC_FLOW = re.compile(r"(?<=[:-] )\[[-0-9., \[\]]*\](?=[ \t]*(?:#.*)?$)", re.MULTILINE)
_NUMERIC_TOKENS = re.compile(r"(?:[\[\],]|-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?)*")


def _load_with_numbers_aside(text: str, loader: type[Any]) -> Any:
    """`yaml.load(text)`, with the numeric flow sequences read by json instead.

    Each is replaced by a placeholder word before PyYAML reads the text, and put back after.
    Only if every placeholder comes back as a whole value (so each sequence was a whole value
    where it stood) is the result used; otherwise the text is read as it is."""
    import json
    import secrets

    import yaml

    nonce = secrets.token_hex(8)
    while nonce in text:
        nonce = secrets.token_hex(8)
    aside: dict[str, Any] = {}

    def put_aside(match: re.Match[str]) -> str:
        flow = match.group(0)
        if _NUMERIC_TOKENS.fullmatch(flow.replace(" ", "")) is None:
            return flow
        try:
            numbers = json.loads(flow)
        except ValueError:  # a trailing comma, an empty item: YAML's reading is left to PyYAML
            return flow
        word = f"gw{len(aside)}x{nonce}"
        aside[word] = numbers
        return word

    lighter = _NUMERIC_FLOW.sub(put_aside, text)
    if not aside:
        return yaml.load(text, Loader=loader)  # a safe loader: no Python objects
    values = yaml.load(lighter, Loader=loader)
    returned = 0

    def put_back(value: Any) -> Any:
        nonlocal returned
        if isinstance(value, str):
            if value in aside:
                returned += 1
                return aside[value]
            return value
        if isinstance(value, list):
            return [put_back(v) for v in value]
        if isinstance(value, dict):
            return {k: put_back(v) for k, v in value.items()}
        return value

    values = put_back(values)
    if returned != len(aside):
        return yaml.load(text, Loader=loader)
    return values


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


_TOP_KEY = re.compile(r"^([^\s#'\"\[\]{},&*!|>%@`-][^#\n]*?)[ \t]*:(?:[ \t]+(.*))?$", re.MULTILINE)


class PlainLines:
    """Lines of a fast-read document, found as they are asked for.

    A problem names one item of a section (`cameras[1234].location`): only that item's lines
    are scanned, after one pass of C-speed searches finds where every item starts. Anything
    else, or a layout the searches cannot vouch for, is scanned whole by `plain_lines`.
    """

    def __init__(self, text: str, document: Any) -> None:
        self.text = text
        self.document = document
        self._sections: dict[str, tuple[int, int, int]] | None = None
        self._starts: dict[str, list[int] | None] = {}
        self._start_lines: dict[str, list[int]] = {}
        self._key_lines: dict[str, int] = {}
        self._items: dict[tuple[str, int], tuple[dict[Path, int], dict[Path, int]] | None] = {}

    def whole(self) -> tuple[dict[Path, int], dict[Path, int]] | None:
        """Every line (see plain_lines)."""
        return plain_lines(self.text, self.document)

    def _line(self, offset: int) -> int:
        return self.text.count("\n", 0, offset) + 1

    def _section_spans(self) -> dict[str, tuple[int, int, int]]:
        """Top-level key → (offset of its line, offset after it, offset where the next begins)."""
        if self._sections is None:
            found = list(_TOP_KEY.finditer(self.text))
            spans: dict[str, tuple[int, int, int]] = {}
            document = self.document
            if isinstance(document, dict) and [m.group(1) for m in found] == list(document):
                line, at = 1, 0
                for k, match in enumerate(found):
                    line += self.text.count("\n", at, match.start())
                    at = match.start()
                    self._key_lines[match.group(1)] = line
                    end = found[k + 1].start() if k + 1 < len(found) else len(self.text)
                    inline = match.group(2)
                    if not inline or inline.startswith("#"):
                        spans[match.group(1)] = (match.start(), match.end(), end)
            self._sections = spans
        return self._sections

    def _item_starts(self, section: str) -> list[int] | None:
        if section not in self._starts:
            self._starts[section] = None
            span = self._section_spans().get(section)
            items = self.document.get(section) if isinstance(self.document, dict) else None
            if span is not None and isinstance(items, list) and items:
                first = re.compile(r"^( *)(\S)", re.MULTILINE)
                head = first.search(self.text, span[1], span[2])
                while head is not None and head.group(2) == "#":
                    head = first.search(self.text, head.end(), span[2])
                if head is not None and head.group(2) == "-":
                    dash = re.compile(rf"^ {{{len(head.group(1))}}}-(?: |$)", re.MULTILINE)
                    starts = [m.start() for m in dash.finditer(self.text, head.start(), span[2])]
                    if len(starts) == len(items):
                        self._starts[section] = [*starts, span[2]]
                        # Line of each start, counted once from one to the next.
                        lines, line, at = [], self._line(starts[0]), starts[0]
                        for start in starts:
                            line += self.text.count("\n", at, start)
                            at = start
                            lines.append(line)
                        self._start_lines[section] = lines
        return self._starts[section]

    def item(self, section: str, index: int) -> tuple[dict[Path, int], dict[Path, int]] | None:
        """Lines of the document root, the section, and every part of one of its items."""
        key = (section, index)
        if key not in self._items:
            self._items[key] = None
            starts = self._item_starts(section)
            if starts is not None and 0 <= index < len(starts) - 1:
                start, end = starts[index], starts[index + 1]
                scanned = plain_lines(self.text[start:end], [self.document[section][index]])
                if scanned is not None:
                    shift = self._start_lines[section][index] - 1
                    values = {
                        (section, index, *p[1:]): n + shift for p, n in scanned[0].items() if p
                    }
                    keys = {(section, index, *p[1:]): n + shift for p, n in scanned[1].items()}
                    values[(section,)] = self._start_lines[section][0]
                    keys[(section,)] = self._key_lines[section]
                    values[()] = self._key_lines[next(iter(self._key_lines))]
                    self._items[key] = (values, keys)
        return self._items[key]
