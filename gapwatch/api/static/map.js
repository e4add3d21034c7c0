// The site map: zones shaded by coverage, camera view cones by health, blind spots, patrol
// units and the road-patrol route of the selected task. Leaflet is vendored (global L).
import { formatNumber, formatPercent, joinList, t, tCode } from "./i18n.js";

const STATUS_COLOUR = {
  ok: "#2ecc71",
  degraded: "#f5a623",
  offline: "#ff4d4f",
  unknown: "#7f8c9a",
};

/** Zone fill: red below half covered, through amber, to green when fully covered. */
export function coverageColour(ratio) {
  if (ratio === null || ratio === undefined) return "#556677";
  const hue = Math.max(0, Math.min(120, (ratio - 0.5) * 240));
  return `hsl(${hue} 70% 42%)`;
}

function escapeHtml(text) {
  return String(text ?? "").replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c],
  );
}

export class SiteMap {
  constructor(element, { tileUrl, tileAttribution, onCamera, onNote }) {
    this.onCamera = onCamera;
    this.onNote = onNote;
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
    };
    this.fitted = false;
    this.data = null;
    if (tileUrl) this.useTiles(tileUrl, tileAttribution);
    else this.onNote("map.plain");
    this.map.on("zoomend", () => {
      this.updateLabels();
      this.updateBlindMarkers();
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
    ];
    for (const [name, z] of order) this.map.createPane(name).style.zIndex = z;
  }

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

