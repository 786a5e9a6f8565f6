/* Day Services Planner: small client-side helpers for the Leaflet map.
 *
 * Area polygons are drawn once. Each area's Leaflet layer is registered by its row
 * number, so a new colouring only needs a class per area: paintAreas() restyles the
 * existing layers in place instead of redrawing the GeoJSON.
 *
 * Component ids and the values shared with the server come from window.dspShared
 * (assets/00-shared.js, generated from Python by dashboard/shared_with_browser.py).
 */
window.dsp = Object.assign(window.dsp || {}, {
  areaLayers: {},
  areaFill: null,
  paintCount: 0,

  areaStyle: function () {
    return {weight: 0.5, color: "#ffffff", opacity: 0.9, fillOpacity: 0.82, fillColor: "#bdbdbd"};
  },

  areaHoverStyle: function () {
    return {weight: 2.5, color: "#111111"};
  },

  countyStyle: function () {
    return {weight: 3, color: "#222222", fill: false};
  },

  roadStyle: function (feature) {
    var byClass = {
      motorway: {weight: 4, color: "#5b2c06"},
      a_road: {weight: 2.5, color: "#7a4a14"},
      b_road: {weight: 1.5, color: "#9c6b30", dashArray: "4 3"}
    };
    return Object.assign({opacity: 0.85}, byClass[feature.properties.road_class] || {weight: 1, color: "#999"});
  },

  fillFor: function (i) {
    var fill = window.dsp.areaFill;
    if (!fill) { return "#bdbdbd"; }
    var c = fill.classes[i];
    return (c === null || c === undefined || c < 0) ? "#bdbdbd" : fill.palette[c];
  },

  // Text shown as HTML by Leaflet (tooltips), with the characters that make markup escaped.
  escapeHtml: function (text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
  },

  hubIdOf: function (marker) {
    var element = marker.getElement && marker.getElement();
    var tagged = element && element.querySelector("[data-hub-id]");
    return tagged ? tagged.getAttribute("data-hub-id") : null;
  },

  // The current value of a Dash property, read outside a callback (Dash's component API).
  propOf: function (id, prop) {
    var component = window.dash_component_api.getLayout(id);
    return component ? component.props[prop] : undefined;
  },

  // A drag or an arrow-key nudge, applied to the plan here and at once: no callback runs for the
  // edit itself (each callback costs the page's bookkeeping tens of milliseconds), so the figures'
  // request leaves as soon as the plan is written. The same rules as geo/plan_edits.py move_hub,
  // the undo history as dashboard/history.py record, the status as the server words it.
  // event: {kind: "move", hub, lat, lng} or {kind: "nudge", hub, dx, dy}.
  moveHub: function (event) {
    var dsp = window.dsp;
    var set = window.dash_clientside.set_props;
    var ids = window.dspShared.ids;
    var plan = dsp.propOf(ids.PLAN, "data");
    var edit = dsp.editHub(event, plan);
    if (edit.plan) {
      var history = dsp.propOf(ids.PLAN_HISTORY, "data");
      set(ids.PLAN, {data: edit.plan});
      set(ids.PLAN_HISTORY, {data: {past: ((history && history.past) || []).concat([plan])
                                            .slice(-window.dspShared.MAX_UNDO_STEPS), future: []}});
      if (dsp.propOf(ids.ADD_MODE, "data")) { set(ids.ADD_MODE, {data: null}); }  // a move ends adding
    }
    set(ids.PLAN_STATUS, {children: edit.status});
  },

  // The edit itself: {plan, status}, plan null when nothing moves.
  editHub: function (event, plan) {
    var dsp = window.dsp;
    var hubs = (plan && plan.hubs) || [];
    var index = hubs.findIndex(function (hub) { return hub.hub_id === event.hub; });
    if (index < 0) { return {plan: null, status: "That hub is no longer in the plan."}; }
    var hub = hubs[index];
    if (hub.locked) { return {plan: null, status: "hub '" + hub.name + "' is locked: unlock it before moving it"}; }
    var xy = event.kind === "nudge" ? [hub.x + event.dx, hub.y + event.dy] : dsp.gridXY(event.lng, event.lat);
    var gridX = window.dspShared.GRID_X_RANGE_M, gridY = window.dspShared.GRID_Y_RANGE_M;
    if (!(xy[0] >= gridX[0] && xy[0] <= gridX[1] && xy[1] >= gridY[0] && xy[1] <= gridY[1])) {
      return {plan: null, status: hub.name + " cannot go there: it is outside Great Britain's grid."};
    }
    var moved = hubs.slice();
    moved[index] = Object.assign({}, hub, {x: xy[0], y: xy[1]});
    return {plan: Object.assign({}, plan, {hubs: moved}), status: hub.name + " moved."};
  },

  // dash-leaflet does not write a dragged marker's position back to Dash on its own.
  hubDragEnd: function (e) {
    window.dsp.scheduleDeclutter();
    var hub = window.dsp.hubIdOf(e.target);
    var position = e.target.getLatLng();
    if (hub) { window.dsp.moveHub({kind: "move", hub: hub, lat: position.lat, lng: position.lng}); }
  },

  // British National Grid (EPSG:27700) from longitude and latitude, with proj4js (assets/00-proj4.js)
  // and the Helmert transformation PROJ uses without the OSTN15 grid: within a millimetre of the
  // server's geo/projection.py, and about 2 m of OSTN15 where the server has that grid.
  BRITISH_NATIONAL_GRID: "+proj=tmerc +lat_0=49 +lon_0=-2 +k=0.9996012717 +x_0=400000 +y_0=-100000 " +
    "+ellps=airy +towgs84=446.448,-125.157,542.06,0.15,0.247,0.842,-20.489 +units=m +no_defs",

  gridXY: function (lng, lat) {
    return window.proj4("EPSG:4326", window.dsp.BRITISH_NATIONAL_GRID, [lng, lat]);
  },

  // [lat, lng] of grid metres, to 6 decimals as the server's planning_panel.latlon writes them.
  latLng: function (x, y) {
    var lngLat = window.proj4(window.dsp.BRITISH_NATIONAL_GRID, "EPSG:4326", [x, y]);
    var scale = Math.pow(10, window.dspShared.LATLNG_DECIMALS);
    var round = function (v) { return Math.round(v * scale) / scale; };
    return [round(lngLat[1]), round(lngLat[0])];
  },

  // What the hub layer shows apart from where the hubs are (dashboard/planning_panel.py draw_hubs
  // redraws the markers when it changes; a move only sets positions).
  hubLayerKey: function (plan) {
    return JSON.stringify(((plan && plan.hubs) || []).map(function (hub) {
      return [hub.hub_id, hub.label, hub.name, !!hub.locked, (hub.outreach_points || []).map(function (point) {
        return [point.name, point.x, point.y];
      })];
    }));
  },

  // Put the drawn hub markers and outreach links where the plan has them, writing only those that
  // moved: each write is a prop change the whole page hears about. ``markers`` and ``links`` are
  // the callback's pattern-matching states ({id, value} per component on the page).
  placeHubs: function (plan, markers, links) {
    var dsp = window.dsp;
    var set = window.dash_clientside.set_props;
    var hubs = {};
    ((plan && plan.hubs) || []).forEach(function (hub) { hubs[hub.hub_id] = hub; });
    var same = function (a, b) { return JSON.stringify(a) === JSON.stringify(b); };
    markers.forEach(function (marker) {
      var hub = hubs[marker.id.hub];
      if (!hub) { return; }
      var at = dsp.latLng(hub.x, hub.y);
      if (!same(at, marker.value)) { set(marker.id, {position: at}); }
    });
    links.forEach(function (link) {
      var hub = hubs[link.id.hub];
      var point = hub && (hub.outreach_points || [])[link.id.point];
      if (!point) { return; }
      var at = [dsp.latLng(hub.x, hub.y), dsp.latLng(point.x, point.y)];
      if (!same(at, link.value)) { set(link.id, {positions: at}); }
    });
  },

  hubClick: function (e) {
    window.dsp.selectHub(window.dsp.hubIdOf(e.target));
  },

  // Choose a hub (clicked, or moved from the keyboard), so Rename and Remove act on it.
  selectHub: function (hub) {
    var select = window.dspShared.ids.HUB_SELECT;
    if (hub && window.dsp.propOf(select, "value") !== hub) {
      window.dash_clientside.set_props(select, {value: hub});
    }
  },

  // A hub marker is on the map: it is announced by its title ("Hub: <name>"), and described by the
  // hidden sentence in its icon (its label, and how to move it from the keyboard).
  hubAdded: function (e) {
    var dsp = window.dsp;
    var element = e.target.getElement && e.target.getElement();
    var help = element && element.querySelector("[id^='hub-help-']");
    if (help) { element.setAttribute("aria-describedby", help.id); }
    dsp.watchMap(e.target._map);
    dsp.hubMarkers = dsp.hubMarkers.filter(function (marker) { return marker._map; }).concat([e.target]);
    dsp.scheduleDeclutter();
  },

  serviceAdded: function (e) {
    window.dsp.watchMap(e.target._map);
    window.dsp.serviceMarkers.push(e.target);
    window.dsp.scheduleDeclutter();
  },

  hubMarkers: [],
  serviceMarkers: [],

  // Once per map: keep services clear of hubs after each zoom, and when the map's box changes size (the
  // page settling, the key under it growing with the layer shown, a window resized) tell Leaflet, and
  // fit the whole locality in again unless the planner has moved or zoomed the map themselves.
  watchMap: function (map) {
    var dsp = window.dsp;
    if (!map || dsp.map === map) { return; }
    dsp.map = map;
    dsp.mapMovedByHand = false;
    map.on("zoomend", dsp.scheduleDeclutter);
    map.on("dragstart", function () { dsp.mapMovedByHand = true; });
    var container = map.getContainer();
    ["wheel", "keydown", "dblclick"].forEach(function (kind) {
      container.addEventListener(kind, function (event) {
        if (kind !== "keydown" || !event.target.closest(".leaflet-marker-icon")) { dsp.mapMovedByHand = true; }
      }, true);
    });
    container.querySelectorAll(".leaflet-control-zoom a").forEach(function (button) {
      button.addEventListener("click", function () { dsp.mapMovedByHand = true; });
    });
    if (window.ResizeObserver) {
      new ResizeObserver(function () {
        if (!container.clientWidth || !container.clientHeight) { return; }  // hidden: another view is open
        map.invalidateSize({pan: false});
        var home = dsp.localityBounds();
        if (!dsp.mapMovedByHand && home) { map.fitBounds(home, {padding: [12, 12], animate: false}); }
      }).observe(container);
    }
  },

  localityBounds: function () {
    var bounds = null;
    var layers = window.dsp.areaLayers;
    for (var i in layers) {
      if (Object.prototype.hasOwnProperty.call(layers, i)) {
        bounds = bounds ? bounds.extend(layers[i].getBounds()) : window.L.latLngBounds(layers[i].getBounds());
      }
    }
    return bounds;
  },

  scheduleDeclutter: function () {
    var dsp = window.dsp;
    if (dsp.declutterPending) { return; }
    dsp.declutterPending = true;
    requestAnimationFrame(function () { dsp.declutterPending = false; dsp.declutter(); });
  },

  // No service symbol hides under a hub's disc or another service: each is nudged, on screen only,
  // until its 24-pixel box clears every hub's box (34) and every other service's (WCAG 2.5.8). Boxes,
  // not circles: the whole box of a marker takes the click. Its place on the map is unchanged.
  HUB_CLEAR_PX: 31,  // centre to centre, across or down: half a hub's box (17), half a service's (12), a gap
  SERVICE_CLEAR_PX: 26,
  declutter: function () {
    var dsp = window.dsp;
    var map = dsp.map;
    if (!map) { return; }
    var services = dsp.serviceMarkers.filter(function (marker) { return marker._map === map && marker.getElement(); });
    var at = services.map(function (marker) { return map.latLngToLayerPoint(marker.getLatLng()); });
    var hubs = dsp.hubMarkers.filter(function (marker) { return marker._map === map; })
      .map(function (marker) { return map.latLngToLayerPoint(marker.getLatLng()); });
    var shift = at.map(function () { return [0, 0]; });
    var push = function (i, from, clear, share) {  // move service i (share of the way) until it clears ``from``
      var dx = at[i].x + shift[i][0] - from[0], dy = at[i].y + shift[i][1] - from[1];
      var d = Math.max(Math.abs(dx), Math.abs(dy));
      if (d >= clear) { return false; }
      if (d < 0.5) { dx = 1; dy = -0.3; d = 1; }
      shift[i][0] += share * dx * (clear / d - 1);
      shift[i][1] += share * dy * (clear / d - 1);
      return true;
    };
    for (var round = 0; round < 12; round += 1) {
      var moved = false;
      for (var i = 0; i < at.length; i += 1) {
        for (var h = 0; h < hubs.length; h += 1) { moved = push(i, [hubs[h].x, hubs[h].y], dsp.HUB_CLEAR_PX, 1) || moved; }
        for (var j = i + 1; j < at.length; j += 1) {
          var other = [at[j].x + shift[j][0], at[j].y + shift[j][1]];
          var mine = [at[i].x + shift[i][0], at[i].y + shift[i][1]];
          if (push(i, other, dsp.SERVICE_CLEAR_PX, 0.5)) { push(j, mine, dsp.SERVICE_CLEAR_PX, 0.5); moved = true; }
        }
      }
      if (!moved) { break; }
    }
    services.forEach(function (marker, k) {
      var style = marker.getElement().style;
      var left = Math.round(-12 + shift[k][0]) + "px", top = Math.round(-12 + shift[k][1]) + "px";
      if (style.marginLeft !== left) { style.marginLeft = left; }  // the icon's anchor (12, 12), moved
      if (style.marginTop !== top) { style.marginTop = top; }
    });
  },

  // Recolour the areas in place: fill = {layer, palette, classes} (dashboard/map_panel.py area_fill).
  // After a drag only the areas around the hub change class: restyling only those keeps the
  // canvas redraw to their corner of the map (at 35,000 areas a full repaint is a fifth of a second).
  paintAreas: function (fill) {
    var before = window.dsp.areaFill;
    var sameKey = before && before.layer === fill.layer && JSON.stringify(before.palette) === JSON.stringify(fill.palette);
    window.dsp.areaFill = fill;
    var layers = window.dsp.areaLayers;
    for (var i in layers) {
      if (Object.prototype.hasOwnProperty.call(layers, i) && !(sameKey && before.classes[i] === fill.classes[i])) {
        layers[i].setStyle({fillColor: window.dsp.fillFor(i)});
      }
    }
    window.dsp.paintCount += 1;
    window.dsp.lastPaint = {layer: fill.layer, at: Date.now(), count: window.dsp.paintCount};
  },

  registerArea: function (feature, layer) {
    var i = feature.properties.i;
    window.dsp.areaLayers[i] = layer;
    // Leaflet writes a text tooltip as markup: names from an uploaded file are escaped first.
    var text = feature.properties.name + " (" + feature.properties.district + ")";
    layer.bindTooltip(window.dsp.escapeHtml(text), {sticky: true});
    if (window.dsp.areaFill) { layer.setStyle({fillColor: window.dsp.fillFor(i)}); }
  }
});

