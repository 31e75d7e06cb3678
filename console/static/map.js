// The officers' map: layers from /api/map/layers, a plate's sightings from the audited
// search at /api/map/sightings. Without a tile server a plain latitude/longitude grid is the
// background, drawn here, so the map needs nothing from the network but this console.
"use strict";

(() => {
  const el = document.getElementById("map");
  if (!el || !window.L) return;
  const L = window.L;

  function node(tag, text, className) {
    const e = document.createElement(tag);
    if (text !== undefined) e.textContent = text;
    if (className) e.className = className;
    return e;
  }

  function popup(lines, link) {
    const box = node("div");
    lines.filter(Boolean).forEach((line, i) => box.appendChild(node(i === 0 ? "strong" : "div", line)));
    if (link) {
      const a = node("a", link.text);
      a.href = link.href;
      box.appendChild(a);
    }
    return box;
  }

  // Tile edges in Web Mercator are lines of constant latitude and longitude: drawing them and
  // naming each tile's north-west corner gives a true lat/lon grid.
  const Grid = L.GridLayer.extend({
    createTile(coords) {
      const tile = document.createElement("canvas");
      const size = this.getTileSize();
      tile.width = size.x;
      tile.height = size.y;
      const corner = this._map.unproject(coords.scaleBy(size), coords.z);
      const span = 360 / 2 ** coords.z;
      const decimals = Math.max(0, Math.min(6, Math.ceil(-Math.log10(span)) + 1));
      const label = `${corner.lat.toFixed(decimals)}, ${L.Util.wrapNum(corner.lng, [-180, 180], true).toFixed(decimals)}`;
      const ctx = tile.getContext("2d");
      ctx.strokeStyle = "#2c3b4f";
      ctx.lineWidth = 1;
      ctx.beginPath();
      ctx.moveTo(0.5, size.y);
      ctx.lineTo(0.5, 0.5);
      ctx.lineTo(size.x, 0.5);
      ctx.stroke();
      ctx.fillStyle = "#7d8fa6";
      ctx.font = "11px system-ui, sans-serif";
      ctx.fillText(label, 4, 14);
      tile.dataset.label = label;
      return tile;
    },
  });

  const map = L.map(el, { worldCopyJump: true }).setView([20, 0], 2);
  const tileUrl = el.dataset.tileUrl;
  const base = tileUrl
    ? L.tileLayer(tileUrl, { attribution: el.dataset.tileAttribution || "", maxZoom: 19 })
    : new Grid({ className: "map-grid", maxZoom: 19 });
  base.addTo(map);

  const icon = (className, html) =>
    L.divIcon({ className, html: html || "", iconSize: [22, 22], iconAnchor: [11, 11] });
  const layers = {
    lpr: L.layerGroup().addTo(map),
    cells: L.layerGroup().addTo(map),
    listed: L.layerGroup().addTo(map),
    requests: L.layerGroup().addTo(map),
    sightings: L.layerGroup().addTo(map),
  };
  L.control.layers(
    { [tileUrl ? "Map tiles" : "Latitude/longitude grid"]: base },
    {
      "LPR cameras": layers.lpr,
      "Residents' cameras (cells)": layers.cells,
      "Listed residents' cameras": layers.listed,
      "Footage request areas": layers.requests,
      "Sightings": layers.sightings,
    },
    { collapsed: false },
  ).addTo(map);

  const summary = document.getElementById("map-summary");
  const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;

  function drawLayers(data) {
    const points = [];
    for (const c of data.lpr_cameras) {
      points.push([c.lat, c.lon]);
      L.marker([c.lat, c.lon], { icon: icon("lpr-camera-icon", "LPR"), title: c.name })
        .bindPopup(popup([c.name, c.site_name, c.location, c.direction && `facing ${c.direction}`]))
        .addTo(layers.lpr);
    }
    for (const cell of data.camera_cells) {
      const bounds = [[cell.south, cell.west], [cell.north, cell.east]];
      L.rectangle(bounds, { className: "camera-cell", color: "#5fb3ff", weight: 1, fillOpacity: 0.25 })
        .bindTooltip(`${plural(cell.cameras, "registered camera")} in this ~150 m cell`)
        .addTo(layers.cells);
      points.push(bounds[0], bounds[1]);
    }
    for (const c of data.listed_cameras) {
      points.push([c.lat, c.lon]);
      L.marker([c.lat, c.lon], { icon: icon("listed-camera-icon"), title: `listed ${c.camera_kind} camera` })
        .bindPopup(popup([`Listed ${c.camera_kind} camera`, c.address, c.contact]))
        .addTo(layers.listed);
    }
    for (const r of data.request_areas) {
      points.push([r.lat, r.lon]);
      L.circle([r.lat, r.lon], { radius: r.radius_m, className: `request-area request-${r.status}`, color: "#ffb347", weight: 1 })
        .bindPopup(popup([`Case ${r.case_number} (${r.status})`, r.public_summary],
          { href: `/community/requests/${r.id}`, text: "Open the request" }))
        .addTo(layers.requests);
    }
    if (points.length) map.fitBounds(L.latLngBounds(points).pad(0.2), { maxZoom: 16 });
    const n = data.unplaced_lpr_cameras;
    const unplaced = n ? ` (${n} more ${n === 1 ? "has" : "have"} no coordinates and ${n === 1 ? "is" : "are"} not shown)` : "";
    summary.textContent = `${plural(data.lpr_cameras.length, "LPR camera")}${unplaced}, ` +
      `${plural(data.camera_cells.length, "cell")} of residents' cameras, ` +
      `${plural(data.listed_cameras.length, "listed camera")}, ${plural(data.request_areas.length, "request area")}.`;
  }

  fetch("/api/map/layers", { credentials: "same-origin" })
    .then((r) => (r.ok ? r.json() : Promise.reject(new Error(`the map's layers did not load (${r.status})`))))
    .then(drawLayers)
    .catch((err) => { summary.textContent = err.message; });

  const form = document.getElementById("sightings-form");
  if (!form) return;
  const status = document.getElementById("sightings-status");
  const list = document.getElementById("sightings-list");

  function message(body, code) {
    if (typeof body.detail === "string") return body.detail;
    if (Array.isArray(body.detail)) {
      return body.detail.map((e) => `${e.loc.slice(1).join(".")}: ${e.msg.replace(/^Value error, /, "")}`).join("; ");
    }
    return `the search failed (${code})`;
  }

  // One marker per camera, naming every sighting there ("1, 4"), so none hides another.
  function drawSightings(result) {
    layers.sightings.clearLayers();
    list.replaceChildren();
    const path = [];
    const atCamera = new Map();
    for (const s of result.sightings) {
      const when = window.platewatch.localTime(s.captured_at);
      const item = node("li", `${when} — ${s.plate} at ${s.camera_name} (${s.site_name})`);
      list.appendChild(item);
      if (s.lat === null || s.lon === null) {
        item.appendChild(node("span", " · camera has no coordinates", "muted"));
        continue;
      }
      path.push([s.lat, s.lon]);
      const key = `${s.lat},${s.lon}`;
      if (!atCamera.has(key)) atCamera.set(key, { lat: s.lat, lon: s.lon, camera: `${s.camera_name} (${s.site_name})`, seen: [] });
      atCamera.get(key).seen.push(s);
    }
    for (const place of atCamera.values()) {
      const numbers = place.seen.map((s) => s.n).join(", ");
      const lines = place.seen.map((s) => `${s.n}. ${s.plate}, ${window.platewatch.localTime(s.captured_at)}`);
      const width = 14 + 8 * numbers.length;
      L.marker([place.lat, place.lon], {
        icon: L.divIcon({ className: "sighting-icon", html: numbers, iconSize: [width, 22], iconAnchor: [width / 2, 11] }),
        title: `${place.camera}: ${numbers}`,
        zIndexOffset: 1000,
      }).bindPopup(popup([place.camera, ...lines])).addTo(layers.sightings);
    }
    if (path.length > 1) L.polyline(path, { className: "sighting-path", color: "#ffb347", weight: 3 }).addTo(layers.sightings);
    if (path.length) map.fitBounds(L.latLngBounds(path).pad(0.3), { maxZoom: 17 });
    const cut = result.truncated ? " (only the newest are shown: narrow the time range)" : "";
    status.textContent = `${plural(result.count, "sighting")} of ${result.pattern}${cut}; recorded in the audit log as entry ${result.audit_id}.`;
  }

  async function show(url, body) {
    status.textContent = "Searching…";
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": window.platewatch.csrf() },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      status.textContent = `The search did not run: ${message(data, response.status)}`;
      return;
    }
    drawSightings(data);
  }

  // An earlier search runs again only on a click: a link alone never writes an audit entry.
  const rerun = document.getElementById("rerun");
  if (rerun) rerun.addEventListener("click", () => show(`/api/map/sightings/${encodeURIComponent(rerun.dataset.search)}`));

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const field = (name) => form.elements.namedItem(name).value;
    const when = (name) => {
      const d = new Date(field(name));
      return Number.isNaN(d.getTime()) ? field(name) : d.toISOString();
    };
    show("/api/map/sightings", {
      plate: field("plate"), start: when("start"), end: when("end"),
      case_number: field("case_number"), reason: field("reason"),
    });
  });
})();
