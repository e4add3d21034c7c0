// @ts-check
// Translations: Simplified Chinese first, English second; the choice is remembered.
// Times, numbers, ages and durations go through Intl in the chosen language.
export const LANGUAGES = ["zh-CN", "en"];
const STORE_KEY = "gapwatch.lang";

let current = "zh-CN";
/** The language asked for last: a second press of the toggle while the first one's
 * dictionary is still loading turns from this, not from the language still shown. */
let wanted = current;
/** @type {Record<string, string>} */
let strings = {};
/** Dictionaries once loaded: a language switch still works while the service is away. */
/** @type {Map<string, Record<string, string>>} */
const loaded = new Map();

/** The language to start with: the remembered one, else Chinese. */
export function preferredLanguage() {
  const saved = localStorage.getItem(STORE_KEY);
  return saved && LANGUAGES.includes(saved) ? saved : "zh-CN";
}

/**
 * Load a dictionary and make it current.
 * @param {string} lang
 */
export async function useLanguage(lang) {
  wanted = lang;
  let dictionary = loaded.get(lang);
  if (!dictionary) {
    const response = await fetch(`i18n/${lang}.json`, { cache: "no-cache" });
    if (!response.ok) throw new Error(`i18n/${lang}.json: ${response.status}`);
    dictionary = /** @type {Record<string, string>} */ (await response.json());
    loaded.set(lang, dictionary);
  }
  if (wanted !== lang) return; // asked for another language meanwhile: that call finishes
  strings = dictionary;
  current = lang;
  localStorage.setItem(STORE_KEY, lang);
  document.documentElement.lang = lang;
  translatePage(document);
}

export function language() {
  return current;
}

/** The other language than the one asked for last (what a language toggle switches to). */
export function otherLanguage() {
  return wanted === "zh-CN" ? "en" : "zh-CN";
}

/** Whether the interface is in English now. */
export function isEnglish() {
  return current === "en";
}

/**
 * The text for `key`, with {name} placeholders filled from `vars`.
 * @param {string} key
 * @param {Record<string, string | number>} [vars]
 */
export function t(key, vars = {}) {
  const text = strings[key];
  if (text === undefined) {
    console.warn("missing translation", key);
    return key;
  }
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? String(vars[name]) : `{${name}}`));
}

/**
 * The text for `prefix.value` if there is one, else the value itself (codes from the server).
 * @param {string} prefix
 * @param {string | number} value
 */
export function tCode(prefix, value) {
  const key = `${prefix}.${value}`;
  return key in strings ? strings[key] : String(value);
}

/**
 * Re-translate every element marked with data-i18n(-placeholder|-title).
 * @param {Document | HTMLElement} root
 */
export function translatePage(root) {
  for (const el of root.querySelectorAll("[data-i18n]")) {
    const node = /** @type {HTMLElement} */ (el);
    node.textContent = t(node.dataset.i18n || "");
  }
  for (const el of root.querySelectorAll("[data-i18n-placeholder]")) {
    const node = /** @type {HTMLInputElement} */ (el);
    node.placeholder = t(node.dataset.i18nPlaceholder || "");
  }
  for (const el of root.querySelectorAll("[data-i18n-title]")) {
    const node = /** @type {HTMLElement} */ (el);
    node.title = t(node.dataset.i18nTitle || "");
  }
}

/**
 * A time of day (with the date when it is not today), in the chosen language.
 * @param {string | Date | null | undefined} iso
 */
export function formatTime(iso) {
  if (!iso) return "–";
  const d = new Date(iso);
  if (new Date().toDateString() !== d.toDateString()) return formatShortStamp(d);
  return new Intl.DateTimeFormat(current, { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false }).format(d);
}

/**
 * Hours and minutes only ("21:05"): for banners read from across the room.
 * @param {string | Date} iso
 */
export function formatClock(iso) {
  return new Intl.DateTimeFormat(current, { hour: "2-digit", minute: "2-digit", hour12: false }).format(new Date(iso));
}

/**
 * Date and time in full, in the form the date fields take ("2026-12-02 21:30", "2 Dec 2026 21:30").
 * @param {string | Date | null | undefined} iso
 */
export function formatDateTime(iso) {
  if (!iso) return "–";
  return formatStamp(new Date(iso));
}