  /** Draw the site; keeps the view unless this is the first time. */
  setSite(data) {
    this.data = data;
    const L_ = this.layers;
    for (const layer of Object.values(L_)) {
      if (layer !== L_.blind && layer !== L_.route && layer !== L_.gaps && layer !== L_.suggestions) {
        layer.clearLayers();
      }
    }
    L.geoJSON(data.zones, {
      pane: "zonePane",
      style: (f) => ({
        color: coverageColour(f.properties.coverage_ratio),
        weight: 1.5,
        fillColor: coverageColour(f.properties.coverage_ratio),
        fillOpacity: 0.07,
      }),
      onEachFeature: (f, layer) => {
        const p = f.properties;
        layer.bindTooltip(
          `<b>${escapeHtml(p.name)}</b><br>${escapeHtml(t("zone.importance"))} ${p.importance}` +
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
      style: (f) => ({
        color: f.properties.kind === "footpath" ? "#55606e" : "#6b7785",
        weight: f.properties.kind === "footpath" ? 1.5 : 3,
        dashArray: f.properties.kind === "footpath" ? "4 4" : null,
        opacity: 0.8,
      }),
    }).addTo(L_.roads);
    L.geoJSON(data.views, {
      pane: "viewPane",
      style: (f) => {
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
      const faults = joinList(p.faults.map((x) => tCode("fault", x)));
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
  }

  /** The whole site in view. */
  fitAll(animate = true) {
    if (!this.data) return;
    const [w, s, e, n] = this.data.bounds;
    const bounds = [
      [s, w],
      [n, e],
    ];
    // Room on the right for the spot labels, and for the legend above them.
    const padding = { paddingTopLeft: [40, 40], paddingBottomRight: [200, 40] };
    if (animate) this.map.flyToBounds(bounds, { ...padding, duration: 0.6 });
    else this.map.fitBounds(bounds, padding);
  }

  /** Zones within a few hundred metres of each other form one scenic spot on the overview. */
  spots() {
    const zones = this.data.zones.features.map((f) => ({
      feature: f,
      centre: L.geoJSON(f).getBounds().getCenter(),
    }));
    const parent = zones.map((_, i) => i);
    const root = (i) => (parent[i] === i ? i : (parent[i] = root(parent[i])));
    for (let i = 0; i < zones.length; i += 1) {
      for (let j = i + 1; j < zones.length; j += 1) {
        if (this.map.distance(zones[i].centre, zones[j].centre) < 600) parent[root(i)] = root(j);
      }
    }
    const groups = new Map();
    for (let i = 0; i < zones.length; i += 1) {
      const key = root(i);
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push(zones[i]);
    }
    return [...groups.values()];
  }

  updateLabels() {
    this.layers.labels.clearLayers();
    if (!this.data) return;
    if (this.map.getZoom() < 15) {
      for (const group of this.spots()) {
        const main = group.reduce((a, b) =>
          b.feature.properties.importance > a.feature.properties.importance ? b : a,
        );
        const bounds = L.latLngBounds(group.map((z) => z.centre));
        const name = main.feature.properties.name.split(" ")[0];
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
      const centre = L.geoJSON(f).getBounds().getCenter();
      L.tooltip({ permanent: true, direction: "center", className: "zone-label", interactive: false })
        .setLatLng(centre)
        .setContent(`${escapeHtml(f.properties.name.split(" ")[0])} ${formatPercent(f.properties.coverage_ratio, 0)}`)
        .addTo(this.layers.labels);
    }
  }

  /** Live blind spots (GeoJSON FeatureCollection from /api/v1/blind-spots). */
  setBlindSpots(collection) {
    this.blindSpots = collection;
    this.layers.blind.clearLayers();
    L.geoJSON(collection, {
      pane: "blindPane",
      style: { color: "#ff2d2d", weight: 1.5, fillColor: "#ff2d2d", fillOpacity: 0.55 },
      onEachFeature: (f, layer) => {
        const p = f.properties;
        layer.bindTooltip(
          `${escapeHtml(t("legend.blind"))} · ${escapeHtml(p.zone)} · ${formatNumber(p.area_m2)} m²`,
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
        fillColor: "#ff2d2d",
        fillOpacity: 0.95,
        interactive: false,
      }).addTo(this.blindMarkers);
    }
  }

  /** Show an alert: its blind ground outlined and its road-patrol route; fit them in view. */
  showAlert(alert) {
    this.layers.route.clearLayers();
    if (!alert) return;
    const bounds = L.latLngBounds([]);
    const spots = L.geoJSON(
      { type: "FeatureCollection", features: alert.blind_spots || [] },
      { pane: "routePane", style: { color: "#ffffff", weight: 2, dashArray: "2 3", fill: false } },
    ).addTo(this.layers.route);
    if (spots.getLayers().length) bounds.extend(spots.getBounds());
    const road = alert.road_patrol;
    const payload = road ? road.payload : null;
    if (payload && payload.route && payload.route.coordinates.length > 1) {
      const line = payload.route.coordinates.map(([lon, lat]) => [lat, lon]);
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
      const camera = this.data && this.data.cameras.features.find((f) => f.properties.id === id);
      if (camera) bounds.extend([camera.geometry.coordinates[1], camera.geometry.coordinates[0]]);
    }
    if (bounds.isValid()) this.map.flyToBounds(bounds, { padding: [60, 60], maxZoom: 19, duration: 0.6 });
  }

  /** Technician layers: failure gaps of the worst cameras and the suggested new views. */
  setAudit(audit) {
    this.layers.gaps.clearLayers();
    this.layers.suggestions.clearLayers();
    if (!audit) return;
    L.geoJSON(audit.failure_gaps, {
      pane: "gapPane",
      filter: (f) => f.properties.rank <= 5,
      style: { color: "#c03cff", weight: 1, fillColor: "#c03cff", fillOpacity: 0.4 },
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

  flyTo(lon, lat, zoom = 19) {
    this.map.flyTo([lat, lon], zoom, { duration: 0.6 });
  }

  flyToCamera(id) {
    const camera = this.data && this.data.cameras.features.find((f) => f.properties.id === id);
    if (camera) this.flyTo(camera.geometry.coordinates[0], camera.geometry.coordinates[1]);
  }

  flyToGeometry(geometry) {
    const layer = L.geoJSON(geometry);
    if (layer.getLayers().length) this.map.flyToBounds(layer.getBounds(), { padding: [60, 60], maxZoom: 19, duration: 0.6 });
  }

  invalidate() {
    this.map.invalidateSize();
  }
}

/**
 * The hillshade of the site's DEM under every layer, when the site has one (terrain.dem).
 * Resolves to the Leaflet image overlay, or null when the site has no DEM (the API says 404).
 */
export async function addHillshade(siteMap, api) {
  let shade;
  try {
    shade = await api.get("/api/v1/terrain/hillshade");
  } catch (error) {
    if (error.status === 404) return null;
    throw error;
  }
  const map = siteMap.map;
  const pane = map.getPane("hillshadePane") || map.createPane("hillshadePane");
  pane.style.zIndex = 300; // above map tiles (200), below zones (350)
  pane.style.pointerEvents = "none";
  return L.imageOverlay(shade.image, shade.bounds, { pane: "hillshadePane", interactive: false, alt: "" }).addTo(map);
}
