"""GET /v1/memory_stores/{id} (memory_stores.retrieve)."""

import anthropic
import pytest

from memory import stores
from memory.models import MemoryStore


def test_it_returns_the_store(admin, workspace):
    store = stores.create_store(workspace=workspace, name="ops", description="runbooks", metadata={"team": "sre"})

    fetched = admin.beta.memory_stores.retrieve(store.id)

    assert fetched.type == "memory_store"
    assert fetched.id == store.id
    assert fetched.name == "ops"
    assert fetched.description == "runbooks"
    assert fetched.metadata == {"team": "sre"}
    assert fetched.created_at == store.created_at
    assert fetched.updated_at == store.updated_at
    assert fetched.archived_at is None
    assert fetched._request_id.startswith("req_")


def test_it_returns_what_create_returned(admin):
    created = admin.beta.memory_stores.create(name="ops", metadata={"a": "1"})

    fetched = admin.beta.memory_stores.retrieve(created.id)

    assert fetched.model_dump() == created.model_dump()


def test_it_returns_an_archived_store(admin, store):
    stores.archive_store(store=store)

    fetched = admin.beta.memory_stores.retrieve(store.id)

    assert fetched.archived_at == MemoryStore.objects.get(id=store.id).archived_at


def test_it_404s_for_an_unknown_store(admin, store):
    with pytest.raises(anthropic.NotFoundError) as caught:
        admin.beta.memory_stores.retrieve("memstore_doesnotexist")

    assert caught.value.status_code == 404
    assert caught.value.type == "not_found_error"
    assert caught.value.request_id.startswith("req_")


def test_it_404s_for_another_workspaces_store(outsider, store):
    with pytest.raises(anthropic.NotFoundError):
        outsider.beta.memory_stores.retrieve(store.id)

    assert MemoryStore.objects.filter(id=store.id).exists()
