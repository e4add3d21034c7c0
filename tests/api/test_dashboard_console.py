"""The operator console in a real browser (Debian's Chromium through Playwright) against the real
service over HTTP: attention (sound, desktop notification, the unacknowledged banner, escalation),
the stale state when the service stops, map awareness, the record of an alert with a dispatcher's
rejection note, filters, the duty tab (rounds check-off, silences, maintenance windows), the
printable shift report, the technician tab, and both languages at 1366×768 and 1920×1080.

Outages are fed straight into the service (`handle_probe`), as a probe would, so each test owns
its zone and camera of the test park and nothing waits on a decoder. The desktop notification
and the speaker are the only parts replaced: an init script records what the page asks of them.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from gapwatch.api import create_app
from gapwatch.api.auth import Role, create_token
from gapwatch.runtime.pipeline import Service
from gapwatch.settings import Settings
from gapwatch.storage import transaction
from gapwatch.vision.types import ProbeResult
from tests.api.console_site import write_console_site
from tests.api.serving import running
from tests.api.test_dashboard_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}"),
]

ADMIN = "gw_console-admin-0123456789abcdef"
SMALL = {"width": 1366, "height": 768}
LARGE = {"width": 1920, "height": 1080}
FULL_WIDTH = re.compile(r"[（），。：；、！？]")

RECORDERS = """
window.__notes = [];
window.__beeps = 0;
class RecordedNotification {
  constructor(title, options) { window.__notes.push({ title, body: options && options.body }); }
  close() {}
}
RecordedNotification.permission = "granted";
RecordedNotification.requestPermission = async () => "granted";
window.Notification = RecordedNotification;
const start = OscillatorNode.prototype.start;
OscillatorNode.prototype.start = function (...args) {
  window.__beeps += 1;
  return start.apply(this, args);
};
"""


@dataclass
class Console:
    base: str
    service: Service
    tokens: dict[str, str]

    def headers(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def probe(self, camera: str, status: str, at: dt.datetime | None = None) -> None:
        faults = ["no_signal"] if status == "offline" else []
        verdict = ProbeResult(status=status, faults=faults, elapsed_s=1.0)  # type: ignore[arg-type]
        self.service.handle_probe(camera, at or dt.datetime.now(dt.UTC), verdict)

    def alert_of(self, camera: str) -> dict[str, Any]:
        page = httpx.get(
            f"{self.base}/api/v1/alerts",
            params={"camera": camera, "status": "active"},
            headers=self.headers("operator"),
        ).json()
        assert page["total"] == 1, page
        alert: dict[str, Any] = page["items"][0]
        return alert


def _start(tmp: Path) -> Any:
    settings = Settings(
        db_url=f"sqlite:///{tmp / 'console.db'}",
        site=write_console_site(tmp, now=dt.datetime.now(dt.UTC)),
        admin_token=ADMIN,
        scheduler=False,
        sse_poll_s=0.05,
    )
    return create_app(settings)


def _tokens(service: Service) -> dict[str, str]:
    tokens = {"admin": ADMIN}
    with transaction(service.sessions) as session:
        for role in (Role.operator, Role.technician, Role.dispatcher):
            bound = "unit-1" if role is Role.dispatcher else None
            token, _row = create_token(session, name=f"test {role.value}", role=role, unit_id=bound)
            tokens[role.value] = token
    return tokens


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    app = _start(tmp_path_factory.mktemp("console"))
    with running(app) as base:
        service: Service = app.state.service
        yield Console(base, service, _tokens(service))


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        args = [*CHROMIUM_ARGS, "--autoplay-policy=no-user-gesture-required"]
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=args)
        try:
            yield chromium
        finally:
            chromium.close()


class Screen:
    """One signed-in browser tab; page errors are collected and must stay empty."""

    def __init__(
        self,
        browser: Any,
        base: str,
        viewport: dict[str, int],
        locale: str,
        timezone: str | None = None,
    ) -> None:
        self.context = browser.new_context(
            viewport=viewport, locale=locale, timezone_id=timezone, accept_downloads=True
        )
        self.context.add_init_script(RECORDERS)
        self.page = self.context.new_page()
        self.page.set_default_timeout(20_000)
        self.errors: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.base = base

    def sign_in(self, token: str, *, english: bool = False) -> Any:
        from playwright.sync_api import expect

        page = self.page
        page.goto(self.base + "/")
        if english:
            page.click("#login .lang-toggle")
            expect(page.locator("html")).to_have_attribute("lang", "en")
        page.fill("#token", token)
        page.click("#login-submit")
        expect(page.locator("#feed-state")).to_have_attribute("data-state", "live")
        expect(page.locator("#kpi-cameras")).not_to_have_text("–")
        return page

    def shot(self, name: str) -> None:
        self.page.wait_for_timeout(700)  # let the map finish flying
        self.page.screenshot(path=str(ARTIFACTS / f"console-{name}.png"))

    def close(self) -> None:
        self.context.close()
        assert self.errors == []


@pytest.fixture
def screens(browser: Any, console: Console) -> Iterator[Any]:
    opened: list[Screen] = []

    def make(
        viewport: dict[str, int], locale: str = "zh-CN", timezone: str | None = None
    ) -> Screen:
        screen = Screen(browser, console.base, viewport, locale, timezone)
        opened.append(screen)
        return screen

    yield make
    for screen in opened:
        screen.close()


def _rect(page: Any, selector: str) -> dict[str, float]:
    box: dict[str, float] = page.locator(selector).first.bounding_box()
    assert box is not None, selector
    return box


def _overlaps(a: dict[str, float], b: dict[str, float]) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


def test_a_critical_alert_is_heard_seen_and_kept_on_screen_until_acknowledged(
    console: Console, screens: Any
) -> None:
    from playwright.sync_api import expect

    screen = screens(SMALL)
    page = screen.sign_in(console.tokens["operator"])
    # Desktop notifications are opt-in and remembered across a reload.
    expect(page.locator("#notify-toggle")).to_have_text("桌面通知：关")
    page.click("#notify-toggle")
    expect(page.locator("#notify-toggle")).to_have_text("桌面通知：开")
    page.reload()
    expect(page.locator("#notify-toggle")).to_have_text("桌面通知：开")
    expect(page.locator("#sound-toggle")).to_have_text("提示音：开")
    expect(page.locator("#feed-state")).to_have_attribute("data-state", "live")
    expect(page.locator("#attention")).to_be_hidden()

    console.probe("cam-1", "offline")
    alert = console.alert_of("cam-1")
    assert alert["severity"] == 5, alert
    card = page.locator(f"#alert-list li[data-alert-id='{alert['id']}']")
    expect(card).to_be_visible()
    # Where and how much, in full: the zone and the blind area are on the card, not cut off.
    expect(card.locator(".alert-where")).to_have_text("景区大门")
    expect(card.locator(".blind-m2")).to_contain_text("m²")
    assert page.evaluate(
        "() => [...document.querySelectorAll('#alert-list .alert-where, #alert-list .alert-cams')]"
        ".every(e => e.scrollWidth <= e.clientWidth + 1)"
    )
    page.wait_for_function("window.__beeps > 0")
    notes = page.evaluate("window.__notes")
    assert [n["title"] for n in notes] == ["紧急告警：摄像机离线"]
    assert "cam-1" in notes[0]["body"] and "景区大门" in notes[0]["body"]
    banner = page.locator("#attention")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("1 条告警待确认")
    # The overview marks the alert with a severity-coloured marker and its blind ground with a
    # dot that keeps its size; camera ids appear only close up.
    page.click("#fit-all")
    expect(page.locator(".alert-marker.s5")).to_have_count(1)
    expect(page.locator(".leaflet-blind-pane path")).not_to_have_count(0)
    expect(page.locator(".camera-label")).to_have_count(0)
    page.locator(".alert-marker.s5").click()  # a spot of one alert selects it
    expect(page.locator("#alert-detail")).to_be_visible()
    page.wait_for_timeout(900)
    assert page.evaluate("document.querySelectorAll('.camera-label').length") >= 1
    # No two things on the map share a colour: offline cameras and blind spots above all, and
    # neither the crowd nor a technician's failure gap is taken for an offline camera.
    colours = page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('#legend .sw')]
             .filter((e) => !e.matches('.sw-suggest, .sw-route, .sw-alert'))
             .map((e) => [e.className, getComputedStyle(e).backgroundColor.match(/[0-9.]+/g)
               .slice(0, 3).map(Number)]))"""
    )
    assert {"sw sw-offline", "sw sw-blind", "sw sw-crowd", "sw sw-gap"} <= colours.keys(), colours
    for one, other in itertools.combinations(colours, 2):
        distance = math.dist(colours[one], colours[other])
        assert distance > 60, (one, other, colours[one], colours[other])

    # Left unacknowledged it escalates: heard again, said on the card.
    beeps = page.evaluate("window.__beeps")
    with transaction(console.service.sessions) as session:
        escalated = console.service.alerts.check_escalations(
            session, now=dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)
        )
    assert alert["id"] in escalated
    expect(card.locator(".chip.escalation")).to_have_text("已升级 1 级")
    page.wait_for_function(f"window.__beeps > {beeps}")
    page.wait_for_function("window.__notes.length === 2")
    assert page.evaluate("window.__notes[1].title") == "告警升级：摄像机离线"
    expect(page.locator(".alert-marker.escalated")).to_have_count(1)

    # The banner leads to the alert; the selected blind spot is clear of the map's controls.
    banner.locator(".banner-go").click()
    expect(page.locator("#alert-detail")).to_be_visible()
    expect(page.locator("#detail-summary")).to_contain_text("已升级 1 级")
    page.wait_for_timeout(900)
    spot = _rect(page, ".leaflet-route-pane path[stroke='#ffffff']")
    for control in (".map-legend", ".leaflet-control-zoom", "#fit-all"):
        assert not _overlaps(spot, _rect(page, control)), control
    screen.shot("attention-zh-1366")
    page.click("#act-ack")
    expect(card).to_have_attribute("data-status", "acknowledged")
    expect(banner).to_be_hidden()
    # Back to healthy for the other tests' sake.
    console.probe("cam-1", "ok")


