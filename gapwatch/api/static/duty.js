// @ts-check
// The duty tab: today's video-patrol rounds with check-off, silences (list, add, end) and the
// site's maintenance windows.
import { el } from "./board.js";
import { formatClock, formatDateTime, formatDuration, formatNumber, formatPercent, formatTime, joinList, t } from "./i18n.js";
import { WhenField, isoWithOffset } from "./when.js";

/** @param {string} id */
function byId(id) {
  return /** @type {HTMLElement} */ (document.getElementById(id));
}

/** Midnight of today in the browser's time zone, the start of "today's" rounds. */
function startOfToday() {
  const d = new Date();
  d.setHours(0, 0, 0, 0);
  return d;
}

/** @param {{zone: string, at: string}} r */
function roundKey(r) {
  return `${r.zone}@${Date.parse(r.at)}`;
}

export class DutyView {
  /**
   * @param {{api: any, names: any, can: (p: string) => boolean, zones: () => {id: string}[],
   *   cameras: () => {id: string}[]}} options
   */
  constructor({ api, names, can, zones, cameras }) {
    this.api = api;
    this.names = names;
    this.can = can;
    this.zones = zones;
    this.cameras = cameras;
    /** @type {any[]} */
    this.rounds = [];
    /** Check-offs in force, by round. @type {Map<string, any>} */
    this.checks = new Map();
    /** Check-offs taken back and not made again, by round. @type {Map<string, any>} */
    this.undone = new Map();
    /** @type {any[]} */
    this.silences = [];
    /** @type {any[]} */
    this.windows = [];
    /** @type {Promise<void> | null} */
    this.loading = null;
    /** Whether the tab's lists have been read at least once. */
    this.loaded = false;
    /** Whether the rounds list has been brought to the present once (after that, left alone). */
    this.scrolled = false;
    for (const node of document.querySelectorAll(".respond-only")) /** @type {HTMLElement} */ (node).hidden = !can("respond");
    byId("s-kind").addEventListener("change", () => this.fillTargets());
    /** A silence's end typed as a date, when "until…" is chosen instead of a number of hours. */
    this.until = new WhenField("s-until");
    byId("s-hours").addEventListener("change", () => {
      const box = byId("s-until-box");
      box.hidden = /** @type {HTMLSelectElement} */ (byId("s-hours")).value !== "until";
      if (!box.hidden && !this.until.date) this.until.set(new Date(Date.now() + 2 * 3600 * 1000));
    });
    byId("silence-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.addSilence();
    });
  }

  async load() {
    if (this.loading) return this.loading;
    this.loading = (async () => {
      try {
        // From midnight to twelve hours ahead: a night shift sees the rounds after midnight.
        const start = startOfToday();
        const hours = Math.min(48, Math.ceil((Date.now() - start.getTime()) / 3600000 + 12));
        const query = `from=${encodeURIComponent(start.toISOString())}&hours=${hours}`;
        const [rounds, checks, silences, windows] = await Promise.all([
          this.api.get(`/api/v1/patrol-rounds?${query}`),
          this.api.get(`/api/v1/patrol-rounds/checks?${query}&undone=true`),
          this.api.get("/api/v1/silences"),
          this.api.get("/api/v1/maintenance-windows"),
        ]);
        this.rounds = rounds;
        this.setChecks(checks);
        this.silences = silences;
        this.windows = windows;
        this.loaded = true;
        this.render();
      } catch (e) {
        if (e.status !== 401) console.warn("duty", e);
      } finally {
        this.loading = null;
      }
    })();
    return this.loading;
  }

  /** @param {any[]} records the last check-off of each round, undone or not */
  setChecks(records) {
    this.checks = new Map(records.filter((c) => !c.undone_at).map((c) => [roundKey(c), c]));
    this.undone = new Map(records.filter((c) => c.undone_at).map((c) => [roundKey(c), c]));
  }

  render() {
    for (const option of /** @type {HTMLSelectElement} */ (byId("s-hours")).options) {
      if (option.value !== "until") option.textContent = formatDuration(Number(option.value) * 3600);
    }
    this.until.translate();
    this.renderRounds();
    if (!this.scrolled) this.scrollToNow();
    this.renderSilences();
    this.renderWindows();
    this.fillTargets();
  }

  renderRounds() {
    const now = Date.now();
    const done = this.rounds.filter((r) => this.checks.has(roundKey(r))).length;
    const due = this.rounds.filter((r) => Date.parse(r.at) <= now).length;
    byId("rounds-progress").textContent = t("rounds.progress", {
      done: formatNumber(done),
      due: formatNumber(due),
      total: formatNumber(this.rounds.length),
    });
    byId("rounds-empty").hidden = this.rounds.length > 0;
    // The rounds around now first: the last hour done or missed, then what comes next.
    const respond = this.can("respond");
    byId("round-rows").replaceChildren(
      ...this.rounds.map((r) => {
        const check = this.checks.get(roundKey(r));
        const past = Date.parse(r.at) <= now;
        const cameras = joinList(
          r.cameras.slice(0, 3).map(
            /** @param {any} v */ (v) =>
              v.preset
                ? t("task.viewPreset", { camera: v.camera, preset: v.preset, share: formatPercent(v.share, 0) })
                : t("task.view", { camera: v.camera, share: formatPercent(v.share, 0) }),
          ),
        );
        const undone = this.undone.get(roundKey(r));
        /** @type {any[]} */
        let cell;
        if (check) {
          cell = [el("span", { class: "chip task-done" }, t("rounds.checked", { who: this.names.actor(check.checked_by), time: formatTime(check.checked_at) }))];
          if (respond) {
            const undo = el("button", { type: "button", class: "ghost small undo", title: t("rounds.undoTitle") }, t("rounds.undo"));
            undo.addEventListener("click", () => this.undo(r, /** @type {HTMLButtonElement} */ (undo)));
            cell.push(undo);
          }
        } else if (respond) {
          const tick = el("button", { type: "button", class: `ghost small${past ? " due" : ""}` }, t("rounds.check"));
          tick.addEventListener("click", () => this.check(r, /** @type {HTMLButtonElement} */ (tick)));
          cell = [tick];
        } else {
          cell = [past ? el("span", { class: "chip task-bad" }, t("rounds.missed")) : "–"];
        }
        if (undone && !check) {
          cell.push(el("div", { class: "muted small undone" }, t("rounds.undone", { who: this.names.actor(undone.undone_by), time: formatTime(undone.undone_at) })));
        }
        return el(
          "tr",
          { class: `${past && !check ? "overdue" : ""}${r.peak ? " peak" : ""}`, dataset: { zone: r.zone, at: r.at, checked: check ? "1" : "0" } },
          el("td", { class: "mono" }, formatClock(r.at)),
          el("td", {}, this.names.zone(r.zone), r.peak ? el("span", { class: "chip peak" }, t("rounds.peak")) : null),
          el("td", {}, cameras),
          el("td", { class: "round-done" }, ...cell),
        );
      }),
    );
  }

  /** Bring the last hour's rounds to the top of the list: the day began at midnight. */
  scrollToNow() {
    const rows = /** @type {HTMLElement[]} */ ([...byId("round-rows").querySelectorAll("tr")]);
    const since = Date.now() - 3600 * 1000;
    const first = rows.find((row) => Date.parse(row.dataset.at || "") >= since);
    const box = byId("round-rows").closest(".scroll");
    if (!first || !box || !box.clientHeight) return;
    const head = /** @type {HTMLElement} */ (box.querySelector("thead"));
    box.scrollTop = first.offsetTop - (head ? head.offsetHeight : 0);
    this.scrolled = true;
  }

  /**
   * @param {any} round
   * @param {HTMLButtonElement} button
   */
  async check(round, button) {
    button.disabled = true;
    try {
      const made = await this.api.post("/api/v1/patrol-rounds/checks", { zone: round.zone, at: round.at });
      this.checks.set(roundKey(made), made);
      this.undone.delete(roundKey(made));
      this.renderRounds();
    } catch (e) {
      button.disabled = false;
      if (e.status === 409) this.load();
      else if (e.status !== 401) button.title = e.message;
    }
  }

  /**
   * Take a check-off back; the undo goes into the record like the check-off did.
   * @param {any} round
   * @param {HTMLButtonElement} button
   */
  async undo(round, button) {
    button.disabled = true;
    try {
      const undone = await this.api.post("/api/v1/patrol-rounds/checks/undo", { zone: round.zone, at: round.at });
      this.checks.delete(roundKey(undone));
      this.undone.set(roundKey(undone), undone);
      this.renderRounds();
    } catch (e) {
      button.disabled = false;
      if (e.status === 404) this.load();
      else if (e.status !== 401) button.title = e.message;
    }
  }

  renderSilences() {
    byId("silence-empty").hidden = this.silences.length > 0;
    const respond = this.can("respond");
    byId("silence-rows").replaceChildren(
      ...this.silences.map((s) => {
        const what = [
          ...s.cameras.map((/** @type {string} */ c) => this.names.camera(c)),
          ...s.zones.map((/** @type {string} */ z) => this.names.zone(z)),
          ...s.groups,
        ];
        const end = el("button", { type: "button", class: "ghost small" }, t("silence.end"));
        end.addEventListener("click", () => this.endSilence(s.id));
        return el(
          "tr",
          { dataset: { silenceId: s.id } },
          el("td", {}, joinList(what)),
          el("td", { class: "mono" }, formatDateTime(s.ends_at)),
          el("td", {}, this.names.actor(s.created_by)),
          el("td", {}, s.comment || "–"),
          el("td", {}, respond ? end : null),
        );
      }),
    );
  }

  renderWindows() {
    byId("maintenance-empty").hidden = this.windows.length > 0;
    byId("maintenance-rows").replaceChildren(
      ...this.windows.map((w) =>
        el(
          "tr",
          { class: w.active ? "active" : "", dataset: { windowId: w.id } },
          el("td", { class: "mono" }, w.id, w.active ? el("span", { class: "chip task-active" }, t("maintenance.active")) : null),
          el("td", {}, joinList(w.cameras.map((/** @type {string} */ c) => this.names.camera(c)))),
          el("td", { class: "mono" }, `${formatDateTime(w.start)} – ${formatDateTime(w.end)}`),
          el("td", {}, w.reason || "–"),
        ),
      ),
    );
  }

  fillTargets() {
    const kind = /** @type {HTMLSelectElement} */ (byId("s-kind")).value;
    const select = /** @type {HTMLSelectElement} */ (byId("s-target"));
    const before = select.value;
    const items = kind === "zones" ? this.zones() : this.cameras();
    select.replaceChildren(
      ...items.map((x) => el("option", { value: x.id }, kind === "zones" ? this.names.zone(x.id) : this.names.camera(x.id))),
    );
    if (before) select.value = before;
  }

  async addSilence() {
    const error = byId("silence-error");
    error.hidden = true;
    const kind = /** @type {HTMLSelectElement} */ (byId("s-kind")).value;
    const target = /** @type {HTMLSelectElement} */ (byId("s-target")).value;
    const span = /** @type {HTMLSelectElement} */ (byId("s-hours")).value;
    const comment = /** @type {HTMLInputElement} */ (byId("s-comment")).value.trim();
    if (!target) return;
    let ends;
    if (span === "until") {
      ends = this.until.iso;
      if (!ends || Date.parse(ends) <= Date.now()) {
        error.textContent = this.until.invalid ? this.until.input.title : t("silence.untilBad");
        error.hidden = false;
        return;
      }
    } else {
      ends = isoWithOffset(new Date(Date.now() + Number(span) * 3600 * 1000));
    }
    try {
      await this.api.post("/api/v1/silences", { [kind]: [target], ends_at: ends, comment: comment || null });
      /** @type {HTMLInputElement} */ (byId("s-comment")).value = "";
      await this.load();
    } catch (e) {
      if (e.status === 401) return;
      error.textContent = `${t("action.failed")}: ${e.message}`;
      error.hidden = false;
    }
  }

  /** @param {string} id */
  async endSilence(id) {
    const error = byId("silence-error");
    error.hidden = true;
    try {
      await this.api.post(`/api/v1/silences/${encodeURIComponent(id)}/end`, {});
      await this.load();
    } catch (e) {
      if (e.status === 401) return;
      error.textContent = `${t("action.failed")}: ${e.message}`;
      error.hidden = false;
    }
  }
}
