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

  registerArea: function (feature, layer) {
    var i = feature.properties.i;
    window.dsp.areaLayers[i] = layer;
    layer.bindTooltip(feature.properties.name + " (" + feature.properties.district + ")", {sticky: true});
    if (window.dsp.areaFill) { layer.setStyle({fillColor: window.dsp.fillFor(i)}); }
  }
});

window.dash_clientside = Object.assign({}, window.dash_clientside, {
  dsp: {
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
