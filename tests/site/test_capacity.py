"""A zone's capacity (people) in the site file: loaded, refused by line if absurd, in the schema."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gapwatch.cli import app
from gapwatch.site import load_site

from .conftest import VALID_SITE
from .helpers import find, line_of_text, problems_of

WITH_CAPACITY = VALID_SITE.replace(
    "    importance: 5\n", "    importance: 5\n    capacity: 1500\n", 1
)


def test_a_zone_capacity_is_loaded(write_site: Callable[[str], Path]) -> None:
    site = load_site(write_site(WITH_CAPACITY))
    assert {z.id: z.capacity for z in site.spec.zones} == {"gate": 1500, "trail": None}


@pytest.mark.parametrize("value", ["0", "-5", "2.5", "lots", "20000000"])
def test_an_absurd_capacity_is_refused_at_its_line(
    write_site: Callable[[str], Path], value: str
) -> None:
    text = WITH_CAPACITY.replace("capacity: 1500", f"capacity: {value}")
    path = write_site(text)
    line, problem = find(problems_of(path), "capacity")
    assert line == line_of_text(text, "capacity:")
    assert problem.startswith(f"{path}:{line}: zones[0].capacity")


def test_the_schema_describes_capacity() -> None:
    result = CliRunner().invoke(app, ["schema"])
    assert result.exit_code == 0
    schema = json.loads(result.output)
    zone = (schema.get("$defs") or schema["definitions"])["Zone"]["properties"]["capacity"]
    assert "crowd alert" in zone["description"]
    assert {"type": "integer", "minimum": 1, "maximum": 10_000_000}.items() <= zone["anyOf"][
        0
    ].items()