def test_the_record_of_an_alert_filters_and_resolve_with_a_note_in_english(
    console: Console, screens: Any
) -> None:
    from playwright.sync_api import expect

    screen = screens(LARGE, "en-GB")
    page = screen.sign_in(console.tokens["operator"], english=True)
    console.probe("cam-2", "offline")
    alert = console.alert_of("cam-2")
    road = next(t for t in alert["tasks"] if t["kind"] == "road_patrol")
    url = f"{console.base}/api/v1/tasks/{road['id']}/status"
    dispatcher = console.headers("dispatcher")
    assert httpx.post(url, json={"status": "accepted"}, headers=dispatcher).status_code == 200
    rejected = httpx.post(url, json={"status": "rejected", "note": "车辆故障"}, headers=dispatcher)
    assert rejected.status_code == 200, rejected.text

    card = page.locator(f"#alert-list li[data-alert-id='{alert['id']}']")
    expect(card.locator(".alert-where")).to_have_text("Visitor square")
    card.click()
    timeline = page.locator("#timeline")
    reject = timeline.locator("li[data-to-status=rejected]")
    expect(reject).to_contain_text("test dispatcher")
    expect(reject).to_contain_text("Road patrol: accepted → rejected")
    expect(reject.locator(".tl-note")).to_have_text("车辆故障")
    expect(timeline.locator("li[data-action=opened]")).to_contain_text("system")
    page.fill("#note-input", "Called the maintenance crew")
    page.click("#note-add")
    expect(timeline.locator("li[data-action=note]")).to_contain_text("Called the maintenance crew")
    # English is English: no full-width punctuation, durations in words, not "0.5 min".
    detail = page.locator("#alert-detail").inner_text()
    assert not FULL_WIDTH.search(detail.replace("车辆故障", "")), detail
    assert "0.5" not in detail
    expect(page.locator("#detail-summary")).to_contain_text(" ago)")

    # Filters are applied by the server: zone, camera, severity, time range and search.
    page.select_option("#f-zone", "gate")
    expect(card).to_have_count(0)
    page.select_option("#f-zone", "square")
    expect(card).to_have_count(1)
    page.fill("#f-q", "Square west")
    expect(card).to_have_count(1)
    page.fill("#f-q", "no such thing")
    expect(card).to_have_count(0)
    page.click("#f-clear")
    expect(card).to_have_count(1)
    page.fill("#f-from", (dt.datetime.now() + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    page.locator("#f-from").dispatch_event("change")
    expect(card).to_have_count(0)
    page.click("#f-clear")
    card.click()

    # The CAP export downloads the alert as CAP XML.
    with page.expect_download() as download:
        page.click("#act-cap")
    cap = Path(download.value.path()).read_text(encoding="utf-8")
    assert "urn:oasis:names:tc:emergency:cap:1.2" in cap and alert["id"] in cap
    screen.shot("record-en-1920")

    # Resolving takes a note, which goes into the record. (Where the rules refuse to resolve a
    # camera still down, the refusal is shown and the note stays typed.)
    page.click("#act-resolve")
    page.fill("#resolve-note", "Cable repaired, picture back")
    page.click("#resolve-confirm")
    refused = page.locator("#action-error")
    page.wait_for_function(
        "document.querySelector(`#alert-list li[data-status=resolved]`) !== null"
        " || !document.querySelector('#action-error').hidden"
    )
    if refused.is_visible():
        expect(refused).to_contain_text("Not done")
        expect(page.locator("#resolve-note")).to_have_value("Cable repaired, picture back")
    else:
        page.click(".seg-btn[data-filter=all]")
        expect(card).to_have_attribute("data-status", "resolved")
        card.click()
        expect(timeline.locator("li[data-action=resolved] .tl-note")).to_have_text(
            "Cable repaired, picture back"
        )
        expect(timeline.locator("li[data-action=resolved]")).to_contain_text("test operator")
    console.probe("cam-2", "ok")
    page.click(".seg-btn[data-filter=all]")
    # The same record, and the picture's caption, in Chinese without a reload.
    card.click()
    page.click("#pic-refresh")
    expect(page.locator("#pic-now img")).to_be_visible(timeout=40_000)
    expect(page.locator("#pic-now-meta")).to_contain_text("taken")
    page.click(".session .lang-toggle")
    expect(page.locator("#pic-now-meta")).to_contain_text("拍摄于")
    expect(timeline.locator("li[data-to-status=rejected]")).to_contain_text("已接单 → 已拒绝")
    expect(card.locator(".alert-where")).to_have_text("游客广场")


def test_duty_tab_rounds_check_off_silences_and_maintenance_windows(
    console: Console, screens: Any
) -> None:
    from playwright.sync_api import expect

    for viewport, english in ((SMALL, False), (LARGE, True)):
        screen = screens(viewport)
        page = screen.sign_in(console.tokens["operator"], english=english)
        page.click(".view-tab[data-view=duty]")
        rows = page.locator("#round-rows tr")
        expect(rows.first).to_be_visible()
        # The rounds run on past midnight, to twelve hours ahead less the rounds' own spacing (an
        # evening's list ended at midnight, and a night shift could not see its own rounds).
        last = dt.datetime.fromisoformat(rows.last.get_attribute("data-at") or "")
        assert last >= dt.datetime.now(dt.UTC) + dt.timedelta(hours=8), last
        window = page.locator("#maintenance-rows tr[data-window-id=mw-trail]")
        expect(window).to_contain_text("cam-3")
        expect(window).to_contain_text("Now" if english else "进行中", ignore_case=True)
        # Check off the first round not yet done.
        open_row = page.locator("#round-rows tr[data-checked='0']").first
        zone, at = open_row.get_attribute("data-zone"), open_row.get_attribute("data-at")
        open_row.locator("button").click()
        done = page.locator(f"#round-rows tr[data-zone='{zone}'][data-at='{at}']")
        expect(done).to_have_attribute("data-checked", "1", timeout=10_000)
        page.reload()
        page.click(".view-tab[data-view=duty]")
        expect(done).to_contain_text("done by test operator" if english else "test operator")
        # A silence for cam-4: added, listed, ended.
        page.select_option("#s-kind", "cameras")
        page.select_option("#s-target", "cam-4")
        page.fill("#s-comment", "cable work" if english else "线路检修")
        page.click("#s-add")
        silence = page.locator("#silence-rows tr")
        expect(silence).to_have_count(1)
        expect(silence).to_contain_text("cam-4")
        screen.shot(f"duty-{'en-1920' if english else 'zh-1366'}")
        silence.locator("button").click()
        expect(silence).to_have_count(0)


def test_the_shift_report_prints_the_figures_the_api_gives(console: Console, screens: Any) -> None:
    from playwright.sync_api import expect

    console.probe("cam-4", "offline", at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5))
    alert = console.alert_of("cam-4")
    with transaction(console.service.sessions) as session:
        console.service.alerts.acknowledge(
            session,
            alert_id=alert["id"],
            by="夜班值守",
            at=dt.datetime.fromisoformat(alert["opened_at"]) + dt.timedelta(seconds=90),
        )
    for viewport, english in ((SMALL, False), (LARGE, True)):
        screen = screens(viewport)
        page = screen.sign_in(console.tokens["operator"], english=english)
        with screen.context.expect_page() as opened:
            page.click("#open-report")
        report = opened.value
        errors = screen.errors
        report.on("pageerror", lambda error, errors=errors: errors.append(str(error)))
        expect(report.locator("body")).to_have_attribute("data-ready", "1")
        figures = httpx.get(
            f"{console.base}/api/v1/reports/shift", headers=console.headers("operator")
        ).json()
        shown = {
            key: report.locator(f".figure[data-figure={key}] b").inner_text()
            for key in ("opened", "closed", "open-at-end", "down")
        }
        assert shown == {
            "opened": str(figures["opened"]),
            "closed": str(figures["closed"]),
            "open-at-end": str(figures["open_at_end"]),
            "down": str(len(figures["cameras_down"])),
        }
        assert figures["acknowledge"]["count"] >= 1
        ack = report.locator("tr[data-step=acknowledge]")
        expect(ack).to_contain_text("Acknowledge" if english else "确认")
        expect(report.locator(f"tr[data-alert-id='{alert['id']}']")).to_contain_text(
            "Car park" if english else "停车场"
        )
        expect(report.locator(f"tr[data-alert-id='{alert['id']}']")).to_contain_text(
            "1 min, 30 sec" if english else "1分钟30秒"
        )
        expect(report.locator("h1")).to_contain_text(
            "Shift handover report" if english else "交接班报告"
        )
        # On paper the controls go and the figures stay.
        report.emulate_media(media="print")
        expect(report.locator(".controls")).to_be_hidden()
        expect(report.locator("#r-figures")).to_be_visible()
        name = "en-1920" if english else "zh-1366"
        report.screenshot(path=str(ARTIFACTS / f"console-report-{name}.png"), full_page=True)
        report.pdf(path=str(ARTIFACTS / f"console-report-{name}.pdf"), format="A4")
        report.close()
    console.probe("cam-4", "ok")


def test_technician_tab_audit_history_exports_in_both_languages(
    console: Console, screens: Any
) -> None:
    from playwright.sync_api import expect

    screen = screens(SMALL)
    page = screen.sign_in(console.tokens["technician"])
    expect(page.locator("#who")).to_contain_text("技术员")
    page.click(".view-tab[data-view=technician]")
    expect(page.locator("#audit-state")).to_contain_text("更新于")
    expect(page.locator("#zone-rows tr")).to_have_count(4)
    expect(page.locator("#audit-kpis .audit-kpi")).to_have_count(4)
    expect(page.locator("#zone-rows")).to_contain_text("景区大门")
    # The camera table opens on what needs a technician; a new fault joins it live.
    console.probe("cam-4", "offline")
    expect(page.locator("#camera-rows tr[data-camera=cam-4]")).to_be_visible()
    expect(page.locator("#camera-rows tr[data-camera=cam-1]")).to_have_count(0)
    console.probe("cam-4", "ok")
    expect(page.locator("#camera-rows tr[data-camera=cam-4]")).to_have_count(0)
    # All cameras, a page at a time (two to a page here; 200 in the product) ...
    page.evaluate("document.querySelector('#camera-rows').dataset.page = '2'")
    page.select_option("#cam-status", "")
    expect(page.locator("#cam-count")).to_have_text("第 1–2 台，共 4 台")
    expect(page.locator("#camera-rows tr")).to_have_count(2)
    expect(page.locator("#cam-prev")).to_be_disabled()
    page.click("#cam-next")
    expect(page.locator("#cam-count")).to_have_text("第 3–4 台，共 4 台")
    expect(page.locator("#camera-rows tr[data-camera=cam-3]")).to_be_visible()
    expect(page.locator("#cam-next")).to_be_disabled()
    # ... or those whose view reaches a zone, from the first page again.
    page.select_option("#cam-zone", "trail")
    expect(page.locator("#cam-count")).to_have_text("第 1–1 台，共 1 台")
    expect(page.locator("#camera-rows tr")).to_have_count(1)
    expect(page.locator("#camera-rows tr[data-camera=cam-3]")).to_be_visible()
    page.select_option("#cam-zone", "")
    page.locator("#camera-rows tr[data-camera=cam-1]").click()
    expect(page.locator("#history")).to_be_visible()
    expect(page.locator("#history-camera")).to_contain_text("cam-1 大门西")
    with page.expect_download() as download:
        page.click("[data-export='zones.csv']")
    assert download.value.suggested_filename == "console-test-zones.csv"
    assert "gate" in Path(download.value.path()).read_text(encoding="utf-8")
    screen.shot("tech-zh-1366")
    # "更新于" and the zone names change language without a reload.
    page.evaluate("window.__sameDocument = true")
    page.click(".session .lang-toggle")
    expect(page.locator("#audit-state")).to_contain_text("Updated")
    expect(page.locator("#zone-rows")).to_contain_text("Main gate")
    expect(page.locator("#history-camera")).to_contain_text("cam-1 Gate west")
    assert page.evaluate("window.__sameDocument") is True
    page.set_viewport_size(LARGE)
    screen.shot("tech-en-1920")


def test_english_top_bar_fits_at_1366_and_the_environment_admin_is_named_in_chinese(
    console: Console, screens: Any
) -> None:
    from playwright.sync_api import expect

    screen = screens(SMALL)
    page = screen.sign_in(console.tokens["admin"])
    expect(page.locator("#who")).to_contain_text("管理员（环境变量）")
    page.click(".session .lang-toggle")
    expect(page.locator("#who")).to_contain_text("admin (environment)")
    heights = page.evaluate(
        "() => [...document.querySelectorAll('.kpi-label')]"
        ".map(e => e.getBoundingClientRect().height)"
    )
    assert heights and max(heights) < 18, heights  # one line each
    tabs = page.evaluate(
        "() => [...document.querySelectorAll('.view-tab')]"
        ".map(e => e.getBoundingClientRect().height)"
    )
    assert max(tabs) < 48, tabs  # no tab label wraps
    site = page.locator("#site-name")
    assert site.get_attribute("title") == "控制台测试景区 console test park"
    assert page.evaluate("document.querySelector('.topbar').scrollWidth <= window.innerWidth")
    screen.shot("topbar-en-1366")
    page.set_viewport_size(LARGE)
    page.click(".session .lang-toggle")
    expect(page.locator("#who")).to_contain_text("管理员（环境变量）")
    screen.shot("board-zh-1920")


def test_a_stopped_service_leaves_a_full_width_stale_warning(browser: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    app = _start(tmp_path)
    stopped = False
    with running(app) as base:
        service: Service = app.state.service
        tokens = _tokens(service)
        screen = Screen(browser, base, SMALL, "zh-CN")
        try:
            page = screen.sign_in(tokens["operator"])
            expect(page.locator("#stale-banner")).to_be_hidden()
            # Both dictionaries loaded while the service is there. The English one arrives
            # slowly, so the second press comes while the first is still loading: it must turn
            # back to Chinese (it turned to English again, a press lost, under a loaded CI).
            page.evaluate(
                """() => { const plain = window.fetch; window.fetch = (url, init) =>
                String(url).includes("i18n/en.json")
                  ? new Promise((done) => setTimeout(done, 600)).then(() => plain(url, init))
                  : plain(url, init); }"""
            )
            page.click(".session .lang-toggle")
            page.click(".session .lang-toggle")
            page.wait_for_timeout(900)
            expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
            stopped = True
        except BaseException:
            screen.close()
            raise
    assert stopped
    try:
        banner = page.locator("#stale-banner")
        expect(banner).to_be_visible(timeout=30_000)
        expect(banner).to_contain_text("数据已过期")
        assert re.search(r"\d\d:\d\d", banner.inner_text())
        assert page.evaluate("document.body.classList.contains('stale')")
        width = _rect(page, "#stale-banner")["width"]
        assert width >= SMALL["width"] - 2
        assert page.title().startswith("[已过期]")
        screen.shot("stale-zh-1366")
        page.click(".session .lang-toggle")
        expect(banner).to_contain_text("Data stale since")
        screen.shot("stale-en-1366")
    finally:
        screen.errors = [e for e in screen.errors if "Failed to fetch" not in e]
        screen.close()
