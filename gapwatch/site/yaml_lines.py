"""YAML parsing that remembers where every value was written, and catches duplicate keys.

PyYAML's constructed Python objects forget their position, and a mapping that repeats a key
silently keeps the last value. Here the document is composed into nodes (which carry marks),
built into plain Python values, and a `LineIndex` records the line of every key and value by its
path (`("cameras", 3, "hfov_deg")`), so a schema error can name the line a technician wrote.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from gapwatch.site.yaml_plain import PlainLines, plain_values

__all__ = [
    "ALIAS_EXTRA_NODES",
    "DuplicateKey",
    "LineIndex",
    "ParsedYaml",
    "YamlSyntaxError",
    "parse_yaml",
    "parse_yaml_carefully",
]

Path = tuple[str | int, ...]

ALIAS_EXTRA_NODES = 100_000
"""How many values aliases (`*name`, `<<: *name`) may add to a document beyond those written.

Every alias is a copy once the document is read, indexed and validated: nine levels of ten
aliases in 639 bytes would make a billion values. Shared PTZ presets or camera defaults stay far
below this budget.
"""


# libyaml's parser is ~10x faster on a site with thousands of cameras; same nodes and marks.
_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _SiteYamlLoader(_BaseLoader):  # type: ignore[misc]
    """SafeLoader without the YAML 1.1 surprises that bite site files.

    `18:30` would become the base-60 integer 1110 and `2026-10-01` a date object; both must stay
    text so the schema parses times and dates itself.
    """


_SEXAGESIMAL_FREE_INT = re.compile(
    r"""^(?:[-+]?0b[0-1_]+
    |[-+]?0[0-7_]+
    |[-+]?(?:0|[1-9][0-9_]*)
    |[-+]?0x[0-9a-fA-F_]+)$""",
    re.X,
)
_SEXAGESIMAL_FREE_FLOAT = re.compile(
    r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
    |\.[0-9][0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""",
    re.X,
)


def _build_resolvers() -> dict[Any, list[tuple[str, re.Pattern[str]]]]:
    dropped = {"tag:yaml.org,2002:timestamp"}
    replaced = {
        "tag:yaml.org,2002:int": _SEXAGESIMAL_FREE_INT,
        "tag:yaml.org,2002:float": _SEXAGESIMAL_FREE_FLOAT,
    }
    table: dict[Any, list[tuple[str, re.Pattern[str]]]] = {}
    for first, entries in yaml.SafeLoader.yaml_implicit_resolvers.items():
        kept = [(tag, replaced.get(tag, rx)) for tag, rx in entries if tag not in dropped]
        if kept:
            table[first] = kept
    return table


_SiteYamlLoader.yaml_implicit_resolvers = _build_resolvers()
SITE_LOADER: type[Any] = _SiteYamlLoader
"""The PyYAML loader class whose scalar rules every site file is read with."""


@dataclass(frozen=True)
class YamlSyntaxError:
    """YAML that cannot be parsed, with the 1-based line where the parser gave up."""

    line: int
    message: str


@dataclass(frozen=True)
class DuplicateKey:
    """A key written twice in one mapping (PyYAML would silently keep the last)."""

    path: Path
    line: int
    first_line: int


class LineIndex:
    """1-based line of each value (and of each mapping key) by path.

    An index made with `deferred(text)` reads the lines only when one is first asked for: a site
    file with nothing wrong in it never needs them.
    """

    def __init__(
        self,
        values: dict[Path, int] | None = None,
        keys: dict[Path, int] | None = None,
    ) -> None:
        self._values = values if values is not None else {}
        self._keys = keys if keys is not None else {}
        self._source: str | None = None
        self._plain: PlainLines | None = None

    @classmethod
    def deferred(cls, text: str, document: Any) -> LineIndex:
        """An index of `text` (read by the fast reader as `document`) built on first use."""
        index = cls()
        index._source = text
        index._plain = PlainLines(text, document)
        return index

    def _build(self) -> None:
        text, self._source = self._source, None
        if text is None:
            return
        plain, self._plain = self._plain, None
        # The usual layout is indexed by a scan of its lines; anything else is composed.
        scanned = plain.whole() if plain is not None else None
        if scanned is not None:
            self._values, self._keys = scanned
            return
        loader = _SiteYamlLoader(text)
        try:
            node = loader.get_single_node()
            if node is not None:
                _index(node, (), self, [])
        except yaml.YAMLError:
            pass  # the fast reader took it, so this does not happen; lines then fall back to 1
        finally:
            loader.dispose()

    @property
    def values(self) -> dict[Path, int]:
        """Line of each written value."""
        self._build()
        return self._values

    @property
    def keys(self) -> dict[Path, int]:
        """Line of each mapping key."""
        self._build()
        return self._keys

    def merge(self, other: LineIndex) -> None:
        """Take `other`'s lines, still deferred if they are and this index is empty."""
        if other._source is not None and not self._values and not self._keys:
            self._source, self._plain = other._source, other._plain
            return
        self.values.update(other.values)
        self.keys.update(other.keys)

    def line_of(self, path: Sequence[str | int], *, prefer_key: bool = False) -> int:
        """Line of the deepest written part of `path` (a missing key points at its parent)."""
        parts = tuple(path)
        found = None
        if self._plain is not None and len(parts) >= 2:
            section, index = parts[0], parts[1]
            if isinstance(section, str) and isinstance(index, int):
                # One item's lines are enough for a problem inside that item.
                found = self._plain.item(section, index)
        values, keys = found if found is not None else (self.values, self.keys)
        while parts:
            if prefer_key and parts in keys:
                return keys[parts]
            if parts in values:
                return values[parts]
            parts = parts[:-1]
        return values.get((), 1)

    def has(self, path: Sequence[str | int]) -> bool:
        """Whether `path` was written in the file."""
        return tuple(path) in self.values


