// @ts-check
// The printable shift handover report: figures from GET /api/v1/reports/shift, laid out for
// paper (report.css has the print rules). Opened from the dashboard, whose tab it shares the
// sign-in with.
import { Api } from "./api.js";
import { el } from "./board.js";
import {
  formatDateTime,
  formatDuration,
  formatNumber,
  formatTime,
  joinList,
  language,
  preferredLanguage,
  t,
  tCode,
  useLanguage,
  otherLanguage,
} from "./i18n.js";
import { WhenField } from "./when.js";

const TOKEN_KEY = "gapwatch.token";
/** @type {any} */
let report = null;
/** The shift's period, in the interface language. @type {{from: WhenField, to: WhenField} | null} */
let period = null;

/** @param {string} id */
function $(id) {
  return /** @type {HTMLElement} */ (document.getElementById(id));
}


/** @param {string} message */
function fail(message) {
  const box = $("r-error");
  box.textContent = message;
  box.hidden = false;
}

/** @param {any} data */
function zoneName(data) {
  /** @type {Map<string, any>} */
  const zones = new Map(data.zones.map((/** @type {any} */ z) => [z.id, z]));
  return (/** @type {string} */ id) => {
    const z = zones.get(id);
    if (!z) return id;
    return language() === "en" && z.name_en ? z.name_en : z.name;
  };
}

/** @param {any} stats */
function durationCells(stats) {
  return [
    el("td", { class: "num" }, formatNumber(stats.count)),
    el("td", { class: "num" }, formatDuration(stats.median_s)),
    el("td", { class: "num" }, formatDuration(stats.max_s)),
    el("td", { class: "num" }, formatNumber(stats.pending)),
  ];
}

function render() {
  if (!report) return;
  const r = report;
  const zone = zoneName(r);
  $("report").hidden = false;
  $("r-site").textContent = r.site_name;
  $("r-period").textContent = `${formatDateTime(r.start)} – ${formatDateTime(r.end)}`;
  $("r-generated").textContent = formatDateTime(r.generated_at);
  /** @type {[string, string, string][]} */
  const figures = [
    ["opened", formatNumber(r.opened), t("report.opened")],
    ["closed", formatNumber(r.closed), t("report.closed")],
    ["open-at-end", formatNumber(r.open_at_end), t("report.openAtEnd", { start: formatNumber(r.open_at_start) })],
    ["escalated", formatNumber(r.escalated), t("report.escalated")],
    ["down", formatNumber(r.cameras_down.length), t("report.camerasDown")],
    ["rounds", `${formatNumber(r.rounds.done)}/${formatNumber(r.rounds.scheduled)}`, t("report.roundsDone")],
  ];
  $("r-figures").replaceChildren(
    ...figures.map(([key, value, label]) => el("div", { class: "figure", dataset: { figure: key } }, el("b", {}, value), el("span", {}, label))),
  );
  $("r-response").replaceChildren(
    el("thead", {}, el("tr", {}, el("th", {}, ""), el("th", { class: "num" }, t("report.count")), el("th", { class: "num" }, t("report.median")), el("th", { class: "num" }, t("report.max")), el("th", { class: "num" }, t("report.pending")))),
    el(
      "tbody",
      {},
      el("tr", { dataset: { step: "acknowledge" } }, el("th", {}, t("report.toAck")), ...durationCells(r.acknowledge)),
      el("tr", { dataset: { step: "dispatch" } }, el("th", {}, t("report.toDispatch")), ...durationCells(r.dispatch)),
      el("tr", { dataset: { step: "on_scene" } }, el("th", {}, t("report.toScene")), ...durationCells(r.on_scene)),
    ),
  );
  const change = r.blind.change_m2;
  $("r-blind").replaceChildren(
    el(
      "tbody",
      {},
      el("tr", { dataset: { blind: "start" } }, el("th", {}, t("report.blindStart")), el("td", { class: "num" }, `${formatNumber(r.blind.start_m2)} m²`), el("td", {}, joinList(r.blind.cameras_down_at_start) || "–")),
      el("tr", { dataset: { blind: "end" } }, el("th", {}, t("report.blindEnd")), el("td", { class: "num" }, `${formatNumber(r.blind.end_m2)} m²`), el("td", {}, joinList(r.blind.cameras_down_at_end) || "–")),
      el("tr", { dataset: { blind: "change" } }, el("th", {}, t("report.blindChange")), el("td", { class: `num ${change > 0 ? "worse" : change < 0 ? "better" : ""}` }, `${change > 0 ? "+" : ""}${formatNumber(change)} m²`), el("td", {}, "")),
    ),
  );
  $("r-down-none").hidden = r.cameras_down.length > 0;
  $("r-down").replaceChildren(
    ...r.cameras_down.map((/** @type {any} */ c) =>
      el("tr", {}, el("td", {}, `${c.id} ${language() === "en" && c.name_en ? c.name_en : c.name}`), el("td", {}, c.flapping ? `${tCode("status", c.status)} · ${t("camera.flapping")}` : tCode("status", c.status)), el("td", {}, joinList(c.faults.map((/** @type {string} */ f) => tCode("fault", f))) || "–"), el("td", {}, formatDateTime(c.since))),
    ),
  );
  const missed = r.rounds.missed.length;
  $("r-rounds").textContent = t("report.roundsLine", {
    done: formatNumber(r.rounds.done),
    scheduled: formatNumber(r.rounds.scheduled),
    missed: formatNumber(missed),
  });
  $("r-crowd-line").textContent = t("report.crowdLine", {
    alerts: formatNumber(r.crowd_alerts),
    raised: formatNumber(r.crowd_raised),
  });
  $("r-crowd").replaceChildren(
    ...r.crowd.map((/** @type {any} */ c) =>
      el(
        "tr",
        { dataset: { zone: c.zone } },
        el("td", {}, zone(c.zone)),
        el("td", { class: "num" }, formatNumber(c.mean_people)),
        el("td", { class: `num ${c.capacity && c.peak_people > c.capacity ? "worse" : ""}` }, formatNumber(c.peak_people)),
        el("td", { class: "mono" }, formatTime(c.peak_hour)),
        el("td", { class: "num" }, c.capacity ? formatNumber(c.capacity) : "–"),
      ),
    ),
  );
  $("r-alerts").replaceChildren(
    ...r.alerts.map((/** @type {any} */ a) =>
      el(
        "tr",
        { dataset: { alertId: a.id } },
        el("td", { class: `num sev s${a.severity}` }, a.severity),
        el("td", {}, tCode("kind", a.kind), a.escalation_level ? ` · ${t("alert.escalated", { n: a.escalation_level })}` : ""),
        el("td", {}, joinList(a.zones.map(zone)) || "–"),
        el("td", {}, joinList(a.cameras)),
        el("td", { class: "mono" }, formatTime(a.opened_at)),
        el("td", { class: "mono" }, a.acknowledged_at ? formatDuration((Date.parse(a.acknowledged_at) - Date.parse(a.opened_at)) / 1000) : "–"),
        el("td", { class: "mono" }, a.on_scene_at ? formatDuration((Date.parse(a.on_scene_at) - Date.parse(a.opened_at)) / 1000) : "–"),
        el("td", { class: "mono" }, a.resolved_at ? formatTime(a.resolved_at) : tCode("alertStatus", a.status)),
        el("td", { class: "num" }, `${formatNumber(a.blind_spot_m2)} m²`),
      ),
    ),
  );
  document.title = `${t("report.title")} · ${r.site_name}`;
}

