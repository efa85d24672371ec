/* Lá Chắn map: Leaflet (served by the platform) with the layers of lachan.situation.map_layers.
   LachanMap.mount(element, config) — config comes from the page (map_config in lachan/situation/views.py):
   {layers: [{key, title, url, visible, kind}], bounds, tiles: {url, attribution}, labels: {...},
    refreshSeconds, draw: {input, form} | null, on: "YYYY-MM-DD" | null}. No request leaves the platform unless a
   base-tile URL is configured. Needs web/poll.js (loaded before it). */
(function () {
  "use strict";
  var LEVEL_HEX = {1: "#2e7d32", 2: "#f9a825", 3: "#ef6c00", 4: "#c62828"};
  var NONE_HEX = "#9e9e9e";
  var PLACE_STYLE = {
    test_sites: {color: "#6a1b9a", letter: "XN"},
    health_stations: {color: "#1565c0", letter: "YT"},
    quarantine_facilities: {color: "#4e342e", letter: "CL"},
    essential_shops: {color: "#00838f", letter: "TP"},
    declaration_points: {color: "#37474f", letter: "KB"}
  };

  function esc(value) {
    return String(value === null || value === undefined ? "" : value).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
  }

  function levelHex(level) { return LEVEL_HEX[level] || NONE_HEX; }

  // Lower case without diacritics (đ → d), as the server's lachan.core.text.fold.
  function fold(text) {
    return String(text).replace(/đ/g, "d").replace(/Đ/g, "D").normalize("NFD").replace(/[\u0300-\u036f]/g, "")
      .toLowerCase().replace(/[^0-9a-z]+/g, " ").trim();
  }

  function row(label, value) {
    return value === null || value === undefined || value === "" ? "" :
      "<tr><th>" + esc(label) + "</th><td>" + esc(value) + "</td></tr>";
  }

  function popupFor(key, p, L10N) {
    var html = "<div class='map-popup'><strong>" + esc(p.name) + "</strong>" + (p.within ? " <small>" + esc(p.within) + "</small>" : "") + "<table>";
    if (key === "risk") {
      html += row(L10N.level, p.level ? L10N["level" + p.level] : L10N.notAssessed);
      if (p.overridden) { html += row("", L10N.overridden); }
      html += row(L10N.cases, p.cases) + row(L10N.rate, p.rate) + row(L10N.population, p.population);
      html += "</table>";
      if (L10N.unitUrl && p.code) { html += "<a href='" + L10N.unitUrl.replace("CODE", encodeURIComponent(p.code)) + "'>" + esc(L10N.details) + "</a>"; }
      return html + "</div>";
    }
    if (key === "cases") {
      html += row(L10N.casesWeek, p.cases) + row(L10N.community, p.community) + row(L10N.previousWeek, p.previous_week);
    } else if (key === "lockdowns") {
      html += row(L10N.from, p.starts_on) + row(L10N.until, p.ends_on || L10N.untilLifted) + row(L10N.unit, p.unit) +
        row(p.residents_estimated ? L10N.residentsEstimated : L10N.residents, p.residents) + row(L10N.areaKm2, p.area_km2) +
        row(L10N.reason, p.reason);
      html += "</table>";
      if (L10N.lockdownUrl && p.id) { html += "<a href='" + L10N.lockdownUrl.replace("ID", p.id) + "'>" + esc(L10N.details) + "</a>"; }
      return html + "</div>";
    } else {
      html += row(L10N.address, p.address) + row(L10N.commune, p.commune) + row(L10N.phone, p.phone);
      if (p.beds !== undefined) { html += row(L10N.beds, p.beds) + row(L10N.inUse, p.in_use) + row(L10N.free, p.free); }
    }
    return html + "</table></div>";
  }

  function layerFor(spec, data, L10N, units) {
    var key = spec.key;
    return L.geoJSON(data, {
      // Leaflet applies `style` to circle markers too: points get their own look here.
      style: function (feature) {
        var p = feature.properties, point = feature.geometry && feature.geometry.type === "Point";
        if (key === "lockdowns") { return {color: "#b71c1c", weight: 2, dashArray: "6 4", fillColor: "#b71c1c", fillOpacity: 0.25}; }
        if (key === "cases") { return {color: "#7f0000", weight: 1, fillColor: "#d32f2f", fillOpacity: 0.55}; }
        // An approximate area (cells around the centres, no official boundary yet) is outlined dashed.
        return {color: point ? "#455a64" : "#ffffff", weight: 1, dashArray: p.approximate ? "4 3" : null,
                fillColor: levelHex(p.level), fillOpacity: point ? 0.95 : 0.6};
      },
      pointToLayer: function (feature, latlng) {
        var p = feature.properties;
        if (key === "risk") {
          return L.circleMarker(latlng, {radius: 8});
        }
        if (key === "cases") {
          return L.circleMarker(latlng, {radius: 4 + 3 * Math.sqrt(p.cases || 0)});
        }
        var style = PLACE_STYLE[key] || {color: "#333", letter: "•"};
        return L.marker(latlng, {icon: L.divIcon({className: "map-pin", html: "<span style='background:" + style.color + "'>" +
          style.letter + "</span>", iconSize: [26, 18], iconAnchor: [13, 9]}), title: p.name});
      },
      onEachFeature: function (feature, layer) {
        layer.bindPopup(popupFor(key, feature.properties, L10N));
        if (key === "risk" && feature.properties.name) {
          layer.bindTooltip(feature.properties.name, {sticky: true});
          if (units) { units[unitLabel(feature.properties)] = layer; }
        }
      }
    });
  }

  function legend(map, config) {
    var control = L.control({position: "bottomright"});
    control.onAdd = function () {
      var div = L.DomUtil.create("div", "map-legend");
      var L10N = config.labels;
      var html = "<details" + (narrow() ? "" : " open") + "><summary>" + esc(L10N.legend) + "</summary>";
      [1, 2, 3, 4].forEach(function (lv) { html += "<div><i style='background:" + LEVEL_HEX[lv] + "'></i>" + esc(L10N["short" + lv]) + "</div>"; });
      html += "<div><i style='background:" + NONE_HEX + "'></i>" + esc(L10N.notAssessed) + "</div>";
      config.layers.forEach(function (spec) {
        if (config.compact && !spec.visible) { return; }  // a small map's legend names only what it shows at first
        var s = PLACE_STYLE[spec.key];
        if (s) { html += "<div><span class='map-pin-legend' style='background:" + s.color + "'>" + s.letter + "</span>" + esc(spec.title) + "</div>"; }
        if (spec.key === "lockdowns") { html += "<div><i class='lockdown'></i>" + esc(spec.title) + "</div>"; }
        if (spec.key === "cases") { html += "<div><i class='cases'></i>" + esc(spec.title) + "</div>"; }
      });
      div.innerHTML = html + "</details>";
      L.DomEvent.disableClickPropagation(div);
      return div;
    };
    control.addTo(map);
  }

  function unitLabel(p) { return p.within ? p.name + " (" + p.within + ")" : p.name; }

  function narrow() { return window.innerWidth < 700; }

  // Find a commune (or district) by name: the list comes from the risk layer; picking one zooms to it and opens it.
  function search(map, state, config) {
    var control = L.control({position: "topleft"});
    control.onAdd = function () {
      var div = L.DomUtil.create("div", "map-search");
      var listId = state.element.id + "-units";
      div.innerHTML = "<input type='search' list='" + listId + "' placeholder='" + esc(config.labels.find) + "' aria-label='" +
        esc(config.labels.find) + "' data-testid='map-search'><datalist id='" + listId + "'></datalist>";
      L.DomEvent.disableClickPropagation(div);
      var input = div.querySelector("input");
      function go() {
        // Typed with or without diacritics, in part: one unit found opens; several (names repeat across towns) are
        // listed with their town to choose from.
        var typed = input.value.trim(), found = state.units[typed];
        if (!found && typed) {
          var words = fold(typed).split(" ");
          var matches = Object.keys(state.units).filter(function (name) {
            var folded = " " + fold(name) + " ";  // a word's start; a number whole ("1" is not "10")
            return words.every(function (w) { return folded.indexOf(" " + w + (/^[0-9]+$/.test(w) ? " " : "")) >= 0; });
          }).sort();
          state.fillSearch(matches);
          input.setAttribute("data-matches", String(matches.length));
          if (matches.length === 1) { found = state.units[matches[0]]; input.value = matches[0]; }
        }
        if (!found) { return; }
        if (found.getBounds) { map.fitBounds(found.getBounds(), {maxZoom: 14}); } else { map.setView(found.getLatLng(), 14); }
        found.openPopup();
      }
      input.addEventListener("change", go);
      input.addEventListener("keydown", function (e) { if (e.key === "Enter") { e.preventDefault(); go(); } });
      return div;
    };
    control.addTo(map);
    state.fillSearch = function (names) {
      var list = document.getElementById(state.element.id + "-units");
      if (!list) { return; }
      list.innerHTML = (names || Object.keys(state.units).sort()).map(function (name) {
        return "<option value='" + esc(name) + "'>"; }).join("");
    };
  }

  function clock(timeZone) {  // in the server's time zone, as the rest of the page shows times
    try { return new Date().toLocaleTimeString("vi-VN", {timeZone: timeZone, hour12: false}); } catch (e) { return new Date().toLocaleTimeString(); }
  }

  function mount(element, config) {
    var map = L.map(element, {preferCanvas: true, zoomSnap: 0.25, attributionControl: !!(config.tiles && config.tiles.url)});
    if (config.tiles && config.tiles.url) {
      L.tileLayer(config.tiles.url, {attribution: config.tiles.attribution || "", maxZoom: 19}).addTo(map);
    }
    map.setView([16, 106], 6);
    var control = L.control.layers(null, null, {collapsed: !!config.compact || narrow()}).addTo(map);
    var state = {map: map, element: element, layers: {}, units: {}, on: config.on || null,
                 status: element.parentNode.querySelector("[data-map-status]")};
    element.lachanMap = state;

    function url(spec) {
      var params = [];
      if (state.on) { params.push("on=" + encodeURIComponent(state.on)); }
      if (spec.key === "risk" && state.adminLevel) { params.push("admin_level=" + encodeURIComponent(state.adminLevel)); }
      return spec.url + (params.length ? (spec.url.indexOf("?") < 0 ? "?" : "&") + params.join("&") : "");
    }

    // One group per layer, added to the control in the page's order; a reload refills the group in place.
    config.layers.forEach(function (spec) {
      var group = L.featureGroup();
      state.layers[spec.key] = group;
      control.addOverlay(group, esc(spec.title));
      if (spec.visible) { group.addTo(map); }
    });

    function load(spec) {
      return window.lachanPoll.get(url(spec), "application/geo+json").then(function (data) {
        var group = state.layers[spec.key];
        group.clearLayers();
        if (spec.key === "risk") { state.units = {}; }
        group.addLayer(layerFor(spec, data, config.labels, spec.key === "risk" ? state.units : null));
        if (spec.key === "risk" && state.fillSearch) { state.fillSearch(); }
        group.featureCount = data.features.length;
        if (spec.key === "risk") { element.setAttribute("data-risk-day", data.on || ""); }
        return data;
      });
    }

    function loadAll() {
      element.setAttribute("data-loaded", "0");
      return Promise.all(config.layers.map(load)).then(function () {
        element.setAttribute("data-loaded", "1");
        if (state.status) { var day = element.getAttribute("data-risk-day");
          state.status.textContent = config.labels.updated + " " + clock(config.timeZone) +
            (day ? " · " + config.labels.levelsOf + " " + day.split("-").reverse().join("/") : ""); state.status.classList.remove("error"); }
        if (state.layers.lockdowns && map.hasLayer(state.layers.lockdowns)) { state.layers.lockdowns.bringToFront(); }
        var counts = {};
        config.layers.forEach(function (spec) { counts[spec.key] = state.layers[spec.key].featureCount || 0; });
        element.setAttribute("data-counts", JSON.stringify(counts));
      }).catch(function () {
        element.setAttribute("data-loaded", "error");
        if (state.status) { state.status.textContent = config.labels.failed; state.status.classList.add("error"); }
      });
    }
    state.reload = loadAll;
    state.setDay = function (day) { state.on = day || null; return loadAll(); };
    state.setAdminLevel = function (level) { state.adminLevel = level || null; return loadAll(); };
    legend(map, config);
    if (config.bounds) {  // the province beside the open legend, not under it
      var shown = element.querySelector(".map-legend details[open]");
      map.fitBounds(config.bounds, {paddingBottomRight: [shown ? shown.offsetWidth + 10 : 0, 0], animate: false});
    }
    if (!config.compact) { search(map, state, config); }
    // Loaded now, then again every refreshSeconds (web/poll.js: not while the tab is hidden).
    window.lachanPoll({run: loadAll, every: config.refreshSeconds, now: true});
    if (config.draw && L.Control.Draw) {
      // The tools' words in the reader's language (the server's translations, in L.drawLocal's shape).
      (function merge(into, from) {
        Object.keys(from || {}).forEach(function (k) {
          if (from[k] && typeof from[k] === "object") { into[k] = into[k] || {}; merge(into[k], from[k]); } else { into[k] = from[k]; }
        });
      })(L.drawLocal, config.draw.local);
      var drawn = new L.FeatureGroup().addTo(map);
      map.addControl(new L.Control.Draw({
        edit: {featureGroup: drawn, remove: true},
        draw: {polygon: {allowIntersection: false, showArea: true}, rectangle: {}, polyline: false, circle: false,
               marker: false, circlemarker: false}
      }));
      var input = document.querySelector(config.draw.input);
      var sync = function () {
        var shapes = drawn.toGeoJSON().features.map(function (f) { return f.geometry; });
        var geometry = null;
        if (shapes.length === 1) { geometry = shapes[0]; }
        if (shapes.length > 1) { geometry = {type: "MultiPolygon", coordinates: shapes.map(function (g) { return g.coordinates; })}; }
        input.value = geometry ? JSON.stringify(geometry) : "";
        input.dispatchEvent(new Event("change"));
      };
      map.on(L.Draw.Event.CREATED, function (e) { drawn.addLayer(e.layer); sync(); });
      map.on(L.Draw.Event.EDITED, sync);
      map.on(L.Draw.Event.DELETED, sync);
      state.drawn = drawn;
    }
    setTimeout(function () { map.invalidateSize(); }, 0);
    return state;
  }

  window.LachanMap = {mount: mount};
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-lachan-map]").forEach(function (el) {
      var config = JSON.parse(document.getElementById(el.getAttribute("data-lachan-map")).textContent);
      mount(el, config);
    });
    document.querySelectorAll("[data-map-admin-level]").forEach(function (select) {
      select.addEventListener("change", function () {
        var el = document.getElementById(select.getAttribute("data-map-admin-level"));
        if (el && el.lachanMap) { el.lachanMap.setAdminLevel(select.value); }
      });
    });
    document.querySelectorAll("[data-map-day]").forEach(function (input) {
      input.addEventListener("change", function () {
        var el = document.getElementById(input.getAttribute("data-map-day"));
        // typed day first (lachan.core.widgets.DateInput); the API reads ISO
        var day = window.lachanDates ? window.lachanDates.toIso(input.value, false) : input.value;
        if (el && el.lachanMap) { el.lachanMap.setDay(day); }
      });
    });
  });
})();
