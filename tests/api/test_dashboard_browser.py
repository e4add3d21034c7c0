"""The operator dashboard in a real browser against the real service.

`gapwatch serve` runs as a process on a small site whose camera A reads a clip through a link.
Chromium (Debian's, driven by Playwright) signs in with an operator token; the test points the
link at a black clip and watches the alert arrive over the live feed, acknowledges it, reports
the road_patrol task as accepted the way the dispatch system does, and sees the task change.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.api.dashboard_site import BLACK, point_link, write_dashboard_site

pytestmark = pytest.mark.browser

CHROMIUM = Path(os.environ.get("GAPWATCH_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ADMIN_TOKEN = "gw_dashboard-admin-0123456789abcdef"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


FEED_PARSING = """async () => {
  const { EventFeed } = await import("/api.js");
  const seen = [];
  const feed = new EventFeed({}, {
    onEvent: (type, data, id) => seen.push([type, data, id]),
    onState() {},
    onOpen() {},
  });
  const text = "retry: 3000\\n\\nid: 7\\nevent: alert.opened\\n"
    + 'data: {"id":"a1","zone":"广场"}\\n\\n'
    + ": keep-alive\\n\\nid: 8\\r\\nevent: task.updated\\r\\ndata: {\\"id\\":\\"t1\\"}\\r\\n\\r\\n";
  const bytes = new TextEncoder().encode(text);
  const body = new ReadableStream({
    start(controller) {
      // Five bytes at a time: frames, lines and characters all cut mid-way.
      for (let i = 0; i < bytes.length; i += 5) controller.enqueue(bytes.slice(i, i + 5));
      controller.close();
    },
  });
  await feed.read(body);
  return { seen, lastId: feed.lastId, retry: feed.retryMs };
}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Served:
    base: str
    stream_link: Path
    tokens: dict[str, str]
    token_ids: dict[str, str]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    """`gapwatch serve` on the test site, probing every 3 s, with a token per role."""
    site, link = write_dashboard_site(tmp_path)
    port = _free_port()
    env = {
        **os.environ,
        "GAPWATCH_ADMIN_TOKEN": ADMIN_TOKEN,
        "GAPWATCH_PROBE_INTERVAL_S": "3",
        "GAPWATCH_PROBE_WORKERS": "2",
    }
    env.pop("GAPWATCH_TILE_URL", None)
    log = (tmp_path / "serve.log").open("wb")
    db = f"sqlite:///{tmp_path / 'gapwatch.db'}"
    command = [sys.executable, "-m", "gapwatch.cli", "serve", "--site", str(site)]
    command += ["--db", db, "--port", str(port)]
    process = subprocess.Popen(
        command,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the service did not come up"
            time.sleep(0.1)
        admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        tokens, token_ids = {}, {}
        for role in ("operator", "dispatcher"):
            body = {"role": role, "name": f"test {role}"}
            if role == "dispatcher":
                body["unit_id"] = "unit-1"
            made = httpx.post(f"{base}/api/v1/tokens", json=body, headers=admin)
            assert made.status_code == 201, made.text
            tokens[role] = made.json()["token"]
            token_ids[role] = made.json()["id"]
        yield Served(base, link, tokens, token_ids)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
    output = (tmp_path / "serve.log").read_text(errors="replace")
    assert "Traceback" not in output, output


@pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}")
def test_alert_appears_live_is_acknowledged_and_its_task_updates(served: Served) -> None:
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 900}, locale="zh-CN")
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.set_default_timeout(20_000)
            page.goto(served.base + "/")

            # Chinese first; a wrong token is refused on the log-in screen.
            expect(page.locator("#login h1")).to_have_text("视频盲区巡防")
            page.fill("#token", "gw_not-a-real-token-000000000000")
            page.click("#login-submit")
            expect(page.locator("#login-error")).to_have_text("令牌无效或已吊销。")
            page.fill("#token", served.tokens["dispatcher"])
            page.click("#login-submit")
            expect(page.locator("#login-error")).to_contain_text("只能回报任务状态")

            page.fill("#token", served.tokens["operator"])
            page.click("#login-submit")
            expect(page.locator("#app")).to_be_visible()
            expect(page.locator("#who")).to_contain_text("值守员")
            expect(page.locator("#feed-state")).to_have_attribute("data-state", "live")
            # Both cameras judged healthy on the map before the picture goes.
            # (A loaded machine may need a few probes before the decoders answer in time.)
            expect(page.locator("#kpi-cameras")).to_have_text("2/0/0", timeout=30_000)
            expect(page.locator("#alert-list li")).to_have_count(0)
            # The feed reader frames events however the bytes are cut, and remembers the last id
            # it saw (which it sends as Last-Event-ID when it reconnects).
            parsed = page.evaluate(FEED_PARSING)
            assert parsed["seen"] == [
                ["alert.opened", {"id": "a1", "zone": "广场"}, "7"],
                ["task.updated", {"id": "t1"}, "8"],
            ]
            assert parsed["lastId"] == "8"
            assert parsed["retry"] == 3000

            # Anything after this point must reach the page without a reload.
            page.evaluate("window.__sameDocument = true")

            point_link(served.stream_link, BLACK)
            card = page.locator("#alert-list li[data-kind=camera_degraded]")
            expect(card).to_have_count(1)
            expect(card).to_have_attribute("data-status", "open")
            expect(card.locator(".alert-title")).to_contain_text("画质异常")
            expect(card.locator("[data-task-kind=road_patrol]")).to_contain_text("路面巡逻")
            assert page.evaluate("window.__sameDocument") is True
            expect(page.locator("#kpi-cameras")).to_have_text("1/1/0")

            card.click()
            expect(page.locator("#detail-summary")).to_contain_text("cam-a 广场西")
            expect(page.locator("#pic-now img")).to_be_visible()
            expect(page.locator("#pic-now-meta")).to_contain_text("拍摄于")
            page.click("#act-ack")
            expect(card).to_have_attribute("data-status", "acknowledged")
            expect(card.locator(".alert-title")).to_contain_text("已确认")

            road = page.locator("#task-rows tr[data-task-kind=road_patrol]")
            expect(road).to_have_attribute("data-task-status", "dispatched")
            task_id = road.get_attribute("data-task-id")
            assert task_id
            reported = httpx.post(
                f"{served.base}/api/v1/tasks/{task_id}/status",
                json={"status": "accepted"},
                headers={"Authorization": f"Bearer {served.tokens['dispatcher']}"},
            )
            assert reported.status_code == 200, reported.text
            expect(road).to_have_attribute("data-task-status", "accepted")
            expect(road).to_contain_text("已接单")
            assert page.evaluate("window.__sameDocument") is True

            # English on request, remembered across a reload; then back to Chinese.
            page.click(".session .lang-toggle")
            expect(page.locator("html")).to_have_attribute("lang", "en")
            expect(page.locator(".board h2")).to_have_text("Alert board")
            expect(road).to_contain_text("accepted")
            page.reload()
            expect(page.locator(".board h2")).to_have_text("Alert board")
            expect(page.locator("#feed-state")).to_have_attribute("data-state", "live")
            page.click(".session .lang-toggle")
            expect(page.locator(".board h2")).to_have_text("告警看板")
            expect(page.locator("#kpi-cameras")).to_have_text("1/1/0")

            page.locator("#alert-list li").first.click()
            expect(page.locator("#task-rows")).to_contain_text("已接单")
            expect(page.locator("#pic-now img")).to_be_visible()
            page.wait_for_timeout(800)  # let the map finish flying to the alert
            page.screenshot(path=str(ARTIFACTS / "dashboard.png"))

            # A tile server that does not answer leaves the plain background, said on the map.
            page.goto(served.base + "/?tiles=http://127.0.0.1:9/{z}/{x}/{y}.png")
            expect(page.locator("#map-note")).to_have_text("瓦片服务不可达，已切换为离线底图")
            expect(page.locator("#alert-list li")).to_have_count(1)

            # A revoked token sends the operator back to the log-in screen with a reason.
            revoked = httpx.delete(
                f"{served.base}/api/v1/tokens/{served.token_ids['operator']}",
                headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
            )
            assert revoked.status_code == 204
            page.click(".seg-btn[data-filter=all]")
            expect(page.locator("#login")).to_be_visible()
            expect(page.locator("#login-error")).to_have_text("登录已失效，请重新输入令牌。")
            assert errors == []
        finally:
            browser.close()
