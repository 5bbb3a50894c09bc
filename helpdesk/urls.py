"""Root URLs: the citizen pages, the 问政 board, the staff admin, language switching, the Open311 API."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("captcha/", include("captcha.urls")),
    path("staff/", include("dispatch.urls")),
    path("kb/", include("kb.urls")),
    path("open311/v2/", include("requests_app.open311.urls")),
    path("board/", include("board.urls")),
    path("", include("dispatch.public_urls")),
    path("", include("requests_app.urls")),
]
