// @ts-check
// The technician's view: the coverage audit with today's faults, camera health and exports.
import { el } from "./board.js";
import { formatAge, formatNumber, formatPercent, formatTime, joinList, localName, t, tCode } from "./i18n.js";
import { coverageColour } from "./map.js";

/** @param {string} id */
function byId(id) {
  return /** @type {HTMLElement} */ (document.getElementById(id));
}

/** @param {number | null | undefined} ratio */
function bar(ratio) {
  const width = Math.max(0, Math.min(1, ratio ?? 0)) * 100;
  return el(
    "div",
    { class: "bar" },
    el("i", { style: `width:${width}%;background:${coverageColour(ratio)}` }),
    el("span", {}, formatPercent(ratio)),
  );
}

/** Cameras in one page of the technician's table (the table's data-page, if set, says otherwise). */
const CAMERA_PAGE = 200;

function pageSize() {
  return Number(byId("camera-rows").dataset.page) || CAMERA_PAGE;
}

export class TechView {
  /**
   * @param {{api: any, map: any, names: any, siteId: string, can: (p: string) => boolean}} options
   */
  constructor({ api, map, names, siteId, can }) {
    this.api = api;
    this.can = can;
    this.map = map;
    this.names = names;
    this.siteId = siteId;
    /** @type {any} */
    this.audit = null;
    /** @type {any[]} the page of cameras shown */
    this.cameras = [];
    /** How many cameras match the filter (the API's X-Total-Count). */
    this.cameraTotal = 0;
    /** @type {{status: string, zone: string, offset: number}} what the camera table asks for */
    this.cameraQuery = { status: "problems", zone: "", offset: 0 };
    /** @type {string | null} */
    this.historyCamera = null;
    /** @type {any} */
    this.history = null;
    /** @type {Promise<void> | null} */
    this.loading = null;
    /** @type {{key: string, at?: string, error?: string}} what the state line says, re-said in a new language */
    this.stateLine = { key: "" };
    byId("probe-now").addEventListener("click", () => this.maintain("probe"));
    byId("reset-baseline").addEventListener("click", () => this.maintain("reset"));
    for (const node of document.querySelectorAll(".maintain-only")) /** @type {HTMLElement} */ (node).hidden = !can("maintain");
    const status = /** @type {HTMLSelectElement} */ (byId("cam-status"));
    const zone = /** @type {HTMLSelectElement} */ (byId("cam-zone"));
    const refilter = () => {
      this.cameraQuery = { status: status.value, zone: zone.value, offset: 0 };
      this.reloadCameras();
    };
    status.addEventListener("change", refilter);
    zone.addEventListener("change", refilter);
    byId("cam-prev").addEventListener("click", () => this.turnPage(-1));
    byId("cam-next").addEventListener("click", () => this.turnPage(1));
    for (const node of document.querySelectorAll("[data-export]")) {
      const button = /** @type {HTMLElement} */ (node);
      button.addEventListener("click", () => this.download(button.dataset.export || ""));
    }
  }

  /** @param {{key: string, at?: string, error?: string}} line */
  setState(line) {
    this.stateLine = line;
    this.renderState();
  }

  renderState() {
    const line = this.stateLine;
    const state = byId("audit-state");
    if (!line.key) state.textContent = "";
    else if (line.error) state.textContent = `${t(line.key)}: ${line.error}`;
    else state.textContent = t(line.key, { time: line.at ? formatTime(line.at) : "" });
  }

  async load() {
    if (this.loading) return this.loading;
    this.setState({ key: "tech.computing" });
    this.loading = (async () => {
      try {
        const [audit, cameras] = await Promise.all([
          this.api.get("/api/v1/dashboard/audit"),
          this.fetchCameras(),
        ]);
        this.audit = audit;
        this.showCameras(cameras);
        this.setState({ key: "tech.updated", at: new Date().toISOString() });
        this.render();
        this.map.setAudit(audit);
        if (this.historyCamera) await this.showHistory(this.historyCamera);
      } catch (e) {
        if (e.status !== 401) this.setState({ key: "tech.failed", error: e.message });
      } finally {
        this.loading = null;
      }
    })();
    return this.loading;
  }

  /**
   * One page of the camera table (a county-wide site has tens of thousands of cameras).
   * @returns {Promise<{items: any[], total: number, query: {status: string, zone: string, offset: number}}>}
   */
  async fetchCameras() {
    const query = { ...this.cameraQuery };
    const params = new URLSearchParams({ limit: String(pageSize()), offset: String(query.offset) });
    // "Problems" are the cameras down by the down rule: offline, degraded, or flapping.
    if (query.status === "problems") params.set("down", "true");
    else if (query.status) params.append("status", query.status);
    if (query.zone) params.set("zone", query.zone);
    const response = await this.api.request("GET", `/api/v1/cameras?${params}`);
    const items = await response.json();
    return { items, total: Number(response.headers.get("X-Total-Count") ?? items.length), query };
  }

