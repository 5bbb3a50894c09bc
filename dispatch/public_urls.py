from django.urls import path

from . import public_views

app_name = "dispatch_public"

urlpatterns = [
    path("help/feedback/<str:token>/", public_views.feedback_submit, name="feedback"),
    path("stats/", public_views.stats_view, name="stats"),
    path("healthz", public_views.healthz, name="healthz"),
    path("readyz", public_views.readyz, name="readyz"),
]
