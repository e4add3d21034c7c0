// @ts-check
// The site map: zones shaded by coverage, camera view cones by health, blind spots, alerts as
// severity-coloured markers (one per scenic spot on the overview), patrol units and the
// road-patrol route of the selected task. Leaflet is vendored (global L).
import { formatNumber, formatPercent, joinList, localName, t, tCode } from "./i18n.js";

/** @type {Record<string, string>} */
const STATUS_COLOUR = {
  ok: "#2ecc71",
  degraded: "#f5a623",
  // Magenta, not red: a blind spot is red, and the two must never be mistaken for each other.
  offline: "#d04cf0",
  unknown: "#7f8c9a",
};
const BLIND_COLOUR = "#ff2d2d";
/** A ground a single camera failure would leave blind (technician tab): a pale dashed haze, never
 * taken for an offline camera (magenta), a blind spot (red), the crowd (violet) or a status. */
const GAP_COLOUR = "#eef3f8";
/** @type {Record<number, string>} */
export const SEVERITY_COLOUR = { 5: "#ff3b3b", 4: "#ff7a1a", 3: "#f5c518", 2: "#4aa3ff", 1: "#8a9bb0" };
/** Below this zoom zones group into scenic spots, and alerts into one marker per spot. */
const OVERVIEW_ZOOM = 15;
/** From this zoom on every camera carries its id. */
const CAMERA_LABEL_ZOOM = 18;

/**
 * Zone fill: red below half covered, through amber, to green when fully covered.
 * @param {number | null | undefined} ratio
 */
export function coverageColour(ratio) {
  if (ratio === null || ratio === undefined) return "#556677";
  const hue = Math.max(0, Math.min(120, (ratio - 0.5) * 240));
  return `hsl(${hue} 70% 42%)`;
}

/** @param {unknown} text */
function escapeHtml(text) {
  return String(text ?? "").replace(
    /[&<>"']/g,
    (c) => /** @type {Record<string, string>} */ ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c],
  );
}

/**
 * The room the map's own controls take at each edge, so what is shown is never under them.
 * @param {HTMLElement} element
 */
function controlPadding(element) {
  const pane = element.parentElement || element;
  const box = pane.getBoundingClientRect();
  let right = 40;
  const legend = pane.querySelector(".map-legend");
  if (legend) right = Math.max(right, box.right - legend.getBoundingClientRect().left + 16);
  // Zoom buttons and the "whole site" button on the left, the map note on top.
  return { paddingTopLeft: /** @type {[number, number]} */ ([70, 60]), paddingBottomRight: /** @type {[number, number]} */ ([right, 50]) };
}

export class SiteMap {
  /**
   * @param {HTMLElement} element
   * @param {{tileUrl: string | null, tileAttribution: string, onCamera: (id: string) => void,
   *   onNote: (key: string) => void, onAlert: (id: string) => void}} options
   */
  constructor(element, { tileUrl, tileAttribution, onCamera, onNote, onAlert }) {
    this.element = element;
    this.onCamera = onCamera;
    this.onNote = onNote;
    this.onAlert = onAlert;
    /** @type {any[]} */
    this.alerts = [];
    /** What the alert markers on the map show now (see updateAlertMarkers). */
    this.alertMarkerKey = "";
    /** @type {any} */
    this.blindSpots = null;
    /** @type {any} */
    this.blindMarkers = null;
    this.map = L.map(element, {
      zoomControl: true,
      attributionControl: true,
      preferCanvas: false,
      zoomSnap: 0.25,
      maxZoom: 21,
    });
    this.map.attributionControl.setPrefix(false);
    L.control.scale({ metric: true, imperial: false, maxWidth: 160 }).addTo(this.map);
    this.panes();
    this.layers = {
      zones: L.layerGroup().addTo(this.map),
      obstacles: L.layerGroup().addTo(this.map),
      roads: L.layerGroup().addTo(this.map),
      views: L.layerGroup().addTo(this.map),
      gaps: L.layerGroup().addTo(this.map),
      suggestions: L.layerGroup().addTo(this.map),
      blind: L.layerGroup().addTo(this.map),
      route: L.layerGroup().addTo(this.map),
      cameras: L.layerGroup().addTo(this.map),
      units: L.layerGroup().addTo(this.map),
      labels: L.layerGroup().addTo(this.map),
      cameraLabels: L.layerGroup().addTo(this.map),
      alerts: L.layerGroup().addTo(this.map),
    };
    /** @type {any} */
    this.data = null;
    this.fitted = false;
    if (tileUrl) this.useTiles(tileUrl, tileAttribution);
    else this.onNote("map.plain");
    this.map.on("zoomend", () => {
      this.updateLabels();
      this.updateBlindMarkers();
      this.updateAlertMarkers();
    });
  }

