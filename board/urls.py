from django.urls import path

from . import feeds, views

app_name = "board"

urlpatterns = [
    path("", views.board_list, name="list"),
    path("similar/", views.similar, name="similar"),
    path("feed/", feeds.BoardFeed(), name="feed"),
    path("feed/<slug:district_code>/", feeds.BoardFeed(), name="feed_district"),
    path("<str:ticket_number>/", views.board_detail, name="detail"),
    path("<str:ticket_number>/me-too/", views.me_too, name="me_too"),
]