/**
 * @param {Api} api
 * @param {boolean} chosen whether the operator set the period (else: the last 12 hours to now)
 */
async function load(api, chosen) {
  $("r-error").hidden = true;
  const params = new URLSearchParams();
  if (!period) return;
  if (chosen && (period.from.invalid || period.to.invalid)) {
    fail(period.from.invalid ? period.from.input.title : period.to.input.title);
    return;
  }
  const from = period.from.iso;
  const to = period.to.iso;
  if (chosen && from) params.set("from", from);
  if (chosen && to) params.set("to", to);
  try {
    report = await api.get(`/api/v1/reports/shift?${params}`);
    render();
    document.body.dataset.ready = "1";
  } catch (e) {
    if (e.status !== 401) fail(`${t("action.failed")}: ${e.message}`);
  }
}

async function boot() {
  await useLanguage(preferredLanguage());
  const params = new URLSearchParams(location.search);
  const lang = params.get("lang");
  if (lang === "en" || lang === "zh-CN") await useLanguage(lang);
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) {
    fail(t("report.signIn"));
    return;
  }
  const api = new Api(token, { onUnauthorized: () => fail(t("login.expired")) });
  const now = new Date();
  period = { from: new WhenField("r-from"), to: new WhenField("r-to") };
  period.to.set(now);
  period.from.set(new Date(now.getTime() - 12 * 3600 * 1000));
  if (params.get("from")) period.from.set(new Date(String(params.get("from"))));
  if (params.get("to")) period.to.set(new Date(String(params.get("to"))));
  $("r-load").addEventListener("click", () => load(api, true));
  $("r-print").addEventListener("click", () => window.print());
  for (const button of document.querySelectorAll(".lang-toggle")) {
    button.addEventListener("click", async () => {
      await useLanguage(otherLanguage());
      if (period) for (const when of [period.from, period.to]) when.translate();
      render();
    });
  }
  await load(api, params.has("from") || params.has("to"));
}

boot();