  panes() {
    // Order from bottom to top; a route and blind spots must never hide under view cones.
    const order = [
      ["zonePane", 350],
      ["viewPane", 380],
      ["gapPane", 400],
      ["blindPane", 420],
      ["routePane", 440],
      ["pointPane", 460],
      ["alertPane", 480],
    ];
    for (const [name, z] of order) this.map.createPane(String(name)).style.zIndex = String(z);
  }

  /**
   * @param {string} url
   * @param {string} attribution
   */
  useTiles(url, attribution) {
    const layer = L.tileLayer(url, { attribution: escapeHtml(attribution), maxZoom: 21 });
    let loaded = 0;
    let failed = 0;
    layer.on("tileload", () => {
      loaded += 1;
    });
    layer.on("tileerror", () => {
      failed += 1;
      // No tile server reachable: fall back to the plain background rather than grey holes.
      if (loaded === 0 && failed >= 4 && this.map.hasLayer(layer)) {
        this.map.removeLayer(layer);
        this.onNote("map.tilesFailed");
      }
    });
    layer.addTo(this.map);
  }

  /**
   * Draw the site; keeps the view unless this is the first time.
   * @param {any} data
   */
  setSite(data) {
    this.data = data;
    const L_ = this.layers;
    for (const layer of Object.values(L_)) {
      if (layer !== L_.blind && layer !== L_.route && layer !== L_.gaps && layer !== L_.suggestions && layer !== L_.alerts) {
        layer.clearLayers();
      }
    }
    L.geoJSON(data.zones, {
      pane: "zonePane",
      style: (/** @type {any} */ f) => ({
        color: coverageColour(f.properties.coverage_ratio),
        weight: 1.5,
        fillColor: coverageColour(f.properties.coverage_ratio),
        fillOpacity: 0.07,
      }),
      onEachFeature: (f, layer) => {
        const p = f.properties;
        layer.bindTooltip(
          `<b>${escapeHtml(localName(p))}</b><br>${escapeHtml(t("zone.importance"))} ${p.importance}` +
            ` · ${escapeHtml(t("zone.coverage"))} ${formatPercent(p.coverage_ratio)}`,
          { sticky: true },
        );
      },
    }).addTo(L_.zones);
    L.geoJSON(data.obstacles, {
      pane: "zonePane",
      style: { color: "#3b4756", weight: 1, fillColor: "#263140", fillOpacity: 0.9 },
    }).addTo(L_.obstacles);
    L.geoJSON(data.roads, {
      pane: "zonePane",
      style: (/** @type {any} */ f) => ({
        color: f.properties.kind === "footpath" ? "#55606e" : "#6b7785",
        weight: f.properties.kind === "footpath" ? 1.5 : 3,
        dashArray: f.properties.kind === "footpath" ? "4 4" : null,
        opacity: 0.8,
      }),
    }).addTo(L_.roads);
    L.geoJSON(data.views, {
      pane: "viewPane",
      style: (/** @type {any} */ f) => {
        const colour = STATUS_COLOUR[f.properties.status] || STATUS_COLOUR.unknown;
        const down = f.properties.status === "offline" || f.properties.status === "degraded";
        return {
          color: colour,
          weight: 1,
          opacity: 0.8,
          fillColor: colour,
          fillOpacity: down ? 0.32 : 0.2,
          dashArray: down ? "3 3" : null,
        };
      },
      interactive: false,
    }).addTo(L_.views);
    for (const f of data.cameras.features) {
      const p = f.properties;
      const [lon, lat] = f.geometry.coordinates;
      const marker = L.circleMarker([lat, lon], {
        pane: "pointPane",
        radius: p.status === "ok" || p.status === "unknown" ? 4 : 6,
        color: "#0b0f14",
        weight: 1.5,
        fillColor: STATUS_COLOUR[p.status] || STATUS_COLOUR.unknown,
        fillOpacity: 1,
      });
      const faults = joinList(p.faults.map((/** @type {string} */ x) => tCode("fault", x)));
      marker.bindTooltip(
        `<b>${escapeHtml(p.id)}</b> ${escapeHtml(p.name)}<br>${escapeHtml(tCode("status", p.status))}` +
          (faults ? ` · ${escapeHtml(faults)}` : ""),
      );
      marker.on("click", () => this.onCamera(p.id));
      marker.addTo(L_.cameras);
    }
    for (const f of data.patrol_units.features) {
      const p = f.properties;
      const [lon, lat] = f.geometry.coordinates;
      const state = !p.available ? "off" : p.busy ? "busy" : "free";
      const icon = L.divIcon({
        className: "",
        html: `<div class="unit-icon ${p.kind} ${state}"></div>`,
        iconSize: [14, 14],
        iconAnchor: [7, 7],
      });
      L.marker([lat, lon], { icon, pane: "pointPane", keyboard: false })
        .bindTooltip(
          `<b>${escapeHtml(p.name)}</b> (${escapeHtml(p.id)})<br>${escapeHtml(tCode("unit", p.kind))}` +
            ` · ${escapeHtml(t(`unit.${state}`))}`,
        )
        .addTo(L_.units);
    }
    if (!this.fitted) {
      this.fitAll(false);
      this.fitted = true;
    }
    this.updateLabels();
    this.updateAlertMarkers();
  }

