// The technician's view: the coverage audit with today's faults, camera health and exports.
import { formatAge, formatNumber, formatPercent, formatTime, joinList, t, tCode } from "./i18n.js";
import { coverageColour } from "./map.js";

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined) continue;
    if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function bar(ratio) {
  const width = Math.max(0, Math.min(1, ratio ?? 0)) * 100;
  return el(
    "div",
    { class: "bar" },
    el("i", { style: `width:${width}%;background:${coverageColour(ratio)}` }),
    el("span", {}, formatPercent(ratio)),
  );
}

export class TechView {
  constructor({ api, map, names, siteId, can }) {
    this.api = api;
    this.can = can;
    this.map = map;
    this.names = names;
    this.siteId = siteId;
    this.audit = null;
    this.cameras = [];
    this.historyCamera = null;
    this.history = null;
    this.loading = null;
    document.getElementById("probe-now").addEventListener("click", () => this.maintain("probe"));
    document.getElementById("reset-baseline").addEventListener("click", () => this.maintain("reset"));
    for (const el of document.querySelectorAll(".maintain-only")) el.hidden = !can("maintain");
    for (const button of document.querySelectorAll("[data-export]")) {
      button.addEventListener("click", () => this.download(button.dataset.export));
    }
  }

  async load() {
    if (this.loading) return this.loading;
    const state = document.getElementById("audit-state");
    state.textContent = t("tech.computing");
    this.loading = (async () => {
      try {
        const [audit, cameras] = await Promise.all([
          this.api.get("/api/v1/dashboard/audit"),
          this.api.get("/api/v1/cameras"),
        ]);
        this.audit = audit;
        this.cameras = cameras;
        state.textContent = t("tech.updated", { time: formatTime(new Date().toISOString()) });
        this.render();
        this.map.setAudit(audit);
        if (this.historyCamera) await this.showHistory(this.historyCamera);
      } catch (e) {
        if (e.status !== 401) state.textContent = `${t("tech.failed")}: ${e.message}`;
      } finally {
        this.loading = null;
      }
    })();
    return this.loading;
  }

  render() {
    const a = this.audit;
    if (!a) return;
    const s = a.summary;
    const kpi = (value, label, met) =>
      el("div", { class: "audit-kpi" },
        el("div", { class: `v ${met === undefined ? "" : met ? "met" : "miss"}` }, value),
        el("div", { class: "l" }, label));
    document.getElementById("audit-kpis").replaceChildren(
      kpi(formatPercent(s.working_share), t("tech.workingShare", { target: formatPercent(s.working_share_target, 0) }), s.working_share_met),
      kpi(formatPercent(s.critical_coverage_ratio), t("tech.criticalCoverage", { target: formatPercent(s.critical_coverage_target, 0) }), s.critical_coverage_met),
      kpi(formatPercent(s.coverage_ratio), t("tech.coverage")),
      kpi(`${formatNumber(s.blind_spots)} · ${formatNumber(s.blind_m2)} m²`, t("tech.blind")),
    );
    document.getElementById("zone-rows").replaceChildren(
      ...a.zones.map((z) => {
        const row = el("tr", { class: "clickable", dataset: { zone: z.id } },
          el("td", {}, z.name),
          el("td", { class: "num" }, z.importance),
          el("td", {}, bar(z.coverage_ratio)),
          el("td", { class: "num" }, formatNumber(z.blind_m2)));
        row.addEventListener("click", () => this.flyToZone(z.id));
        return row;
      }),
    );
    document.getElementById("worst-rows").replaceChildren(
      ...s.worst_failures.map((w, i) => {
        const row = el("tr", { class: "clickable" },
          el("td", { class: "num" }, i + 1),
          el("td", {}, `${w.camera} ${w.name}`),
          el("td", { class: "num" }, formatNumber(w.failure_gap_m2)),
          el("td", { class: "num" }, formatNumber(w.weighted_m2)),
          el("td", {}, joinList(w.zones.map((z) => this.names.zone(z)))));
        row.addEventListener("click", () => this.map.flyToCamera(w.camera));
        return row;
      }),
    );
    document.getElementById("suggest-rows").replaceChildren(
      ...s.suggestions.map((p, i) => {
        let where;
        if (p.kind === "new_camera" && p.location) {
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
          const feature = a.suggestions.features.find((f) => f.properties.rank === i + 1);
          if (feature) this.map.flyToGeometry(feature.geometry);
          else if (p.location) this.map.flyTo(p.location[0], p.location[1]);
          else if (p.camera) this.map.flyToCamera(p.camera);
        });
        return row;
      }),
    );
    this.renderCameras();
  }

  renderCameras() {
    const order = { offline: 0, degraded: 1, unknown: 2, ok: 3 };
    const cameras = [...this.cameras].sort((x, y) => order[x.status] - order[y.status] || x.id.localeCompare(y.id));
    document.getElementById("camera-rows").replaceChildren(
      ...cameras.map((c) => {
        const row = el("tr", { class: `clickable${c.id === this.historyCamera ? " selected" : ""}`, dataset: { camera: c.id } },
          el("td", {}, el("span", { class: "mono" }, c.id), " ", c.name),
          el("td", {}, el("span", { class: `status ${c.status}` }, tCode("status", c.status))),
          el("td", {}, joinList(c.faults.map((f) => tCode("fault", f))) || "–"),
          el("td", { title: c.since || "" }, c.since ? formatAge(c.since) : "–"));
        row.addEventListener("click", () => this.showHistory(c.id));
        return row;
      }),
    );
  }

  async showHistory(id) {
    if (id !== this.historyCamera) document.getElementById("camera-action").textContent = "";
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
    const box = document.getElementById("history");
    box.hidden = !page;
    if (!page) return;
    document.getElementById("history-camera").textContent = this.names.camera(this.historyCamera);
    const oldestFirst = [...page.items].reverse();
    document.getElementById("history-strip").replaceChildren(
      ...oldestFirst.map((p) => el("i", { class: p.status, title: `${formatTime(p.at)} ${tCode("status", p.status)}` })),
    );
    document.getElementById("history-rows").replaceChildren(
      ...page.items.slice(0, 12).map((p) =>
        el("tr", {},
          el("td", { class: "mono" }, formatTime(p.at)),
          el("td", {}, el("span", { class: `status ${p.status}` }, tCode("status", p.status))),
          el("td", { title: p.reason || "" }, joinList(p.faults.map((f) => tCode("fault", f))) || "–"),
          el("td", { class: "num" }, `${formatNumber(p.elapsed_s, 2)} s`)),
      ),
    );
  }

  /** A technician's hand on the camera: probe it now, or forget its learned picture. */
  async maintain(action) {
    const id = this.historyCamera;
    const note = document.getElementById("camera-action");
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

  flyToZone(id) {
    const data = this.map.data;
    const zone = data && data.zones.features.find((f) => f.properties.id === id);
    if (zone) this.map.flyToGeometry(zone.geometry);
  }

  async download(name) {
    const state = document.getElementById("audit-state");
    try {
      const blob = await this.api.blob(`/api/v1/dashboard/exports/${name}`);
      const url = URL.createObjectURL(blob);
      const link = el("a", { href: url, download: `${this.siteId}-${name}` });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    } catch (e) {
      if (e.status !== 401) state.textContent = `${t("tech.failed")}: ${e.message}`;
    }
  }
}
