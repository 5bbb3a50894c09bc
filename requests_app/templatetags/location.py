"""`{% location_picker %}`: the form's "使用我的位置" button, and the small map when tiles are configured.

(The staff page's read-only map is `requests_app/includes/location_map.html`, rendered by dispatch's admin.)

The button is hidden until static/js/location.js finds `navigator.geolocation`
(no inline script: the Content-Security-Policy forbids them). Leaflet, vendored
under static/vendor/leaflet, is only linked when `settings.MAP_TILE_URL` is set.
"""

from __future__ import annotations

from django import template

from .. import location

register = template.Library()


@register.inclusion_tag("requests_app/includes/location_picker.html")
def location_picker() -> dict:
    return {"map": location.map_config()}
