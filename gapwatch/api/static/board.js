// @ts-check
// The alert board: alerts by severity, the selected alert's tasks, record, actions and pictures.
import {
  bracket,
  formatAge,
  formatDuration,
  formatNumber,
  formatPercent,
  formatTime,
  joinList,
  t,
  tCode,
} from "./i18n.js";

const ACTIVE_TASK = new Set(["pending", "dispatched", "accepted", "en_route", "on_scene"]);
const DONE_TASK = new Set(["cleared", "done"]);

/**
 * @typedef {{id: string, alert_id: string, kind: string, status: string, assignee: string | null,
 *   payload: any, created_at: string, updated_at: string}} Task
 * @typedef {{id: string, kind: string, status: string, severity: number, cameras: string[],
 *   zones: string[], blind_spot_m2: number, blind_spots: any[], flapping: boolean, silenced: boolean,
 *   opened_at: string, acknowledged_at: string | null, acknowledged_by: string | null,
 *   resolved_at: string | null, resolved_by: string | null, resolution: string | null,
 *   assignee: string | null, escalation_level: number, tasks: Task[]}} Alert
 * @typedef {{at: string, actor: string, source: string, action: string, task_id: string | null,
 *   task_kind: string | null, from_status: string | null, to_status: string | null,
 *   note: string | null, detail: any}} TimelineEntry
 * @typedef {{zone: (id: string) => string, camera: (id: string) => string,
 *   faults: (id: string) => string[], unit: (id: string) => string, actor: (name: string) => string}} Names
 */

/**
 * @param {string} tag
 * @param {Record<string, any>} [attrs]
 * @param {...any} children
 * @returns {HTMLElement}
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** @param {string} id */
function byId(id) {
  return /** @type {HTMLElement} */ (document.getElementById(id));
}

/** @param {string} id */
function button(id) {
  return /** @type {HTMLButtonElement} */ (document.getElementById(id));
}

/** @param {string} status */
function taskClass(status) {
  if (DONE_TASK.has(status)) return "task-done";
  if (status === "rejected" || status === "cancelled") return "task-bad";
  return ACTIVE_TASK.has(status) ? "task-active" : "";
}

