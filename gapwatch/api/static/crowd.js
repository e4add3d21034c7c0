// @ts-check
// The crowd (人流) on the dashboard: a density layer over the zones of the site map, and a
// small panel listing each counted zone's people now against its normal for this hour, with a
// "now against normal" chart of the zone's last hours (GET /api/v1/crowd and
// /api/v1/crowd/zones/{id}/history).
import { formatNumber, localName, t, tCode } from "./i18n.js";

/** People per m² at which the layer is fully coloured: a packed square. */
const FULL_DENSITY = 1.0;
const CROWD_COLOUR = "#8a5cff";
const REFRESH_MS = 20_000;

/** @param {unknown} text */
function escapeHtml(text) {
  return String(text ?? "").replace(
    /[&<>"']/g,
    (c) => /** @type {Record<string, string>} */ ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c],
  );
}

/**
 * Fill opacity for a density: a square root, so a few people already show.
 * @param {number} density
 */
export function densityOpacity(density) {
  if (!(density > 0)) return 0;
  return Math.min(0.75, 0.12 + 0.63 * Math.sqrt(Math.min(1, density / FULL_DENSITY)));
}

/**
 * @typedef {{zone: string, name: string, name_en: string | null, people: number,
 *   density_per_m2: number, watched_m2: number, normal: number | null, trend: string,
 *   counted: boolean, cameras: string[]}} ZoneCrowd
 * @typedef {{hour: string, mean: number, peak: number, normal: number | null}} CrowdHour
 */

/**
 * An SVG chart: the zone's hourly mean people (bars) against the normal for each hour (line),
 * and now as the last, highlighted bar.
 * @param {CrowdHour[]} hours
 * @param {ZoneCrowd} now
 */
export function nowAgainstNormalSvg(hours, now) {
  const width = 220;
  const height = 64;
  const points = [...hours.map((h) => ({ value: h.mean, normal: h.normal, now: false })), { value: now.people, normal: now.normal, now: true }];
  const top = Math.max(1, ...points.map((p) => Math.max(p.value, p.normal ?? 0)));
  const step = width / points.length;
  const y = (/** @type {number} */ v) => height - 4 - (v / top) * (height - 10);
  const bars = points
    .map((p, i) => {
      const h = Math.max(1, height - 4 - y(p.value));
      return `<rect class="${p.now ? "crowd-bar-now" : "crowd-bar"}" x="${(i * step + 1).toFixed(1)}" y="${(height - 4 - h).toFixed(1)}" width="${Math.max(1, step - 2).toFixed(1)}" height="${h.toFixed(1)}"></rect>`;
    })
    .join("");
  const normal = points
    .map((p, i) => (p.normal === null || p.normal === undefined ? null : `${(i * step + step / 2).toFixed(1)},${y(p.normal).toFixed(1)}`))
    .filter((p) => p !== null);
  const line = normal.length > 1 ? `<polyline class="crowd-normal" points="${normal.join(" ")}"></polyline>` : "";
  const dots = normal.length === 1 ? `<circle class="crowd-normal-dot" r="2" cx="${normal[0].split(",")[0]}" cy="${normal[0].split(",")[1]}"></circle>` : "";
  const label = escapeHtml(t("crowd.chartLabel", { zone: localName(now) }));
  return `<svg class="crowd-chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${label}">${bars}${line}${dots}</svg>`;
}

export class CrowdView {
  /**
   * @param {{ map: any, layers: Record<string, any>, data: any }} siteMap the dashboard's SiteMap
   * @param {{ get: (path: string) => Promise<any> }} api
   * @param {HTMLElement} panel where the zone list and the chart go
   */
  constructor(siteMap, api, panel) {
    this.siteMap = siteMap;
    this.api = api;
    this.panel = panel;
    /** @type {ZoneCrowd[]} */
    this.zones = [];
    /** @type {string | null} */
    this.selected = null;
    const map = siteMap.map;
    const pane = map.getPane("crowdPane") || map.createPane("crowdPane");
    pane.style.zIndex = "390"; // over the zones and view cones, under blind spots (400+)
    pane.style.pointerEvents = "none";
    this.layer = L.layerGroup().addTo(map);
    this.timer = 0;
  }

