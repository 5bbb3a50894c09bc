// The optional small map (Leaflet, vendored under static/vendor/leaflet), only on pages
// rendered with MAP_TILE_URL set. On the form a tap sets the latitude/longitude fields;
// on the staff page (data-readonly) it shows the request's point.
(function () {
  "use strict";
  var el = document.getElementById("location-map");
  if (!el || !window.L) { return; }
  var centre = el.dataset.centre.split(",").map(Number);
  var b = el.dataset.bbox.split(",").map(Number);
  var map = L.map(el, { maxBounds: [[b[0], b[1]], [b[2], b[3]]], maxBoundsViscosity: 0.8 });
  L.tileLayer(el.dataset.tileUrl, { maxZoom: 19, attribution: el.dataset.attribution || "" }).addTo(map);
  var marker = null;
  function place(latlng, zoom) {
    if (marker) { marker.setLatLng(latlng); } else { marker = L.marker(latlng).addTo(map); }
    map.setView(latlng, zoom || Math.max(map.getZoom() || 0, 16));
  }
  if (el.dataset.readonly) {
    place([Number(el.dataset.lat), Number(el.dataset.lon)], 16);
    return;
  }
  map.setView(centre, 11);
  var lat = document.querySelector("input[name=latitude]");
  var lon = document.querySelector("input[name=longitude]");
  function fromFields() {
    var la = parseFloat(lat.value), lo = parseFloat(lon.value);
    if (isFinite(la) && isFinite(lo)) { place([la, lo]); }
  }
  lat.addEventListener("change", fromFields);
  lon.addEventListener("change", fromFields);
  fromFields();
  map.on("click", function (event) {
    lat.value = event.latlng.lat.toFixed(6);
    lon.value = event.latlng.lng.toFixed(6);
    place(event.latlng);
  });
})();
