"""The sessions list and the transcript viewer."""

from django.urls import path

from console.views.pending import pending

W = "w/<str:workspace_id>/"

urlpatterns = [
    path(W + "sessions/", pending, name="sessions"),
    path(W + "sessions/<str:session_id>", pending, name="session"),
]
