"""GET /v1/memory_stores/{id}/memories/{memory_id} (memories.retrieve): full view by default."""

import anthropic
import pytest

from memory import store as memory_store
from memory import stores
from memory.access import Actor
from memory.models import Memory

NOBODY = Actor(api_key_id=None)


@pytest.fixture
def note(store):
    return memory_store.create_memory(store=store, path="/notes/a.md", content="alpha", actor=NOBODY)


def test_it_returns_the_memory_with_content_by_default(admin, store, note):
    fetched = admin.beta.memory_stores.memories.retrieve(note.id, memory_store_id=store.id)

    row = Memory.objects.get(id=note.id)
    assert fetched.type == "memory"
    assert fetched.id == note.id
    assert fetched.memory_store_id == store.id
    assert fetched.path == "/notes/a.md"
    assert fetched.content == "alpha"
    assert fetched.content_sha256 == row.blob_id
    assert fetched.content_size_bytes == 5
    assert fetched.memory_version_id == row.head_version_id
    assert fetched.created_at == row.created_at
    assert fetched.updated_at == row.updated_at
    assert fetched._request_id.startswith("req_")


def test_it_returns_content_with_the_full_view(admin, store, note):
    fetched = admin.beta.memory_stores.memories.retrieve(note.id, memory_store_id=store.id, view="full")

    assert fetched.content == "alpha"


def test_it_leaves_out_content_with_the_basic_view(admin, store, note):
    fetched = admin.beta.memory_stores.memories.retrieve(note.id, memory_store_id=store.id, view="basic")

    assert fetched.content is None
    assert fetched.content_sha256 == note.blob_id
    assert fetched.content_size_bytes == 5


def test_it_rejects_an_unknown_view(admin, store, note):
    with pytest.raises(anthropic.BadRequestError):
        admin.beta.memory_stores.memories.retrieve(note.id, memory_store_id=store.id, view="raw")


def test_it_404s_for_an_existing_memory_under_the_wrong_store(admin, workspace, store, note):
    other = stores.create_store(workspace=workspace, name="other")

    with pytest.raises(anthropic.NotFoundError) as caught:
        admin.beta.memory_stores.memories.retrieve(note.id, memory_store_id=other.id)

    assert caught.value.status_code == 404
    assert caught.value.type == "not_found_error"


def test_it_404s_for_an_unknown_memory(admin, store, note):
    with pytest.raises(anthropic.NotFoundError):
        admin.beta.memory_stores.memories.retrieve("mem_doesnotexist", memory_store_id=store.id)


def test_it_404s_for_another_workspaces_memory(outsider, store, note):
    with pytest.raises(anthropic.NotFoundError):
        outsider.beta.memory_stores.memories.retrieve(note.id, memory_store_id=store.id)