  /** @param {{items: any[], total: number, query: {status: string, zone: string, offset: number}}} page */
  showCameras(page) {
    const q = this.cameraQuery;
    // A page asked for before the filter changed is not this filter's.
    if (page.query.status !== q.status || page.query.zone !== q.zone || page.query.offset !== q.offset) return;
    this.cameras = page.items;
    this.cameraTotal = page.total;
  }

  async reloadCameras() {
    try {
      this.showCameras(await this.fetchCameras());
      this.renderCameras();
    } catch (e) {
      if (e.status !== 401) this.setState({ key: "tech.failed", error: e.message });
    }
  }

  /** @param {number} step */
  turnPage(step) {
    const offset = this.cameraQuery.offset + step * pageSize();
    if (offset < 0 || offset >= this.cameraTotal) return;
    this.cameraQuery = { ...this.cameraQuery, offset };
    this.reloadCameras();
  }

  fillZoneChoices() {
    const select = /** @type {HTMLSelectElement} */ (byId("cam-zone"));
    const first = /** @type {HTMLOptionElement} */ (select.options[0]);
    const chosen = select.value;
    const zones = this.audit ? this.audit.zones : [];
    select.replaceChildren(
      first,
      ...zones.map((/** @type {any} */ z) => {
        const option = document.createElement("option");
        option.value = z.id;
        option.textContent = this.names.zone(z.id) || z.name;
        return option;
      }),
    );
    select.value = chosen;
  }

  render() {
    this.renderState();
    const a = this.audit;
    if (!a) return;
    const s = a.summary;
    /** @type {(value: string, label: string, met?: boolean) => HTMLElement} */
    const kpi = (value, label, met) =>
      el("div", { class: "audit-kpi" },
        el("div", { class: `v ${met === undefined ? "" : met ? "met" : "miss"}` }, value),
        el("div", { class: "l" }, label));
    byId("audit-kpis").replaceChildren(
      kpi(formatPercent(s.working_share), t("tech.workingShare", { target: formatPercent(s.working_share_target, 0) }), s.working_share_met),
      kpi(formatPercent(s.critical_coverage_ratio), t("tech.criticalCoverage", { target: formatPercent(s.critical_coverage_target, 0) }), s.critical_coverage_met),
      kpi(formatPercent(s.coverage_ratio), t("tech.coverage")),
      kpi(`${formatNumber(s.blind_m2)} m²`, s.blind_spots === 1 ? t("tech.blindOne") : t("tech.blindMany", { n: formatNumber(s.blind_spots) })),
    );
    byId("zone-rows").replaceChildren(
      ...a.zones.map((/** @type {any} */ z) => {
        const row = el("tr", { class: "clickable", dataset: { zone: z.id } },
          el("td", {}, this.names.zone(z.id) || z.name),
          el("td", { class: "num" }, z.importance),
          el("td", {}, bar(z.coverage_ratio)),
          el("td", { class: "num" }, formatNumber(z.blind_m2)));
        row.addEventListener("click", () => this.flyToZone(z.id));
        return row;
      }),
    );
    byId("worst-rows").replaceChildren(
      ...s.worst_failures.map((/** @type {any} */ w, /** @type {number} */ i) => {
        const row = el("tr", { class: "clickable" },
          el("td", { class: "num" }, i + 1),
          el("td", {}, this.names.camera(w.camera)),
          el("td", { class: "num" }, formatNumber(w.failure_gap_m2)),
          el("td", { class: "num" }, formatNumber(w.weighted_m2)),
          el("td", {}, joinList(w.zones.map((/** @type {string} */ z) => this.names.zone(z)))));
        row.addEventListener("click", () => this.map.flyToCamera(w.camera));
        return row;
      }),
    );
    byId("suggest-rows").replaceChildren(
      ...s.suggestions.map((/** @type {any} */ p, /** @type {number} */ i) => {
        let where;
        if (p.kind === "repair_camera") {
          where = t("suggest.repair", { camera: p.camera ? this.names.camera(p.camera) : "–" });
        } else if (p.kind === "new_camera" && p.location) {
          where = t("suggest.newAt", { lon: p.location[0].toFixed(6), lat: p.location[1].toFixed(6), heading: formatNumber(p.heading_deg) });
        } else if (p.preset) {
          where = t("suggest.preset", { camera: p.camera, preset: p.preset });
        } else {
          where = t("suggest.heading", { camera: p.camera ?? "–", heading: formatNumber(p.heading_deg ?? 0) });
        }
        const row = el("tr", { class: "clickable" },
          el("td", { class: "num" }, i + 1),
          el("td", {}, tCode("suggestKind", p.kind)),
          el("td", {}, where),
          el("td", { class: "num" }, `+${formatNumber(p.gain_m2)}`));
        row.addEventListener("click", () => {
          const feature = a.suggestions.features.find((/** @type {any} */ f) => f.properties.rank === i + 1);
          if (feature) this.map.flyToGeometry(feature.geometry);
          else if (p.location) this.map.flyTo(p.location[0], p.location[1]);
          else if (p.camera) this.map.flyToCamera(p.camera);
        });
        return row;
      }),
    );
    this.fillZoneChoices();
    this.renderCameras();
  }

