"""The fast YAML reader: it answers only where it agrees with the careful one, lines on demand."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gapwatch.site import read_site
from gapwatch.site.yaml_lines import LineIndex, ParsedYaml, parse_yaml, parse_yaml_carefully
from gapwatch.site.yaml_plain import plain_lines, plain_values
from tests.site.helpers import line_of_text

WriteSite = Callable[..., Path]

# Scalars written as-is, where YAML 1.1 (the careful reader) and 1.2 could part ways.
TRICKY = [
    *[
        "yes",
        "No",
        "ON",
        "off",
        "y",
        "n",
        "true",
        "True",
        "TRUE",
        "tRUE",
        "false",
        "nULL",
        "null",
        "Null",
        "NULL",
        "~",
    ],
    *[
        "017",
        "0o17",
        "0x1F",
        "0b101",
        "1_000",
        "+1",
        "-1",
        "-0",
        "0",
        "00",
        "1e3",
        "1E3",
        "1.5e+3",
        "1.",
        ".5",
        "-.5",
        "+.5",
        ".inf",
        "-.Inf",
        ".nan",
    ],
    *[
        "18:30",
        "1:20:30",
        "2026-10-01",
        "=",
        "<<",
        "3rd",
        "10.0.0.1",
        "1,5",
        "0.0",
        "-0.0",
        "104.0500",
        "35.13",
    ],
    *[
        "123456789012345678901234",
        "1.7976931348623157e309",
        "-",
        "-x",
        "?x",
        ":x",
        "@x",
        "`x",
        "%x",
        "|",
    ],
    "",
    "> x",
    "2026-10-01 12:00:00",
    "'quoted'",
    '"dq"',
    '"a\\tb"',
    "a b",
    "a: b",
    "a #c",
    "名称",
    "é",
    "\u2028",
    "\x85",
]

_WORDS = st.sampled_from(TRICKY) | st.text(
    alphabet=st.sampled_from(list("ab01.-+:#,[]{}'\" eE_xo\u540d?@`|>%\n")), max_size=6
)
_KEYS = st.sampled_from(["id", "name", "on", "yes", "1", "null", "a b", "x", "y"])


def _emit(value: Any, indent: int, flow: bool) -> str:
    """A YAML text for nested lists/dicts of raw scalar strings, in block or flow style."""
    pad = " " * indent
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        if flow or not value:
            return "[" + ", ".join(_emit(v, 0, True) for v in value) + "]"
        return "\n" + "\n".join(f"{pad}- {_emit(v, indent + 2, False)}" for v in value)
    if flow or not value:
        return "{" + ", ".join(f"{k}: {_emit(v, 0, True)}" for k, v in value.items()) + "}"
    return "\n" + "\n".join(f"{pad}{k}: {_emit(v, indent + 2, False)}" for k, v in value.items())


_TREES = st.recursive(
    _WORDS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_KEYS, inner, max_size=4),
    max_leaves=12,
)


def _typed(value: Any) -> Any:
    """The value with every scalar's type beside it (1 == 1.0 == True otherwise)."""
    if isinstance(value, dict):
        return {_typed(k): _typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_typed(v) for v in value]
    if isinstance(value, float) and value != value:
        return ("float", "nan")
    return (type(value).__name__, value)


def _agrees(text: str) -> None:
    plain, values = plain_values(text)
    if not plain:
        return
    careful = parse_yaml_carefully(text)
    assert isinstance(careful, ParsedYaml), f"fast reader took {text!r}, careful refused {careful}"
    assert not careful.duplicates
    assert _typed(values) == _typed(careful.data), text


@pytest.mark.parametrize("scalar", TRICKY)
@pytest.mark.parametrize(
    "template",
    ["a: {s}\n", "a: [{s}, 1]\n", "- {s}\n", "{s}: 1\n", "a:\n  - {s}\n", "a: {{b: {s}}}\n"],
)
def test_fast_reader_declines_or_agrees_on_tricky_scalars(scalar: str, template: str) -> None:
    _agrees(template.format(s=scalar))


@pytest.mark.slow
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tree=st.dictionaries(_KEYS, _TREES, min_size=1, max_size=4), flow=st.booleans())
def test_fast_reader_declines_or_agrees_on_generated_documents(
    tree: dict[str, Any], flow: bool
) -> None:
    _agrees(_emit(tree, 0, flow).lstrip("\n") + "\n")


