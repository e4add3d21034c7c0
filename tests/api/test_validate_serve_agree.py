"""One validation for `validate` and `serve`: every site file `validate` accepts starts the service
(create_app) and every API route answers it without a 5xx. Site files are generated from a valid
one with hypothesis, pushing numbers to their extremes (inf, NaN, 1e-300, 1e300), names to odd
text and shapes anywhere on the earth."""

from __future__ import annotations

import copy
import math
import re
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from fastapi.routing import APIRoute
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gapwatch.api import create_app
from gapwatch.settings import Settings
from gapwatch.site import read_site
from tests.api.conftest import ADMIN_TOKEN
from tests.api.serving import running
from tests.api.site import SITE_YAML, write_site

pytestmark = pytest.mark.slow

EXTREME = st.one_of(
    st.sampled_from([math.inf, -math.inf, math.nan, 1e-300, -1e-300, 1e300, 0.0, -0.0, 5000.0]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**6), max_value=10**6),
)
NAMES = st.text(min_size=0, max_size=300)
NUMBER_PATHS = [
    ("cameras", 0, "range_m"),
    ("cameras", 1, "hfov_deg"),
    ("cameras", 2, "heading_deg"),
    ("cameras", 0, "probe_interval_s"),
    ("health", "probe_interval_s"),
    ("health", "probe_timeout_s"),
    ("coverage", "min_blind_area_m2"),
    ("patrol_units", 0, "speed_kmh"),
    ("obstacles", 0, "height_m"),
]


def _set(document: dict[str, Any], path: tuple[str | int, ...], value: object) -> None:
    node: Any = document
    for part in path[:-1]:
        node = node.setdefault(part, {}) if isinstance(part, str) else node[part]
    node[path[-1]] = value


@st.composite
def site_documents(draw: st.DrawFn, base: dict[str, Any]) -> dict[str, Any]:
    document = copy.deepcopy(base)
    for path in draw(st.lists(st.sampled_from(NUMBER_PATHS), max_size=4, unique=True)):
        _set(document, path, draw(EXTREME))
    if draw(st.booleans()):
        _set(document, ("health", "escalate_after_min"), {5: draw(EXTREME)})
    if draw(st.booleans()):
        _set(document, ("zones", 0, "name"), draw(NAMES))
        _set(document, ("site", "name"), draw(NAMES))
    if draw(st.booleans()):
        lon = draw(st.floats(-180, 180))
        lat = draw(st.floats(-90, 90))
        width = draw(st.sampled_from([1e-9, 1e-5, 0.001, 1.0, 10.0, 359.9]))
        ring = [
            [lon, lat],
            [lon + width, lat],
            [lon + width, lat + min(width, 1)],
            [lon, lat + 0.0005],
        ]
        _set(document, ("zones", 1, "polygon"), ring)
    if draw(st.booleans()):
        ptz = {"id": "p", "heading_deg": 0, "hfov_deg": 30, "range_m": draw(EXTREME)}
        _set(document, ("cameras", 0, "ptz"), [ptz])
    return document


def _api_paths(app: Any) -> list[str]:
    paths = []
    for route in app.routes:
        if not isinstance(route, APIRoute) or "GET" not in route.methods:
            continue
        path = route.path
        if "events" in path:
            continue  # an endless stream; its start is covered by the serve tests
        path = re.sub(r"\{camera_id\}", "cam-1", path)
        path = re.sub(r"\{[a-z_]+\}", "x_1", path)
        paths.append(path)
    return paths


_BASE: dict[str, Any] = {}


def _base(tmp_path: Path) -> dict[str, Any]:
    if not _BASE:
        _BASE.update(yaml.safe_load(write_site(tmp_path).read_text(encoding="utf-8")))
    return _BASE


@settings(
    max_examples=12,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(data=st.data())
def test_every_site_file_validate_accepts_serves_without_a_5xx(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    assert SITE_YAML
    folder = tmp_path_factory.mktemp("site")
    document = data.draw(site_documents(_base(folder)))
    path = folder / f"site-{uuid.uuid4().hex[:6]}.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    reading = read_site(path)
    if reading.errors:
        # Refused files name a line each; they never reach serve.
        assert all(p.line >= 1 for p in reading.errors)
        return
    settings_ = Settings(
        db_url=f"sqlite:///{folder / 'g.db'}",
        site=path,
        admin_token=ADMIN_TOKEN,
        scheduler=False,
    )
    app = create_app(settings_)
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    with running(app) as base, httpx.Client(base_url=base, timeout=60) as client:
        for api_path in _api_paths(app):
            response = client.get(api_path, headers=headers)
            assert response.status_code < 500, (api_path, response.text[:500], document)