  start() {
    this.refresh().catch((error) => console.warn("crowd", error));
    this.timer = window.setInterval(() => this.refresh().catch((error) => console.warn("crowd", error)), REFRESH_MS);
  }

  async refresh() {
    const body = await this.api.get("/api/v1/crowd");
    this.zones = body.zones;
    this.draw();
    await this.renderPanel();
  }

  /** Redraw the density layer over the zones the site map holds. */
  draw() {
    this.layer.clearLayers();
    const data = this.siteMap.data;
    if (!data || !data.zones) return;
    /** @type {Map<string, ZoneCrowd>} */
    const byZone = new Map(this.zones.map((z) => [z.zone, z]));
    L.geoJSON(data.zones, {
      pane: "crowdPane",
      filter: (/** @type {any} */ f) => {
        const z = byZone.get(f.properties.id);
        return Boolean(z && z.counted && z.people > 0);
      },
      style: (/** @type {any} */ f) => {
        const z = /** @type {ZoneCrowd} */ (byZone.get(f.properties.id));
        return {
          className: `crowd-density crowd-${z.trend}`,
          stroke: z.trend === "surge",
          color: CROWD_COLOUR,
          weight: 2,
          fillColor: CROWD_COLOUR,
          fillOpacity: densityOpacity(z.density_per_m2),
        };
      },
    }).addTo(this.layer);
  }

  /** The list of counted zones, busiest first, and the chart of the selected one. */
  async renderPanel() {
    // Zones with people, busiest first; counted but empty zones are summed up in one line.
    const counted = this.zones.filter((z) => z.counted && (z.people > 0 || z.trend === "lull")).sort((a, b) => b.density_per_m2 - a.density_per_m2);
    const empty = this.zones.filter((z) => z.counted).length - counted.length;
    const emptyLine = empty > 0 ? `<div class="muted small">${escapeHtml(t("crowd.emptyZones", { n: empty }))}</div>` : "";
    if (!counted.length) {
      this.panel.innerHTML = `<div class="crowd-head">${escapeHtml(t("crowd.title"))}</div><div class="muted">${escapeHtml(t("crowd.none"))}</div>${emptyLine}`;
      return;
    }
    if (!this.selected || !counted.some((z) => z.zone === this.selected)) this.selected = counted[0].zone;
    const rows = counted
      .map((z) => {
        const normal = z.normal === null ? t("crowd.notLearned") : formatNumber(z.normal);
        return (
          `<li data-zone="${escapeHtml(z.zone)}" class="${z.zone === this.selected ? "selected" : ""}">` +
          `<span class="crowd-name">${escapeHtml(localName(z))}</span>` +
          `<span class="mono">${escapeHtml(t("crowd.people", { n: formatNumber(z.people) }))}</span>` +
          `<span class="mono muted">${escapeHtml(t("crowd.density", { d: formatNumber(z.density_per_m2, 2) }))}</span>` +
          `<span class="muted">${escapeHtml(t("crowd.normal", { n: normal }))}</span>` +
          `<span class="crowd-trend crowd-trend-${escapeHtml(z.trend)}">${escapeHtml(tCode("crowd.trend", z.trend))}</span>` +
          "</li>"
        );
      })
      .join("");
    const chosen = /** @type {ZoneCrowd} */ (counted.find((z) => z.zone === this.selected));
    /** @type {{hours: CrowdHour[]}} */
    let history = { hours: [] };
    try {
      history = await this.api.get(`/api/v1/crowd/zones/${encodeURIComponent(chosen.zone)}/history?hours=24`);
    } catch (error) {
      console.warn("crowd history", error);
    }
    this.panel.innerHTML =
      `<div class="crowd-head">${escapeHtml(t("crowd.title"))}</div><ol class="crowd-zones">${rows}</ol>${emptyLine}` +
      `<div class="crowd-chart-box"><div class="muted small">${escapeHtml(t("crowd.chartTitle", { zone: localName(chosen) }))}</div>` +
      `${nowAgainstNormalSvg(history.hours, chosen)}</div>`;
    for (const item of this.panel.querySelectorAll("li[data-zone]")) {
      item.addEventListener("click", () => {
        this.selected = /** @type {HTMLElement} */ (item).dataset.zone || null;
        this.renderPanel().catch((error) => console.warn("crowd", error));
      });
    }
  }
}
