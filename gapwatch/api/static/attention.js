// @ts-check
// Getting a person's attention through a long night: a beep and a desktop notification for a
// new critical or newly escalated alert (both opt-in and remembered), and a banner that stays
// while any alert waits for acknowledgement.
import { formatClock, t, tCode } from "./i18n.js";

const SOUND_KEY = "gapwatch.sound";
const NOTIFY_KEY = "gapwatch.notify";
/** Severity from which a new alert is "critical". */
export const CRITICAL = 5;

/**
 * @typedef {{id: string, kind: string, status: string, severity: number, cameras: string[],
 *   zones: string[], opened_at: string, escalation_level: number, blind_spot_m2: number,
 *   silenced: boolean}} AlertLike
 */

export class Attention {
  /**
   * @param {{ banner: HTMLElement, soundButton: HTMLButtonElement, notifyButton: HTMLButtonElement,
   *   onSelect: (id: string) => void, zoneName: (id: string) => string }} options
   */
  constructor({ banner, soundButton, notifyButton, onSelect, zoneName }) {
    this.banner = banner;
    this.soundButton = soundButton;
    this.notifyButton = notifyButton;
    this.onSelect = onSelect;
    this.zoneName = zoneName;
    /** @type {Map<string, number> | null} escalation level per alert id, null before the first list */
    this.seen = null;
    /** @type {AudioContext | null} */
    this.audio = null;
    this.sound = localStorage.getItem(SOUND_KEY) !== "off";
    this.notify = localStorage.getItem(NOTIFY_KEY) === "on";
    /** @type {AlertLike[]} */
    this.waiting = [];
    soundButton.addEventListener("click", () => this.toggleSound());
    notifyButton.addEventListener("click", () => this.toggleNotify());
    // Browsers start audio only after a gesture: the first click anywhere readies it.
    document.addEventListener("pointerdown", () => this.readyAudio(), { once: true });
    this.renderButtons();
  }

  readyAudio() {
    if (!this.sound) return;
    const Context = window.AudioContext || /** @type {any} */ (window).webkitAudioContext;
    if (!Context) return;
    if (!this.audio) this.audio = new Context();
    if (this.audio && this.audio.state === "suspended") this.audio.resume().catch(() => {});
  }

  toggleSound() {
    this.sound = !this.sound;
    localStorage.setItem(SOUND_KEY, this.sound ? "on" : "off");
    if (this.sound) {
      this.readyAudio();
      this.beep(1);
    }
    this.renderButtons();
  }

  async toggleNotify() {
    if (this.notify) {
      this.notify = false;
    } else if ("Notification" in window) {
      const answer = Notification.permission === "granted" ? "granted" : await Notification.requestPermission();
      this.notify = answer === "granted";
    }
    localStorage.setItem(NOTIFY_KEY, this.notify ? "on" : "off");
    this.renderButtons();
  }

  renderButtons() {
    this.soundButton.textContent = t(this.sound ? "attention.soundOn" : "attention.soundOff");
    this.soundButton.classList.toggle("on", this.sound);
    this.soundButton.setAttribute("aria-pressed", String(this.sound));
    const denied = "Notification" in window && Notification.permission === "denied";
    this.notifyButton.textContent = t(this.notify ? "attention.notifyOn" : denied ? "attention.notifyDenied" : "attention.notifyOff");
    this.notifyButton.classList.toggle("on", this.notify);
    this.notifyButton.setAttribute("aria-pressed", String(this.notify));
  }

  /**
   * Take in the current alert list: alarm for what is new and critical or newly escalated.
   * @param {AlertLike[]} alerts
   */
  update(alerts) {
    const first = this.seen === null;
    const seen = this.seen || new Map();
    /** @type {{alert: AlertLike, why: "critical" | "escalated"}[]} */
    const alarming = [];
    for (const a of alerts) {
      if (a.status === "resolved" || a.silenced) continue;
      const before = seen.get(a.id);
      if (!first && before === undefined && a.severity >= CRITICAL) alarming.push({ alert: a, why: "critical" });
      else if (!first && before !== undefined && a.escalation_level > before) alarming.push({ alert: a, why: "escalated" });
    }
    this.seen = new Map(alerts.map((a) => [a.id, a.escalation_level]));
    // Keep alerts we only see on the "active" list, so switching to "all" alarms nothing old.
    for (const [id, level] of seen) if (!this.seen.has(id)) this.seen.set(id, level);
    for (const { alert, why } of alarming) this.alarm(alert, why);
    this.waiting = alerts
      .filter((a) => a.status === "open" && !a.silenced)
      .sort((x, y) => y.severity - x.severity || x.opened_at.localeCompare(y.opened_at));
    this.renderBanner();
  }

  /**
   * @param {AlertLike} alert
   * @param {"critical" | "escalated"} why
   */
  alarm(alert, why) {
    if (this.sound) this.beep(why === "escalated" ? 3 : 2);
    if (!this.notify || !("Notification" in window) || Notification.permission !== "granted") return;
    const where = alert.zones.map((z) => this.zoneName(z)).join(", ");
    const title = t(why === "escalated" ? "attention.escalatedTitle" : "attention.criticalTitle", {
      kind: tCode("kind", alert.kind),
    });
    try {
      const note = new Notification(title, {
        body: t("attention.body", { cameras: alert.cameras.join(", "), zones: where || "–" }),
        tag: `gapwatch-${alert.id}-${alert.escalation_level}`,
        requireInteraction: true,
      });
      note.onclick = () => {
        window.focus();
        this.onSelect(alert.id);
        note.close();
      };
    } catch (error) {
      console.warn("notification failed", error);
    }
  }

  /**
   * A short two-tone beep, `times` times, made on the spot (no sound file to download).
   * @param {number} times
   */
  beep(times) {
    this.readyAudio();
    const ctx = this.audio;
    if (!ctx) return;
    const start = ctx.currentTime + 0.02;
    for (let i = 0; i < times; i += 1) {
      const at = start + i * 0.45;
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = "square";
      osc.frequency.setValueAtTime(880, at);
      osc.frequency.setValueAtTime(660, at + 0.15);
      gain.gain.setValueAtTime(0.0001, at);
      gain.gain.exponentialRampToValueAtTime(0.25, at + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.3);
      osc.connect(gain).connect(ctx.destination);
      osc.start(at);
      osc.stop(at + 0.32);
    }
  }

  renderBanner() {
    const waiting = this.waiting;
    this.banner.hidden = waiting.length === 0;
    this.banner.classList.toggle("critical", waiting.some((a) => a.severity >= CRITICAL || a.escalation_level > 0));
    if (!waiting.length) return;
    const oldest = waiting.reduce((a, b) => (a.opened_at < b.opened_at ? a : b));
    const top = waiting[0];
    const text = document.createElement("span");
    text.className = "banner-text";
    text.textContent = t("attention.waiting", { n: waiting.length, since: formatClock(oldest.opened_at) });
    const button = document.createElement("button");
    button.type = "button";
    button.className = "banner-go";
    button.textContent = t("attention.show", {
      kind: tCode("kind", top.kind),
      zone: top.zones.length ? this.zoneName(top.zones[0]) : top.cameras.join(", "),
    });
    button.addEventListener("click", () => this.onSelect(top.id));
    this.banner.replaceChildren(text, button);
  }
}