@dataclass(frozen=True)
class ParsedYaml:
    """The constructed document, its line index and the duplicate keys found."""

    data: Any
    lines: LineIndex
    duplicates: list[DuplicateKey]


def _scalar_key(node: yaml.Node) -> str | int | None:
    if isinstance(node, yaml.ScalarNode):
        return str(node.value)
    return None


def _index(node: yaml.Node, path: Path, lines: LineIndex, dups: list[DuplicateKey]) -> None:
    lines.values[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: dict[str | int, int] = {}
        for key_node, value_node in node.value:
            key = _scalar_key(key_node)
            if key is None or key == "<<":
                continue
            key_line = key_node.start_mark.line + 1
            if key in seen:
                dups.append(DuplicateKey((*path, key), key_line, seen[key]))
                continue
            seen[key] = key_line
            lines.keys[(*path, key)] = key_line
            _index(value_node, (*path, key), lines, dups)
    elif isinstance(node, yaml.SequenceNode):
        for position, item in enumerate(node.value):
            _index(item, (*path, position), lines, dups)


class _AliasBomb(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def _check_expansion(root: yaml.Node) -> None:
    """Refuse documents whose aliases expand past the budget, or refer to themselves.

    The composed graph shares one node per anchor, so counting each node's expanded size once
    (memoised) is linear in what was written, whatever the aliases would expand to.
    """
    written: set[int] = set()
    expanded: dict[int, int] = {}
    on_path: set[int] = set()
    nodes_of: dict[int, yaml.Node] = {}
    references: dict[int, int] = {}

    def children(node: yaml.Node) -> list[yaml.Node]:
        if isinstance(node, yaml.MappingNode):
            return [part for pair in node.value for part in pair]
        if isinstance(node, yaml.SequenceNode):
            return list(node.value)
        return []

    # Iterative post-order walk: a deep document must not exhaust Python's stack here.
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            expanded[key] = 1 + sum(expanded[id(c)] for c in children(node))
            continue
        if key in expanded:
            continue
        if key in on_path:
            raise _AliasBomb(
                node.start_mark.line + 1, "an alias refers to the value that contains it"
            )
        written.add(key)
        nodes_of[key] = node
        on_path.add(key)
        stack.append((node, True))
        for child in children(node):
            references[id(child)] = references.get(id(child), 0) + 1
            if id(child) in on_path:
                raise _AliasBomb(
                    child.start_mark.line + 1, "an alias refers to the value that contains it"
                )
            if id(child) not in expanded:
                stack.append((child, False))
    total = expanded[id(root)]
    if total - len(written) > ALIAS_EXTRA_NODES:
        # Point at the biggest value used more than once: the anchor that multiplies the most.
        worst = max(
            (n for k, n in nodes_of.items() if references.get(k, 0) > 1),
            key=lambda n: expanded[id(n)],
            default=root,
        )
        raise _AliasBomb(
            worst.start_mark.line + 1,
            f"aliases expand the document to {total:,} values from {len(written):,} written; "
            f"at most {ALIAS_EXTRA_NODES:,} more than written are allowed",
        )


def _syntax_error(exc: yaml.MarkedYAMLError, text: str) -> YamlSyntaxError:
    last_line = max(1, len(text.splitlines()))
    problem_line = exc.problem_mark.line + 1 if exc.problem_mark is not None else None
    context_line = exc.context_mark.line + 1 if exc.context_mark is not None else None
    what = exc.problem or "not valid YAML"
    if exc.context and context_line is not None and context_line != problem_line:
        what += f" ({exc.context} that starts on line {context_line})"
    # "Unexpected end of stream" is noticed past the last line; the cause is where the
    # unclosed quote or bracket began.
    if "end of stream" in what and context_line is not None:
        line = context_line
    else:
        line = problem_line or context_line or 1
    return YamlSyntaxError(min(line, last_line), f"YAML syntax: {what}")


def parse_yaml(text: str) -> ParsedYaml | YamlSyntaxError:
    """Parse one YAML document into values, a line index and duplicate keys."""
    plain, values = plain_values(text, SITE_LOADER)
    if plain:
        # The fast reader refuses duplicate keys and there are no aliases: nothing to report.
        return ParsedYaml(values, LineIndex.deferred(text, values), [])
    return parse_yaml_carefully(text)


def parse_yaml_carefully(text: str) -> ParsedYaml | YamlSyntaxError:
    """`parse_yaml` without the fast reader: every node composed, indexed and checked."""
    loader = _SiteYamlLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return ParsedYaml(None, LineIndex(), [])
        _check_expansion(node)
        # Index before constructing: construction flattens merge keys (`<<`) in place.
        lines = LineIndex()
        dups: list[DuplicateKey] = []
        _index(node, (), lines, dups)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        return _syntax_error(exc, text)
    except yaml.YAMLError as exc:
        return YamlSyntaxError(1, f"YAML syntax: {exc}")
    except _AliasBomb as exc:
        return YamlSyntaxError(exc.line, f"YAML aliases: {exc.message}")
    except RecursionError:
        return YamlSyntaxError(1, "YAML nests too deeply")
    finally:
        loader.dispose()
    return ParsedYaml(data, lines, dups)
