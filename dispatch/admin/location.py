"""The request page's location field: the exact point for staff who may see the citizen's contact.

The exact point is personal data like the address (`requests_app.personal_data`):
staff who see the contact details see it, with a link to the city's GIS
(`GIS_URL_TEMPLATE`) and the small map when tiles are configured
(`MAP_TILE_URL`); other staff see what the public sees, ~100 m.
"""

from __future__ import annotations

from django.contrib import admin
from django.template.loader import render_to_string
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from requests_app.location import gis_url, map_config
from requests_app.models import HelpRequest
from requests_app.public import coordinate_public


class LocationAdminMixin:
    @admin.display(description=_("位置（WGS-84）"))
    def location(self, obj: HelpRequest) -> str:
        if obj.latitude is None or obj.longitude is None:
            return "—"
        link = gis_url(latitude=obj.latitude, longitude=obj.longitude)
        return format_html(
            '<span id="exact-location">{}, {}</span>{}{}',
            obj.latitude,
            obj.longitude,
            format_html(
                ' · <a href="{}" target="_blank" rel="noopener noreferrer">{}</a>', link, gettext("在GIS中查看")
            )
            if link
            else "",
            render_to_string(
                "requests_app/includes/location_map.html",
                {"map": map_config(), "latitude": obj.latitude, "longitude": obj.longitude},
            ),
        )

    @admin.display(description=_("位置（WGS-84）"))
    def masked_location(self, obj: HelpRequest) -> str:
        if obj.latitude is None or obj.longitude is None:
            return "—"
        return gettext("约 %(lat)s, %(lon)s（约100米；精确位置仅联系人可见）") % {
            "lat": coordinate_public(obj.latitude),
            "lon": coordinate_public(obj.longitude),
        }
