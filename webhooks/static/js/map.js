// Maps of reports (Leaflet from /static/vendor/leaflet, never a CDN). Tiles only when the server sets
// data-tiles-url; without them the gazetteer's outlines (polygons, or circles around a market or area)
// give the points their context. Used by /reports/map (#map) and a report's page (#report-map).
(function () {
  "use strict";
  if (!window.L) { return; }
  var COLORS = {new: "#1a73e8", verified: "#1b7f3b", in_progress: "#c77700", resolved: "#6a4fb3", rejected: "#b3261e"};
  var DEFAULT_VIEW = [[0, 20], 2];

  function readJSON(id) {
    var node = document.getElementById(id);
    if (!node) { return []; }
    try { return JSON.parse(node.textContent || "[]"); } catch (e) { return []; }
  }

  function tag(layer, attrs) {
    var el = layer.getElement && layer.getElement();
    if (!el) { return; }
    Object.keys(attrs).forEach(function (k) { el.setAttribute(k, attrs[k]); });
  }

  // A Leaflet map on `el` with tiles (when configured) and the place outlines; returns {map, outlines}.
  // Without tiles every market and area is named on its outline (labelled); names that would overlap at
  // the current zoom wait for a closer one, markets first, so they never pile up.
  function baseMap(el, shapes, labelled) {
    var tilesUrl = el.getAttribute("data-tiles-url");
    labelled = labelled && !tilesUrl;
    var map = L.map(el, {attributionControl: !!tilesUrl, zoomSnap: 0.5});
    if (tilesUrl) {
      L.tileLayer(tilesUrl, {attribution: el.getAttribute("data-tiles-attribution") || "", maxZoom: 19}).addTo(map);
    }
    // A view first: Leaflet places circles (and measures them) only on a map that has one.
    var known = L.latLngBounds([]);
    shapes.forEach(function (s) {
      if (s.polygon) { s.polygon.forEach(function (c) { known.extend(c); }); }
      else { known.extend(L.latLng(s.center).toBounds(s.radius * 2)); }
    });
    if (known.isValid()) { map.fitBounds(known, {maxZoom: 16}); } else { map.setView(DEFAULT_VIEW[0], DEFAULT_VIEW[1]); }
    var outlines = L.featureGroup().addTo(map);
    shapes.forEach(function (s) {
      var style = {color: "#5f6b73", weight: 1.5, fillColor: "#0b6e4f", fillOpacity: tilesUrl ? 0.05 : 0.12,
                   dashArray: s.kind === "area" ? "6 4" : null, className: "place-outline", interactive: true};
      var layer = s.polygon ? L.polygon(s.polygon, style) : L.circle(s.center, Object.assign({radius: s.radius}, style));
      layer.bindTooltip(s.name, {permanent: labelled, direction: s.kind === "area" ? "center" : "top",
                                 className: "place-label place-label-" + s.kind});
      layer.addTo(outlines);
      layer.placeKind = s.kind;
      tag(layer, {"data-place-id": s.id});
      var label = layer.getTooltip().getElement();
      if (label) { label.setAttribute("data-place-id", s.id); }
    });
    if (labelled) {
      var labels = outlines.getLayers().sort(function (a, b) { return (a.placeKind === "area") - (b.placeKind === "area"); });
      var declutter = function () {
        var taken = [];
        labels.forEach(function (layer) {
          var label = layer.getTooltip().getElement();
          if (!label) { return; }
          var r = label.getBoundingClientRect();
          var clash = taken.some(function (o) { return r.left < o.right && o.left < r.right && r.top < o.bottom && o.top < r.bottom; });
          label.style.visibility = clash ? "hidden" : "";
          label.setAttribute("data-shown", clash ? "no" : "yes");
          if (!clash) { taken.push(r); }
        });
      };
      map.on("zoomend moveend", function () { window.setTimeout(declutter, 0); });
      declutter();
    }
    return {map: map, outlines: outlines};
  }

  function markerFor(p) {
    var color = COLORS[p.status] || "#333";
    var marker = L.circleMarker([p.lat, p.lon], {
      radius: 7, color: color, weight: 2, fillColor: color, fillOpacity: p.approximate ? 0.3 : 0.85,
      dashArray: p.approximate ? "3 2" : null, className: "report-marker status-" + p.status});
    marker.bindPopup(function () { return popup(p); });
    return marker;
  }

  function text(parent, tagName, value, className) {
    var node = document.createElement(tagName);
    node.textContent = value;
    if (className) { node.className = className; }
    parent.appendChild(node);
    return node;
  }

  // Built from DOM nodes: a category or place name can never inject markup.
  function popup(p) {
    var box = document.createElement("div");
    box.className = "map-popup";
    var link = text(box, "a", p.reference, "mono");
    link.href = p.url;
    text(box, "div", p.category_label + (p.place ? " · " + p.place : ""));
    var status = text(box, "span", p.status_label, "badge " + p.status);
    status.setAttribute("data-status", p.status);
    text(box, "span", " " + (p.date_label || p.date), "muted");
    if (p.approximate) { text(box, "div", window.streetline.t("placed_at_market"), "muted"); }
    return box;
  }

  function fit(map, group, fallback) {
    var bounds = group.getLayers().length ? group.getBounds() : null;
    if ((!bounds || !bounds.isValid()) && fallback && fallback.getLayers().length) { bounds = fallback.getBounds(); }
    if (bounds && bounds.isValid()) {
      map.fitBounds(bounds, {padding: [24, 24], maxZoom: 16});
    } else {
      map.setView(DEFAULT_VIEW[0], DEFAULT_VIEW[1]);
    }
  }

  // ---------------------------------------------------------------- /reports/map
  function reportsMap(el) {
    var base = baseMap(el, readJSON("map-outlines"), true);
    var markers = L.featureGroup().addTo(base.map);
    var summary = document.getElementById("map-summary");
    var listLink = document.getElementById("map-list-link");
    var form = document.getElementById("map-filters");
    var pointsUrl = el.getAttribute("data-points-url");

    function say(message) { if (summary) { summary.textContent = message; } }

    function draw(body) {
      markers.clearLayers();
      body.points.forEach(function (p) {
        var m = markerFor(p).addTo(markers);
        tag(m, {"data-reference": p.reference, "data-status": p.status, "data-approximate": String(p.approximate)});
      });
      fit(base.map, markers, base.outlines);
      var t = window.streetline.t, num = window.streetline.number;
      var parts = [t(body.shown === 1 ? "map_shown_one" : "map_shown", {n: num(body.shown)})];
      if (body.truncated) { parts.push(t("map_truncated", {shown: num(body.shown), total: num(body.total)})); }
      if (body.unplaced) { parts.push(t("map_unplaced", {n: num(body.unplaced)})); }
      say(parts.join("; ") + ".");
      if (listLink && body.list_url) { listLink.href = body.list_url; }
      el.setAttribute("data-point-count", String(body.shown));
      el.setAttribute("data-state", "ready");
    }

    function load(query) {
      el.setAttribute("data-state", "loading");
      say(window.streetline.t("loading_reports"));
      return window.streetline.fetchJSON(pointsUrl + (query ? "?" + query : ""), {method: "GET"})
        .then(draw)
        .catch(function (err) {
          markers.clearLayers();
          el.setAttribute("data-state", "error");
          say(window.streetline.t("load_failed", {error: err.message}));
        });
    }

    function queryFrom(formEl) {
      var params = new URLSearchParams();
      new FormData(formEl).forEach(function (value, key) {
        if (value !== "" && key !== "csrf_token") { params.append(key, value); }
      });
      return params.toString();
    }

    if (form) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var query = queryFrom(form);
        var error = document.getElementById("filter-error");
        if (error) { error.remove(); }
        window.history.replaceState(null, "", window.location.pathname + (query ? "?" + query : ""));
        load(query);
      });
    }
    fit(base.map, markers, base.outlines);
    if (el.getAttribute("data-state") !== "error") { load(window.location.search.replace(/^\?/, "")); }
  }

  // ---------------------------------------------------------------- one report's pin
  function reportPin(el) {
    var base = baseMap(el, readJSON("report-map-outlines"), false);
    var p = {lat: parseFloat(el.getAttribute("data-lat")), lon: parseFloat(el.getAttribute("data-lon")),
             status: el.getAttribute("data-status"), approximate: false};
    var color = COLORS[p.status] || "#333";
    var pin = L.circleMarker([p.lat, p.lon], {radius: 9, color: "#fff", weight: 3, fillColor: color, fillOpacity: 1,
                                               className: "report-marker status-" + p.status}).addTo(base.map);
    tag(pin, {"data-reference": el.getAttribute("data-reference"), "data-status": p.status});
    var group = L.featureGroup([pin]);
    base.outlines.eachLayer(function (layer) { group.addLayer(layer); });
    base.map.fitBounds(group.getBounds().pad(0.2), {maxZoom: 16});
    el.setAttribute("data-state", "ready");
  }

  var main = document.getElementById("map");
  if (main && main.hasAttribute("data-points-url")) { reportsMap(main); }
  var small = document.getElementById("report-map");
  if (small) { reportPin(small); }
})();
