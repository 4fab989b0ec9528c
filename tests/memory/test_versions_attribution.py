"""Who a version is attributed to: the key (api_actor), or the session named in
`X-Reverie-Session-Id` (session_actor), which still records the key it came through."""

import anthropic
import pytest

from memory.models import ApiKey, Memory, MemoryVersion

SESSION = {"X-Reverie-Session-Id": "sesn_01abcDEF-_9"}


@pytest.fixture
def agent_key_id(agent_rw):
    return ApiKey.objects.get(agent=agent_rw.agent).id


def test_every_write_is_attributed_to_the_key(agent_rw, agent_key_id, store):
    memories = agent_rw.beta.memory_stores.memories
    created = memories.create(store.id, path="/a.md", content="1")
    memories.update(created.id, memory_store_id=store.id, content="2")
    memories.delete(created.id, memory_store_id=store.id)

    page = agent_rw.beta.memory_stores.memory_versions.list(store.id, memory_id=created.id)

    assert [v.operation for v in page.data] == ["deleted", "modified", "created"]
    for version in page.data:
        assert version.created_by.type == "api_actor"
        assert version.created_by.api_key_id == agent_key_id
    assert set(MemoryVersion.objects.filter(memory_id=created.id).values_list("api_key_id", "session_id")) == {
        (agent_key_id, None)
    }


def test_a_session_write_is_attributed_to_the_session(agent_rw, agent_key_id, store):
    memories = agent_rw.beta.memory_stores.memories
    created = memories.create(store.id, path="/s.md", content="1", extra_headers=SESSION)
    updated = memories.update(created.id, memory_store_id=store.id, content="2", extra_headers=SESSION)

    version = agent_rw.beta.memory_stores.memory_versions.retrieve(updated.memory_version_id, memory_store_id=store.id)

    assert version.created_by.type == "session_actor"
    assert version.created_by.session_id == SESSION["X-Reverie-Session-Id"]
    row = MemoryVersion.objects.get(id=created.memory_version_id)
    assert (row.session_id, row.api_key_id) == (SESSION["X-Reverie-Session-Id"], agent_key_id)


def test_a_session_delete_is_attributed_to_the_session(agent_rw, store):
    created = agent_rw.beta.memory_stores.memories.create(store.id, path="/d.md", content="1")
    agent_rw.beta.memory_stores.memories.delete(created.id, memory_store_id=store.id, extra_headers=SESSION)

    (deleted,) = agent_rw.beta.memory_stores.memory_versions.list(store.id, operation="deleted").data

    assert deleted.created_by.type == "session_actor"
    assert deleted.created_by.session_id == SESSION["X-Reverie-Session-Id"]


def test_session_writes_match_both_the_session_and_the_key_filters(agent_rw, agent_key_id, admin, store):
    memories = agent_rw.beta.memory_stores.memories
    plain = memories.create(store.id, path="/plain.md", content="p")
    in_session = memories.create(store.id, path="/session.md", content="s", extra_headers=SESSION)
    other_session = memories.create(
        store.id, path="/other.md", content="o", extra_headers={"X-Reverie-Session-Id": "sesn_other"}
    )
    admin.beta.memory_stores.memories.create(store.id, path="/admin.md", content="a")
    versions = admin.beta.memory_stores.memory_versions

    by_session = versions.list(store.id, session_id=SESSION["X-Reverie-Session-Id"])
    by_key = versions.list(store.id, api_key_id=agent_key_id)
    by_both = versions.list(store.id, api_key_id=agent_key_id, session_id="sesn_other")

    assert [v.id for v in by_session.data] == [in_session.memory_version_id]
    assert [v.id for v in by_key.data] == [
        other_session.memory_version_id,
        in_session.memory_version_id,
        plain.memory_version_id,
    ]
    assert [v.id for v in by_both.data] == [other_session.memory_version_id]


def test_an_unknown_session_matches_nothing(admin, store):
    admin.beta.memory_stores.memories.create(store.id, path="/a.md", content="a", extra_headers=SESSION)

    page = admin.beta.memory_stores.memory_versions.list(store.id, session_id="sesn_nobody")

    assert page.data == []
    assert page.next_page is None


@pytest.mark.parametrize("value", ["abc", "sesn_", "session_123", "sesn_has space", "sesn_" + "x" * 65])
def test_a_malformed_session_header_is_a_400_and_writes_nothing(agent_rw, store, value):
    with pytest.raises(anthropic.BadRequestError) as caught:
        agent_rw.beta.memory_stores.memories.create(
            store.id, path="/a.md", content="a", extra_headers={"X-Reverie-Session-Id": value}
        )

    assert caught.value.type == "invalid_request_error"
    assert "X-Reverie-Session-Id" in caught.value.api_message
    assert not Memory.objects.filter(store=store).exists()
    assert not MemoryVersion.objects.filter(store=store).exists()


def test_a_malformed_session_header_on_an_update_changes_nothing(agent_rw, store):
    created = agent_rw.beta.memory_stores.memories.create(store.id, path="/a.md", content="a")

    with pytest.raises(anthropic.BadRequestError):
        agent_rw.beta.memory_stores.memories.update(
            created.id, memory_store_id=store.id, content="b", extra_headers={"X-Reverie-Session-Id": "nope"}
        )

    assert Memory.objects.get(id=created.id).blob_id == created.content_sha256
    assert MemoryVersion.objects.filter(memory_id=created.id).count() == 1

