"""POST /v1/memory_stores/{id}/memory_versions/{version_id}/redact through the SDK."""

import anthropic
import pytest
from django.db import DatabaseError

from memory import blobs, stores, versions
from memory.blobs import sha256_of
from memory.models import ApiKey, Blob, MemoryVersion


def _snapshot(version_id):
    return MemoryVersion.objects.values().get(id=version_id)


def test_redacting_nulls_the_content_and_keeps_the_record(admin, admin_key, store):
    memories = admin.beta.memory_stores.memories
    created = memories.create(store.id, path="/secret.md", content="password=hunter2")
    memories.update(created.id, memory_store_id=store.id, content="nothing to see")
    before = admin.beta.memory_stores.memory_versions.retrieve(created.memory_version_id, memory_store_id=store.id)

    redacted = admin.beta.memory_stores.memory_versions.redact(created.memory_version_id, memory_store_id=store.id)

    assert redacted.type == "memory_version"
    assert (redacted.id, redacted.memory_id, redacted.memory_store_id) == (before.id, before.memory_id, store.id)
    assert redacted.operation == "created"
    assert redacted.created_at == before.created_at
    assert redacted.created_by == before.created_by
    assert redacted.content is None
    assert redacted.content_sha256 is None
    assert redacted.content_size_bytes is None
    assert redacted.path is None
    assert redacted.redacted_at is not None
    assert redacted.redacted_by.type == "api_actor"
    assert redacted.redacted_by.api_key_id == admin_key.key.id
    row = MemoryVersion.objects.get(id=created.memory_version_id)
    assert (row.path, row.blob_id, row.size_bytes) == (None, None, None)
    assert row.redacted_at is not None
    assert row.api_key_id == admin_key.key.id
    # Side effect: the content no version or memory holds any more is gone from storage.
    assert not Blob.objects.filter(sha256=sha256_of("password=hunter2")).exists()


def test_a_redacted_version_is_retrieved_with_nulls(admin, store):
    created = admin.beta.memory_stores.memories.create(store.id, path="/a.md", content="x")
    admin.beta.memory_stores.memories.update(created.id, memory_store_id=store.id, content="y")
    redacted = admin.beta.memory_stores.memory_versions.redact(created.memory_version_id, memory_store_id=store.id)

    fetched = admin.beta.memory_stores.memory_versions.retrieve(created.memory_version_id, memory_store_id=store.id)
    (listed,) = admin.beta.memory_stores.memory_versions.list(store.id, operation="created", view="full").data

    for version in (fetched, listed):
        assert version.content is None
        assert version.content_sha256 is None
        assert version.content_size_bytes is None
        assert version.path is None
        assert version.redacted_at == redacted.redacted_at
        assert version.redacted_by == redacted.redacted_by
        assert version.operation == "created"


def test_redacting_twice_returns_it_unchanged(admin, store):
    created = admin.beta.memory_stores.memories.create(store.id, path="/a.md", content="x")
    admin.beta.memory_stores.memories.update(created.id, memory_store_id=store.id, content="y")
    first = admin.beta.memory_stores.memory_versions.redact(created.memory_version_id, memory_store_id=store.id)
    row = _snapshot(created.memory_version_id)

    again = admin.beta.memory_stores.memory_versions.redact(created.memory_version_id, memory_store_id=store.id)

    assert again.to_dict() == first.to_dict()
    assert _snapshot(created.memory_version_id) == row


def test_a_second_redaction_by_someone_else_keeps_the_first_redactor(admin, admin_key, agent_rw, store):
    created = admin.beta.memory_stores.memories.create(store.id, path="/a.md", content="x")
    admin.beta.memory_stores.memories.update(created.id, memory_store_id=store.id, content="y")
    first = admin.beta.memory_stores.memory_versions.redact(created.memory_version_id, memory_store_id=store.id)

    again = agent_rw.beta.memory_stores.memory_versions.redact(created.memory_version_id, memory_store_id=store.id)

    assert again.redacted_by.api_key_id == admin_key.key.id
    assert again.redacted_at == first.redacted_at


def test_redacting_the_head_version_leaves_the_memory_intact(admin, store):
    created = admin.beta.memory_stores.memories.create(store.id, path="/live.md", content="still here")

    redacted = admin.beta.memory_stores.memory_versions.redact(created.memory_version_id, memory_store_id=store.id)
    memory = admin.beta.memory_stores.memories.retrieve(created.id, memory_store_id=store.id)

    assert redacted.content_sha256 is None
    assert memory.content == "still here"
    assert memory.content_sha256 == created.content_sha256
    assert memory.memory_version_id == created.memory_version_id
    assert memory.path == "/live.md"
    # The memory still references the content, so it stays stored.
    assert Blob.objects.filter(sha256=created.content_sha256).exists()


