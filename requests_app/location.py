"""A request's location: a WGS-84 point inside the city's bounding box.

Coordinates are stored as entered by the browser's geolocation or an Open311
client: WGS-84 degrees (what GPS and `navigator.geolocation` give), to six
decimals (~0.1 m). Maps from Chinese providers use GCJ-02; converting is the
city's GIS's job, not this module's (see the README).

The exact point is personal data (it may be the citizen's home): only staff
see it. What public outputs show is decided in `public.coordinate_public`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from django.conf import settings

# Six decimals: ~0.1 m, more than any phone's fix; the model's columns hold six.
STORED_PLACES = 6


@dataclass(frozen=True)
class BoundingBox:
    south: float
    west: float
    north: float
    east: float

    def contains(self, latitude: Decimal, longitude: Decimal) -> bool:
        return self.south <= latitude <= self.north and self.west <= longitude <= self.east

    @property
    def centre(self) -> tuple[float, float]:
        return (self.south + self.north) / 2, (self.west + self.east) / 2


def city_bbox() -> BoundingBox:
    """`settings.CITY_BBOX` (south, west, north, east); checked at start-up by `checks.city_bbox_check`."""
    south, west, north, east = (float(v) for v in settings.CITY_BBOX)
    return BoundingBox(south=south, west=west, north=north, east=east)


def city_bbox_text() -> str:
    """The box as "south,west,north,east" (what CITY_BBOX is set to)."""
    box = city_bbox()
    return f"{box.south},{box.west},{box.north},{box.east}"


def coordinate_parse(value: object) -> Decimal | None:
    """A finite decimal number of degrees, rounded to STORED_PLACES; None for anything else."""
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    if not number.is_finite() or abs(number) > 180:  # no degree on earth is larger
        return None
    return coordinate_round(number, places=STORED_PLACES)


def coordinate_round(value: Decimal, *, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)


def gis_url(*, latitude: Decimal, longitude: Decimal) -> str:
    """The staff link to the city's GIS for a point (`settings.GIS_URL_TEMPLATE`), "" when none is set.

    Only http(s) templates are used: anything else could make a `javascript:` link.
    """
    template = settings.GIS_URL_TEMPLATE
    if not template.startswith(("https://", "http://")):
        return ""
    return template.replace("{lat}", str(latitude)).replace("{lon}", str(longitude))


def map_config() -> dict | None:
    """What the optional Leaflet map needs, or None when no tile server is configured (the default)."""
    if not settings.MAP_TILE_URL:
        return None
    bbox = city_bbox()
    return {
        "tile_url": settings.MAP_TILE_URL,
        "attribution": settings.MAP_TILE_ATTRIBUTION,
        "centre": f"{bbox.centre[0]:.4f},{bbox.centre[1]:.4f}",
        "bbox": city_bbox_text(),
    }
