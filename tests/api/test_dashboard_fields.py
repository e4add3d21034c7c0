"""The console's site name, date fields and round undo in a real browser (Debian's Chromium
through Playwright) against the real service, in both languages at 1366×768 and 1920×1080.

The browser runs in Shanghai time with an American locale, so a field that followed the browser
would show "12/02/2026, 08:00 PM": the fields must follow the interface language instead, and
send ISO 8601 with the +08:00 offset.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.api import test_dashboard_console as base
from tests.api.test_dashboard_browser import ARTIFACTS
from tests.api.test_dashboard_console import LARGE, SMALL, Console, Screen

# The console tests' service, browser and screens, shared as fixtures.
console = base.console
browser = base.browser
screens = base.screens

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SHANGHAI = ZoneInfo("Asia/Shanghai")
SITE_NAME = "控制台测试景区 console test park"
LONG_NAME = "某某县公安局景区视频巡防指挥中心 · 北山国家森林公园南门至西峡谷景区全域"

NOT_CUT = """(selector) => {
  const e = document.querySelector(selector);
  const line = parseFloat(getComputedStyle(e).lineHeight);
  return {
    width: e.scrollWidth <= e.clientWidth + 1,
    height: e.scrollHeight <= e.clientHeight + 1,
    lines: Math.round(e.getBoundingClientRect().height / line),
    bar: document.querySelector(".topbar").scrollWidth <= window.innerWidth,
  };
}"""


def _queries(page: Any, path: str) -> list[dict[str, list[str]]]:
    """Query strings of the page's requests to `path`, collected from now on."""
    seen: list[dict[str, list[str]]] = []

    def record(request: Any) -> None:
        url = urlparse(request.url)
        if url.path == path:
            seen.append(parse_qs(url.query))

    page.on("request", record)
    return seen


@pytest.mark.parametrize(
    ("viewport", "english"),
    [(SMALL, False), (SMALL, True), (LARGE, False), (LARGE, True)],
    ids=["zh-1366", "en-1366", "zh-1920", "en-1920"],
)
def test_the_site_name_is_shown_whole(
    console: Console, screens: Any, viewport: dict[str, int], english: bool
) -> None:
    screen: Screen = screens(viewport)
    page = screen.sign_in(console.tokens["operator"], english=english)
    site = page.locator("#site-name")
    assert site.get_attribute("title") == SITE_NAME
    fit = page.evaluate(NOT_CUT, "#site-name")
    assert fit == {"width": True, "height": True, "lines": 1, "bar": True}, fit
    # A long name takes a second line rather than being cut, and pushes nothing off the bar.
    page.evaluate(f"document.querySelector('#site-name').textContent = {json.dumps(LONG_NAME)}")
    fit = page.evaluate(NOT_CUT, "#site-name")
    assert fit["bar"] and fit["width"] and fit["lines"] <= 2, fit
    if viewport is LARGE:
        assert fit["height"], fit  # room enough at 1920 for the whole of it
    tag = f"{'en' if english else 'zh'}-{viewport['width']}"
    page.screenshot(path=str(ARTIFACTS / f"fields-site-name-{tag}.png"))


