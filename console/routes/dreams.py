"""Dreams: the form, live progress, cancel, rerun, review, approve, reject, rollback, history."""

from django.urls import path

from console.routes import STORE
from console.views import dreams, review

S = STORE
D = S + "dreams/<str:dream_id>"

urlpatterns = [
    path(S + "dreams/", dreams.store_dreams, name="store_dreams"),
    path(S + "dreams/new", dreams.dream_new, name="dream_new"),
    path(S + "dreams/new/count", dreams.dream_count, name="dream_count"),
    path(D, dreams.dream_detail, name="dream"),
    path(D + "/progress", dreams.dream_progress, name="dream_progress"),
    path(D + "/cancel", dreams.dream_cancel, name="dream_cancel"),
    path(D + "/rerun", dreams.dream_rerun, name="dream_rerun"),
    path(D + "/approve", review.dream_approve, name="dream_approve"),
    path(D + "/reject", review.dream_reject, name="dream_reject"),
    path(D + "/rollback", review.dream_rollback, name="dream_rollback"),
]
