"""The portal's URLs plus the minimal baseline views under /bench/."""

from django.urls import include, path

from . import views

urlpatterns = [
    path("bench/submit/", views.submit_baseline),
    path("bench/form/", views.form_baseline),
    path("bench/form/done/", views.form_baseline_done),
    path("bench/track/", views.track_baseline),
    path("bench/track/<str:ticket_number>/", views.track_ticket_baseline),
    path("", include("helpdesk.urls")),
]