window.dash_clientside = Object.assign({}, window.dash_clientside, {
  dsp: {
    // Undo/redo: history = {past: [plans], future: [plans]}, written by the server on each edit.
    stepHistory: function (undoClicks, redoClicks, plan, history) {
      var undo = window.dash_clientside.callback_context.triggered_id === window.dspShared.ids.UNDO;
      var from = undo ? history.past : history.future;
      if (!from || from.length === 0) {
        return [window.dash_clientside.no_update, window.dash_clientside.no_update,
                undo ? "Nothing to undo." : "Nothing to redo."];
      }
      var target = undo ? history.past[history.past.length - 1] : history.future[0];
      var next = undo
        ? {past: history.past.slice(0, -1), future: [plan].concat(history.future)}
        : {past: history.past.concat([plan]), future: history.future.slice(1)};
      return [target, next, undo ? "Undone." : "Redone."];
    },

    // Everything the browser keeps in step with the plan, in one callback (every callback a drag
    // wakes costs the page's bookkeeping more than its own work): the money key and the plan for
    // money by place (assets/money.js), the hub layer's key, and the markers' positions. Each is
    // written only when it changed. States 3 and 4 are the drawn markers and outreach links.
    followPlan: function (plan, tab, moneyKey, placesPlan, layerKey) {
      if (!plan) { return; }
      var money = window.dash_clientside.dspMoney;
      var noUpdate = window.dash_clientside.no_update;
      var set = window.dash_clientside.set_props;
      var ids = window.dspShared.ids;
      var states = window.dash_clientside.callback_context.states_list;
      var key = money.moneyKey(plan, moneyKey);
      if (key !== noUpdate) { set(ids.MONEY_KEY, {data: key}); }
      var passed = money.planForOpenTab(plan, tab, placesPlan);
      if (passed !== noUpdate) { set(ids.PLACES_PLAN, {data: passed}); }
      var layer = window.dsp.hubLayerKey(plan);
      if (layer !== layerKey) {
        set(ids.HUB_LAYER_KEY, {data: layer});  // the markers are redrawn where the plan has them
      } else {
        window.dsp.placeHubs(plan, states[3], states[4]);
      }
    },

    // The chosen hub's marker is outlined; choosing another changes classes in place (the markers'
    // own icons carry the choice as of their last redraw).
    markSelectedHub: function (selected) {
      document.querySelectorAll(".hub-marker [data-hub-id]").forEach(function (icon) {
        icon.classList.toggle("hub-icon-selected", icon.getAttribute("data-hub-id") === selected);
      });
    }
  }
});

