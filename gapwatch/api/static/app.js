// @ts-check
// gapwatch operator dashboard: log-in, live feed, map, alert board with its record and filters,
// attention (sound, notifications, banners), the duty tab and the technician view.
import { Api, EventFeed } from "./api.js";
import { Attention } from "./attention.js";
import { AlertBoard } from "./board.js";
import { DutyView } from "./duty.js";
import {
  formatClock,
  formatNumber,
  formatPercent,
  joinList,
  language,
  localName,
  preferredLanguage,
  t,
  tCode,
  useLanguage,
  otherLanguage,
} from "./i18n.js";
import { CrowdView } from "./crowd.js";
import { SiteMap, addHillshade } from "./map.js";
import { TechView } from "./tech.js";
import { WhenField } from "./when.js";

const TOKEN_KEY = "gapwatch.token";
const LOGIN_NOTE_KEY = "gapwatch.loginNote";
const SAFETY_REFRESH_MS = 60000;
/** The token GAPWATCH_ADMIN_TOKEN bootstraps is named so by the service. */
const ENV_ADMIN_NAME = "admin (environment)";

/**
 * @typedef {{name: string, role: string, permissions: string[], site_id: string, site_name: string,
 *   tile_url: string | null, tile_attribution: string}} Session
 */

/** The board's time-range filter, in the interface language. @type {{from: WhenField, to: WhenField} | null} */
let range = null;

const state = {
  /** @type {Api | null} */
  api: null,
  /** @type {Session | null} */
  session: null,
  /** @type {SiteMap | null} */
  map: null,
  /** @type {AlertBoard | null} */
  board: null,
  /** @type {TechView | null} */
  tech: null,
  /** @type {DutyView | null} */
  duty: null,
  /** @type {CrowdView | null} */
  crowd: null,
  /** @type {Attention | null} */
  attention: null,
  /** @type {EventFeed | null} */
  feed: null,
  /** @type {any} */
  mapData: null,
  /** @type {string | null} */
  mapNote: null,
  activeAlerts: 0,
  view: "operator",
  filter: "active",
  /** When the live feed was last heard before it dropped; null while it is live. */
  /** @type {number | null} */
  staleSince: null,
  canLook: false,
  /** @type {Record<string, ReturnType<typeof setTimeout>>} */
  timers: {},
};

/** @param {string} id */
function $(id) {
  return /** @type {HTMLElement} */ (document.getElementById(id));
}

/** @param {string} id */
function field(id) {
  return /** @type {HTMLInputElement} */ (document.getElementById(id));
}

/** The parts every tab needs, there once signed in. */
function ready() {
  const { api, session, map, board, tech, duty, attention } = state;
  if (!api || !session || !map || !board || !tech || !duty || !attention) throw new Error("not signed in");
  return { api, session, map, board, tech, duty, attention };
}

/**
 * Run `task` once, `ms` after the last call for `name`: bursts of events cost one fetch.
 * @param {string} name
 * @param {number} ms
 * @param {() => Promise<unknown>} task
 */
function schedule(name, ms, task) {
  clearTimeout(state.timers[name]);
  state.timers[name] = setTimeout(() => {
    task().catch((e) => {
      if (e.status !== 401) console.warn(name, e);
    });
  }, ms);
}

// ------------------------------------------------------------------ names shown for ids

/** @param {string} layer @param {string} id */
function feature(layer, id) {
  return state.mapData ? state.mapData[layer].features.find((/** @type {any} */ x) => x.properties.id === id) : null;
}

const names = {
  /** @param {string} id */
  zone(id) {
    const f = feature("zones", id);
    return f ? localName(f.properties) : id;
  },
  /** @param {string} id */
  camera(id) {
    const f = feature("cameras", id);
    return f ? `${id} ${localName(f.properties)}` : id;
  },
  /** @param {string} id */
  faults(id) {
    const f = feature("cameras", id);
    return f ? f.properties.faults : [];
  },
  /** @param {string} id */
  unit(id) {
    const f = feature("patrol_units", id);
    return f ? `${f.properties.name} (${id})` : id;
  },
  /** Who did something, in the reader's language for the names the service itself gives. */
  /** @param {string} name */
  actor(name) {
    if (name === ENV_ADMIN_NAME) return t("who.adminEnv");
    if (name === "system") return t("who.system");
    return name;
  },
};

// ------------------------------------------------------------------ log-in

/** @param {string | null} noteKey */
function showLogin(noteKey) {
  $("app").hidden = true;
  $("login").hidden = false;
  const error = $("login-error");
  if (noteKey) {
    error.dataset.i18n = noteKey;
    error.textContent = t(noteKey);
    error.hidden = false;
  } else {
    error.hidden = true;
  }
  $("token").focus();
}

