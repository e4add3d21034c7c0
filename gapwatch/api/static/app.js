// gapwatch operator dashboard: log-in, live feed, map, alert board and technician view.
import { Api, EventFeed } from "./api.js";
import { AlertBoard } from "./board.js";
import { formatNumber, formatPercent, joinList, language, preferredLanguage, t, tCode, useLanguage } from "./i18n.js";
import { SiteMap, addHillshade } from "./map.js";
import { TechView } from "./tech.js";

const TOKEN_KEY = "gapwatch.token";
const LOGIN_NOTE_KEY = "gapwatch.loginNote";
const SAFETY_REFRESH_MS = 60000;

const state = {
  api: null,
  session: null,
  map: null,
  board: null,
  tech: null,
  feed: null,
  mapData: null,
  mapNote: null,
  activeAlerts: 0,
  view: "operator",
  filter: "active",
  timers: {},
};

function $(id) {
  return document.getElementById(id);
}

/** Run `task` once, `ms` after the last call for `name`: bursts of events cost one fetch. */
function schedule(name, ms, task) {
  clearTimeout(state.timers[name]);
  state.timers[name] = setTimeout(() => {
    task().catch((e) => {
      if (e.status !== 401) console.warn(name, e);
    });
  }, ms);
}

// ------------------------------------------------------------------ names shown for ids

const names = {
  zone(id) {
    const f = state.mapData && state.mapData.zones.features.find((x) => x.properties.id === id);
    return f ? f.properties.name : id;
  },
  camera(id) {
    const f = state.mapData && state.mapData.cameras.features.find((x) => x.properties.id === id);
    return f ? `${id} ${f.properties.name}` : id;
  },
  faults(id) {
    const f = state.mapData && state.mapData.cameras.features.find((x) => x.properties.id === id);
    return f ? f.properties.faults : [];
  },
  unit(id) {
    const f = state.mapData && state.mapData.patrol_units.features.find((x) => x.properties.id === id);
    return f ? `${f.properties.name} (${id})` : id;
  },
};

// ------------------------------------------------------------------ log-in

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

function signOut(noteKey) {
  sessionStorage.removeItem(TOKEN_KEY);
  if (noteKey) sessionStorage.setItem(LOGIN_NOTE_KEY, noteKey);
  else sessionStorage.removeItem(LOGIN_NOTE_KEY);
  // A fresh page drops every timer, stream and picture of the old session.
  location.reload();
}

async function signIn(token) {
  const api = new Api(token, { onUnauthorized: () => signOut("login.expired") });
  const response = await fetch("/api/v1/dashboard/session", { headers: api.headers() });
  if (response.status === 401) return "login.invalid";
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
  const data = await state.api.get("/api/v1/dashboard/map");
  state.mapData = data;
  state.map.setSite(data);
  updateKpis();
  renderFaulty();
  if (state.board) state.board.render();
  fillAssignees();
}

/** Cameras that are not giving a good picture now, worst first; a click shows one on the map. */
function renderFaulty() {
  if (!state.mapData) return;
  const order = { offline: 0, degraded: 1 };
  const faulty = state.mapData.cameras.features
    .map((f) => f.properties)
    .filter((p) => p.status in order)
    .sort((a, b) => order[a.status] - order[b.status] || a.id.localeCompare(b.id));
  $("faulty-count").textContent = String(faulty.length);
  $("faulty-empty").hidden = faulty.length > 0;
  $("faulty-rows").replaceChildren(
    ...faulty.map((p) => {
      const row = document.createElement("tr");
      row.className = "clickable";
      row.dataset.camera = p.id;
      const name = document.createElement("td");
      const id = document.createElement("span");
      id.className = "mono";
      id.textContent = p.id;
      name.append(id, ` ${p.name}`);
      const status = document.createElement("td");
      const badge = document.createElement("span");
      badge.className = `status ${p.status}`;
      badge.textContent = tCode("status", p.status);
      status.append(badge);
      const faults = document.createElement("td");
      faults.textContent = joinList(p.faults.map((f) => tCode("fault", f))) || "–";
      row.append(name, status, faults);
      row.addEventListener("click", () => state.map.flyToCamera(p.id));
      return row;
    }),
  );
}

async function refreshBlindSpots() {
  state.map.setBlindSpots(await state.api.get("/api/v1/blind-spots"));
}

async function refreshAlerts() {
  const query = state.filter === "active" ? "status=active&limit=200" : "limit=200";
  const page = await state.api.get(`/api/v1/alerts?${query}`);
  state.board.setAlerts(page.items);
  const active = state.filter === "active" ? page.total : page.items.filter((a) => a.status !== "resolved").length;
  const box = $("kpi-alerts");
  box.textContent = formatNumber(active);
  box.classList.toggle("bad", active > 0);
  state.activeAlerts = active;
  renderTitle();
}

function refreshAll() {
  schedule("map", 0, refreshMap);
  schedule("blind", 0, refreshBlindSpots);
  schedule("alerts", 0, refreshAlerts);
  if (state.view === "technician") schedule("tech", 0, () => state.tech.load());
}

