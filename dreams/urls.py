from django.urls import path

from dreams.api import dreams, policies, sessions

urlpatterns = [
    path("v1/sessions", sessions.sessions_collection),
    path("v1/sessions/<str:session_id>", sessions.session_detail),
    path("v1/sessions/<str:session_id>/archive", sessions.archive),
    path("v1/sessions/<str:session_id>/events", sessions.events),
    path("v1/sessions/<str:session_id>/events/stream", sessions.events_stream),
    path("v1/memory_stores/<str:store_id>/dream_policy", policies.dream_policy),
    path("v1/dreams", dreams.dreams),
    path("v1/dreams/<str:dream_id>", dreams.dream),
    path("v1/dreams/<str:dream_id>/cancel", dreams.cancel),
    path("v1/dreams/<str:dream_id>/archive", dreams.archive),
    path("v1/dreams/<str:dream_id>/rerun", dreams.rerun),
    path("v1/dreams/<str:dream_id>/proposal", dreams.proposal),
    path("v1/dreams/<str:dream_id>/proposal/changes", dreams.changes),
    path("v1/dreams/<str:dream_id>/proposal/approve", dreams.approve),
    path("v1/dreams/<str:dream_id>/proposal/reject", dreams.reject),
    path("v1/dreams/<str:dream_id>/proposal/rollback", dreams.rollback),
]
