"""Store settings and schedules, agents and their keys, and the grants matrix."""

from django.urls import path

from console.views.pending import pending

W = "w/<str:workspace_id>/"
S = W + "stores/<str:store_id>/"

urlpatterns = [
    path(S + "settings", pending, name="store_edit"),
    path(S + "schedule", pending, name="store_schedule"),
    path(W + "agents/", pending, name="agents"),
    path(W + "grants/", pending, name="grants"),
]
