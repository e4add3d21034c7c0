// Translations: Simplified Chinese first, English second; the choice is remembered.
export const LANGUAGES = ["zh-CN", "en"];
const STORE_KEY = "gapwatch.lang";

let current = "zh-CN";
let strings = {};

/** The language to start with: the remembered one, else Chinese. */
export function preferredLanguage() {
  const saved = localStorage.getItem(STORE_KEY);
  return LANGUAGES.includes(saved) ? saved : "zh-CN";
}

/** Load a dictionary and make it current. */
export async function useLanguage(lang) {
  const response = await fetch(`i18n/${lang}.json`, { cache: "no-cache" });
  if (!response.ok) throw new Error(`i18n/${lang}.json: ${response.status}`);
  strings = await response.json();
  current = lang;
  localStorage.setItem(STORE_KEY, lang);
  document.documentElement.lang = lang;
  translatePage(document);
}

export function language() {
  return current;
}

/** The text for `key`, with {name} placeholders filled from `vars`. */
export function t(key, vars = {}) {
  const text = strings[key];
  if (text === undefined) {
    console.warn("missing translation", key);
    return key;
  }
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? String(vars[name]) : `{${name}}`));
}

/** The text for `prefix.value` if there is one, else the value itself (codes from the server). */
export function tCode(prefix, value) {
  const key = `${prefix}.${value}`;
  return key in strings ? strings[key] : String(value);
}

/** Re-translate every element marked with data-i18n(-placeholder|-title). */
export function translatePage(root) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-placeholder]")) {
    el.placeholder = t(el.dataset.i18nPlaceholder);
  }
  for (const el of root.querySelectorAll("[data-i18n-title]")) el.title = t(el.dataset.i18nTitle);
}

/** Locale-aware formatting of times and numbers. */
export function formatTime(iso) {
  if (!iso) return "–";
  const d = new Date(iso);
  const sameDay = new Date().toDateString() === d.toDateString();
  const options = sameDay
    ? { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false }
    : { month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false };
  return new Intl.DateTimeFormat(current, options).format(d);
}

export function formatAge(iso) {
  if (!iso) return "";
  const seconds = Math.max(0, (Date.now() - new Date(iso).getTime()) / 1000);
  if (seconds < 60) return t("age.seconds", { n: Math.floor(seconds) });
  if (seconds < 3600) return t("age.minutes", { n: Math.floor(seconds / 60) });
  if (seconds < 86400) return t("age.hours", { n: Math.floor(seconds / 3600) });
  return t("age.days", { n: Math.floor(seconds / 86400) });
}

export function formatNumber(value, digits = 0) {
  if (value === null || value === undefined) return "–";
  return new Intl.NumberFormat(current, {
    maximumFractionDigits: digits,
    minimumFractionDigits: digits,
  }).format(value);
}

export function formatPercent(ratio, digits = 1) {
  if (ratio === null || ratio === undefined) return "–";
  return `${formatNumber(ratio * 100, digits)}%`;
}

/** Items joined the way the language lists them (、 in Chinese, a comma in English). */
export function joinList(items) {
  return items.join(strings["list.sep"] ?? ", ");
}