/** @param {string | null} noteKey */
function signOut(noteKey) {
  sessionStorage.removeItem(TOKEN_KEY);
  if (noteKey) sessionStorage.setItem(LOGIN_NOTE_KEY, noteKey);
  else sessionStorage.removeItem(LOGIN_NOTE_KEY);
  // A fresh page drops every timer, stream and picture of the old session.
  location.reload();
}

/** @param {string} token */
async function signIn(token) {
  const api = new Api(token, { onUnauthorized: () => signOut("login.expired") });
  const response = await fetch("/api/v1/dashboard/session", { headers: api.headers() });
  if (response.status === 401) return "login.invalid";
  if (response.status === 403) return "login.noRead"; // a dispatcher token
  if (!response.ok) return "login.unavailable";
  const session = await response.json();
  if (!session.permissions.includes("read")) return "login.noRead";
  sessionStorage.setItem(TOKEN_KEY, token);
  sessionStorage.removeItem(LOGIN_NOTE_KEY);
  state.api = api;
  state.session = session;
  start();
  return null;
}

// ------------------------------------------------------------------ loading

async function refreshMap() {
  const { api, map, board, duty, tech, attention } = ready();
  const first = !state.mapData;
  const data = await api.get("/api/v1/dashboard/map");
  state.mapData = data;
  map.setSite(data);
  if (state.crowd) state.crowd.draw();
  updateKpis();
  renderFaulty();
  fillFilterChoices();
  board.render();
  fillAssignees();
  // Zone and camera names come with the map: tabs drawn before it arrived are drawn again.
  if (first && duty.loaded) duty.render();
  if (first) tech.render();
  if (first) attention.renderBanner();
}

/** Cameras that are not giving a good picture now, worst first; a click shows one on the map. */
function renderFaulty() {
  if (!state.mapData) return;
  const { map } = ready();
  /** @type {Record<string, number>} */
  const order = { offline: 0, degraded: 1 };
  const faulty = state.mapData.cameras.features
    .map((/** @type {any} */ f) => f.properties)
    .filter((/** @type {any} */ p) => p.status in order)
    .sort((/** @type {any} */ a, /** @type {any} */ b) => order[a.status] - order[b.status] || a.id.localeCompare(b.id));
  $("faulty-count").textContent = String(faulty.length);
  $("faulty-empty").hidden = faulty.length > 0;
  $("faulty-rows").replaceChildren(
    ...faulty.map((/** @type {any} */ p) => {
      const row = document.createElement("tr");
      row.className = "clickable";
      row.dataset.camera = p.id;
      const name = document.createElement("td");
      const id = document.createElement("span");
      id.className = "mono";
      id.textContent = p.id;
      name.append(id, ` ${localName(p)}`);
      const status = document.createElement("td");
      const badge = document.createElement("span");
      badge.className = `status ${p.status}`;
      badge.textContent = tCode("status", p.status);
      status.append(badge);
      const faults = document.createElement("td");
      faults.textContent = joinList(p.faults.map((/** @type {string} */ f) => tCode("fault", f))) || "–";
      row.append(name, status, faults);
      row.addEventListener("click", () => map.flyToCamera(p.id));
      return row;
    }),
  );
}

async function refreshBlindSpots() {
  const { api, map } = ready();
  map.setBlindSpots(await api.get("/api/v1/blind-spots"));
}

/** The board's query: the segment buttons and the filter row, all applied by the server. */
function boardQuery() {
  const params = new URLSearchParams({ limit: "200" });
  const status = /** @type {HTMLSelectElement} */ ($("f-status")).value;
  if (status) params.set("status", status);
  else if (state.filter === "active") params.set("status", "active");
  /** @type {[string, string][]} */
  const simple = [
    ["f-zone", "zone"],
    ["f-camera", "camera"],
    ["f-severity", "severity_min"],
  ];
  for (const [id, name] of simple) {
    const value = /** @type {HTMLSelectElement} */ ($(id)).value;
    if (value) params.set(name, value);
  }
  const q = field("f-q").value.trim();
  if (q) params.set("q", q);
  const from = range ? range.from.iso : null;
  const to = range ? range.to.iso : null;
  if (from) params.set("opened_from", from);
  if (to) params.set("opened_to", to);
  return params;
}

function filtered() {
  const params = boardQuery();
  params.delete("limit");
  return !(params.size === 1 && params.get("status") === "active") && params.size > 0;
}

