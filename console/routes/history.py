"""Search, per-memory history, version diffs, restore, redact and the per-store activity feed."""

from django.urls import path

from console.views.pending import pending

S = "w/<str:workspace_id>/stores/<str:store_id>/"
M = S + "memories/<str:memory_id>/"

urlpatterns = [
    path(S + "search", pending, name="store_search"),
    path(S + "activity", pending, name="store_activity"),
    path(M + "history", pending, name="memory_history"),
]
