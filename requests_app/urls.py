from django.urls import path

from . import views

app_name = "requests_app"

urlpatterns = [
    path("", views.home, name="home"),
    path("help/new/", views.submit, name="submit"),
    path("help/new/advice/", views.submit_advice, name="submit_advice"),
    path("help/receipt/<str:token>/", views.receipt, name="receipt"),
    path("help/track/", views.track, name="track"),
    path("help/track/<str:token>/", views.track_token, name="track_token"),
    path("help/track/<str:token>/publication/", views.publish_consent, name="publish_consent"),
    path("poster/", views.poster, name="poster"),
    path("display/text-size/", views.text_size, name="text_size"),
]