  renderCameras() {
    /** @type {Record<string, number>} */
    const order = { offline: 0, degraded: 1, unknown: 2, ok: 3 };
    // Within the page the worst first; pages follow the site file.
    const cameras = [...this.cameras].sort((x, y) => order[x.status] - order[y.status] || x.id.localeCompare(y.id));
    const { offset, status } = this.cameraQuery;
    const total = this.cameraTotal;
    byId("cam-count").textContent = total
      ? t("camList.range", { from: formatNumber(offset + 1), to: formatNumber(offset + cameras.length), total: formatNumber(total) })
      : "";
    /** @type {HTMLButtonElement} */ (byId("cam-prev")).disabled = offset <= 0;
    /** @type {HTMLButtonElement} */ (byId("cam-next")).disabled = offset + pageSize() >= total;
    const empty = byId("camera-empty");
    empty.hidden = cameras.length > 0;
    empty.textContent = status === "problems" && !this.cameraQuery.zone ? t("camList.noProblems") : t("camList.none");
    byId("camera-rows").replaceChildren(
      ...cameras.map((c) => {
        const full = this.names.camera(c.id);
        const label = full.startsWith(`${c.id} `) ? full.slice(c.id.length + 1) : localName(c);
        const row = el("tr", { class: `clickable${c.id === this.historyCamera ? " selected" : ""}`, dataset: { camera: c.id } },
          // The site map knows the English name; the camera list gives the Chinese one only.
          el("td", {}, el("span", { class: "mono" }, c.id), " ", label),
          el("td", {}, el("span", { class: `status ${c.status}` }, tCode("status", c.status)), c.flapping ? ` · ${t("camera.flapping")}` : ""),
          el("td", {}, joinList(c.faults.map((/** @type {string} */ f) => tCode("fault", f))) || "–"),
          el("td", { title: c.since || "" }, c.since ? formatAge(c.since) : "–"));
        row.addEventListener("click", () => this.showHistory(c.id));
        return row;
      }),
    );
  }

  /** @param {string} id */
  async showHistory(id) {
    if (id !== this.historyCamera) byId("camera-action").textContent = "";
    this.historyCamera = id;
    this.renderCameras();
    this.map.flyToCamera(id);
    const page = await this.api.get(`/api/v1/cameras/${encodeURIComponent(id)}/history?limit=60`);
    if (this.historyCamera !== id) return;
    this.history = page;
    this.renderHistory();
  }

  renderHistory() {
    const page = this.history;
    const box = byId("history");
    box.hidden = !page;
    if (!page) return;
    byId("history-camera").textContent = this.names.camera(this.historyCamera);
    const oldestFirst = [...page.items].reverse();
    byId("history-strip").replaceChildren(
      ...oldestFirst.map((/** @type {any} */ p) => el("i", { class: p.status, title: `${formatTime(p.at)} ${tCode("status", p.status)}` })),
    );
    byId("history-rows").replaceChildren(
      ...page.items.slice(0, 12).map((/** @type {any} */ p) =>
        el("tr", {},
          el("td", { class: "mono" }, formatTime(p.at)),
          el("td", {}, el("span", { class: `status ${p.status}` }, tCode("status", p.status))),
          el("td", { title: p.reason || "" }, joinList(p.faults.map((/** @type {string} */ f) => tCode("fault", f))) || "–"),
          el("td", { class: "num" }, `${formatNumber(p.elapsed_s, 2)} s`)),
      ),
    );
  }

  /** A technician's hand on the camera: probe it now, or forget its learned picture. */
  /** @param {"probe" | "reset"} action */
  async maintain(action) {
    const id = this.historyCamera;
    const note = byId("camera-action");
    if (!id) return;
    const camera = encodeURIComponent(id);
    try {
      if (action === "probe") {
        await this.api.post(`/api/v1/cameras/${camera}/probe`);
        note.textContent = t("camera.probeQueued");
        // A verdict that changes nothing sends no event: look at the history again shortly.
        for (const ms of [4000, 12000]) {
          setTimeout(() => {
            if (this.historyCamera === id) this.showHistory(id).catch(() => {});
          }, ms);
        }
      } else {
        if (!window.confirm(t("camera.resetConfirm", { camera: id }))) return;
        await this.api.request("POST", `/api/v1/cameras/${camera}/baseline/reset`, {});
        note.textContent = t("camera.baselineReset");
      }
    } catch (e) {
      if (e.status !== 401) note.textContent = `${t("action.failed")}: ${e.message}`;
    }
  }

  /** @param {string} id */
  flyToZone(id) {
    const data = this.map.data;
    const zone = data && data.zones.features.find((/** @type {any} */ f) => f.properties.id === id);
    if (zone) this.map.flyToGeometry(zone.geometry);
  }

  /** @param {string} name */
  async download(name) {
    try {
      const blob = await this.api.blob(`/api/v1/dashboard/exports/${name}`);
      const url = URL.createObjectURL(blob);
      const link = el("a", { href: url, download: `${this.siteId}-${name}` });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    } catch (e) {
      if (e.status !== 401) this.setState({ key: "tech.failed", error: e.message });
    }
  }
}
