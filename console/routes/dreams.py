"""Dreams: the form, live progress, cancel, review, approve, reject, rollback, history."""

from django.urls import path

from console.views.pending import pending

S = "w/<str:workspace_id>/stores/<str:store_id>/"

urlpatterns = [
    path(S + "dreams/", pending, name="store_dreams"),
    path(S + "dreams/new", pending, name="dream_new"),
    path(S + "dreams/<str:dream_id>", pending, name="dream"),
]