// Arrow keys on a focused hub move it (Shift for a 2 km step) without panning the map.
// One listener on the document (capture phase) also covers markers the server redraws. A move
// only sets the marker's position, so the focused marker keeps its focus.
document.addEventListener("keydown", function (event) {
  var steps = {ArrowUp: [0, 1], ArrowDown: [0, -1], ArrowLeft: [-1, 0], ArrowRight: [1, 0]};
  var step = steps[event.key];
  var marker = event.target && event.target.closest && event.target.closest(".hub-marker");
  if (!step || !marker) { return; }
  var tagged = marker.querySelector("[data-hub-id]");
  if (!tagged) { return; }
  event.preventDefault();
  event.stopPropagation();
  var metres = event.shiftKey ? 2000 : 500;
  var hub = tagged.getAttribute("data-hub-id");
  window.dsp.selectHub(hub);  // Rename, Remove and the arrow buttons then act on the hub being moved
  window.dsp.moveHub({kind: "nudge", hub: hub, dx: step[0] * metres, dy: step[1] * metres});
}, true);

// The map's colours arrive as the data-fill attribute (JSON) of a hidden element, written by the
// server's score callback (dashboard/planning_panel.py); they are painted when the attribute
// changes. A clientside callback would do the same a few tens of milliseconds later: each
// callback costs the page's bookkeeping, and this one would run after every drag.
// The page opens with the starting plan's colours already in the attribute (dashboard/layout.py): they
// are painted as soon as the element is drawn, with no callback.
new MutationObserver(function (changes) {
  var painted = [];
  changes.forEach(function (change) {
    var text = change.type === "attributes" && change.target.getAttribute("data-fill");
    if (text && painted.indexOf(change.target) < 0) {
      painted.push(change.target);
      window.dsp.paintAreas(JSON.parse(text));
    }
  });
  if (!window.dsp.areaFill) {
    var first = document.querySelector("[data-fill]:not([data-fill=''])");
    if (first) { window.dsp.paintAreas(JSON.parse(first.getAttribute("data-fill"))); }
  }
}).observe(document.documentElement, {subtree: true, childList: true, attributes: true, attributeFilter: ["data-fill"]});
