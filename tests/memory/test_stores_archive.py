"""POST /v1/memory_stores/{id}/archive (memory_stores.archive): irreversible; the store becomes read-and-delete only."""

import anthropic
import pytest

from memory import store as memory_store
from memory.access import Actor
from memory.models import Memory, MemoryStore, MemoryVersion

NOBODY = Actor(api_key_id=None)


@pytest.fixture
def note(store):
    return memory_store.create_memory(store=store, path="/notes/a.md", content="alpha", actor=NOBODY)


def test_it_archives_the_store(admin, store):
    archived = admin.beta.memory_stores.archive(store.id)

    assert archived.type == "memory_store"
    assert archived.id == store.id
    assert archived.archived_at is not None
    assert archived.updated_at > store.updated_at
    assert archived.archived_at >= store.created_at
    assert archived.name == store.name
    assert archived._request_id.startswith("req_")
    row = MemoryStore.objects.get(id=store.id)
    assert row.archived_at == archived.archived_at
    assert row.updated_at == archived.updated_at


def test_it_returns_an_archived_store_unchanged(admin, store):
    first = admin.beta.memory_stores.archive(store.id)

    again = admin.beta.memory_stores.archive(store.id)

    assert again.model_dump() == first.model_dump()
    row = MemoryStore.objects.get(id=store.id)
    assert (row.archived_at, row.updated_at) == (first.archived_at, first.updated_at)


def test_it_does_not_change_the_memories(admin, store, note):
    admin.beta.memory_stores.archive(store.id)

    memory = Memory.objects.get(id=note.id)
    assert (memory.path, memory.blob_id, memory.head_version_id) == (note.path, note.blob_id, note.head_version_id)


def test_it_refuses_new_memories_in_an_archived_store(admin, store):
    admin.beta.memory_stores.archive(store.id)

    with pytest.raises(anthropic.BadRequestError) as caught:
        admin.beta.memory_stores.memories.create(store.id, path="/new.md", content="x")

    assert caught.value.status_code == 400
    assert caught.value.type == "invalid_request_error"
    assert not Memory.objects.filter(store=store).exists()


def test_it_refuses_memory_updates_in_an_archived_store(admin, store, note):
    admin.beta.memory_stores.archive(store.id)

    with pytest.raises(anthropic.BadRequestError):
        admin.beta.memory_stores.memories.update(note.id, memory_store_id=store.id, content="changed")
    with pytest.raises(anthropic.BadRequestError):
        admin.beta.memory_stores.memories.update(note.id, memory_store_id=store.id, path="/renamed.md")

    memory = Memory.objects.get(id=note.id)
    assert (memory.path, memory.blob_id) == ("/notes/a.md", note.blob_id)
    assert MemoryVersion.objects.filter(memory_id=note.id).count() == 1


def test_it_still_lists_and_retrieves_memories_of_an_archived_store(admin, store, note):
    admin.beta.memory_stores.archive(store.id)

    listed = admin.beta.memory_stores.memories.list(store.id)
    fetched = admin.beta.memory_stores.memories.retrieve(note.id, memory_store_id=store.id)

    assert [m.id for m in listed.data] == [note.id]
    assert fetched.content == "alpha"


def test_it_still_deletes_memories_of_an_archived_store(admin, store, note):
    admin.beta.memory_stores.archive(store.id)

    deleted = admin.beta.memory_stores.memories.delete(note.id, memory_store_id=store.id)

    assert deleted.type == "memory_deleted"
    assert not Memory.objects.filter(id=note.id).exists()
    assert MemoryVersion.objects.filter(memory_id=note.id, operation="deleted").count() == 1


def test_it_404s_for_an_unknown_store(admin, store):
    with pytest.raises(anthropic.NotFoundError):
        admin.beta.memory_stores.archive("memstore_doesnotexist")


def test_it_404s_for_another_workspaces_store(outsider, store):
    with pytest.raises(anthropic.NotFoundError):
        outsider.beta.memory_stores.archive(store.id)

    assert MemoryStore.objects.get(id=store.id).archived_at is None
