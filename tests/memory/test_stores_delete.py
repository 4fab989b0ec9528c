"""DELETE /v1/memory_stores/{id} (memory_stores.delete): irreversible, takes memories and versions along."""

import anthropic
import pytest

from memory import store as memory_store
from memory import stores
from memory.access import Actor
from memory.blobs import sha256_of
from memory.models import Blob, Memory, MemoryStore, MemoryVersion

NOBODY = Actor(api_key_id=None)


@pytest.fixture
def filled(store):
    """`store` with two memories, one edited and one deleted, so it has every kind of version."""
    kept = memory_store.create_memory(store=store, path="/kept.md", content="only in ops", actor=NOBODY)
    memory_store.update_memory(store=store, memory_id=kept.id, content="only in ops, edited", actor=NOBODY)
    gone = memory_store.create_memory(store=store, path="/gone.md", content="shared text", actor=NOBODY)
    memory_store.delete_memory(store=store, memory_id=gone.id, actor=NOBODY)
    return store


def test_it_deletes_the_store_with_its_memories_and_versions(admin, filled):
    kept = Memory.objects.get(store=filled, path="/kept.md")

    deleted = admin.beta.memory_stores.delete(filled.id)

    assert deleted.type == "memory_store_deleted"
    assert deleted.id == filled.id
    assert deleted._request_id.startswith("req_")
    assert not MemoryStore.objects.filter(id=filled.id).exists()
    assert not Memory.objects.filter(id=kept.id).exists()
    assert not MemoryVersion.objects.filter(store_id=filled.id).exists()


def test_it_answers_404_for_everything_in_the_store_afterwards(admin, filled):
    memory = Memory.objects.get(store=filled, path="/kept.md")
    version_id = memory.head_version_id

    admin.beta.memory_stores.delete(filled.id)

    calls = [
        lambda: admin.beta.memory_stores.retrieve(filled.id),
        lambda: admin.beta.memory_stores.update(filled.id, name="ghost"),
        lambda: admin.beta.memory_stores.archive(filled.id),
        lambda: admin.beta.memory_stores.delete(filled.id),
        lambda: admin.beta.memory_stores.memories.list(filled.id),
        lambda: admin.beta.memory_stores.memories.retrieve(memory.id, memory_store_id=filled.id),
        lambda: admin.beta.memory_stores.memories.create(filled.id, path="/new.md", content="x"),
        lambda: admin.beta.memory_stores.memory_versions.list(filled.id),
        lambda: admin.beta.memory_stores.memory_versions.retrieve(version_id, memory_store_id=filled.id),
    ]
    for call in calls:
        with pytest.raises(anthropic.NotFoundError):
            call()
    assert not MemoryStore.objects.filter(id=filled.id).exists()


def test_it_removes_the_stores_content_but_keeps_content_other_stores_share(admin, workspace, filled):
    other = stores.create_store(workspace=workspace, name="other")
    memory_store.create_memory(store=other, path="/copy.md", content="shared text", actor=NOBODY)

    admin.beta.memory_stores.delete(filled.id)

    assert not Blob.objects.filter(sha256=sha256_of("only in ops")).exists()
    assert not Blob.objects.filter(sha256=sha256_of("only in ops, edited")).exists()
    assert Blob.objects.filter(sha256=sha256_of("shared text")).exists()
    assert admin.beta.memory_stores.memories.list(other.id, view="full").data[0].content == "shared text"


def test_it_drops_the_store_from_lists(admin, workspace, filled):
    other = stores.create_store(workspace=workspace, name="other")

    admin.beta.memory_stores.delete(filled.id)

    assert [s.id for s in admin.beta.memory_stores.list(include_archived=True)] == [other.id]


def test_it_deletes_an_archived_store(admin, filled):
    stores.archive_store(store=filled)

    deleted = admin.beta.memory_stores.delete(filled.id)

    assert deleted.id == filled.id
    assert not MemoryStore.objects.filter(id=filled.id).exists()


def test_it_404s_for_an_unknown_store(admin, store):
    with pytest.raises(anthropic.NotFoundError):
        admin.beta.memory_stores.delete("memstore_doesnotexist")

    assert MemoryStore.objects.filter(id=store.id).exists()


def test_it_404s_for_another_workspaces_store(outsider, filled):
    with pytest.raises(anthropic.NotFoundError):
        outsider.beta.memory_stores.delete(filled.id)

    assert MemoryStore.objects.filter(id=filled.id).exists()
    assert Memory.objects.filter(store=filled).count() == 1
