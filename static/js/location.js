// "使用我的位置": fill the form's latitude/longitude from the browser's geolocation (WGS-84).
// Progressive enhancement: without JavaScript or geolocation the button stays hidden and the
// fields can still be typed. Nothing is sent anywhere but the form itself.
(function () {
  "use strict";
  var button = document.getElementById("geolocate");
  var status = document.getElementById("geolocate-status");
  var lat = document.querySelector("input[name=latitude]");
  var lon = document.querySelector("input[name=longitude]");
  if (!button || !lat || !lon || !("geolocation" in navigator)) { return; }
  button.hidden = false;

  function say(key) { status.textContent = button.dataset[key] || ""; }

  button.addEventListener("click", function () {
    button.disabled = true;
    say("locating");
    navigator.geolocation.getCurrentPosition(function (position) {
      lat.value = position.coords.latitude.toFixed(6);
      lon.value = position.coords.longitude.toFixed(6);
      // The map (static/js/map.js), when there is one, moves its marker on this event.
      lat.dispatchEvent(new Event("change", { bubbles: true }));
      button.disabled = false;
      say("done");
    }, function (error) {
      button.disabled = false;
      say(error.code === error.PERMISSION_DENIED ? "denied" : "failed");
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  });
})();
