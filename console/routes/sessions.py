"""The sessions list and the transcript viewer."""

from django.urls import path

from console.routes import WORKSPACE
from console.views import sessions

W = WORKSPACE

urlpatterns = [
    path(W + "sessions/", sessions.session_list, name="sessions"),
    path(W + "sessions/<str:session_id>", sessions.session_detail, name="session"),
]
