"""DELETE /v1/memory_stores/{id}/memories/{memory_id} (memories.delete)."""

import hashlib

import anthropic
import pytest

from memory import store as memory_store
from memory import stores
from memory.access import Actor
from memory.models import Blob, Memory, MemoryStore, MemoryVersion

NOBODY = Actor(api_key_id=None)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@pytest.fixture
def note(store):
    return memory_store.create_memory(store=store, path="/notes/a.md", content="alpha", actor=NOBODY)


def test_it_deletes_the_memory(admin, admin_key, store, note):
    deleted = admin.beta.memory_stores.memories.delete(note.id, memory_store_id=store.id)

    assert deleted.type == "memory_deleted"
    assert deleted.id == note.id
    assert deleted._request_id.startswith("req_")
    assert not Memory.objects.filter(id=note.id).exists()
    version = MemoryVersion.objects.get(memory_id=note.id, operation="deleted")
    assert version.path == "/notes/a.md"
    assert (version.blob_id, version.size_bytes) == (None, None)
    assert version.api_key_id == admin_key.key.id
    assert MemoryStore.objects.get(id=store.id).memory_count == 0


def test_it_answers_404_for_the_memory_afterwards(admin, store, note):
    admin.beta.memory_stores.memories.delete(note.id, memory_store_id=store.id)

    with pytest.raises(anthropic.NotFoundError):
        admin.beta.memory_stores.memories.retrieve(note.id, memory_store_id=store.id)
    with pytest.raises(anthropic.NotFoundError):
        admin.beta.memory_stores.memories.update(note.id, memory_store_id=store.id, content="back")
    with pytest.raises(anthropic.NotFoundError):
        admin.beta.memory_stores.memories.delete(note.id, memory_store_id=store.id)
    assert admin.beta.memory_stores.memories.list(store.id).data == []
    assert MemoryVersion.objects.filter(memory_id=note.id).count() == 2


def test_it_frees_the_path(admin, store, note):
    admin.beta.memory_stores.memories.delete(note.id, memory_store_id=store.id)

    again = admin.beta.memory_stores.memories.create(store.id, path="/notes/a.md", content="alpha")

    assert again.id != note.id
    assert again.id.startswith("mem_")
    assert list(Memory.objects.filter(store=store).values_list("id", flat=True)) == [again.id]


def test_it_keeps_the_versions(admin, store, note):
    memory_store.update_memory(store=store, memory_id=note.id, content="beta", actor=NOBODY)

    admin.beta.memory_stores.memories.delete(note.id, memory_store_id=store.id)

    versions = list(admin.beta.memory_stores.memory_versions.list(store.id, memory_id=note.id, view="full"))
    assert [v.operation for v in versions] == ["deleted", "modified", "created"]
    assert [v.content for v in versions] == [None, "beta", "alpha"]
    assert versions[0].path == "/notes/a.md"
    assert versions[0].content_sha256 is None
    fetched = admin.beta.memory_stores.memory_versions.retrieve(versions[2].id, memory_store_id=store.id)
    assert fetched.content == "alpha"
    assert Blob.objects.filter(sha256__in=[sha256("alpha"), sha256("beta")]).count() == 2


def test_it_deletes_when_the_expected_sha_matches(admin, store, note):
    deleted = admin.beta.memory_stores.memories.delete(
        note.id, memory_store_id=store.id, expected_content_sha256=sha256("alpha")
    )

    assert deleted.id == note.id
    assert not Memory.objects.filter(id=note.id).exists()


def test_it_409s_when_the_expected_sha_does_not_match_and_deletes_nothing(admin, store, note):
    with pytest.raises(anthropic.ConflictError) as caught:
        admin.beta.memory_stores.memories.delete(
            note.id, memory_store_id=store.id, expected_content_sha256=sha256("stale")
        )

    err = caught.value
    assert err.status_code == 409
    assert err.type == "memory_precondition_failed_error"
    assert err.response.headers["x-should-retry"] == "false"
    assert Memory.objects.get(id=note.id).blob_id == sha256("alpha")
    assert MemoryVersion.objects.filter(memory_id=note.id).count() == 1


def test_it_rejects_a_malformed_expected_sha(admin, store, note):
    cases = {
        "short": "abc", "uppercase": sha256("alpha").upper(), "65-chars": sha256("alpha") + "0", "not-hex": "z" * 64,
    }
    outcomes = {}
    for name, digest in cases.items():
        try:
            admin.beta.memory_stores.memories.delete(note.id, memory_store_id=store.id, expected_content_sha256=digest)
            outcomes[name] = 200
        except anthropic.APIStatusError as err:
            outcomes[name] = err.status_code

    assert outcomes == {name: 400 for name in cases}
    assert Memory.objects.filter(id=note.id).exists()
    assert MemoryVersion.objects.filter(memory_id=note.id).count() == 1


def test_it_404s_for_an_unknown_memory(admin, store, note):
    with pytest.raises(anthropic.NotFoundError):
        admin.beta.memory_stores.memories.delete("mem_doesnotexist", memory_store_id=store.id)

    assert Memory.objects.filter(id=note.id).exists()


def test_it_404s_for_an_existing_memory_under_the_wrong_store(admin, workspace, store, note):
    other = stores.create_store(workspace=workspace, name="other")

    with pytest.raises(anthropic.NotFoundError):
        admin.beta.memory_stores.memories.delete(note.id, memory_store_id=other.id)

    assert Memory.objects.filter(id=note.id).exists()


def test_it_404s_for_another_workspaces_memory(outsider, store, note):
    with pytest.raises(anthropic.NotFoundError):
        outsider.beta.memory_stores.memories.delete(note.id, memory_store_id=store.id)

    assert Memory.objects.filter(id=note.id).exists()


def test_it_rejects_an_empty_expected_sha(admin, store, note):
    """An empty hash is malformed, not "no precondition": a sync client whose baseline
    went missing must not delete unconditionally."""
    with pytest.raises(anthropic.BadRequestError):
        admin.beta.memory_stores.memories.delete(note.id, memory_store_id=store.id, expected_content_sha256="")

    assert Memory.objects.filter(id=note.id).exists()
    assert MemoryVersion.objects.filter(memory_id=note.id).count() == 1


def test_it_frees_a_slot_under_the_per_store_limit(admin, store, note, settings):
    settings.REVERIE_MAX_MEMORIES_PER_STORE = 1
    with pytest.raises(anthropic.BadRequestError):
        admin.beta.memory_stores.memories.create(store.id, path="/notes/b.md", content="bravo")

    admin.beta.memory_stores.memories.delete(note.id, memory_store_id=store.id)
    created = admin.beta.memory_stores.memories.create(store.id, path="/notes/b.md", content="bravo")

    assert list(Memory.objects.filter(store=store).values_list("id", flat=True)) == [created.id]
    assert MemoryStore.objects.get(id=store.id).memory_count == 1