export const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** @param {number} n */
const pad = (n) => String(n).padStart(2, "0");

/**
 * A moment in the form the interface language writes and reads dates (browser's time zone).
 * @param {Date} d
 */
export function formatStamp(d) {
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  if (current === "en") return `${d.getDate()} ${MONTHS[d.getMonth()]} ${d.getFullYear()} ${time}`;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time}`;
}

/**
 * Day and month without the year ("12月1日 21:30", "1 Dec 21:30"), for times not today.
 * @param {Date} d
 */
export function formatShortStamp(d) {
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  if (current === "en") return `${d.getDate()} ${MONTHS[d.getMonth()]} ${time}`;
  return `${d.getMonth() + 1}月${d.getDate()}日 ${time}`;
}

/**
 * How long ago, the way the language says it ("9 分钟前", "9 min. ago").
 * @param {string | null | undefined} iso
 */
export function formatAge(iso) {
  if (!iso) return "";
  const seconds = Math.max(0, (Date.now() - new Date(iso).getTime()) / 1000);
  const rtf = new Intl.RelativeTimeFormat(current, { numeric: "always", style: "short" });
  if (seconds < 60) return rtf.format(-Math.floor(seconds), "second");
  if (seconds < 3600) return rtf.format(-Math.floor(seconds / 60), "minute");
  if (seconds < 86400) return rtf.format(-Math.floor(seconds / 3600), "hour");
  return rtf.format(-Math.floor(seconds / 86400), "day");
}

/**
 * A duration in whole seconds, minutes and hours ("30 秒", "2 分 30 秒", "2 min, 30 sec").
 * @param {number | null | undefined} totalSeconds
 */
export function formatDuration(totalSeconds) {
  if (totalSeconds === null || totalSeconds === undefined || !Number.isFinite(totalSeconds)) return "–";
  let s = Math.max(0, Math.round(totalSeconds));
  // Past ten minutes the seconds are noise.
  if (s >= 600) s = Math.round(s / 60) * 60;
  const parts = { hours: Math.floor(s / 3600), minutes: Math.floor((s % 3600) / 60), seconds: s % 60 };
  /** @type {Record<string, number>} */
  const shown = {};
  for (const [unit, n] of Object.entries(parts)) if (n) shown[unit] = n;
  if (!Object.keys(shown).length) {
    return new Intl.NumberFormat(current, { style: "unit", unit: "second", unitDisplay: "short" }).format(0);
  }
  const Duration = /** @type {any} */ (Intl).DurationFormat;
  if (Duration) return new Duration(current, { style: "short" }).format(shown);
  const unit = { hours: "hour", minutes: "minute", seconds: "second" };
  return Object.entries(shown)
    .map(([k, n]) => new Intl.NumberFormat(current, { style: "unit", unit: /** @type {any} */ (unit)[k], unitDisplay: "short" }).format(n))
    .join(" ");
}

/**
 * @param {number | null | undefined} value
 * @param {number} [digits]
 */
export function formatNumber(value, digits = 0) {
  if (value === null || value === undefined) return "–";
  return new Intl.NumberFormat(current, {
    maximumFractionDigits: digits,
    minimumFractionDigits: digits,
  }).format(value);
}

/**
 * @param {number | null | undefined} ratio
 * @param {number} [digits]
 */
export function formatPercent(ratio, digits = 1) {
  if (ratio === null || ratio === undefined) return "–";
  return new Intl.NumberFormat(current, {
    style: "percent",
    maximumFractionDigits: digits,
    minimumFractionDigits: digits,
  }).format(ratio);
}

/**
 * Items joined the way the language lists them (、 in Chinese, a comma in English).
 * @param {string[]} items
 */
export function joinList(items) {
  return items.join(strings["list.sep"] ?? ", ");
}

/**
 * "(text)" with the brackets of the language: full-width in Chinese, ASCII with a space in English.
 * @param {string} text
 */
export function bracket(text) {
  return t("common.bracket", { text });
}

/**
 * The name of a zone or camera in the chosen language, when the site file gives one.
 * @param {{name: string, name_en?: string | null}} props
 */
export function localName(props) {
  return current === "en" && props.name_en ? props.name_en : props.name;
}
