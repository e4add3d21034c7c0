// The alert board: alerts by severity, the selected alert's tasks, actions and pictures.
import { formatAge, formatNumber, formatPercent, formatTime, joinList, t, tCode } from "./i18n.js";

const ACTIVE_TASK = new Set(["pending", "dispatched", "accepted", "en_route", "on_scene"]);
const DONE_TASK = new Set(["cleared", "done"]);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
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

function taskClass(status) {
  if (DONE_TASK.has(status)) return "task-done";
  if (status === "rejected" || status === "cancelled") return "task-bad";
  return ACTIVE_TASK.has(status) ? "task-active" : "";
}

export class AlertBoard {
  constructor({ api, map, can, names, onChanged }) {
    this.api = api;
    this.map = map;
    this.can = can;
    this.names = names;
    this.onChanged = onChanged;
    this.alerts = [];
    this.known = null;
    this.fresh = new Set();
    this.selected = null;
    this.pictureCamera = null;
    this.pictureUrls = [];
    this.list = document.getElementById("alert-list");
    this.empty = document.getElementById("alert-empty");
    this.detail = document.getElementById("alert-detail");
    this.cameraSelect = document.getElementById("picture-camera");
    document.getElementById("act-ack").addEventListener("click", () => this.act("ack"));
    document.getElementById("act-resolve").addEventListener("click", () => this.act("resolve"));
    document.getElementById("act-assign").addEventListener("click", () => this.assign());
    document.getElementById("pic-refresh").addEventListener("click", () => this.loadPictures(true));
    this.cameraSelect.addEventListener("change", () => {
      this.pictureCamera = this.cameraSelect.value;
      this.loadPictures(true);
    });
  }

  setAlerts(alerts) {
    const ids = new Set(alerts.map((a) => a.id));
    if (this.known !== null) {
      for (const a of alerts) if (!this.known.has(a.id)) this.fresh.add(a.id);
    }
    this.known = ids;
    this.alerts = alerts;
    if (this.selected && !ids.has(this.selected)) this.selected = null;
    this.render();
  }

  get current() {
    return this.alerts.find((a) => a.id === this.selected) || null;
  }