  /** The whole site in view. */
  fitAll(animate = true) {
    if (!this.data) return;
    const [w, s, e, n] = this.data.bounds;
    const bounds = L.latLngBounds([s, w], [n, e]);
    // Room for the legend and controls, and on the right for the spot labels.
    const padding = controlPadding(this.element);
    padding.paddingBottomRight[0] = Math.max(padding.paddingBottomRight[0], 200);
    if (animate) this.map.flyToBounds(bounds, { ...padding, duration: 0.6 });
    else this.map.fitBounds(bounds, padding);
  }

  /** Zones within a few hundred metres of each other form one scenic spot on the overview. */
  spots() {
    /** @type {{feature: any, centre: any}[]} */
    const zones = this.data.zones.features.map((/** @type {any} */ f) => ({
      feature: f,
      centre: L.geoJSON(f).getBounds().getCenter(),
    }));
    const parent = zones.map((_, i) => i);
    /** @type {(i: number) => number} */
    const root = (i) => (parent[i] === i ? i : (parent[i] = root(parent[i])));
    for (let i = 0; i < zones.length; i += 1) {
      for (let j = i + 1; j < zones.length; j += 1) {
        if (this.map.distance(zones[i].centre, zones[j].centre) < 600) parent[root(i)] = root(j);
      }
    }
    /** @type {Map<number, {feature: any, centre: any}[]>} */
    const groups = new Map();
    for (let i = 0; i < zones.length; i += 1) {
      const key = root(i);
      if (!groups.has(key)) groups.set(key, []);
      /** @type {{feature: any, centre: any}[]} */ (groups.get(key)).push(zones[i]);
    }
    return [...groups.values()];
  }

  updateLabels() {
    this.layers.labels.clearLayers();
    if (!this.data) return;
    this.updateCameraLabels();
    if (this.map.getZoom() < OVERVIEW_ZOOM) {
      for (const group of this.spots()) {
        const main = group.reduce((a, b) =>
          b.feature.properties.importance > a.feature.properties.importance ? b : a,
        );
        const bounds = L.latLngBounds(group.map((z) => z.centre));
        const name = localName(main.feature.properties);
        const more = group.length > 1 ? ` +${group.length - 1}` : "";
        L.tooltip({ permanent: true, direction: "right", offset: [10, 0], className: "zone-label spot-label", interactive: false })
          .setLatLng(bounds.getCenter())
          .setContent(`${escapeHtml(name)}${more}`)
          .addTo(this.layers.labels);
      }
      return;
    }
    if (this.map.getZoom() < 16) return;
    for (const f of this.data.zones.features) {
      // Just inside the zone's top edge: its centre is where alert markers and blind spots sit.
      const bounds = L.geoJSON(f).getBounds();
      L.tooltip({ permanent: true, direction: "bottom", offset: [0, 2], className: "zone-label", interactive: false })
        .setLatLng([bounds.getNorth(), bounds.getCenter().lng])
        .setContent(`${escapeHtml(localName(f.properties))} ${formatPercent(f.properties.coverage_ratio, 0)}`)
        .addTo(this.layers.labels);
    }
  }