/** The tab title counts active alerts, so a background tab still tells the room. */
function renderTitle() {
  const count = state.activeAlerts;
  document.title = count ? `(${count}) ${t("app.title")}` : t("app.title");
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
  const count = { ok: 0, degraded: 0, offline: 0, unknown: 0 };
  for (const f of data.cameras.features) count[f.properties.status] = (count[f.properties.status] || 0) + 1;
  const cameras = $("kpi-cameras");
  cameras.textContent = `${count.ok + count.unknown}/${count.degraded}/${count.offline}`;
  cameras.classList.toggle("bad", count.degraded + count.offline > 0);
}

function fillAssignees() {
  const units = state.mapData ? state.mapData.patrol_units.features : [];
  $("assignees").replaceChildren(
    ...units.map((f) => {
      const option = document.createElement("option");
      option.value = f.properties.id;
      option.label = f.properties.name;
      return option;
    }),
  );
}

// ------------------------------------------------------------------ live events

function onEvent(type) {
  if (type === "camera.state") {
    schedule("map", 400, refreshMap);
    schedule("blind", 400, refreshBlindSpots);
    if (state.view === "technician") schedule("tech", 1500, () => state.tech.load());
  }
  if (type.startsWith("alert.") || type.startsWith("task.")) {
    schedule("alerts", 200, refreshAlerts);
    schedule("map", 600, refreshMap); // patrol units become busy or free
  }
}

function onFeedState(feedState) {
  const box = $("feed-state");
  box.dataset.state = feedState;
  const text = $("feed-text");
  text.dataset.i18n = `feed.${feedState}`;
  text.textContent = t(`feed.${feedState}`);
}

// ------------------------------------------------------------------ views, language, clock

function setView(view) {
  state.view = view;
  document.body.classList.toggle("technician", view === "technician");
  for (const tab of document.querySelectorAll(".view-tab")) tab.classList.toggle("active", tab.dataset.view === view);
  $("operator-view").hidden = view !== "operator";
  $("technician-view").hidden = view !== "technician";
  if (view === "technician") state.tech.load();
  else state.map.setAudit(null);
  state.map.invalidate();
}

function renderWho() {
  const s = state.session;
  if (!s) return;
  const who = $("who");
  const name = document.createElement("b");
  name.textContent = s.name;
  who.replaceChildren(name, ` · ${tCode("role", s.role)}`);
  $("site-name").textContent = s.site_name;
}

async function switchLanguage() {
  await useLanguage(language() === "zh-CN" ? "en" : "zh-CN");
  renderTitle();
  if (!state.session) return;
  renderWho();
  onFeedState($("feed-state").dataset.state);
  if (state.mapData) state.map.setSite(state.mapData);
  updateKpis();
  renderFaulty();
  state.board.render();
  state.tech.render();
  state.tech.renderHistory();
  if (state.mapNote) showMapNote(state.mapNote);
}

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

// ------------------------------------------------------------------ start

function start() {
  $("login").hidden = true;
  $("app").hidden = false;
  renderWho();
  const params = new URLSearchParams(location.search);
  // ?tiles= lets one screen try a tile server without changing the service's setting.
  const asked = params.get("tiles");
  const tileUrl = asked && /^https?:\/\//.test(asked) ? asked : state.session.tile_url;
  state.map = new SiteMap($("map"), {
    tileUrl,
    tileAttribution: state.session.tile_attribution,
    onCamera: (id) => {
      if (state.view === "technician") state.tech.showHistory(id);
    },
    onNote: (key) => showMapNote(key),
  });
  addHillshade(state.map, state.api).catch((error) => console.warn("hillshade", error));
  const can = (permission) => state.session.permissions.includes(permission);
  state.board = new AlertBoard({
    api: state.api,
    map: state.map,
    can,
    names,
    onChanged: () => schedule("alerts", 100, refreshAlerts),
  });
  state.tech = new TechView({ api: state.api, map: state.map, names, siteId: state.session.site_id, can });
  for (const tab of document.querySelectorAll(".view-tab")) tab.addEventListener("click", () => setView(tab.dataset.view));
  for (const button of document.querySelectorAll(".seg-btn")) {
    button.addEventListener("click", () => {
      state.filter = button.dataset.filter;
      for (const b of document.querySelectorAll(".seg-btn")) b.classList.toggle("active", b === button);
      schedule("alerts", 0, refreshAlerts);
    });
  }
  $("logout").addEventListener("click", () => signOut(null));
  $("fit-all").addEventListener("click", () => state.map.fitAll());
  state.feed = new EventFeed(state.api, {
    onEvent,
    onState: onFeedState,
    // Everything is re-read once the stream is open, so nothing between load and open is lost.
    onOpen: refreshAll,
  });
  state.feed.start();
  setInterval(refreshAll, SAFETY_REFRESH_MS);
  setInterval(() => state.board.render(), 30000); // ages ("3 minutes ago") move on
  tick();
  setInterval(tick, 1000);
}

async function boot() {
  await useLanguage(preferredLanguage());
  document.title = t("app.title");
  for (const button of document.querySelectorAll(".lang-toggle")) button.addEventListener("click", switchLanguage);
  $("login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const token = $("token").value.trim();
    if (!token) return;
    $("login-submit").disabled = true;
    try {
      const problem = await signIn(token);
      if (problem) showLogin(problem);
    } catch (error) {
      console.error("sign-in failed", error);
      showLogin("login.unavailable");
    } finally {
      $("login-submit").disabled = false;
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
