"""The crowd density layer and the per-zone panel in a real browser (Debian's Chromium driven by
Playwright) against the real app on the demo site, in both languages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gapwatch.api import create_app
from gapwatch.runtime.pipeline import Service
from gapwatch.settings import Settings
from gapwatch.storage import utcnow
from tests.api.conftest import ADMIN_TOKEN
from tests.api.serving import running
from tests.api.test_dashboard_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS
from tests.runtime.crowd_scene import DEMO, SQUARE, people_in, probe_round

pytestmark = pytest.mark.browser


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[str, Service]]:
    settings = Settings(
        db_url=f"sqlite:///{tmp_path / 'gapwatch.db'}",
        site=DEMO,
        admin_token=ADMIN_TOKEN,
        scheduler=False,
    )
    app = create_app(settings)
    with running(app) as base_url:
        yield base_url, app.state.service


@pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}")
def test_the_density_layer_shows_the_filled_zone(demo: tuple[str, Service]) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, service = demo
    now = utcnow()
    probe_round(service, now - dt.timedelta(seconds=20), {})
    crowd = {"cam-024": people_in(service, "cam-024", SQUARE, 900, seed=7, alone=True)}
    probe_round(service, now, crowd)
    seen = httpx.get(f"{base}/api/v1/crowd", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    square = next(z for z in seen.json()["zones"] if z["zone"] == SQUARE)
    assert square["people"] == pytest.approx(900)

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 900}, locale="zh-CN")
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.set_default_timeout(20_000)
            page.goto(base + "/")
            page.fill("#token", ADMIN_TOKEN)
            page.click("#login-submit")
            expect(page.locator("#app")).to_be_visible()
            # The one zone with people is drawn on the density layer, and only it.
            density = page.locator(".leaflet-crowd-pane path.crowd-density")
            expect(density).to_have_count(1)
            opacity = float(density.first.get_attribute("fill-opacity") or 0)
            assert opacity > 0.12
            # The panel lists it with its people, in Chinese, with a chart.
            panel = page.locator("#crowd-panel")
            expect(panel.locator(".crowd-head")).to_have_text("当前人流")
            expect(panel.locator("li[data-zone]")).to_have_count(1)  # empty zones in one line
            empty = len([z for z in seen.json()["zones"] if z["counted"]]) - 1
            expect(panel).to_contain_text(f"另有 {empty} 个区域计数为 0")
            first = panel.locator("li[data-zone]").first
            expect(first).to_have_attribute("data-zone", SQUARE)
            expect(first).to_contain_text("900 人")
            expect(first).to_contain_text("学习中")
            expect(panel.locator("svg.crowd-chart rect.crowd-bar-now")).to_have_count(1)
            expect(page.locator("#legend")).to_contain_text("人流密度")
            page.screenshot(path=str(ARTIFACTS / "crowd-density.png"))
            # English too.
            page.locator("#app .lang-toggle").click()
            expect(panel.locator(".crowd-head")).to_have_text("Crowd now")
            expect(panel.locator("li[data-zone]").first).to_contain_text("900 people")
            expect(panel.locator("li[data-zone]").first).to_contain_text("Yuangudui village square")
            expect(page.locator("#legend")).to_contain_text("Crowd density")
            assert errors == []
        finally:
            browser.close()
