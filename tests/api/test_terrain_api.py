"""GET /api/v1/terrain/hillshade: the site's DEM as a hillshade PNG with its lon/lat bounds."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import cv2
import httpx
import numpy as np
import pytest

from gapwatch.api import create_app
from tests.api.conftest import ADMIN_TOKEN, Api, make_settings
from tests.api.serving import running
from tests.api.test_dashboard_browser import CHROMIUM, CHROMIUM_ARGS
from tests.coverage.terrain_scenes import UTM, hills, write_dem

_AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def test_the_hillshade_covers_the_dem_and_shades_its_hills(tmp_path: Path, db_url: str) -> None:
    settings = make_settings(tmp_path, db_url)
    write_dem(tmp_path / "dem.tif", hills, crs=UTM, cell=4.0)
    with Path(settings.site).open("a", encoding="utf-8") as site:
        site.write("terrain: {dem: dem.tif, note: synthetic hills}\n")
    app = create_app(settings)
    with running(app) as base_url, httpx.Client(base_url=base_url, timeout=60) as client:
        reply = client.get("/api/v1/terrain/hillshade", headers=_AUTH)
        assert reply.status_code == 200, reply.text
        body = reply.json()
        again = client.get("/api/v1/terrain/hillshade", headers=_AUTH).json()
    assert again == body
    assert body["note"] == "synthetic hills"
    (south, west), (north, east) = body["bounds"]
    # The DEM spans ±260 m around (104.05, 35.13): about ±0.00286° of longitude, ±0.00235° of
    # latitude. Its edge cells may be cut where it leaves the site's extent, never grown.
    assert 104.05 - 0.0030 < west < 104.05 < east < 104.05 + 0.0030
    assert 35.13 - 0.0025 < south < 35.13 < north < 35.13 + 0.0025
    head, data = body["image"].split(",", 1)
    assert head == "data:image/png;base64"
    image = cv2.imdecode(np.frombuffer(base64.b64decode(data), np.uint8), cv2.IMREAD_UNCHANGED)
    assert image.shape == (body["height"], body["width"], 4)
    alpha = image[..., 3].astype(float)
    # Flat ground is nearly clear; the hills' slopes are drawn. The tallest hill stands 40 m
    # east and 70 m north of the centre: the drawn pixels gather north-east of the middle.
    assert (alpha < 10).mean() > 0.5
    assert (alpha > 60).sum() > 50
    rows, cols = np.indices(alpha.shape)
    weight = alpha / alpha.sum()
    lon = west + (east - west) * ((cols + 0.5) / alpha.shape[1])
    lat = north - (north - south) * ((rows + 0.5) / alpha.shape[0])
    assert (weight * lon).sum() > 104.05 - 0.0003
    assert (weight * lat).sum() > 35.13


def test_a_site_without_dem_answers_404_in_the_error_shape(api: Api) -> None:
    reply = api.client.get("/api/v1/terrain/hillshade", headers=api.headers("operator"))
    assert reply.status_code == 404
    assert "DEM" in reply.json()["detail"][0]["msg"]
    assert api.client.get("/api/v1/terrain/hillshade").status_code == 401


def _app_with_hills(tmp_path: Path, db_url: str) -> Any:
    """The app on a site whose terrain is a DEM of hills."""
    settings = make_settings(tmp_path, db_url)
    write_dem(tmp_path / "dem.tif", hills, crs=UTM, cell=4.0)
    with Path(settings.site).open("a", encoding="utf-8") as site:
        site.write("terrain: {dem: dem.tif}\n")
    return create_app(settings)


def _signed_in_overlay(page: Any, base_url: str) -> Any:
    """Sign in on the board; the hillshade overlay, once it is on the map."""
    from playwright.sync_api import expect

    page.goto(base_url + "/")
    page.fill("#token", ADMIN_TOKEN)
    page.click("#login-submit")
    expect(page.locator("#app")).to_be_visible()
    overlay = page.locator(".leaflet-hillshade-pane img.leaflet-image-layer")
    expect(overlay).to_have_count(1, timeout=30_000)
    return overlay


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}")
def test_the_dashboard_map_shows_the_hillshade(tmp_path: Path, db_url: str) -> None:
    from playwright.sync_api import sync_playwright

    app = _app_with_hills(tmp_path, db_url)
    with running(app) as base_url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900}, locale="zh-CN")
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "warning" else None)
            page.set_default_timeout(30_000)
            overlay = _signed_in_overlay(page, base_url)
            assert (overlay.get_attribute("src") or "").startswith("data:image/png;base64,")
            # Beneath the zones: its pane is stacked lower than the zone pane.
            stack = page.evaluate(
                """() => [".leaflet-hillshade-pane", ".leaflet-zone-pane"].map(
                    (s) => Number(getComputedStyle(document.querySelector(s)).zIndex))"""
            )
            assert stack[0] < stack[1]
            assert errors == []
        finally:
            browser.close()


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}")
def test_the_hillshade_comes_after_a_failed_request(tmp_path: Path, db_url: str) -> None:
    """A board left open for hours must not lose its relief to one failed request (a CI run
    under load once showed the map without it): the first two answers are 503, the third the
    real one."""
    from playwright.sync_api import Route, sync_playwright

    app = _app_with_hills(tmp_path, db_url)
    refused: list[str] = []

    def busy_twice(route: Route) -> None:
        if len(refused) < 2:
            refused.append(route.request.url)
            route.fulfill(
                status=503,
                content_type="application/json",
                body='{"detail": [{"msg": "busy"}]}',
            )
        else:
            route.continue_()

    with running(app) as base_url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900}, locale="zh-CN")
            page.route("**/api/v1/terrain/hillshade", busy_twice)
            page.set_default_timeout(30_000)
            overlay = _signed_in_overlay(page, base_url)
            assert (overlay.get_attribute("src") or "").startswith("data:image/png;base64,")
            assert len(refused) == 2
        finally:
            browser.close()
