// The lockdown area page: the area drawn over its unit (the shape is in the page as JSON).
document.addEventListener("DOMContentLoaded", function () {
  var map = L.map("area-map", {attributionControl: false});
  var layer = L.geoJSON(JSON.parse(document.getElementById("area-shape").textContent),
    {style: {color: "#b71c1c", weight: 2, dashArray: "6 4", fillColor: "#b71c1c", fillOpacity: 0.25}}).addTo(map);
  map.fitBounds(layer.getBounds(), {padding: [30, 30], maxZoom: 16});
});
