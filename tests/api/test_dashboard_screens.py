"""Every screen of the console in a real browser, in both languages at 1366×768 and 1920×1080:
the log-in, the board with an alert open, the duty tab, the technician tab with a camera's history
and the printed shift report. On each, nothing that holds text may cut it, the page may not
scroll sideways, no key may go untranslated, and English may not carry Chinese punctuation or
Chinese interface text (names from the site file and people's notes aside).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.api import test_dashboard_console as base
from tests.api.test_dashboard_browser import ARTIFACTS
from tests.api.test_dashboard_console import LARGE, SMALL, Console, Screen

# The console tests' service, browser and screens, shared as fixtures.
console = base.console
browser = base.browser
screens = base.screens

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# What a screen may not do, found by the page itself: text cut by its box, a page wider than the
# window, an interface string in the wrong language.
PROBLEMS = """(english) => {
  const found = [];
  const visible = (e) => {
    const r = e.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && getComputedStyle(e).visibility !== "hidden";
  };
  const name = (e) =>
    e.id ? `#${e.id}` : `${e.tagName.toLowerCase()}.${[...e.classList].join(".")}`;
  const wide = document.documentElement.scrollWidth;
  if (wide > window.innerWidth + 1) found.push(`page scrolls sideways: ${wide}`);
  for (const e of document.querySelectorAll("body *")) {
    if (!visible(e) || !e.textContent.trim()) continue;
    if (["INPUT", "SELECT", "TEXTAREA", "OPTION", "SCRIPT", "STYLE"].includes(e.tagName)) continue;
    const onMap = e.closest(".leaflet-container");
    if (onMap && !e.closest(".leaflet-control, .leaflet-tooltip")) continue;
    const style = getComputedStyle(e);
    const clips = style.overflowX !== "visible" || style.textOverflow === "ellipsis";
    const scrolls = style.overflowX === "auto" || style.overflowX === "scroll";
    const cut = e.scrollWidth > e.clientWidth + 1 || e.scrollHeight > e.clientHeight + 1;
    if (clips && !scrolls && cut && style.overflowY !== "auto") {
      found.push(`cut: ${name(e)} "${e.textContent.trim().slice(0, 40)}"`);
    }
  }
  // A placeholder is the field's only label: it may not be cut either.
  const ruler = document.createElement("canvas").getContext("2d");
  for (const e of document.querySelectorAll("input[placeholder]")) {
    if (!visible(e) || e.value) continue;
    const style = getComputedStyle(e);
    ruler.font = `${style.fontSize} ${style.fontFamily}`;
    const room = e.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    if (ruler.measureText(e.placeholder).width > room + 1) {
      found.push(`cut placeholder: ${name(e)} "${e.placeholder}"`);
    }
  }
  for (const e of document.querySelectorAll("[data-i18n]")) {
    if (e.textContent === e.dataset.i18n) found.push(`untranslated: ${e.dataset.i18n}`);
    const chinese = /[\\u3000-\\u303f\\u4e00-\\u9fff\\uff00-\\uffef]/;
    const toggle = e.classList.contains("lang-toggle");  // names the other language
    if (english && visible(e) && !toggle && chinese.test(e.textContent)) {
      found.push(`Chinese in English: ${name(e)} "${e.textContent}"`);
    }
  }
  if (english) {
    // Labels the code writes (not data-i18n): headings, buttons, table heads, chips, captions.
    const labels = "button, th, h1, h2, h3, label, .chip, .kpi-label, .legend-title, "
      + "figcaption, .banner-text, .pic-meta, #rounds-progress, #audit-state";
    for (const e of document.querySelectorAll(labels)) {
      if (!visible(e) || e.querySelector("[data-name]")) continue;
      const own = [...e.childNodes].filter((n) => n.nodeType === 3);
      const text = own.map((n) => n.textContent).join("");
      if (/[\\uff08\\uff09\\uff0c\\u3002\\uff1a\\uff1b\\u3001\\uff01\\uff1f]/.test(text)) {
        found.push(`full-width punctuation in English: ${name(e)} "${text.trim()}"`);
      }
    }
  }
  for (const warning of window.__missing || []) found.push(`missing translation: ${warning}`);
  return found;
}"""

MISSING = """
window.__missing = [];
const warn = console.warn;
console.warn = (...args) => {
  if (args[0] === "missing translation") window.__missing.push(String(args[1]));
  return warn.apply(console, args);
};
"""


def _check(page: Any, english: bool, where: str, problems: list[str]) -> None:
    page.wait_for_timeout(400)
    problems.extend(f"{where}: {p}" for p in page.evaluate(PROBLEMS, english))
    page.screenshot(path=str(ARTIFACTS / f"screens-{where}.png"))


@pytest.mark.parametrize(
    ("viewport", "english"),
    # Each language and each size in `make test`; the other two pairings with the long tests.
    [
        (SMALL, False),
        pytest.param(SMALL, True, marks=pytest.mark.long),
        pytest.param(LARGE, False, marks=pytest.mark.long),
        (LARGE, True),
    ],
    ids=["zh-1366", "en-1366", "zh-1920", "en-1920"],
)
def test_every_screen_fits_and_speaks_one_language(
    console: Console, screens: Any, viewport: dict[str, int], english: bool
) -> None:
    from playwright.sync_api import expect

    tag = f"{'en' if english else 'zh'}-{viewport['width']}"
    problems: list[str] = []
    screen: Screen = screens(viewport, "en-US" if english else "zh-CN")
    screen.context.add_init_script(MISSING)
    page = screen.page
    page.goto(console.base + "/")
    if english:
        page.click("#login .lang-toggle")
    expect(page.locator("#login")).to_be_visible()
    _check(page, english, f"login-{tag}", problems)

    page.fill("#token", console.tokens["admin"])
    page.click("#login-submit")
    expect(page.locator("#feed-state")).to_have_attribute("data-state", "live")
    console.probe("cam-2", "offline")
    alert = console.alert_of("cam-2")
    card = page.locator(f"#alert-list li[data-alert-id='{alert['id']}']")
    card.click()
    expect(page.locator("#timeline li")).not_to_have_count(0)
    # Names, not ids, wherever the alert is named (the banner too, drawn before the site map).
    expect(page.locator("#attention")).to_contain_text("Visitor square" if english else "游客广场")
    _check(page, english, f"board-{tag}", problems)
    page.click("#act-resolve")
    expect(page.locator("#resolve-form")).to_be_visible()
    _check(page, english, f"resolve-{tag}", problems)
    page.click("#resolve-cancel")

    page.click(".view-tab[data-view=duty]")
    expect(page.locator("#round-rows tr").first).to_be_visible()
    # The day's rounds begin at midnight; the list opens at the last hour's.
    top = page.evaluate(
        """() => {
          const box = document.querySelector('#round-rows').closest('.scroll');
          const head = box.querySelector('thead').offsetHeight;
          const rows = [...document.querySelectorAll('#round-rows tr')];
          // (offsets are whole pixels of rows a fraction high: 2 px of slack)
          const below = (r) => r.offsetTop + r.offsetHeight > box.scrollTop + head + 2;
          return rows.find(below).dataset.at;
        }"""
    )
    hour_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1, minutes=1)
    assert dt.datetime.fromisoformat(top) >= hour_ago, top
    _check(page, english, f"duty-{tag}", problems)

    page.click(".view-tab[data-view=technician]")
    expect(page.locator("#zone-rows tr")).to_have_count(4)
    page.locator("#camera-rows tr[data-camera=cam-2]").click()
    expect(page.locator("#history")).to_be_visible()
    _check(page, english, f"tech-{tag}", problems)

    with screen.context.expect_page() as opened:
        page.click("#open-report")
    report = opened.value
    report.set_viewport_size(viewport)
    expect(report.locator("body")).to_have_attribute("data-ready", "1")
    _check(report, english, f"report-{tag}", problems)
    report.close()
    console.probe("cam-2", "ok")
    assert problems == [], "\n".join(problems)
