"""Store settings and schedules, agents and their keys, the grants matrix, and the workspace's model key."""

from django.urls import path

from console.routes import STORE, WORKSPACE
from console.views import agents, grants, model_key, schedules, store_settings

W, S = WORKSPACE, STORE

urlpatterns = [
    path(S + "settings", store_settings.store_settings, name="store_edit"),
    path(S + "schedule", schedules.store_schedule, name="store_schedule"),
    path(W + "agents/", agents.agents, name="agents"),
    path(W + "agents/<str:agent_id>", agents.agent, name="agent"),
    path(W + "keys/new", agents.key_create, name="key_create"),
    path(W + "keys/<str:key_id>/revoke", agents.key_revoke, name="key_revoke"),
    path(W + "grants/", grants.grants, name="grants"),
    path(W + "grants/set", grants.grant_set, name="grant_set"),
    path(W + "grants/default", grants.grant_default, name="grant_default"),
    path(W + "model", model_key.model_key, name="model_key"),
    path(W + "model/remove", model_key.model_key_remove, name="model_key_remove"),
]