async function refreshAlerts() {
  const { api, board, map, attention } = ready();
  const query = boardQuery();
  const wantsActive = query.toString() === "limit=200&status=active";
  // The map, the attention banner and the KPI always follow every active alert.
  const [active, page] = await Promise.all([
    api.get("/api/v1/alerts?status=active&limit=500"),
    wantsActive ? Promise.resolve(null) : api.get(`/api/v1/alerts?${query}`).catch((/** @type {any} */ e) => {
      showFilterError(e.message);
      return { items: /** @type {any[]} */ ([]), total: 0 };
    }),
  ]);
  if (page === null || page.items) showFilterError(null);
  const shown = page || active;
  board.setAlerts(shown.items);
  $("alert-count").textContent = filtered() ? t("board.found", { n: formatNumber(shown.total) }) : "";
  map.setAlerts(active.items);
  attention.update(active.items);
  const box = $("kpi-alerts");
  box.textContent = formatNumber(active.total);
  box.classList.toggle("bad", active.total > 0);
  state.activeAlerts = active.total;
  renderTitle();
}

/** @param {string | null} message */
function showFilterError(message) {
  const box = $("filters");
  box.classList.toggle("invalid", Boolean(message));
  box.title = message || "";
}

function refreshAll() {
  const { tech, duty } = ready();
  schedule("map", 0, refreshMap);
  schedule("blind", 0, refreshBlindSpots);
  schedule("alerts", 0, refreshAlerts);
  if (state.view === "technician") schedule("tech", 0, () => tech.load());
  if (state.view === "duty") schedule("duty", 0, () => duty.load());
}

/** The tab title counts active alerts, so a background tab still tells the room. */
function renderTitle() {
  const count = state.activeAlerts;
  const stale = state.staleSince !== null ? `${t("stale.short")} ` : "";
  document.title = count ? `${stale}(${count}) ${t("app.title")}` : `${stale}${t("app.title")}`;
}

function updateKpis() {
  const data = state.mapData;
  if (!data) return;
  let area = 0;
  let covered = 0;
  for (const f of data.zones.features) {
    area += f.properties.area_m2 || 0;
    covered += f.properties.covered_m2 || 0;
  }
  const coverage = $("kpi-coverage");
  coverage.textContent = area > 0 ? formatPercent(covered / area) : "–";
  /** @type {Record<string, number>} */
  const count = { ok: 0, degraded: 0, offline: 0, unknown: 0 };
  for (const f of data.cameras.features) count[f.properties.status] = (count[f.properties.status] || 0) + 1;
  const cameras = $("kpi-cameras");
  cameras.textContent = `${count.ok + count.unknown}/${count.degraded}/${count.offline}`;
  cameras.classList.toggle("bad", count.degraded + count.offline > 0);
}

function fillAssignees() {
  const units = state.mapData ? state.mapData.patrol_units.features : [];
  $("assignees").replaceChildren(
    ...units.map((/** @type {any} */ f) => {
      const option = document.createElement("option");
      option.value = f.properties.id;
      option.label = f.properties.name;
      return option;
    }),
  );
}

/** Zones and cameras to filter by, named in the current language. */
function fillFilterChoices() {
  if (!state.mapData) return;
  /** @type {[string, string, (id: string) => string][]} */
  const lists = [
    ["f-zone", "zones", names.zone],
    ["f-camera", "cameras", names.camera],
  ];
  for (const [id, layer, name] of lists) {
    const select = /** @type {HTMLSelectElement} */ ($(id));
    const before = select.value;
    const first = /** @type {HTMLOptionElement} */ (select.options[0]);
    const options = state.mapData[layer].features.map((/** @type {any} */ f) => {
      const option = document.createElement("option");
      option.value = f.properties.id;
      option.textContent = name(f.properties.id);
      return option;
    });
    select.replaceChildren(first, ...options);
    select.value = before;
  }
}

// ------------------------------------------------------------------ live events

/** @param {string} type */
function onEvent(type) {
  const { tech, duty } = ready();
  if (type === "camera.state") {
    schedule("map", 400, refreshMap);
    schedule("blind", 400, refreshBlindSpots);
    if (state.view === "technician") schedule("tech", 1500, () => tech.load());
  }
  if (type.startsWith("alert.") || type.startsWith("task.")) {
    schedule("alerts", 200, refreshAlerts);
    schedule("map", 600, refreshMap); // patrol units become busy or free
  }
  if ((type.startsWith("silence.") || type.startsWith("patrol_round.")) && state.view === "duty") {
    schedule("duty", 200, () => duty.load());
  }
}

