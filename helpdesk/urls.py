"""Root URLs: the citizen pages, the staff admin, language switching, the Open311 API."""

from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "一帮到底 问政帮办 · 工作台"
admin.site.site_title = "一帮到底"
admin.site.index_title = "问政帮办"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("staff/", include("dispatch.urls")),
    path("open311/v2/", include("requests_app.open311.urls")),
    path("", include("dispatch.public_urls")),
    path("", include("requests_app.urls")),
]