  /** Camera ids beside their dots once the map is close enough to tell them apart. */
  updateCameraLabels() {
    this.layers.cameraLabels.clearLayers();
    if (!this.data || this.map.getZoom() < CAMERA_LABEL_ZOOM) return;
    for (const f of this.data.cameras.features) {
      const p = f.properties;
      const [lon, lat] = f.geometry.coordinates;
      L.tooltip({ permanent: true, direction: "right", offset: [6, 0], className: `camera-label ${p.status}`, interactive: false })
        .setLatLng([lat, lon])
        .setContent(escapeHtml(p.id))
        .addTo(this.layers.cameraLabels);
    }
  }

  /**
   * Live blind spots (GeoJSON FeatureCollection from /api/v1/blind-spots).
   * @param {any} collection
   */
  setBlindSpots(collection) {
    this.blindSpots = collection;
    this.layers.blind.clearLayers();
    L.geoJSON(collection, {
      pane: "blindPane",
      style: { color: BLIND_COLOUR, weight: 1.5, fillColor: BLIND_COLOUR, fillOpacity: 0.55 },
      onEachFeature: (f, layer) => {
        const p = f.properties;
        layer.bindTooltip(
          `${escapeHtml(t("legend.blind"))} · ${escapeHtml(this.zoneName(p.zone))} · ${formatNumber(p.area_m2)} m²`,
          { sticky: true },
        );
      },
    }).addTo(this.layers.blind);
    this.updateBlindMarkers();
  }

  /** Seen from afar a blind spot is a few pixels: mark each with a dot that keeps its size. */
  updateBlindMarkers() {
    if (!this.blindMarkers) this.blindMarkers = L.layerGroup().addTo(this.map);
    this.blindMarkers.clearLayers();
    if (!this.blindSpots || this.map.getZoom() >= 16) return;
    for (const f of this.blindSpots.features) {
      const centre = L.geoJSON(f).getBounds().getCenter();
      L.circleMarker(centre, {
        pane: "blindPane",
        radius: 5,
        color: "#ffffff",
        weight: 1,
        fillColor: BLIND_COLOUR,
        fillOpacity: 0.95,
        interactive: false,
      }).addTo(this.blindMarkers);
    }
  }

  /** @param {string} id */
  zoneName(id) {
    const f = this.data && this.data.zones.features.find((/** @type {any} */ x) => x.properties.id === id);
    return f ? localName(f.properties) : id;
  }

  /**
   * Active alerts, drawn as markers coloured by severity at every zoom.
   * @param {any[]} alerts
   */
  setAlerts(alerts) {
    this.alerts = alerts.filter((a) => a.status !== "resolved");
    this.updateAlertMarkers();
  }

  /**
   * Where an alert is: the middle of its blind ground, else of its cameras.
   * @param {any} alert
   */
  alertPlace(alert) {
    const bounds = L.latLngBounds([]);
    if (alert.blind_spots && alert.blind_spots.length) {
      bounds.extend(L.geoJSON(/** @type {any} */ ({ type: "FeatureCollection", features: alert.blind_spots })).getBounds());
    } else if (this.data) {
      for (const id of alert.cameras) {
        const camera = this.data.cameras.features.find((/** @type {any} */ f) => f.properties.id === id);
        if (camera) bounds.extend([camera.geometry.coordinates[1], camera.geometry.coordinates[0]]);
      }
    }
    return bounds.isValid() ? bounds.getCenter() : null;
  }

