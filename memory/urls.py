from django.urls import path

from memory.api import agents, memories, stores, versions

urlpatterns = [
    path("v1/memory_stores", stores.memory_stores),
    path("v1/memory_stores/<str:store_id>", stores.memory_store),
    path("v1/memory_stores/<str:store_id>/archive", stores.archive),
    path("v1/memory_stores/<str:store_id>/grants", stores.grants),
    path("v1/memory_stores/<str:store_id>/memories", memories.memories),
    path("v1/memory_stores/<str:store_id>/memories/<str:memory_id>", memories.memory),
    path("v1/memory_stores/<str:store_id>/memory_versions", versions.memory_versions),
    path("v1/memory_stores/<str:store_id>/memory_versions/<str:version_id>", versions.memory_version),
    path("v1/memory_stores/<str:store_id>/memory_versions/<str:version_id>/redact", versions.redact),
    path("v1/agents", agents.agents),
    path("v1/agents/<str:agent_id>", agents.agent),
    path("v1/agents/<str:agent_id>/api_keys", agents.api_keys),
]