  render() {
    this.list.replaceChildren(...this.alerts.map((a) => this.card(a)));
    this.fresh.clear();
    this.empty.hidden = this.alerts.length > 0;
    this.renderDetail();
  }

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
    const item = el(
      "li",
      {
        class: `alert sev${a.severity}${a.id === this.selected ? " selected" : ""}${this.fresh.has(a.id) ? " fresh" : ""}`,
        dataset: { alertId: a.id, status: a.status, kind: a.kind },
        tabindex: "0",
      },
      el("div", { class: `sev s${a.severity}` }, el("b", {}, a.severity), el("span", {}, tCode("severity", a.severity))),
      el("div", { class: "alert-title" }, tCode("kind", a.kind), " ",
        el("span", { class: `chip st-${a.status}` }, tCode("alertStatus", a.status))),
      el("div", { class: "alert-time", title: a.opened_at }, formatTime(a.opened_at), el("br"), formatAge(a.opened_at)),
      el("div", { class: "alert-where" },
        `${t("alert.cameras")} ${a.cameras.map((c) => this.cameraWithFaults(c)).join(", ")}`,
        zones ? ` · ${zones}` : "",
        ` · ${t("alert.blind")} ${formatNumber(a.blind_spot_m2)} m²`),
      el("div", { class: "alert-tasks" }, tasks),
    );
    item.addEventListener("click", () => this.select(a.id));
    item.addEventListener("keydown", (event) => {
      if (event.key === "Enter") this.select(a.id);
    });
    return item;
  }

  /** "cam-a（黑屏）": the camera and what is wrong with its picture now. */
  cameraWithFaults(id, label = id) {
    const faults = this.names.faults(id);
    if (!faults.length) return label;
    return t("alert.cameraFaults", { camera: label, faults: joinList(faults.map((f) => tCode("fault", f))) });
  }

  select(id) {
    const changed = id !== this.selected;
    this.selected = id;
    for (const node of this.list.children) node.classList.toggle("selected", node.dataset.alertId === id);
    const alert = this.current;
    if (changed) {
      this.pictureCamera = alert ? alert.cameras[0] : null;
      document.getElementById("action-error").hidden = true;
    }
    this.renderDetail();
    this.map.showAlert(alert);
    if (changed) this.loadPictures(true);
  }

  renderDetail() {
    const a = this.current;
    this.detail.hidden = !a;
    if (!a) return;
    document.getElementById("detail-id").textContent = a.id;
    const rows = [
      ["detail.kind", tCode("kind", a.kind)],
      ["detail.severity", `${a.severity} · ${tCode("severity", a.severity)}`],
      ["detail.status", tCode("alertStatus", a.status)],
      ["detail.opened", `${formatTime(a.opened_at)}（${formatAge(a.opened_at)}）`],
      ["detail.cameras", joinList(a.cameras.map((c) => this.cameraWithFaults(c, this.names.camera(c))))],
      ["detail.zones", joinList(a.zones.map((z) => this.names.zone(z))) || "–"],
      ["detail.blind", `${formatNumber(a.blind_spot_m2)} m²`],
    ];
    if (a.acknowledged_at) rows.push(["detail.acknowledged", `${a.acknowledged_by} · ${formatTime(a.acknowledged_at)}`]);
    if (a.assignee) rows.push(["detail.assignee", this.names.unit(a.assignee)]);
    if (a.escalation_level) rows.push(["detail.escalation", String(a.escalation_level)]);
    if (a.resolved_at) rows.push(["detail.resolved", `${a.resolved_by || "–"} · ${formatTime(a.resolved_at)}`]);
    if (a.silenced) rows.push(["detail.silenced", t("common.yes")]);
    const summary = document.getElementById("detail-summary");
    summary.replaceChildren(...rows.flatMap(([key, value]) => [el("dt", {}, t(key)), el("dd", {}, value)]));
    const respond = this.can("respond");
    document.getElementById("act-ack").disabled = !respond || a.status !== "open";
    document.getElementById("act-resolve").disabled = !respond || a.status === "resolved";
    document.getElementById("act-assign").disabled = !respond || a.status === "resolved";
    document.getElementById("assign-input").disabled = !respond || a.status === "resolved";
    document.getElementById("task-rows").replaceChildren(...a.tasks.map((task) => this.taskRow(task)));
    const options = a.cameras.map((c) => el("option", { value: c }, this.names.camera(c)));
    this.cameraSelect.replaceChildren(...options);
    if (this.pictureCamera) this.cameraSelect.value = this.pictureCamera;
  }

  taskRow(task) {
    const p = task.payload || {};
    let detail;
    if (task.kind === "video_patrol") {
      const views = (p.views || []).slice(0, 4).map((v) =>
        v.preset
          ? t("task.viewPreset", { camera: v.camera, preset: v.preset, share: formatPercent(v.share, 0) })
          : t("task.view", { camera: v.camera, share: formatPercent(v.share, 0) }),
      );
      detail = views.length ? joinList(views) : t("task.noViews");
    } else if (p.unit) {
      detail = t("task.route", {
        eta: formatNumber((p.eta_s || 0) / 60, 1),
        distance: formatNumber(p.distance_m || 0),
      });
    } else {
      detail = t("task.noUnit");
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

  async act(action) {
    const a = this.current;
    if (!a) return;
    await this.send(`/api/v1/alerts/${encodeURIComponent(a.id)}/${action}`, {});
  }

  async assign() {
    const a = this.current;
    const input = document.getElementById("assign-input");
    const assignee = input.value.trim();
    if (!a || !assignee) return;
    if (await this.send(`/api/v1/alerts/${encodeURIComponent(a.id)}/assign`, { assignee })) input.value = "";
  }

  async send(path, body) {
    const error = document.getElementById("action-error");
    error.hidden = true;
    try {
      const updated = await this.api.post(path, body);
      this.alerts = this.alerts.map((x) => (x.id === updated.id ? updated : x));
      this.render();
      this.onChanged();
      return true;
    } catch (e) {
      if (e.status === 401) return false;
      error.textContent = `${t("action.failed")}: ${e.message}`;
      error.hidden = false;
      return false;
    }
  }

  async loadPictures(force) {
    const camera = this.pictureCamera;
    const now = document.getElementById("pic-now");
    const base = document.getElementById("pic-baseline");
    for (const url of this.pictureUrls) URL.revokeObjectURL(url);
    this.pictureUrls = [];
    if (!camera || !force) return;
    const id = encodeURIComponent(camera);
    await Promise.all([
      this.picture(now, `/api/v1/dashboard/cameras/${id}/frame.jpg`, "picture.none", camera, document.getElementById("pic-now-meta")),
      this.picture(base, `/api/v1/dashboard/cameras/${id}/baseline.jpg`, "picture.noBaseline", camera),
    ]);
  }

  async picture(box, path, missingKey, camera, meta = null) {
    box.replaceChildren(el("span", { "data-i18n": "picture.loading" }, t("picture.loading")));
    if (meta) meta.textContent = "";
    try {
      const picture = await this.api.picture(path);
      if (camera !== this.pictureCamera) return;
      const url = URL.createObjectURL(picture.blob);
      this.pictureUrls.push(url);
      box.replaceChildren(el("img", { src: url, alt: camera }));
      box.classList.toggle("stale", picture.stale);
      if (meta && picture.takenAt) {
        const time = formatTime(picture.takenAt);
        meta.textContent = t(picture.stale ? "picture.stale" : "picture.takenAt", { time });
        meta.classList.toggle("stale", picture.stale);
      }
    } catch (e) {
      if (camera !== this.pictureCamera) return;
      box.replaceChildren(el("span", { "data-i18n": missingKey, title: e.message }, t(missingKey)));
    }
  }
}