export class AlertBoard {
  /**
   * @param {{api: any, map: any, can: (p: string) => boolean, names: Names, onChanged: () => void,
   *   canLook: () => boolean}} options
   */
  constructor({ api, map, can, names, onChanged, canLook }) {
    this.api = api;
    this.map = map;
    this.can = can;
    this.names = names;
    this.onChanged = onChanged;
    this.canLook = canLook;
    /** @type {Alert[]} */
    this.alerts = [];
    /** @type {Set<string> | null} */
    this.known = null;
    /** @type {Set<string>} */
    this.fresh = new Set();
    /** @type {string | null} */
    this.selected = null;
    /** @type {string | null} */
    this.pictureCamera = null;
    /** @type {string[]} */
    this.pictureUrls = [];
    /** @type {{alertId: string, entries: TimelineEntry[]} | null} */
    this.timeline = null;
    /** @type {{box: HTMLElement, key: string, vars: Record<string, string>, stale: boolean}[]} */
    this.pictureMeta = [];
    this.list = byId("alert-list");
    this.empty = byId("alert-empty");
    this.detail = byId("alert-detail");
    this.cameraSelect = /** @type {HTMLSelectElement} */ (byId("picture-camera"));
    button("act-ack").addEventListener("click", () => this.act("ack"));
    button("act-resolve").addEventListener("click", () => this.askResolve());
    byId("resolve-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.resolve();
    });
    button("resolve-cancel").addEventListener("click", () => {
      byId("resolve-form").hidden = true;
    });
    byId("note-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.addNote();
    });
    byId("act-cap").addEventListener("click", (event) => {
      event.preventDefault();
      this.downloadCap();
    });
    button("act-assign").addEventListener("click", () => this.assign());
    button("pic-refresh").addEventListener("click", () => this.loadPictures(true));
    this.cameraSelect.addEventListener("change", () => {
      this.pictureCamera = this.cameraSelect.value;
      this.loadPictures(true);
    });
  }

  /** @param {Alert[]} alerts */
  setAlerts(alerts) {
    const ids = new Set(alerts.map((a) => a.id));
    if (this.known !== null) {
      for (const a of alerts) if (!this.known.has(a.id)) this.fresh.add(a.id);
    }
    this.known = ids;
    this.alerts = alerts;
    if (this.selected && !ids.has(this.selected)) this.selected = null;
    this.render();
    if (this.selected) this.loadTimeline();
  }

  get current() {
    return this.alerts.find((a) => a.id === this.selected) || null;
  }

  render() {
    this.list.replaceChildren(...this.alerts.map((a) => this.card(a)));
    this.fresh.clear();
    this.empty.hidden = this.alerts.length > 0;
    this.renderDetail();
    this.renderPictureMeta();
  }

  /** @param {Alert} a */
  card(a) {
    const zones = joinList(a.zones.map((z) => this.names.zone(z)));
    const tasks = a.tasks.map((task) =>
      el(
        "span",
        { class: `chip ${taskClass(task.status)}`, dataset: { taskKind: task.kind, taskStatus: task.status } },
        `${tCode("task", task.kind)} · ${tCode("taskStatus", task.status)}`,
        task.kind === "road_patrol" && task.assignee ? ` · ${this.names.unit(task.assignee)}` : "",
      ),
    );
    const escalated = a.escalation_level > 0 && a.status !== "resolved";
    const item = el(
      "li",
      {
        class: `alert sev${a.severity}${a.id === this.selected ? " selected" : ""}${this.fresh.has(a.id) ? " fresh" : ""}${escalated ? " escalated" : ""}`,
        dataset: { alertId: a.id, status: a.status, kind: a.kind, severity: String(a.severity) },
        tabindex: "0",
      },
      el("div", { class: `sev s${a.severity}` }, el("b", {}, a.severity), el("span", {}, tCode("severity", a.severity))),
      el(
        "div",
        { class: "alert-title" },
        tCode("kind", a.kind),
        " ",
        el("span", { class: `chip st-${a.status}` }, tCode("alertStatus", a.status)),
        escalated ? el("span", { class: "chip escalation" }, t("alert.escalated", { n: a.escalation_level })) : null,
        a.silenced ? el("span", { class: "chip" }, t("detail.silenced")) : null,
      ),
      el("div", { class: "alert-time", title: a.opened_at }, formatTime(a.opened_at), el("br"), formatAge(a.opened_at)),
      el("div", { class: "alert-where" }, zones || t("alert.noZone")),
      el(
        "div",
        { class: "alert-cams" },
        `${t("alert.cameras")} ${joinList(a.cameras.map((c) => this.cameraWithFaults(c)))}`,
        " · ",
        el("b", { class: "blind-m2" }, t("alert.blindArea", { area: formatNumber(a.blind_spot_m2) })),
      ),
      el("div", { class: "alert-tasks" }, tasks),
    );
    item.addEventListener("click", () => this.select(a.id));
    item.addEventListener("keydown", (event) => {
      if (event.key === "Enter") this.select(a.id);
    });
    return item;
  }

  /**
   * "cam-a（黑屏）" / "cam-a (black)": the camera and what is wrong with its picture now.
   * @param {string} id
   * @param {string} [label]
   */
  cameraWithFaults(id, label = id) {
    const faults = this.names.faults(id);
    if (!faults.length) return label;
    return t("alert.cameraFaults", { camera: label, faults: joinList(faults.map((f) => tCode("fault", f))) });
  }

  /** @param {string} id */
  select(id) {
    const changed = id !== this.selected;
    this.selected = id;
    for (const node of this.list.children) {
      const item = /** @type {HTMLElement} */ (node);
      item.classList.toggle("selected", item.dataset.alertId === id);
    }
    const alert = this.current;
    if (changed) {
      this.pictureCamera = alert ? alert.cameras[0] : null;
      byId("action-error").hidden = true;
      byId("resolve-form").hidden = true;
      this.timeline = null;
    }
    this.renderDetail();
    this.map.showAlert(alert);
    if (changed) {
      this.loadPictures(true);
      this.loadTimeline();
      const card = this.list.querySelector(`[data-alert-id="${CSS.escape(id)}"]`);
      if (card) card.scrollIntoView({ block: "nearest" });
    }
  }

  renderDetail() {
    const a = this.current;
    this.detail.hidden = !a;
    if (!a) return;
    byId("detail-id").textContent = a.id;
    /** @type {[string, any][]} */
    const rows = [
      ["detail.kind", tCode("kind", a.kind)],
      ["detail.severity", `${a.severity} · ${tCode("severity", a.severity)}`],
      ["detail.status", tCode("alertStatus", a.status)],
      ["detail.opened", `${formatTime(a.opened_at)} ${bracket(formatAge(a.opened_at))}`],
      ["detail.cameras", joinList(a.cameras.map((c) => this.cameraWithFaults(c, this.names.camera(c))))],
      ["detail.zones", joinList(a.zones.map((z) => this.names.zone(z))) || "–"],
      ["detail.blind", `${formatNumber(a.blind_spot_m2)} m²`],
    ];
    if (a.acknowledged_at) {
      const took = formatDuration((Date.parse(a.acknowledged_at) - Date.parse(a.opened_at)) / 1000);
      rows.push(["detail.acknowledged", `${this.names.actor(a.acknowledged_by || "–")} · ${formatTime(a.acknowledged_at)} ${bracket(t("detail.after", { took }))}`]);
    }
    if (a.assignee) rows.push(["detail.assignee", this.names.unit(a.assignee)]);
    if (a.escalation_level) {
      rows.push(["detail.escalation", el("b", { class: "escalation-text" }, t("alert.escalated", { n: a.escalation_level }))]);
    }
    if (a.resolved_at) rows.push(["detail.resolved", `${this.names.actor(a.resolved_by || "–")} · ${formatTime(a.resolved_at)}`]);
    if (a.silenced) rows.push(["detail.silenced", t("common.yes")]);
    const summary = byId("detail-summary");
    summary.replaceChildren(...rows.flatMap(([key, value]) => [el("dt", {}, t(key)), el("dd", {}, value)]));
    const respond = this.can("respond");
    button("act-ack").disabled = !respond || a.status !== "open";
    button("act-resolve").disabled = !respond || a.status === "resolved";
    button("act-assign").disabled = !respond || a.status === "resolved";
    /** @type {HTMLInputElement} */ (byId("assign-input")).disabled = !respond || a.status === "resolved";
    byId("note-form").hidden = !respond;
    byId("task-rows").replaceChildren(...a.tasks.map((task) => this.taskRow(task)));
    const options = a.cameras.map((c) => el("option", { value: c }, this.names.camera(c)));
    this.cameraSelect.replaceChildren(...options);
    if (this.pictureCamera) this.cameraSelect.value = this.pictureCamera;
    this.renderTimeline();
  }

  /** @param {Task} task */
  taskRow(task) {
    const p = task.payload || {};
    /** @type {any} */
    let detail;
    if (task.kind === "video_patrol") {
      const views = (p.views || []).slice(0, 4).map(
        /** @param {any} v */ (v) =>
          v.preset
            ? t("task.viewPreset", { camera: v.camera, preset: v.preset, share: formatPercent(v.share, 0) })
            : t("task.view", { camera: v.camera, share: formatPercent(v.share, 0) }),
      );
      detail = views.length ? joinList(views) : t("task.noViews");
      const preset = (p.views || []).find(/** @param {any} v */ (v) => v.preset);
      if (preset && this.canLook() && this.can("respond") && ACTIVE_TASK.has(task.status)) {
        const look = el("button", { type: "button", class: "ghost small look-now", dataset: { taskId: task.id } }, t("task.lookNow"));
        look.addEventListener("click", (event) => {
          event.stopPropagation();
          this.lookNow(task);
        });
        detail = el("span", {}, detail, " ", look);
      }
    } else if (p.unit) {
      detail = t("task.route", {
        eta: formatDuration(p.eta_s || 0),
        distance: formatNumber(p.distance_m || 0),
      });
    } else {
      detail = t("task.noUnit");
    }
    if (task.kind === "road_patrol" && p.video_views === false) {
      // no working camera sees any of the gap: the unit is the only eye there
      detail = el("span", {}, detail, el("br"), el("small", { class: "warn" }, t("task.noVideoViews")));
    }
    const row = el(
      "tr",
      { dataset: { taskId: task.id, taskKind: task.kind, taskStatus: task.status } },
      el("td", {}, tCode("task", task.kind)),
      el("td", {}, el("span", { class: `chip ${taskClass(task.status)}` }, tCode("taskStatus", task.status))),
      el("td", {}, task.assignee ? this.names.unit(task.assignee) : "–"),
      el("td", {}, detail),
    );
    if (task.kind === "road_patrol") {
      row.classList.add("clickable");
      row.addEventListener("click", () => this.map.showAlert(this.current));
    }
    return row;
  }

  /**
   * Turn the PTZ camera of a video patrol to its preset now (the platforms' "look now").
   * @param {Task} task
   */
  async lookNow(task) {
    const error = byId("action-error");
    error.hidden = true;
    try {
      await this.api.post(`/api/v1/tasks/${encodeURIComponent(task.id)}/look`, {});
      this.loadPictures(true);
    } catch (e) {
      if (e.status === 401) return;
      error.textContent = `${t("action.failed")}: ${e.message}`;
      error.hidden = false;
    }
  }

  // ---------------------------------------------------------------- timeline

  async loadTimeline() {
    const id = this.selected;
    if (!id) return;
    try {
      const page = await this.api.get(`/api/v1/alerts/${encodeURIComponent(id)}/timeline`);
      if (this.selected !== id) return;
      this.timeline = { alertId: id, entries: page.entries };
      this.renderTimeline();
    } catch (e) {
      if (e.status !== 401) console.warn("timeline", e);
    }
  }

  renderTimeline() {
    const box = byId("timeline");
    const a = this.current;
    if (!a || !this.timeline || this.timeline.alertId !== a.id) {
      box.replaceChildren();
      return;
    }
    box.replaceChildren(...this.timeline.entries.map((e) => this.timelineItem(e)));
  }

  /** @param {TimelineEntry} e */
  timelineItem(e) {
    /** @type {string} */
    let what;
    if (e.source === "task" && e.action === "status") {
      what = t("timeline.taskStatus", {
        task: tCode("task", e.task_kind || ""),
        from: tCode("taskStatus", e.from_status || ""),
        to: tCode("taskStatus", e.to_status || ""),
      });
    } else if (e.source === "task") {
      const who = e.detail && (e.detail.assignee || e.detail.to);
      what = t("timeline.taskAction", {
        task: tCode("task", e.task_kind || ""),
        action: tCode("timeline.task", e.action),
        who: who ? this.names.unit(String(who)) : "",
      }).trim();
    } else {
      const camera = e.detail && typeof e.detail.camera === "string" ? e.detail.camera : null;
      what = tCode("timeline.alert", e.action);
      if (camera) what += ` · ${this.names.camera(camera)}`;
      if (e.action === "escalated" && e.detail && e.detail.level) what += ` · ${t("alert.escalated", { n: e.detail.level })}`;
    }
    const rejected = e.to_status === "rejected";
    return el(
      "li",
      { class: `tl ${e.source}${rejected ? " bad" : ""}${e.action === "note" ? " note" : ""}`, dataset: { action: e.action, toStatus: e.to_status || "" } },
      el("span", { class: "tl-time mono", title: e.at }, formatTime(e.at)),
      el("span", { class: "tl-who" }, this.names.actor(e.actor)),
      el("span", { class: "tl-what" }, what),
      e.note ? el("q", { class: "tl-note" }, e.note) : null,
    );
  }

  async addNote() {
    const a = this.current;
    const input = /** @type {HTMLInputElement} */ (byId("note-input"));
    const note = input.value.trim();
    if (!a || !note) return;
    if (await this.send(`/api/v1/alerts/${encodeURIComponent(a.id)}/notes`, { note }, false)) {
      input.value = "";
      this.loadTimeline();
    }
  }

  // ---------------------------------------------------------------- actions

  /** @param {string} action */
  async act(action) {
    const a = this.current;
    if (!a) return;
    await this.send(`/api/v1/alerts/${encodeURIComponent(a.id)}/${action}`, {});
  }

  askResolve() {
    const form = byId("resolve-form");
    form.hidden = false;
    /** @type {HTMLTextAreaElement} */ (byId("resolve-note")).focus();
  }

  async resolve() {
    const a = this.current;
    if (!a) return;
    const input = /** @type {HTMLTextAreaElement} */ (byId("resolve-note"));
    const note = input.value.trim();
    const ok = await this.send(`/api/v1/alerts/${encodeURIComponent(a.id)}/resolve`, note ? { note } : {});
    if (ok) {
      input.value = "";
      byId("resolve-form").hidden = true;
    }
  }

  async assign() {
    const a = this.current;
    const input = /** @type {HTMLInputElement} */ (byId("assign-input"));
    const assignee = input.value.trim();
    if (!a || !assignee) return;
    if (await this.send(`/api/v1/alerts/${encodeURIComponent(a.id)}/assign`, { assignee })) input.value = "";
  }

  /**
   * @param {string} path
   * @param {any} body
   * @param {boolean} [returnsAlert]
   */
  async send(path, body, returnsAlert = true) {
    const error = byId("action-error");
    error.hidden = true;
    try {
      const updated = await this.api.post(path, body);
      if (returnsAlert) {
        this.alerts = this.alerts.map((x) => (x.id === updated.id ? updated : x));
        this.render();
        this.loadTimeline();
        this.onChanged();
      }
      return true;
    } catch (e) {
      if (e.status === 401) return false;
      error.textContent = `${t("action.failed")}: ${e.message}`;
      error.hidden = false;
      return false;
    }
  }

  async downloadCap() {
    const a = this.current;
    if (!a) return;
    try {
      const blob = await this.api.blob(`/api/v1/alerts/${encodeURIComponent(a.id)}/cap`);
      const url = URL.createObjectURL(blob);
      const link = el("a", { href: url, download: `${a.id}.cap.xml` });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    } catch (e) {
      if (e.status === 401) return;
      const error = byId("action-error");
      error.textContent = `${t("action.failed")}: ${e.message}`;
      error.hidden = false;
    }
  }

  // ---------------------------------------------------------------- pictures

  /** @param {boolean} force */
  async loadPictures(force) {
    const camera = this.pictureCamera;
    const now = byId("pic-now");
    const base = byId("pic-baseline");
    for (const url of this.pictureUrls) URL.revokeObjectURL(url);
    this.pictureUrls = [];
    this.pictureMeta = [];
    byId("pic-now-meta").textContent = "";
    byId("pic-base-meta").textContent = "";
    if (!camera || !force) return;
    const id = encodeURIComponent(camera);
    await Promise.all([
      this.picture(now, `/api/v1/dashboard/cameras/${id}/frame.jpg`, "picture.none", camera, byId("pic-now-meta")),
      this.picture(base, `/api/v1/dashboard/cameras/${id}/baseline.jpg`, "picture.noBaseline", camera),
    ]);
  }

  /**
   * @param {HTMLElement} box
   * @param {string} path
   * @param {string} missingKey
   * @param {string} camera
   * @param {HTMLElement | null} [meta]
   */
  async picture(box, path, missingKey, camera, meta = null) {
    box.replaceChildren(el("span", { "data-i18n": "picture.loading" }, t("picture.loading")));
    try {
      const picture = await this.api.picture(path);
      if (camera !== this.pictureCamera) return;
      const url = URL.createObjectURL(picture.blob);
      this.pictureUrls.push(url);
      box.replaceChildren(el("img", { src: url, alt: camera }));
      box.classList.toggle("stale", picture.stale);
      if (meta && picture.takenAt) {
        this.pictureMeta.push({
          box: meta,
          key: picture.stale ? "picture.stale" : "picture.takenAt",
          vars: { at: picture.takenAt },
          stale: picture.stale,
        });
        this.renderPictureMeta();
      }
    } catch (e) {
      if (camera !== this.pictureCamera) return;
      box.classList.remove("stale");
      box.replaceChildren(el("span", { "data-i18n": missingKey, title: e.message }, t(missingKey)));
    }
  }

  /** Captions are kept as key and time, so a language switch re-says them. */
  renderPictureMeta() {
    for (const m of this.pictureMeta) {
      m.box.textContent = t(m.key, { time: formatTime(m.vars.at) });
      m.box.classList.toggle("stale", m.stale);
    }
  }
}
