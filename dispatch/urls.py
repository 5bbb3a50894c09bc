from django.contrib import admin
from django.urls import path

from . import views

app_name = "dispatch"

# Wrapped by the admin site: the same login, staff and two-factor rule as every admin page.
urlpatterns = [
    path("attachments/<int:pk>/", admin.site.admin_view(views.attachment_view), name="attachment"),
]