  updateAlertMarkers() {
    if (!this.data || !this.alerts.length) {
      this.layers.alerts.clearLayers();
      this.alertMarkerKey = "";
      return;
    }
    const placed = this.alerts.map((a) => ({ alert: a, at: this.alertPlace(a) })).filter((x) => x.at);
    /** @type {{at: any, alerts: any[]}[]} */
    let groups;
    if (this.map.getZoom() < OVERVIEW_ZOOM) {
      // One marker per scenic spot: the overview shows where trouble is, not how many dots.
      const spots = this.spots().map((group) => ({
        bounds: L.latLngBounds(group.map((z) => z.centre)).pad(0.5),
        zones: new Set(group.map((z) => z.feature.properties.id)),
      }));
      /** @type {Map<number, {at: any, alerts: any[]}>} */
      const bySpot = new Map();
      groups = [];
      for (const item of placed) {
        const k = spots.findIndex((s) => item.alert.zones.some((/** @type {string} */ z) => s.zones.has(z)) || s.bounds.contains(item.at));
        if (k < 0) {
          groups.push({ at: item.at, alerts: [item.alert] });
          continue;
        }
        const group = bySpot.get(k) || { at: spots[k].bounds.getCenter(), alerts: [] };
        group.alerts.push(item.alert);
        bySpot.set(k, group);
      }
      groups.push(...bySpot.values());
    } else {
      groups = placed.map((x) => ({ at: x.at, alerts: [x.alert] }));
    }
    // Markers are drawn again only when what they show changed: a marker replaced while an
    // operator clicks it eats the click (the board refreshes on every event).
    const key = JSON.stringify([
      document.documentElement.lang,
      groups.map((g) => [g.at.lat, g.at.lng, g.alerts.map((a) => [a.id, a.severity, a.status, a.escalation_level, a.zones])]),
    ]);
    if (key === this.alertMarkerKey) return;
    this.alertMarkerKey = key;
    this.layers.alerts.clearLayers();
    for (const group of groups) {
      const worst = group.alerts.reduce((a, b) => (b.severity > a.severity ? b : a));
      const escalated = group.alerts.some((a) => a.escalation_level > 0);
      const unacked = group.alerts.some((a) => a.status === "open");
      const count = group.alerts.length;
      const icon = L.divIcon({
        className: "",
        html:
          `<div class="alert-marker s${worst.severity}${escalated ? " escalated" : ""}${unacked ? " unacked" : ""}"` +
          ` style="--sev:${SEVERITY_COLOUR[worst.severity] || SEVERITY_COLOUR[1]}">${count > 1 ? count : worst.severity}</div>`,
        iconSize: [26, 26],
        iconAnchor: [13, 13],
      });
      const lines = group.alerts
        .slice(0, 6)
        .map((a) => `${a.severity} · ${escapeHtml(tCode("kind", a.kind))} · ${escapeHtml(a.zones.map((/** @type {string} */ z) => this.zoneName(z)).join(", ") || a.cameras.join(", "))}`);
      const marker = L.marker(group.at, { icon, pane: "alertPane", keyboard: false, riseOnHover: true });
      marker.bindTooltip(lines.join("<br>"), { direction: "top", offset: [0, -12] });
      marker.on("click", () => {
        if (count === 1) this.onAlert(worst.id);
        else this.map.flyTo(group.at, OVERVIEW_ZOOM + 1, { duration: 0.6 });
      });
      marker.addTo(this.layers.alerts);
    }
  }

  /**
   * Show an alert: its blind ground outlined and its road-patrol route; fit them in view, clear
   * of the legend and the map's buttons.
   * @param {any} alert
   */
  showAlert(alert) {
    this.layers.route.clearLayers();
    if (!alert) return;
    const bounds = L.latLngBounds([]);
    const spots = L.geoJSON(
      /** @type {any} */ ({ type: "FeatureCollection", features: alert.blind_spots || [] }),
      { pane: "routePane", style: { color: "#ffffff", weight: 2, dashArray: "2 3", fill: false } },
    ).addTo(this.layers.route);
    if (spots.getLayers().length) bounds.extend(spots.getBounds());
    // the road patrol assigned now (the newest one), not a refused one before it
    const road = alert.road_patrol;
    const payload = road ? road.payload : null;
    if (payload && payload.route && payload.route.coordinates.length > 1) {
      const line = payload.route.coordinates.map((/** @type {number[]} */ [lon, lat]) => L.latLng(lat, lon));
      L.polyline(line, { pane: "routePane", color: "#00131a", weight: 7, opacity: 0.8 }).addTo(this.layers.route);
      L.polyline(line, {
        pane: "routePane",
        color: "#00e0ff",
        weight: 4,
        dashArray: "8 6",
      }).addTo(this.layers.route);
      bounds.extend(line);
    }
    if (payload && payload.target) {
      const [lon, lat] = payload.target.coordinates;
      L.marker([lat, lon], {
        pane: "routePane",
        icon: L.divIcon({ className: "", html: '<div class="target-icon"></div>', iconSize: [16, 16], iconAnchor: [8, 8] }),
      }).addTo(this.layers.route);
      bounds.extend([lat, lon]);
    }
    for (const id of alert.cameras) {
      const camera = this.data && this.data.cameras.features.find((/** @type {any} */ f) => f.properties.id === id);
      if (camera) bounds.extend([camera.geometry.coordinates[1], camera.geometry.coordinates[0]]);
    }
    if (bounds.isValid()) this.map.flyToBounds(bounds, { ...controlPadding(this.element), maxZoom: 19, duration: 0.6 });
  }

