from django.contrib import admin
from django.urls import path

from . import views

app_name = "dispatch"

# Wrapped by the admin site: the same login, staff and two-factor rule as every admin page.
urlpatterns = [
    path("attachments/<int:pk>/", admin.site.admin_view(views.attachment_view), name="attachment"),
    path("intake/", admin.site.admin_view(views.intake_view), name="intake"),
    path("intake/done/<str:ticket_number>/", admin.site.admin_view(views.intake_done_view), name="intake_done"),
]