@pytest.mark.slow
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tree=st.dictionaries(_KEYS, _TREES, min_size=1, max_size=4), comments=st.booleans())
def test_scanned_lines_agree_with_the_composed_ones(tree: dict[str, Any], comments: bool) -> None:
    text = _emit(tree, 0, False).lstrip("\n") + "\n"
    if comments:
        text = "# site\n\n" + text.replace("\n", "\n  # note\n", 1)
    plain, values = plain_values(text)
    careful = parse_yaml_carefully(text)
    if not plain or not isinstance(careful, ParsedYaml):
        return
    scanned = plain_lines(text, values)
    if scanned is None:
        return
    fast = LineIndex(*scanned)
    # Keys inside a one-line flow mapping are not scanned; their line is the mapping's.
    for path in careful.lines.values.keys() | careful.lines.keys.keys():
        assert fast.line_of(path) == careful.lines.line_of(path), (text, path)
        assert fast.line_of(path, prefer_key=True) == careful.lines.line_of(path, prefer_key=True)


_SECTIONS = st.dictionaries(
    st.sampled_from(["site", "zones", "cameras", "obstacles", "on", "1"]),
    st.lists(st.dictionaries(_KEYS, _TREES, max_size=3) | _TREES, min_size=1, max_size=4) | _TREES,
    min_size=1,
    max_size=4,
)


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tree=_SECTIONS, comments=st.booleans())
def test_one_item_lines_agree_with_the_composed_ones(tree: dict[str, Any], comments: bool) -> None:
    text = _emit(tree, 0, False).lstrip("\n") + "\n"
    if comments:
        text = text.replace("\n  - ", "\n  # note\n  - ", 1)
    plain, values = plain_values(text)
    careful = parse_yaml_carefully(text)
    if not plain or not isinstance(careful, ParsedYaml):
        return
    fast = LineIndex.deferred(text, values)
    items = [
        p
        for p in careful.lines.values.keys() | careful.lines.keys.keys()
        if len(p) >= 2 and isinstance(p[0], str) and isinstance(p[1], int)
    ]
    for path in sorted(items, key=str):
        assert fast.line_of(path) == careful.lines.line_of(path), (text, path)
        assert fast.line_of(path, prefer_key=True) == careful.lines.line_of(path, prefer_key=True)


def test_a_problem_in_one_item_scans_only_that_item() -> None:
    lines = ["site:", "  id: s", "cameras:"]
    for k in range(200):
        lines += [f"  - id: c{k}", f"    location: [104.{k:04d}, 35.13]", "    range_m: 80"]
    text = "\n".join(lines) + "\n"
    plain, values = plain_values(text)
    assert plain
    fast = LineIndex.deferred(text, values)
    assert fast.line_of(("cameras", 150, "location")) == 3 + 150 * 3 + 2
    assert fast.line_of(("cameras", 150, "nothing"), prefer_key=True) == 3 + 150 * 3 + 1
    assert fast.line_of(("cameras", 7)) == 3 + 7 * 3 + 1
    # Only two items were read; the whole index was never built.
    assert fast._plain is not None
    assert len(fast._plain._items) == 2


def test_site_layout_is_scanned_not_composed() -> None:
    text = (
        "site:\n  id: s\nzones:\n  - id: z1\n    polygon: [[104.05, 35.13], [104.06, 35.13]]\n"
        "  - id: z2\n    schedule:\n      - {period: p, importance: 5}\ncameras:\n"
        "- id: c1\n  location: [104.0502, 35.1301]   # pole\n"
    )
    plain, values = plain_values(text)
    assert plain
    scanned = plain_lines(text, values)
    assert scanned is not None
    careful = parse_yaml_carefully(text)
    assert isinstance(careful, ParsedYaml)
    assert scanned[1].items() <= careful.lines.keys.items()
    assert scanned[0].items() <= careful.lines.values.items()
    fast = LineIndex(*scanned)
    for path in careful.lines.keys:
        assert fast.line_of(path, prefer_key=True) == careful.lines.line_of(path, prefer_key=True)


def test_plain_site_file_takes_the_fast_reader() -> None:
    text = (
        "site:\n  id: s\n  name: 站点\nzones:\n  - id: z1\n    importance: 3\n"
        "    polygon: [[104.05, 35.13], [104.06, 35.13], [104.06, 35.14]]\n"
        "cameras:\n  - id: c1\n    location: [104.0502, 35.1301]\n    heading_deg: 30.5\n"
    )
    plain, values = plain_values(text)
    assert plain
    assert values["zones"][0]["polygon"][1] == [104.06, 35.13]
    assert values["cameras"][0]["heading_deg"] == 30.5


