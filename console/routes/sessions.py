"""The sessions list and the transcript viewer."""

from django.urls import path

from console.views import sessions

W = "w/<str:workspace_id>/"

urlpatterns = [
    path(W + "sessions/", sessions.session_list, name="sessions"),
    path(W + "sessions/<str:session_id>", sessions.session_detail, name="session"),
]