def test_content_shared_with_another_version_survives_redaction(admin, store):
    memories = admin.beta.memory_stores.memories
    a = memories.create(store.id, path="/a.md", content="same")
    memories.update(a.id, memory_store_id=store.id, content="changed")
    b = memories.create(store.id, path="/b.md", content="same")
    memories.delete(b.id, memory_store_id=store.id)

    admin.beta.memory_stores.memory_versions.redact(a.memory_version_id, memory_store_id=store.id)

    kept = admin.beta.memory_stores.memory_versions.retrieve(b.memory_version_id, memory_store_id=store.id)
    assert kept.content == "same"
    assert Blob.objects.filter(sha256=sha256_of("same")).exists()


def test_redacting_a_deleted_version_nulls_its_path(admin, store):
    memories = admin.beta.memory_stores.memories
    created = memories.create(store.id, path="/a.md", content="x")
    memories.delete(created.id, memory_store_id=store.id)
    deleted_id = MemoryVersion.objects.get(memory_id=created.id, operation="deleted").id

    redacted = admin.beta.memory_stores.memory_versions.redact(deleted_id, memory_store_id=store.id)

    assert redacted.operation == "deleted"
    assert redacted.path is None
    assert redacted.redacted_at is not None
    assert MemoryVersion.objects.get(id=deleted_id).path is None


def test_redaction_is_allowed_on_an_archived_store(admin, store):
    created = admin.beta.memory_stores.memories.create(store.id, path="/a.md", content="x")
    admin.beta.memory_stores.archive(store.id)

    redacted = admin.beta.memory_stores.memory_versions.redact(created.memory_version_id, memory_store_id=store.id)

    assert redacted.redacted_at is not None
    assert redacted.content_sha256 is None
    assert MemoryVersion.objects.get(id=created.memory_version_id).redacted_at is not None


def test_a_read_write_agent_may_redact(agent_rw, admin, store):
    created = admin.beta.memory_stores.memories.create(store.id, path="/a.md", content="x")
    agent_key_id = ApiKey.objects.get(agent=agent_rw.agent).id

    redacted = agent_rw.beta.memory_stores.memory_versions.redact(created.memory_version_id, memory_store_id=store.id)

    assert redacted.redacted_by.type == "api_actor"
    assert redacted.redacted_by.api_key_id == agent_key_id
    assert MemoryVersion.objects.get(id=created.memory_version_id).redacted_by == {
        "type": "api_actor",
        "api_key_id": agent_key_id,
    }


def test_a_read_only_agent_may_not_redact(agent_ro, admin, store):
    created = admin.beta.memory_stores.memories.create(store.id, path="/a.md", content="x")
    before = _snapshot(created.memory_version_id)

    with pytest.raises(anthropic.PermissionDeniedError) as caught:
        agent_ro.beta.memory_stores.memory_versions.redact(created.memory_version_id, memory_store_id=store.id)

    assert caught.value.type == "permission_error"
    assert _snapshot(created.memory_version_id) == before
    assert Blob.objects.filter(sha256=created.content_sha256).exists()


def test_a_redaction_in_a_session_names_the_session(admin, store):
    created = admin.beta.memory_stores.memories.create(store.id, path="/a.md", content="x")

    redacted = admin.beta.memory_stores.memory_versions.redact(
        created.memory_version_id, memory_store_id=store.id, extra_headers={"X-Reverie-Session-Id": "sesn_redactor"}
    )

    assert redacted.redacted_by.type == "session_actor"
    assert redacted.redacted_by.session_id == "sesn_redactor"


def test_redacting_through_another_store_is_a_404_and_changes_nothing(admin, workspace, store):
    other = stores.create_store(workspace=workspace, name="other")
    created = admin.beta.memory_stores.memories.create(store.id, path="/a.md", content="x")
    before = _snapshot(created.memory_version_id)

    with pytest.raises(anthropic.NotFoundError):
        admin.beta.memory_stores.memory_versions.redact(created.memory_version_id, memory_store_id=other.id)

    assert _snapshot(created.memory_version_id) == before


def test_redacting_an_unknown_version_is_a_404(admin, store):
    with pytest.raises(anthropic.NotFoundError):
        admin.beta.memory_stores.memory_versions.redact("memver_doesnotexist", memory_store_id=store.id)


def test_a_failed_cleanup_after_commit_does_not_fail_the_redaction(admin, store, monkeypatch):
    """Dropping unreferenced content is a side effect after commit: if it fails, the redaction
    has still happened, so the caller must hear 200, not a 500 it would retry."""

    def broken_collector(shas):
        raise DatabaseError("simulated failure while collecting garbage")

    created = admin.beta.memory_stores.memories.create(store.id, path="/a.md", content="old secret")
    admin.beta.memory_stores.memories.update(created.id, memory_store_id=store.id, content="new")
    # The collector fails wherever the redaction reaches it from.
    monkeypatch.setattr(blobs, "collect_garbage", broken_collector)
    monkeypatch.setattr(versions, "collect_garbage", broken_collector, raising=False)

    redacted = admin.beta.memory_stores.memory_versions.redact(created.memory_version_id, memory_store_id=store.id)

    assert redacted.redacted_at is not None
    assert MemoryVersion.objects.get(id=created.memory_version_id).redacted_at is not None