def test_date_fields_follow_the_interface_language_and_send_iso_with_offset(
    console: Console, screens: Any
) -> None:
    from playwright.sync_api import expect

    screen: Screen = screens(SMALL, "en-US", "Asia/Shanghai")
    page = screen.sign_in(console.tokens["operator"])
    asked = _queries(page, "/api/v1/alerts")
    start = page.locator("#f-from")
    expect(start).to_have_attribute("placeholder", "年-月-日 时:分")
    assert "UTC+08:00" in (start.get_attribute("title") or "")
    start.fill("2026-07-30 21:30")
    start.dispatch_event("change")
    page.wait_for_function("document.querySelector('#f-from').value !== ''")
    page.wait_for_timeout(300)
    sent = [q["opened_from"] for q in asked if "opened_from" in q]
    assert sent and sent[-1] == ["2026-07-30T21:30:00+08:00"], asked
    # The same moment in English, and English typed back.
    page.click(".session .lang-toggle")
    expect(start).to_have_value("30 Jul 2026 21:30")
    expect(start).to_have_attribute("placeholder", "d Mon yyyy hh:mm")
    end = page.locator("#f-to")
    end.fill("2 December 2026, 08:05")
    end.dispatch_event("change")
    page.wait_for_timeout(300)
    sent = [q["opened_to"] for q in asked if "opened_to" in q]
    assert sent and sent[-1] == ["2026-12-02T08:05:00+08:00"], asked
    # What names no moment is marked, said in words, and not sent.
    end.fill("31 Feb 2026 08:00")
    end.dispatch_event("change")
    expect(end).to_have_attribute("aria-invalid", "true")
    expect(end).to_have_attribute(
        "title", "Not a date and time I can read: write it as 30 Jul 2026 21:30"
    )
    page.wait_for_timeout(300)
    assert "opened_to" not in asked[-1], asked[-1]
    # The calendar button writes what it picks in the interface language.
    page.evaluate(
        """() => {
          const p = document.querySelector('#f-to').parentElement.querySelector('.when-picker');
          p.value = '2026-12-01T07:45';
          p.dispatchEvent(new Event('change'));
        }"""
    )
    expect(end).to_have_value("1 Dec 2026 07:45")
    expect(end).not_to_have_attribute("aria-invalid", "true")
    page.screenshot(path=str(ARTIFACTS / "fields-dates-en-1366.png"))
    page.click("#f-clear")
    expect(start).to_have_value("")

    # A silence until a typed time: shown in the interface language, sent with the offset.
    page.click(".session .lang-toggle")
    page.click(".view-tab[data-view=duty]")
    page.select_option("#s-kind", "cameras")
    page.select_option("#s-target", "cam-4")
    page.select_option("#s-hours", "until")
    until = page.locator("#s-until")
    expect(until).to_be_visible()
    ends = (dt.datetime.now(SHANGHAI) + dt.timedelta(hours=3)).replace(second=0, microsecond=0)
    until.fill(ends.strftime("%Y年%m月%d日 %H:%M"))
    with page.expect_request(
        lambda r: r.url.endswith("/api/v1/silences") and r.method == "POST"
    ) as posted:
        page.click("#s-add")
    body = json.loads(posted.value.post_data or "{}")
    assert body["ends_at"] == ends.isoformat(), body
    row = page.locator("#silence-rows tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(ends.strftime("%Y-%m-%d %H:%M"))
    page.click(".session .lang-toggle")
    expect(row).to_contain_text(f"{ends.day} {ends.strftime('%b %Y %H:%M')}")
    page.screenshot(path=str(ARTIFACTS / "fields-silence-until-en-1366.png"))
    # A time already past is refused before it is sent.
    until.fill("1 Jan 2026 08:00")
    page.click("#s-add")
    expect(page.locator("#silence-error")).to_have_text("Give an end time later than now")
    row.locator("button").click()
    expect(row).to_have_count(0)

    # The shift report's period: in the language's form, sent with the offset.
    with screen.context.expect_page() as opened:
        page.click("#open-report")
    report = opened.value
    expect(report.locator("body")).to_have_attribute("data-ready", "1")
    shown = report.locator("#r-from").input_value()
    assert dt.datetime.strptime(shown, "%d %b %Y %H:%M"), shown
    report.fill("#r-from", "1 Dec 2026 20:00")
    report.fill("#r-to", "2026-12-02 08:00")
    with report.expect_request(lambda r: "/api/v1/reports/shift" in r.url) as asked_report:
        report.click("#r-load")
    query = parse_qs(urlparse(asked_report.value.url).query)
    assert query == {"from": ["2026-12-01T20:00:00+08:00"], "to": ["2026-12-02T08:00:00+08:00"]}
    expect(report.locator("#r-period")).to_have_text("1 Dec 2026 20:00 – 2 Dec 2026 08:00")
    report.click(".lang-toggle")
    expect(report.locator("#r-from")).to_have_value("2026-12-01 20:00")
    expect(report.locator("#r-period")).to_have_text("2026-12-01 20:00 – 2026-12-02 08:00")
    report.screenshot(path=str(ARTIFACTS / "fields-report-zh-1366.png"))
    report.close()


@pytest.mark.parametrize(
    ("viewport", "english"), [(SMALL, False), (LARGE, True)], ids=["zh-1366", "en-1920"]
)
def test_a_round_check_off_is_undone_on_the_duty_tab(
    console: Console, screens: Any, viewport: dict[str, int], english: bool
) -> None:
    from playwright.sync_api import expect

    screen: Screen = screens(viewport)
    page = screen.sign_in(console.tokens["operator"], english=english)
    page.click(".view-tab[data-view=duty]")
    open_row = page.locator("#round-rows tr[data-checked='0']").nth(2 if english else 1)
    zone, at = open_row.get_attribute("data-zone"), open_row.get_attribute("data-at")
    row = page.locator(f"#round-rows tr[data-zone='{zone}'][data-at='{at}']")
    row.locator("button").click()
    expect(row).to_have_attribute("data-checked", "1")
    undo = row.locator("button.undo")
    expect(undo).to_have_text("Undo" if english else "撤销")
    undo.click()
    expect(row).to_have_attribute("data-checked", "0")
    expect(row.locator(".undone")).to_contain_text(
        "check-off undone by test operator" if english else "test operator"
    )
    if not english:
        expect(row.locator(".undone")).to_contain_text("撤销了签到")
    # In the record: the API lists the undo, and a reload still shows it.
    checks = httpx.get(
        f"{console.base}/api/v1/patrol-rounds/checks",
        params={"from": at, "hours": "0.1", "undone": "true"},
        headers=console.headers("operator"),
    ).json()
    assert [c["undone_by"] for c in checks if c["zone"] == zone] == ["test operator"]
    # After a reload the tab may be drawn before the site map (with the zones' names) arrives:
    # hold the map back until the rounds are on screen.
    held: list[Any] = []

    def hold(route: Any) -> None:
        held.append(route)

    page.route("**/api/v1/dashboard/map", hold)
    page.reload()
    page.click(".view-tab[data-view=duty]")
    expect(row.locator(".undone")).to_be_visible()
    page.wait_for_function("document.querySelector('#round-rows tr') !== null")
    for request in held:
        request.continue_()
    page.unroute("**/api/v1/dashboard/map", hold)
    names = {
        "gate": ("景区大门", "Main gate"),
        "square": ("游客广场", "Visitor square"),
        "trail": ("观景步道", "Scenic trail"),
        "lot": ("停车场", "Car park"),
    }
    expect(row.locator("td").nth(1)).to_have_text(names[str(zone)][int(english)])
    tag = f"{'en' if english else 'zh'}-{viewport['width']}"
    page.screenshot(path=str(ARTIFACTS / f"fields-undo-{tag}.png"))
    # Checked off again, it counts again and the undo note goes.
    row.locator("button").first.click()
    expect(row).to_have_attribute("data-checked", "1")
    expect(row.locator(".undone")).to_have_count(0)
    # A reader sees the tick but no undo button.
    reader = screens(viewport)
    look = reader.sign_in(console.tokens["technician"], english=english)
    look.click(".view-tab[data-view=duty]")
    seen = look.locator(f"#round-rows tr[data-zone='{zone}'][data-at='{at}']")
    expect(seen).to_have_attribute("data-checked", "1")
    expect(seen.locator("button.undo")).to_have_count(0)


PARSE = """async (texts) => {
  const { parseStamp, isoWithOffset } = await import("/when.js");
  return texts.map((text) => {
    const d = parseStamp(text);
    return d ? isoWithOffset(d) : null;
  });
}"""


def test_the_date_reader_takes_both_languages_forms_and_refuses_what_names_no_moment(
    console: Console, screens: Any
) -> None:
    screen: Screen = screens(SMALL, "en-US", "Asia/Shanghai")
    page = screen.page
    page.goto(console.base + "/")
    page.wait_for_function("document.documentElement.lang === 'zh-CN'")
    read = {
        "2026-07-30 21:30": "2026-07-30T21:30:00+08:00",
        "2026/7/3 07:05": "2026-07-03T07:05:00+08:00",
        "2026-07-30T21:30": "2026-07-30T21:30:00+08:00",
        "2026年7月30日 21：30": "2026-07-30T21:30:00+08:00",
        "2026-07-30": "2026-07-30T00:00:00+08:00",
        "30 Jul 2026 21:30": "2026-07-30T21:30:00+08:00",
        "30 july 2026, 21:30": "2026-07-30T21:30:00+08:00",
        " 1  Dec  2026  8:00 ": "2026-12-01T08:00:00+08:00",
        "29 Feb 2028": "2028-02-29T00:00:00+08:00",
    }
    refused = [
        "",
        "31 Feb 2026 08:00",
        "2026-13-01 08:00",
        "2026-07-30 24:00",
        "2026-07-30 21:60",
        "30 Jly 2026",
        "30 Julyy 2026",
        "07/30/2026 21:30",  # the browser's American form is ambiguous: not taken
        "tomorrow",
    ]
    assert page.evaluate(PARSE, list(read)) == list(read.values())
    assert page.evaluate(PARSE, refused) == [None] * len(refused)


def test_a_live_redraw_keeps_the_time_being_typed(console: Console, screens: Any) -> None:
    """The duty tab is drawn again whenever a silence changes anywhere. A time being typed into
    "silence until" must survive that redraw: before, the redraw wrote the prefilled default
    (now + 2 h) over it, and the silence went out with the default's end."""
    from playwright.sync_api import expect

    screen: Screen = screens(SMALL, "en-US", "Asia/Shanghai")
    page = screen.sign_in(console.tokens["operator"])
    page.click(".view-tab[data-view=duty]")
    page.select_option("#s-kind", "cameras")
    page.select_option("#s-target", "cam-4")
    page.select_option("#s-hours", "until")
    until = page.locator("#s-until")
    expect(until).not_to_have_value("")  # the prefilled default
    ends = (dt.datetime.now(SHANGHAI) + dt.timedelta(hours=5)).replace(second=0, microsecond=0)
    typed = ends.strftime("%Y年%m月%d日 %H:%M")
    until.fill(typed)
    rows = page.locator("#silence-rows tr")
    expect(rows).to_have_count(0)

    def silence_elsewhere(camera: str) -> None:
        """Another operator silences a camera: the live feed makes this tab draw itself again."""
        answer = httpx.post(
            f"{console.base}/api/v1/silences",
            json={
                "cameras": [camera],
                "ends_at": (dt.datetime.now(SHANGHAI) + dt.timedelta(hours=1)).isoformat(),
            },
            headers=console.headers("operator"),
        )
        assert answer.status_code == 201, answer.text

    # Redrawn while the field has the focus: the text being typed stays as it is.
    silence_elsewhere("cam-1")
    expect(rows).to_have_count(1)
    assert page.evaluate("document.activeElement.id") == "s-until"
    expect(until).to_have_value(typed)
    # Redrawn after the focus left it: the typed moment stands, written in the language's form.
    page.locator("#s-comment").focus()
    silence_elsewhere("cam-2")
    expect(rows).to_have_count(2)
    expect(until).to_have_value(ends.strftime("%Y-%m-%d %H:%M"))
    with page.expect_request(
        lambda r: r.url.endswith("/api/v1/silences") and r.method == "POST"
    ) as posted:
        page.click("#s-add")
    assert json.loads(posted.value.post_data or "{}")["ends_at"] == ends.isoformat()
    expect(rows).to_have_count(3)
    page.screenshot(path=str(ARTIFACTS / "fields-redraw-zh-1366.png"))
    # The console test service is shared: the three silences end here.
    for silence in httpx.get(
        f"{console.base}/api/v1/silences", headers=console.headers("operator")
    ).json():
        ended = httpx.post(
            f"{console.base}/api/v1/silences/{silence['id']}/end",
            headers=console.headers("operator"),
        )
        assert ended.status_code == 200, ended.text