/** @param {"connecting" | "live" | "down"} feedState */
function onFeedState(feedState) {
  const box = $("feed-state");
  box.dataset.state = feedState;
  const text = $("feed-text");
  text.dataset.i18n = `feed.${feedState}`;
  text.textContent = t(`feed.${feedState}`);
  if (feedState === "live") state.staleSince = null;
  else if (feedState === "down" && state.staleSince === null) {
    state.staleSince = (state.feed && state.feed.lastHeardAt) || Date.now();
  }
  renderStale();
}

/** While the feed is down everything on screen may be old: say so across the whole width. */
function renderStale() {
  const stale = state.staleSince !== null;
  document.body.classList.toggle("stale", stale);
  const banner = $("stale-banner");
  banner.hidden = !stale;
  if (stale && state.staleSince !== null) {
    banner.textContent = t("stale.banner", { time: formatClock(new Date(state.staleSince)) });
  }
  renderTitle();
}

// ------------------------------------------------------------------ views, language, clock

/** @param {string} view */
function setView(view) {
  const { map, tech, duty } = ready();
  state.view = view;
  document.body.classList.toggle("technician", view === "technician");
  for (const node of document.querySelectorAll(".view-tab[data-view]")) {
    const tab = /** @type {HTMLElement} */ (node);
    tab.classList.toggle("active", tab.dataset.view === view);
  }
  $("operator-view").hidden = view !== "operator";
  $("duty-view").hidden = view !== "duty";
  $("technician-view").hidden = view !== "technician";
  if (view === "technician") tech.load();
  else map.setAudit(null);
  if (view === "duty") duty.load();
  map.invalidate();
}

function renderWho() {
  const s = state.session;
  if (!s) return;
  const who = $("who");
  const name = document.createElement("b");
  name.textContent = names.actor(s.name);
  who.replaceChildren(name, ` · ${tCode("role", s.role)}`);
  who.title = who.textContent || "";
  const site = $("site-name");
  site.textContent = s.site_name;
  site.title = s.site_name;
}

async function switchLanguage() {
  await useLanguage(otherLanguage());
  renderTitle();
  if (range) for (const when of [range.from, range.to]) when.translate();
  if (!state.session) return;
  const { map, board, tech, duty, attention } = ready();
  renderWho();
  onFeedState(/** @type {any} */ ($("feed-state").dataset.state));
  if (state.mapData) map.setSite(state.mapData);
  if (state.crowd) state.crowd.renderPanel().catch((error) => console.warn("crowd", error));
  if (map.blindSpots) map.setBlindSpots(map.blindSpots);
  updateKpis();
  renderFaulty();
  fillFilterChoices();
  board.render();
  attention.renderButtons();
  attention.renderBanner();
  tech.render();
  tech.renderHistory();
  duty.render();
  if (state.mapNote) showMapNote(state.mapNote);
  tick();
}

/** @param {string} key */
function showMapNote(key) {
  state.mapNote = key;
  const note = $("map-note");
  note.dataset.i18n = key;
  note.textContent = t(key);
  note.hidden = false;
}

function tick() {
  $("clock").textContent = new Intl.DateTimeFormat(language(), {
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hour12: false,
  }).format(new Date());
}

/** The "look now" button appears only where the service offers it. */
async function detectLook() {
  try {
    const response = await fetch("/openapi.json", { cache: "no-store" });
    if (!response.ok) return false;
    const spec = await response.json();
    return Object.keys(spec.paths || {}).some((p) => /^\/api\/v1\/tasks\/\{[^}]+\}\/look$/.test(p));
  } catch {
    return false;
  }
}

/** The shift report opens in its own tab; a window opened from here shares the sign-in. */
function openReport() {
  window.open("report.html", "_blank");
}

// ------------------------------------------------------------------ start

