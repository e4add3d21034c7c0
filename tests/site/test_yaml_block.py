"""The line-by-line block reader: on the layouts site files are written in it gives PyYAML's
values without PyYAML, and on anything else it steps aside."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gapwatch.site import yaml_plain
from gapwatch.site.yaml_lines import (
    SITE_LOADER,
    ParsedYaml,
    YamlSyntaxError,
    parse_yaml,
    parse_yaml_carefully,
)
from gapwatch.site.yaml_plain import plain_values
from tests.site.test_yaml_plain import TRICKY, _typed

# Values as written after `key: ` or `- `: what a site holds, and the forms around its edges.
USUAL = [
    "cam-001",
    "北门 东侧",
    "rtsp://10.0.0.1:554/Streaming/Channels/101",
    "http://10.0.0.2/cam?a=1&b=2",
    "35",
    "-12",
    "104.0500",
    "-0.25",
    "1.5e3",
    "null",
    "~",
    "true",
    "False",
    "[[104.05, 35.13], [104.06, 35.13], [104.06, 35.14]]",
    "[104.0502, 35.1301]",
    "[cam-1, cam-2, 北门]",
    "[]",
    "{}",
    "'quoted # not a comment'",
    '"double: quoted"',
    "''",
    "a#b",
    "a, b",
    "x :y",
]
EDGES = [
    *TRICKY,
    "10.0.0.1",  # an address or a time looks like a number to the first scan
    "18:30",
    "[1, 2,]",
    "[a, [b]]",
    "[a: b]",
    "{a: 1}",
    "'it''s'",
    "'open",
    '"a" b',
    "'a'#c",
    "a:",
    "[1 2]",
    "[, a]",
    "[1, a]",
    "[a, 1]",
    "[a, -b]",
    "[a b, c #d]",
    "x]",
    "a{b",
    "x\t# a tab before a comment",
    "x\t",
    "rtsp://h/c?channel=1&subtype=0",
    "a:*b",
    "<<",
    "=",
]
_KEYS = st.sampled_from(["id", "name", "stream", "location", "zones", "k_2", "a.b", "a-b", "on"])


def _trees(words: list[str]) -> st.SearchStrategy[Any]:
    scalars = st.sampled_from(words).map(lambda w: ("scalar", w))
    return st.recursive(
        scalars,
        lambda inner: (
            st.lists(inner, min_size=1, max_size=4).map(lambda v: ("list", v))
            | st.lists(st.tuples(_KEYS, inner), min_size=1, max_size=4).map(lambda v: ("map", v))
        ),
        max_leaves=16,
    )


def _render(tree: Any, draw: Any) -> str:
    """Block-style YAML for `tree`, its layout drawn: indent widths, a sequence at its key's
    column, spaces after `-`, comments on their own lines and after values, blank lines."""
    out: list[str] = []

    def extra(column: int) -> None:
        if draw(st.integers(0, 6)) == 0:
            out.append(" " * draw(st.integers(0, column + 4)) + "# note")
        if draw(st.integers(0, 8)) == 0:
            out.append("")

    def after() -> str:
        return "  # said" if draw(st.integers(0, 5)) == 0 else ""

    def entry(head: str, column: int, node: Any, in_mapping: bool) -> None:
        kind, value = node
        if kind == "scalar":
            out.append(f"{head} {value}{after()}")
            return
        out.append(head + after())
        step = draw(st.integers(1, 4))
        compact = in_mapping and kind == "list" and draw(st.booleans())
        block(node, column if compact else column + step)

    def block(node: Any, column: int) -> None:
        kind, value = node
        pad = " " * column
        for item in value:
            extra(column)
            if kind == "map":
                key, child = item
                entry(f"{pad}{key}:", column, child, in_mapping=True)
            else:
                spaces = " " * draw(st.integers(1, 3))
                child_kind, child = item
                if child_kind == "map" and draw(st.booleans()):
                    # `- key: value`, the mapping going on at the key's column
                    inner = column + 1 + len(spaces)
                    (key, first), *rest = child
                    entry(f"{pad}-{spaces}{key}:", inner, first, in_mapping=True)
                    for key, more in rest:
                        extra(inner)
                        entry(f"{' ' * inner}{key}:", inner, more, in_mapping=True)
                else:
                    entry(f"{pad}-", column, item, in_mapping=False)

    if tree[0] == "scalar":
        return f"{tree[1]}\n"
    block(tree, 0)
    return "\n".join(out) + "\n"


def _read(text: str) -> tuple[bool, Any, bool]:
    """(accepted, values, whether PyYAML was asked) of the fast reader on `text`."""
    asked: list[str] = []
    load = yaml.load

    def counting(*args: Any, **kwargs: Any) -> Any:
        asked.append("load")
        return load(*args, **kwargs)

    yaml.load = counting  # type: ignore[assignment]
    try:
        plain, values = plain_values(text)
    finally:
        yaml.load = load  # type: ignore[assignment]
    return plain, values, bool(asked)


def _careful(text: str) -> Any:
    careful = parse_yaml_carefully(text)
    assert isinstance(careful, ParsedYaml), (text, careful)
    assert not careful.duplicates, text
    return careful.data


def _unique_keys(tree: Any) -> bool:
    kind, value = tree
    if kind == "scalar":
        return True
    if kind == "map" and len({k for k, _ in value}) != len(value):
        return False
    return all(_unique_keys(v if kind == "list" else v[1]) for v in value)


def _has_key(tree: Any, key: str) -> bool:
    kind, value = tree
    if kind == "scalar":
        return False
    if kind == "map":
        return any(k == key or _has_key(child, key) for k, child in value)
    return any(_has_key(child, key) for child in value)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(tree=_trees(USUAL), data=st.data())
def test_usual_layouts_are_read_without_pyyaml_and_agree(tree: Any, data: st.DataObject) -> None:
    text = _render(tree, data.draw)
    plain, values, asked = _read(text)
    if not _unique_keys(tree) or tree[0] == "scalar" or _has_key(tree, "on"):
        return  # the careful reader's business: a duplicate key, a lone scalar, a 1.1 boolean
    assert plain and not asked, text
    assert _typed(values) == _typed(_careful(text)), text


@pytest.mark.long
@pytest.mark.slow
@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow])
@given(tree=_trees(USUAL + EDGES), data=st.data())
def test_any_layout_is_read_as_pyyaml_reads_it_or_left_to_it(
    tree: Any, data: st.DataObject
) -> None:
    text = _render(tree, data.draw)
    plain, values, _ = _read(text)
    if plain:
        assert _typed(values) == _typed(_careful(text)), text


@pytest.mark.parametrize("value", USUAL + EDGES)
@pytest.mark.parametrize(
    "template",
    [
        "a: {v}\n",
        "a: {v}  # c\n",
        "- {v}\n",
        "a:\n- {v}\n",
        "a:\n  -   {v}\n",
        "- a: 1\n  b: {v}\n",
        "a:\n  b: {v}\nc: 1\n",
    ],
)
def test_each_value_is_read_as_pyyaml_reads_it_or_left_to_it(value: str, template: str) -> None:
    text = template.format(v=value)
    plain, values, _ = _read(text)
    careful = parse_yaml_carefully(text)
    if not isinstance(careful, ParsedYaml) or careful.duplicates:
        assert not plain, text
    elif plain:
        assert _typed(values) == _typed(careful.data), text


@pytest.mark.parametrize(
    "text",
    [
        "a: b\n  c\n",  # a plain value continued on the next line
        "- a\n  b\n",
        "a:\n  b: 1\n c: 2\n",  # an indentation libyaml refuses
        "- a: 1\n b: 2\n",
        "a: 1\na: 2\n",  # a duplicate key: the careful reader names both lines
        "'a': 1\n",  # a quoted key
        "a: {b: 1}\n",  # a flow mapping
        "- - 1\n",
        "just text\n",
    ],
)
def test_block_reader_steps_aside(text: str) -> None:
    with pytest.raises(yaml_plain._Declined):
        yaml_plain._BlockReader(text, SITE_LOADER).document()


def test_a_county_site_is_read_without_pyyaml() -> None:
    lines = ["site:", "  id: county", "  name: 渭源县", "cameras:"]
    for k in range(300):
        lines += [
            f"  - id: cam-{k:04d}",
            f"    name: 摄像机 {k}  # 北门",
            f"    stream: rtsp://10.0.{k // 250}.{k % 250}/live",
            f"    location: [104.{k:04d}, 35.13]",
            f"    heading_deg: {k % 360}.5",
            "    groups: [gate, night]",
        ]
    text = "\n".join(lines) + "\n"
    plain, values, asked = _read(text)
    assert plain and not asked
    assert _typed(values) == _typed(_careful(text))
    assert values["cameras"][299]["location"] == [104.0299, 35.13]
    assert values["cameras"][7]["name"] == "摄像机 7"


def test_nesting_too_deep_for_the_block_reader_is_read_as_the_careful_reader_reads_it() -> None:
    # 700 levels: past Python's recursion limit for the block reader, not for libyaml
    text = "".join(" " * (2 * level) + "a:\n" for level in range(700))
    parsed = parse_yaml(text)  # no RecursionError out of the block reader
    careful = parse_yaml_carefully(text)
    if isinstance(careful, YamlSyntaxError):
        assert parsed == careful
    else:
        assert isinstance(parsed, ParsedYaml)
        assert parsed.data == careful.data
