/* Day Services Planner: small client-side helpers for the Leaflet map.
 *
 * Area polygons are drawn once. Each area's Leaflet layer is registered by its row
 * number, so a new colouring only needs a class per area: paintAreas() restyles the
 * existing layers in place instead of redrawing the GeoJSON.
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

  hubIdOf: function (marker) {
    var element = marker.getElement && marker.getElement();
    var tagged = element && element.querySelector("[data-hub-id]");
    return tagged ? tagged.getAttribute("data-hub-id") : null;
  },

  sendHubEvent: function (event) {
    event.at = Date.now();
    window.dsp.lastHubEventAt = event.at;
    window.dash_clientside.set_props("hub-event", {data: event});
  },

  // dash-leaflet does not write a dragged marker's position back to Dash on its own.
  hubDragEnd: function (e) {
    var hub = window.dsp.hubIdOf(e.target);
    var position = e.target.getLatLng();
    if (hub) { window.dsp.sendHubEvent({kind: "move", hub: hub, lat: position.lat, lng: position.lng}); }
  },

  // British National Grid (EPSG:27700) from longitude and latitude, with proj4js (assets/00-proj4.js)
  // and the Helmert transformation PROJ uses without the OSTN15 grid: within a millimetre of the
  // server's geo/projection.py, and about 2 m of OSTN15 where the server has that grid.
  BRITISH_NATIONAL_GRID: "+proj=tmerc +lat_0=49 +lon_0=-2 +k=0.9996012717 +x_0=400000 +y_0=-100000 " +
    "+ellps=airy +towgs84=446.448,-125.157,542.06,0.15,0.247,0.842,-20.489 +units=m +no_defs",
  GRID_X_RANGE_M: [0, 700000],  // geo/scenarios.py GRID_X_RANGE_M, GRID_Y_RANGE_M
  GRID_Y_RANGE_M: [0, 1300000],
  MAX_UNDO_STEPS: 50,  // dashboard/history.py MAX_STEPS

  gridXY: function (lng, lat) {
    return window.proj4("EPSG:4326", window.dsp.BRITISH_NATIONAL_GRID, [lng, lat]);
  },

  hubClick: function (e) {
    var hub = window.dsp.hubIdOf(e.target);
    if (hub) { window.dash_clientside.set_props("hub-select", {value: hub}); }
  },

  // After a keyboard move the marker is redrawn; give focus back to the same hub.
  keepFocus: function (hub) {
    var tries = 0;
    clearInterval(window.dsp.focusTimer);
    window.dsp.focusTimer = setInterval(function () {
      var tagged = document.querySelector('.hub-marker [data-hub-id="' + hub + '"]');
      var marker = tagged && tagged.closest(".leaflet-marker-icon");
      if (marker && document.activeElement !== marker) { marker.focus(); }
      tries += 1;
      if (tries > 60) { clearInterval(window.dsp.focusTimer); }
    }, 50);
  },

  registerArea: function (feature, layer) {
    var i = feature.properties.i;
    window.dsp.areaLayers[i] = layer;
    layer.bindTooltip(feature.properties.name + " (" + feature.properties.district + ")", {sticky: true});
    if (window.dsp.areaFill) { layer.setStyle({fillColor: window.dsp.fillFor(i)}); }
  }
});

window.dash_clientside = Object.assign({}, window.dash_clientside, {
  dsp: {
    // A drag or an arrow-key nudge, applied here rather than on the server (one round trip
    // fewer before the figures are worked out): the same rules as geo/plan_edits.py move_hub,
    // the undo history as dashboard/history.py record, the status as the server words it.
    // Returns [plan, history, status, add mode].
    editHub: function (event, plan, history, addMode) {
      var noUpdate = window.dash_clientside.no_update;
      var hubs = (plan && plan.hubs) || [];
      var index = hubs.findIndex(function (hub) { return event && hub.hub_id === event.hub; });
      if (index < 0) { return [noUpdate, noUpdate, "That hub is no longer in the plan.", noUpdate]; }
      var hub = hubs[index];
      if (hub.locked) {
        return [noUpdate, noUpdate, "hub '" + hub.name + "' is locked: unlock it before moving it", noUpdate];
      }
      var xy = event.kind === "nudge" ? [hub.x + event.dx, hub.y + event.dy]
        : window.dsp.gridXY(event.lng, event.lat);
      var dsp = window.dsp;
      if (!(xy[0] >= dsp.GRID_X_RANGE_M[0] && xy[0] <= dsp.GRID_X_RANGE_M[1] &&
            xy[1] >= dsp.GRID_Y_RANGE_M[0] && xy[1] <= dsp.GRID_Y_RANGE_M[1])) {
        return [noUpdate, noUpdate, hub.name + " cannot go there: it is outside Great Britain's grid.", noUpdate];
      }
      var moved = hubs.slice();
      moved[index] = Object.assign({}, hub, {x: xy[0], y: xy[1]});
      var past = ((history && history.past) || []).concat([plan]).slice(-dsp.MAX_UNDO_STEPS);
      return [Object.assign({}, plan, {hubs: moved}), {past: past, future: []}, hub.name + " moved.",
              addMode ? null : noUpdate];
    },

    // Undo/redo: history = {past: [plans], future: [plans]}, written by the server on each edit.
    stepHistory: function (undoClicks, redoClicks, plan, history) {
      var undo = window.dash_clientside.callback_context.triggered_id === "plan-undo";
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

    paintAreas: function (fill) {
      if (!fill) { return window.dash_clientside.no_update; }
      window.dsp.areaFill = fill;
      var layers = window.dsp.areaLayers;
      for (var i in layers) {
        if (Object.prototype.hasOwnProperty.call(layers, i)) {
          layers[i].setStyle({fillColor: window.dsp.fillFor(i)});
        }
      }
      window.dsp.paintCount += 1;
      window.dsp.lastPaint = {layer: fill.layer, at: Date.now(), count: window.dsp.paintCount};
      return window.dsp.lastPaint;
    }
  }
});

// Arrow keys on a focused hub move it (Shift for a 2 km step) without panning the map.
// One listener on the document (capture phase) also covers markers redrawn after a move.
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
  window.dsp.sendHubEvent({kind: "nudge", hub: hub, dx: step[0] * metres, dy: step[1] * metres});
  window.dsp.keepFocus(hub);
}, true);