function start() {
  const session = /** @type {Session} */ (state.session);
  const api = /** @type {Api} */ (state.api);
  $("login").hidden = true;
  $("app").hidden = false;
  renderWho();
  const params = new URLSearchParams(location.search);
  // ?tiles= lets one screen try a tile server without changing the service's setting.
  const asked = params.get("tiles");
  const tileUrl = asked && /^https?:\/\//.test(asked) ? asked : session.tile_url;
  /** @param {string} permission */
  const can = (permission) => session.permissions.includes(permission);
  state.map = new SiteMap($("map"), {
    tileUrl,
    tileAttribution: session.tile_attribution,
    onCamera: (id) => {
      if (state.view === "technician" && state.tech) state.tech.showHistory(id);
    },
    onNote: (key) => showMapNote(key),
    onAlert: (id) => selectAlert(id),
  });
  addHillshade(state.map, api).catch((error) => console.warn("hillshade", error));
  state.crowd = new CrowdView(state.map, api, $("crowd-panel"));
  state.crowd.start();
  state.board = new AlertBoard({
    api,
    map: state.map,
    can,
    names,
    onChanged: () => schedule("alerts", 100, refreshAlerts),
    canLook: () => state.canLook,
  });
  state.tech = new TechView({ api, map: state.map, names, siteId: session.site_id, can });
  state.duty = new DutyView({
    api,
    names,
    can,
    zones: () => (state.mapData ? state.mapData.zones.features.map((/** @type {any} */ f) => f.properties) : []),
    cameras: () => (state.mapData ? state.mapData.cameras.features.map((/** @type {any} */ f) => f.properties) : []),
  });
  state.attention = new Attention({
    banner: $("attention"),
    soundButton: /** @type {HTMLButtonElement} */ ($("sound-toggle")),
    notifyButton: /** @type {HTMLButtonElement} */ ($("notify-toggle")),
    onSelect: (id) => selectAlert(id),
    zoneName: names.zone,
  });
  for (const node of document.querySelectorAll(".view-tab[data-view]")) {
    const tab = /** @type {HTMLElement} */ (node);
    tab.addEventListener("click", () => setView(tab.dataset.view || "operator"));
  }
  $("open-report").addEventListener("click", openReport);
  for (const node of document.querySelectorAll(".seg-btn")) {
    const button = /** @type {HTMLElement} */ (node);
    button.addEventListener("click", () => {
      state.filter = button.dataset.filter || "active";
      for (const b of document.querySelectorAll(".seg-btn")) b.classList.toggle("active", b === button);
      schedule("alerts", 0, refreshAlerts);
    });
  }
  const filters = $("filters");
  filters.addEventListener("change", () => schedule("alerts", 0, refreshAlerts));
  field("f-q").addEventListener("input", () => schedule("alerts", 300, refreshAlerts));
  filters.addEventListener("submit", (event) => event.preventDefault());
  $("f-clear").addEventListener("click", () => {
    /** @type {HTMLFormElement} */ (filters).reset();
    schedule("alerts", 0, refreshAlerts);
  });
  $("logout").addEventListener("click", () => signOut(null));
  $("fit-all").addEventListener("click", () => ready().map.fitAll());
  state.feed = new EventFeed(api, {
    onEvent,
    onState: onFeedState,
    // Everything is re-read once the stream is open, so nothing between load and open is lost.
    onOpen: refreshAll,
  });
  state.feed.start();
  detectLook().then((yes) => {
    state.canLook = yes;
    if (yes && state.board) state.board.render();
  });
  setInterval(refreshAll, SAFETY_REFRESH_MS);
  setInterval(() => {
    if (state.board) state.board.render(); // ages ("3 minutes ago") move on
  }, 30000);
  tick();
  setInterval(tick, 1000);
}

/**
 * Show one alert on the board, whatever the filters hide.
 * @param {string} id
 */
function selectAlert(id) {
  const { board } = ready();
  if (state.view !== "operator") setView("operator");
  if (!board.alerts.some((a) => a.id === id)) {
    /** @type {HTMLFormElement} */ ($("filters")).reset();
    state.filter = "active";
    for (const b of document.querySelectorAll(".seg-btn")) b.classList.toggle("active", /** @type {HTMLElement} */ (b).dataset.filter === "active");
    refreshAlerts().then(() => board.select(id));
    return;
  }
  board.select(id);
}

async function boot() {
  await useLanguage(preferredLanguage());
  range = { from: new WhenField("f-from"), to: new WhenField("f-to") };
  document.title = t("app.title");
  for (const button of document.querySelectorAll(".lang-toggle")) button.addEventListener("click", switchLanguage);
  $("login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const token = field("token").value.trim();
    if (!token) return;
    const submit = /** @type {HTMLButtonElement} */ ($("login-submit"));
    submit.disabled = true;
    try {
      const problem = await signIn(token);
      if (problem) showLogin(problem);
    } catch (error) {
      console.error("sign-in failed", error);
      showLogin("login.unavailable");
    } finally {
      submit.disabled = false;
    }
  });
  const saved = sessionStorage.getItem(TOKEN_KEY);
  if (saved) {
    const problem = await signIn(saved).catch((error) => {
      console.error("sign-in failed", error);
      return "login.unavailable";
    });
    if (!problem) return;
    sessionStorage.removeItem(TOKEN_KEY);
    showLogin(problem);
    return;
  }
  showLogin(sessionStorage.getItem(LOGIN_NOTE_KEY));
}

boot();
