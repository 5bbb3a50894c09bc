from django.urls import path

from . import views

app_name = "dispatch"

urlpatterns = [
    path("attachments/<int:pk>/", views.attachment_view, name="attachment"),
]
