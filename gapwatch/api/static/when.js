// @ts-check
// Date and time fields in the interface language, not the browser's: a text field with a stated
// form ("2026-12-02 21:30" in Chinese, "2 Dec 2026 21:30" in English, ISO typed in either), a
// button opening the browser's own calendar, and ISO 8601 with the UTC offset for the API.
import { MONTHS, formatStamp, t } from "./i18n.js";

/** @param {number} n */
const pad = (n) => String(n).padStart(2, "0");

/**
 * The browser's UTC offset at `d`, as ISO 8601 writes it ("+08:00").
 * @param {Date} d
 */
export function offsetOf(d) {
  const minutes = -d.getTimezoneOffset();
  const sign = minutes < 0 ? "-" : "+";
  const abs = Math.abs(minutes);
  return `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/**
 * ISO 8601 in the browser's time zone with its offset ("2026-12-02T21:30:00+08:00").
 * @param {Date} d
 */
export function isoWithOffset(d) {
  const date = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  return `${date}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}${offsetOf(d)}`;
}

/**
 * A local moment from its parts, or null when the parts name no real moment (31 Feb, 25:00).
 * @param {number} year @param {number} month 1-12 @param {number} day
 * @param {number} hour @param {number} minute
 */
function moment(year, month, day, hour, minute) {
  const d = new Date(year, month - 1, day, hour, minute);
  const same = d.getFullYear() === year && d.getMonth() === month - 1 && d.getDate() === day;
  return same && hour < 24 && minute < 60 ? d : null;
}

/**
 * Read a typed date and time (time optional: midnight), in either language's form or ISO.
 * @param {string} text
 * @returns {Date | null}
 */
export function parseStamp(text) {
  const s = text.trim().replace(/\s+/g, " ");
  if (!s) return null;
  const time = "(?:[ T,]+(\\d{1,2})[:：](\\d{2}))?";
  // 2026-12-02 21:30, 2026/12/2 21:30, 2026-12-02T21:30, 2026年12月2日 21:30
  let m = s.match(new RegExp(`^(\\d{4})[-/.年](\\d{1,2})[-/.月](\\d{1,2})日?${time}$`));
  if (m) return moment(+m[1], +m[2], +m[3], +(m[4] || 0), +(m[5] || 0));
  // 2 Dec 2026 21:30, 2 December 2026, 21:30
  m = s.match(new RegExp(`^(\\d{1,2}) ([A-Za-z]{3,9})\\.? (\\d{4})${time}$`));
  if (m) {
    const month = MONTHS.findIndex((name) => name.toLowerCase() === m[2].slice(0, 3).toLowerCase());
    const full = m[2].length <= 3 || new Intl.DateTimeFormat("en", { month: "long" }).format(new Date(2000, month, 1)).toLowerCase().startsWith(m[2].toLowerCase());
    if (month >= 0 && full) return moment(+m[3], month + 1, +m[1], +(m[4] || 0), +(m[5] || 0));
  }
  return null;
}

/** A date field of the interface language: wraps `<input class="when">` found by id. */
export class WhenField {
  /** @param {string} id */
  constructor(id) {
    this.input = /** @type {HTMLInputElement} */ (document.getElementById(id));
    this.input.type = "text";
    this.input.autocomplete = "off";
    this.input.spellcheck = false;
    /** @type {Date | null} */
    this.date = null;
    // The browser's calendar, opened from a button; what it picks is written in our form.
    this.picker = document.createElement("input");
    this.picker.type = "datetime-local";
    this.picker.className = "when-picker";
    this.picker.tabIndex = -1;
    this.picker.setAttribute("aria-hidden", "true");
    this.button = document.createElement("button");
    this.button.type = "button";
    this.button.className = "when-pick ghost small";
    this.button.textContent = "▾";
    const wrap = document.createElement("span");
    wrap.className = "when-wrap";
    this.input.replaceWith(wrap);
    wrap.append(this.input, this.button, this.picker);
    this.button.addEventListener("click", () => {
      if (this.date) this.picker.value = isoWithOffset(this.date).slice(0, 16);
      try {
        this.picker.showPicker();
      } catch {
        this.picker.focus();
      }
    });
    this.picker.addEventListener("change", () => {
      const [date, time] = this.picker.value.split("T");
      this.set(date ? parseStamp(`${date} ${time || "00:00"}`) : null);
      this.input.dispatchEvent(new Event("change", { bubbles: true }));
    });
    this.input.addEventListener("change", () => this.read());
    this.input.addEventListener("input", () => this.input.removeAttribute("aria-invalid"));
    this.input.form?.addEventListener("reset", () => setTimeout(() => this.set(null)));
    this.translate();
  }

  /** Read the typed text; a text that names no moment is marked and counts as empty. */
  read() {
    const text = this.input.value.trim();
    this.date = parseStamp(text);
    const bad = Boolean(text) && !this.date;
    if (bad) this.input.setAttribute("aria-invalid", "true");
    else this.input.removeAttribute("aria-invalid");
    this.input.title = bad ? t("when.invalid", { example: formatStamp(new Date(2026, 6, 30, 21, 30)) }) : this.hint();
    return this.date;
  }

  /** Whether the text typed names no moment. */
  get invalid() {
    this.read();
    return this.input.getAttribute("aria-invalid") === "true";
  }

  /** The moment as ISO 8601 with the offset, or null. */
  get iso() {
    const d = this.read();
    return d ? isoWithOffset(d) : null;
  }

  /** @param {Date | null} d */
  set(d) {
    this.date = d;
    this.input.value = d ? formatStamp(d) : "";
    this.input.removeAttribute("aria-invalid");
  }

  hint() {
    return t("when.hint", { example: formatStamp(new Date(2026, 6, 30, 21, 30)), offset: `UTC${offsetOf(this.date || new Date())}` });
  }

  /** Rewrite the field in the interface language now chosen. */
  translate() {
    // Views re-render on every live update: text being typed is never rewritten, and text typed
    // before counts over the moment set earlier (a prefilled default).
    if (document.activeElement !== this.input) {
      if (this.input.value.trim()) this.read();
      if (this.date && !this.input.getAttribute("aria-invalid")) this.input.value = formatStamp(this.date);
    }
    this.input.placeholder = t("when.placeholder");
    this.input.title = this.hint();
    this.button.title = t("when.pick");
    this.button.setAttribute("aria-label", t("when.pick"));
  }
}
