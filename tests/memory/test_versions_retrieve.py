"""GET /v1/memory_stores/{id}/memory_versions/{version_id} through the SDK."""

import anthropic
import pytest

from memory import stores
from memory.models import MemoryVersion


def test_it_retrieves_a_version_in_the_full_view_by_default(admin, admin_key, store):
    created = admin.beta.memory_stores.memories.create(store.id, path="/notes/a.md", content="hello")

    version = admin.beta.memory_stores.memory_versions.retrieve(created.memory_version_id, memory_store_id=store.id)

    assert version.type == "memory_version"
    assert version.id == created.memory_version_id
    assert version.memory_id == created.id
    assert version.memory_store_id == store.id
    assert version.operation == "created"
    assert version.path == "/notes/a.md"
    assert version.content == "hello"
    assert version.content_sha256 == created.content_sha256
    assert version.content_size_bytes == 5
    assert version.created_at == created.created_at
    assert version.created_by.type == "api_actor"
    assert version.created_by.api_key_id == admin_key.key.id
    assert version.redacted_at is None and version.redacted_by is None


def test_the_basic_view_leaves_content_out(admin, store):
    created = admin.beta.memory_stores.memories.create(store.id, path="/a.md", content="hello")

    version = admin.beta.memory_stores.memory_versions.retrieve(
        created.memory_version_id, memory_store_id=store.id, view="basic"
    )

    assert version.content is None
    assert version.content_sha256 == created.content_sha256
    assert version.content_size_bytes == 5


def test_an_old_version_keeps_its_content(admin, store):
    memories = admin.beta.memory_stores.memories
    created = memories.create(store.id, path="/a.md", content="before")
    updated = memories.update(created.id, memory_store_id=store.id, content="after", path="/b.md")

    old = admin.beta.memory_stores.memory_versions.retrieve(created.memory_version_id, memory_store_id=store.id)
    new = admin.beta.memory_stores.memory_versions.retrieve(updated.memory_version_id, memory_store_id=store.id)

    assert (old.operation, old.path, old.content) == ("created", "/a.md", "before")
    assert (new.operation, new.path, new.content) == ("modified", "/b.md", "after")
    assert new.content_sha256 == updated.content_sha256


def test_a_deleted_version_has_no_content_but_keeps_its_path(admin, store):
    memories = admin.beta.memory_stores.memories
    created = memories.create(store.id, path="/gone.md", content="bye")
    memories.delete(created.id, memory_store_id=store.id)
    deleted_id = MemoryVersion.objects.get(memory_id=created.id, operation="deleted").id

    version = admin.beta.memory_stores.memory_versions.retrieve(deleted_id, memory_store_id=store.id)

    assert version.operation == "deleted"
    assert version.memory_id == created.id
    assert version.path == "/gone.md"
    assert version.content is None
    assert version.content_sha256 is None
    assert version.content_size_bytes is None
    assert version.redacted_at is None


def test_versions_outlive_their_memory(admin, store):
    memories = admin.beta.memory_stores.memories
    created = memories.create(store.id, path="/a.md", content="kept")
    memories.delete(created.id, memory_store_id=store.id)

    version = admin.beta.memory_stores.memory_versions.retrieve(created.memory_version_id, memory_store_id=store.id)

    assert version.content == "kept"
    with pytest.raises(anthropic.NotFoundError):
        memories.retrieve(created.id, memory_store_id=store.id)


def test_a_version_under_another_store_is_a_404(admin, workspace, store):
    other = stores.create_store(workspace=workspace, name="other")
    created = admin.beta.memory_stores.memories.create(store.id, path="/a.md", content="x")

    with pytest.raises(anthropic.NotFoundError) as caught:
        admin.beta.memory_stores.memory_versions.retrieve(created.memory_version_id, memory_store_id=other.id)

    assert caught.value.type == "not_found_error"


def test_an_unknown_version_is_a_404(admin, store):
    with pytest.raises(anthropic.NotFoundError):
        admin.beta.memory_stores.memory_versions.retrieve("memver_doesnotexist", memory_store_id=store.id)


def test_versions_of_a_deleted_store_are_gone(admin, store):
    created = admin.beta.memory_stores.memories.create(store.id, path="/a.md", content="x")
    admin.beta.memory_stores.delete(store.id)

    with pytest.raises(anthropic.NotFoundError):
        admin.beta.memory_stores.memory_versions.retrieve(created.memory_version_id, memory_store_id=store.id)
    with pytest.raises(anthropic.NotFoundError):
        admin.beta.memory_stores.memory_versions.list(store.id)
    assert not MemoryVersion.objects.filter(id=created.memory_version_id).exists()


def test_an_invalid_view_is_a_400(admin, store):
    created = admin.beta.memory_stores.memories.create(store.id, path="/a.md", content="x")

    with pytest.raises(anthropic.BadRequestError):
        admin.beta.memory_stores.memory_versions.retrieve(
            created.memory_version_id, memory_store_id=store.id, view="everything"
        )