  /**
   * Technician layers: failure gaps of the worst cameras and the suggested new views.
   * @param {any} audit
   */
  setAudit(audit) {
    this.layers.gaps.clearLayers();
    this.layers.suggestions.clearLayers();
    if (!audit) return;
    L.geoJSON(audit.failure_gaps, {
      pane: "gapPane",
      filter: (f) => f.properties.rank <= 5,
      style: { color: GAP_COLOUR, weight: 1.5, dashArray: "4 3", fillColor: GAP_COLOUR, fillOpacity: 0.3 },
      onEachFeature: (f, layer) =>
        layer.bindTooltip(
          `${escapeHtml(t("legend.gap"))} #${f.properties.rank} ${escapeHtml(f.properties.camera)} · ` +
            `${formatNumber(f.properties.area_m2)} m²`,
          { sticky: true },
        ),
    }).addTo(this.layers.gaps);
    L.geoJSON(audit.suggestions, {
      pane: "gapPane",
      style: { color: "#7dffb0", weight: 1.5, dashArray: "4 3", fillColor: "#7dffb0", fillOpacity: 0.12 },
      onEachFeature: (f, layer) =>
        layer.bindTooltip(
          `${escapeHtml(t("legend.suggest"))} #${f.properties.rank} · +${formatNumber(f.properties.gain_m2)} m²`,
          { sticky: true },
        ),
    }).addTo(this.layers.suggestions);
  }

  /**
   * @param {number} lon
   * @param {number} lat
   * @param {number} [zoom]
   */
  flyTo(lon, lat, zoom = 19) {
    this.map.flyTo([lat, lon], zoom, { duration: 0.6 });
  }

  /** @param {string} id */
  flyToCamera(id) {
    const camera = this.data && this.data.cameras.features.find((/** @type {any} */ f) => f.properties.id === id);
    if (camera) this.flyTo(camera.geometry.coordinates[0], camera.geometry.coordinates[1]);
  }

  /** @param {any} geometry */
  flyToGeometry(geometry) {
    const layer = L.geoJSON(geometry);
    if (layer.getLayers().length) this.map.flyToBounds(layer.getBounds(), { ...controlPadding(this.element), maxZoom: 19, duration: 0.6 });
  }

  invalidate() {
    this.map.invalidateSize();
  }
}

/**
 * The hillshade of the site's DEM under every layer, when the site has one (terrain.dem).
 * Resolves to the Leaflet image overlay, or null when the site has no DEM (the API says 404).
 * A failed request (a busy server, a dropped connection) is tried again a few times, 2, 4, 6
 * and 8 s later: the board is left open for hours and must not lose its relief to one error.
 * @param {SiteMap} siteMap
 * @param {{ get: (path: string) => Promise<any> }} api
 * @param {number} [tries]
 * @returns {Promise<L.ImageOverlay | null>}
 */
export async function addHillshade(siteMap, api, tries = 5) {
  /** @type {{ image: string, bounds: L.LatLngBoundsExpression }} */
  let shade;
  for (let attempt = 1; ; attempt++) {
    try {
      shade = await api.get("/api/v1/terrain/hillshade");
      break;
    } catch (error) {
      if (/** @type {any} */ (error).status === 404) return null;
      if (attempt >= tries) throw error;
      await new Promise((resolve) => setTimeout(resolve, 2000 * attempt));
    }
  }
  const map = siteMap.map;
  const pane = map.getPane("hillshadePane") || map.createPane("hillshadePane");
  pane.style.zIndex = "300"; // above map tiles (200), below zones (350)
  pane.style.pointerEvents = "none";
  return L.imageOverlay(shade.image, shade.bounds, { pane: "hillshadePane", interactive: false, alt: "" }).addTo(map);
}
