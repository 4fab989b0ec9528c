"""Search, per-memory history, version diffs, restore, redact and the per-store activity feed."""

from django.urls import path

from console.routes import MEMORY, STORE
from console.views import history, search

S, M = STORE, MEMORY
V = M + "versions/<str:version_id>"

urlpatterns = [
    path(S + "search", search.store_search, name="store_search"),
    path(S + "activity", history.store_activity, name="store_activity"),
    path(M + "history", history.memory_history, name="memory_history"),
    path(M + "compare", history.memory_compare, name="memory_compare"),
    path(V, history.memory_version, name="memory_version"),
    path(V + "/restore", history.version_restore, name="version_restore"),
    path(V + "/redact", history.version_redact, name="version_redact"),
]
