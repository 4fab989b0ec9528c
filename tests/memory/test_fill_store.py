"""fill_store: the bulk copy a dream's output store starts from."""

import pytest

from memory import stores
from memory.access import Actor
from memory.blobs import read_blob, sha256_of
from memory.errors import InvalidRequest
from memory.models import Blob, Memory, MemoryVersion
from memory.store import create_memory, fill_store

FILES = [("/a.md", "alpha"), ("/b/c.md", "alpha"), ("/b/d.md", ""), ("/e.md", "énorme \x00 nul")]


def test_it_creates_every_memory_with_a_created_version_by_the_actor(store):
    assert fill_store(store=store, files=FILES, actor=Actor(session_id="sesn_dreamer")) == 4

    memories = {m.path: m for m in Memory.objects.filter(store=store).select_related("blob")}
    assert {p: read_blob(m.blob) for p, m in memories.items()} == dict(FILES)
    assert Blob.objects.filter(sha256=sha256_of("alpha")).count() == 1
    versions = MemoryVersion.objects.filter(store=store)
    assert versions.count() == 4
    assert set(versions.values_list("operation", "session_id")) == {("created", "sesn_dreamer")}
    assert {m.head_version_id for m in memories.values()} == set(versions.values_list("id", flat=True))
    store.refresh_from_db()
    assert store.memory_count == 4


def test_it_refuses_a_store_that_is_not_empty(store):
    create_memory(store=store, path="/x.md", content="x", actor=Actor())
    with pytest.raises(InvalidRequest):
        fill_store(store=store, files=FILES, actor=Actor())
    assert Memory.objects.filter(store=store).count() == 1


def test_it_respects_the_per_store_limit(workspace, settings):
    settings.REVERIE_MAX_MEMORIES_PER_STORE = 3
    small = stores.create_store(workspace=workspace, name="small")
    with pytest.raises(InvalidRequest):
        fill_store(store=small, files=FILES, actor=Actor())
    assert not Memory.objects.filter(store=small).exists()