@pytest.mark.parametrize(
    "text",
    [
        "a: &x 1\nb: *x\n",  # aliases are counted by the careful reader
        "- &x a\n- *x\n",
        "a: [&x 1, *x]\n",
        'a: {"b":*x}\n',  # an alias right after a flow key's colon
        "a: !!str 1\n",
        "a: 1\na: 2\n",  # a duplicate key is reported, not kept
        "a: yes\n",  # YAML 1.1 reads a boolean here
        "a: 017\n",  # octal in 1.1, decimal in 1.2
        "---\na: 1\n---\nb: 2\n",  # several documents
        "a: >-\n  folded\n",
        "a: [1, 2\n",  # broken: the careful reader names the line
    ],
)
def test_fast_reader_declines(text: str) -> None:
    assert plain_values(text) == (False, None)


def test_lines_of_a_fast_read_document_are_built_when_asked() -> None:
    text = "site:\n  id: s\ncameras:\n  - id: c1\n    range_m: 80\n  - id: c2\n    range_m: 90\n"
    parsed = parse_yaml(text)
    assert isinstance(parsed, ParsedYaml)
    assert plain_values(text)[0]
    assert parsed.lines.line_of(("cameras", 1, "range_m")) == 7
    assert parsed.lines.line_of(("cameras", 0, "id"), prefer_key=True) == 4
    assert parsed.lines.line_of(("cameras", 1, "missing")) == 6
    assert parsed.lines.has(("site", "id"))


def test_schema_error_in_a_fast_read_site_names_its_line(
    write_site: WriteSite, tmp_path: Path
) -> None:
    text = (
        "site:\n  id: s\n  name: s\nzones:\n  - id: z1\n    name: z1\n    importance: 3\n"
        "    polygon: [[104.05, 35.13], [104.06, 35.13], [104.06, 35.14]]\n"
        "cameras:\n  - id: c1\n    name: c1\n    stream: rtsp://127.0.0.1/c1\n"
        "    location: [104.0502, 35.1301]\n    heading_deg: 30\n    hfov_deg: 400\n"
        "    range_m: 80\n  - id: c2\n    name: c2\n    stream: rtsp://127.0.0.1/c2\n"
        "    location: [104.0552, 35.1301]\n    heading_deg: 30\n    hfov_deg: 90\n"
        "    range_m: 80\n    hfvo_deg: 3\n"
    )
    assert plain_values(text)[0]
    path = write_site(text)
    reading = read_site(path)
    shown = {p.render("en").split(": ", 1)[1]: p.line for p in reading.errors}
    hfov = next(line for message, line in shown.items() if "cameras[0].hfov_deg" in message)
    typo = next(line for message, line in shown.items() if "cameras[1].hfvo_deg" in message)
    assert hfov == line_of_text(text, "hfov_deg: 400")
    assert typo == line_of_text(text, "hfvo_deg")
    assert all(p.file == path for p in reading.errors)


@pytest.mark.parametrize(
    "text",
    [
        "polygon: [[104.0500, 35.1300], [104.0510, 35.1300], [-0.0, -0], [0, 1.25]]\n",
        "zones:\n  - polygon: [[1, 2], [3, 4]]  # a note\n    location: [104.05, 35.13]\n",
        "- [1, 2]\n- [[3.5]]\n- []\n",
        "a: [1, 2,]\n",  # a trailing comma: YAML takes it, json does not
        "a: [1, , 2]\n",
        "a: [1e3, 2]\n",  # no exponent: PyYAML's YAML 1.1 reads 1e3 as text
        "a: [01, 2]\n",
        "a: word\n  - [1, 2]\n",  # the sequence is the end of a two-line plain scalar
        "a: {b: [1, 2]}\n",
        "a: '[1, 2]'\n",
        "a: [1, 2]: b\n",
        "a:\n  b: [1, 2]\n  c: [1, 2]\n",
    ],
)
def test_numeric_sequences_read_by_json_agree_with_the_careful_reader(text: str) -> None:
    plain, values = plain_values(text)
    careful = parse_yaml_carefully(text)
    if not isinstance(careful, ParsedYaml):
        assert not plain, text
        return
    if plain:
        assert _typed(values) == _typed(careful.data), text


def test_every_numeric_sequence_of_a_site_comes_back_as_numbers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    polygon = [[104.0 + i / 1000, 35.0 + i / 2000] for i in range(200)]
    text = "zones:\n" + "".join(
        f"  - id: z{i}\n    polygon: {json.dumps(polygon)}\n" for i in range(50)
    )
    read_by_json: list[str] = []
    loads = json.loads

    def counting(flow: str) -> object:
        read_by_json.append(flow)
        return loads(flow)

    monkeypatch.setattr(json, "loads", counting)
    plain, values = plain_values(text)
    assert plain
    assert len(read_by_json) == 50  # each polygon went around PyYAML's constructors
    assert [z["polygon"] for z in values["zones"]] == [polygon] * 50
    assert _typed(values) == _typed(parse_yaml_carefully(text).data)  # type: ignore[union-attr]
