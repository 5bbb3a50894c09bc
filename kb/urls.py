from django.urls import path

from . import views

app_name = "kb"

urlpatterns = [
    path("solved/", views.solved, name="solved"),
    path("answers/<int:pk>/", views.answer, name="answer"),
]
