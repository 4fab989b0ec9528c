"""POST /v1/memory_stores/{id}/memories (memories.create): content, conflicts and views.
Path rules have their own file (test_memories_paths.py)."""

import hashlib

import anthropic
import pytest

from memory import store as memory_store
from memory import stores
from memory.access import Actor
from memory.models import Memory, MemoryStore, MemoryVersion

NOBODY = Actor(api_key_id=None)
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_it_creates_a_memory(admin, admin_key, store):
    created = admin.beta.memory_stores.memories.create(store.id, path="/notes/a.md", content="hello")

    assert created.type == "memory"
    assert created.id.startswith("mem_")
    assert created.memory_store_id == store.id
    assert created.path == "/notes/a.md"
    assert created.content is None  # create defaults to the basic view
    assert created.content_sha256 == sha256("hello")
    assert created.content_size_bytes == 5
    assert created.memory_version_id.startswith("memver_")
    assert created.created_at == created.updated_at
    assert created._request_id.startswith("req_")

    memory = Memory.objects.get(id=created.id)
    assert (memory.store_id, memory.path, memory.blob_id, memory.size_bytes) == (
        store.id, "/notes/a.md", sha256("hello"), 5,
    )
    assert memory.head_version_id == created.memory_version_id
    version = MemoryVersion.objects.get(memory_id=created.id)
    assert version.id == created.memory_version_id
    assert (version.operation, version.path, version.blob_id) == ("created", "/notes/a.md", sha256("hello"))
    assert version.api_key_id == admin_key.key.id


def test_it_returns_content_with_the_full_view(admin, store):
    created = admin.beta.memory_stores.memories.create(store.id, path="/a.md", content="hello", view="full")

    assert created.content == "hello"
    assert created.content_sha256 == sha256("hello")


def test_it_returns_no_content_with_the_basic_view(admin, store):
    created = admin.beta.memory_stores.memories.create(store.id, path="/a.md", content="hello", view="basic")

    assert created.content is None
    assert created.content_sha256 == sha256("hello")
    assert created.content_size_bytes == 5


def test_it_rejects_an_unknown_view_and_creates_nothing(admin, store):
    with pytest.raises(anthropic.BadRequestError):
        admin.beta.memory_stores.memories.create(store.id, path="/a.md", content="hello", view="everything")

    assert not Memory.objects.filter(store=store).exists()


def test_it_allows_empty_content(admin, store):
    created = admin.beta.memory_stores.memories.create(store.id, path="/empty.md", content="", view="full")

    assert created.content == ""
    assert created.content_sha256 == EMPTY_SHA256
    assert created.content_size_bytes == 0
    assert Memory.objects.get(id=created.id).blob_id == EMPTY_SHA256


def test_it_rejects_null_content(admin, store):
    with pytest.raises(anthropic.BadRequestError) as caught:
        admin.beta.memory_stores.memories.create(store.id, path="/a.md", content=None)

    assert caught.value.status_code == 400
    assert not Memory.objects.filter(store=store).exists()


def test_it_rejects_a_body_without_content_or_path(admin, store):
    for body in ({"path": "/a.md"}, {"content": "x"}, {}):
        with pytest.raises(anthropic.BadRequestError):
            admin.post(f"/v1/memory_stores/{store.id}/memories", body=body, cast_to=object)

    assert not Memory.objects.filter(store=store).exists()


@pytest.mark.parametrize(
    "content", ["x" * 102_400, "é" * 51_200, "€" * 34_133 + "a"], ids=["ascii", "2-byte", "3-byte"]
)
def test_it_accepts_content_of_exactly_102400_bytes(admin, store, content):
    assert len(content.encode("utf-8")) == 102_400

    created = admin.beta.memory_stores.memories.create(store.id, path="/big.md", content=content)

    assert created.content_size_bytes == 102_400
    assert created.content_sha256 == sha256(content)
    assert admin.beta.memory_stores.memories.retrieve(created.id, memory_store_id=store.id).content == content


@pytest.mark.parametrize("content", ["x" * 102_401, "é" * 51_200 + "a", "é" * 51_201], ids=["ascii", "mixed", "2-byte"])
def test_it_rejects_content_over_102400_bytes(admin, store, content):
    with pytest.raises(anthropic.BadRequestError) as caught:
        admin.beta.memory_stores.memories.create(store.id, path="/big.md", content=content)

    assert caught.value.status_code == 400
    assert caught.value.type == "invalid_request_error"
    assert not Memory.objects.filter(store=store).exists()


def test_it_round_trips_a_nul_character(admin, store):
    content = "before\x00after"

    created = admin.beta.memory_stores.memories.create(store.id, path="/nul.md", content=content, view="full")
    fetched = admin.beta.memory_stores.memories.retrieve(created.id, memory_store_id=store.id)

    assert created.content == content
    assert fetched.content == content
    assert fetched.content_sha256 == sha256(content)
    assert fetched.content_size_bytes == len(content.encode("utf-8"))


def test_it_hashes_the_utf8_bytes_without_normalising(admin, store):
    content = "Grüße, 世界 🌍\r\n  trailing spaces  \ne\u0301"

    created = admin.beta.memory_stores.memories.create(store.id, path="/unicode.md", content=content)
    fetched = admin.beta.memory_stores.memories.retrieve(created.id, memory_store_id=store.id)

    assert created.content_sha256 == sha256(content)
    assert created.content_size_bytes == len(content.encode("utf-8"))
    assert fetched.content == content
    assert bytes(Memory.objects.select_related("blob").get(id=created.id).blob.data) == content.encode("utf-8")


def test_it_409s_when_the_path_is_taken(admin, store):
    occupant = memory_store.create_memory(store=store, path="/notes/a.md", content="first", actor=NOBODY)

    with pytest.raises(anthropic.ConflictError) as caught:
        admin.beta.memory_stores.memories.create(store.id, path="/notes/a.md", content="second")

    err = caught.value
    assert err.status_code == 409
    assert err.type == "memory_path_conflict_error"
    assert err.body["error"]["conflicting_memory_id"] == occupant.id
    assert err.response.headers["x-should-retry"] == "false"
    assert err.request_id.startswith("req_")
    memories = Memory.objects.filter(store=store)
    assert [(m.id, m.blob_id) for m in memories] == [(occupant.id, sha256("first"))]
    assert MemoryVersion.objects.filter(store=store).count() == 1


def test_it_allows_the_same_path_in_another_store(admin, workspace, store):
    other = stores.create_store(workspace=workspace, name="other")
    memory_store.create_memory(store=store, path="/notes/a.md", content="first", actor=NOBODY)

    created = admin.beta.memory_stores.memories.create(other.id, path="/notes/a.md", content="second")

    assert created.memory_store_id == other.id
    assert Memory.objects.filter(path="/notes/a.md").count() == 2


def test_it_allows_a_file_and_a_folder_of_the_same_name(admin, store):
    file = admin.beta.memory_stores.memories.create(store.id, path="/notes", content="a file")
    inner = admin.beta.memory_stores.memories.create(store.id, path="/notes/a.md", content="in the folder")

    assert file.id != inner.id
    assert Memory.objects.filter(store=store).count() == 2


def test_it_404s_for_an_unknown_store(admin, store):
    with pytest.raises(anthropic.NotFoundError):
        admin.beta.memory_stores.memories.create("memstore_doesnotexist", path="/a.md", content="x")

    assert not Memory.objects.exists()


def test_it_404s_for_another_workspaces_store(outsider, store):
    with pytest.raises(anthropic.NotFoundError):
        outsider.beta.memory_stores.memories.create(store.id, path="/a.md", content="x")

    assert not Memory.objects.exists()


def test_it_refuses_a_memory_beyond_the_per_store_limit(admin, store, settings):
    settings.REVERIE_MAX_MEMORIES_PER_STORE = 3
    for i in range(3):
        admin.beta.memory_stores.memories.create(store.id, path=f"/m{i}.md", content="x")

    with pytest.raises(anthropic.BadRequestError) as caught:
        admin.beta.memory_stores.memories.create(store.id, path="/m3.md", content="x")

    assert caught.value.status_code == 400
    assert Memory.objects.filter(store=store).count() == 3


@pytest.mark.parametrize("content", [42, ["a"], {"text": "a"}, True], ids=["number", "list", "object", "bool"])
def test_it_rejects_content_that_is_not_a_string(admin, store, content):
    with pytest.raises(anthropic.BadRequestError):
        admin.post(f"/v1/memory_stores/{store.id}/memories", body={"path": "/a.md", "content": content}, cast_to=object)

    assert not Memory.objects.filter(store=store).exists()


def test_it_leaves_the_stores_updated_at_alone(admin, store):
    created = admin.beta.memory_stores.memories.create(store.id, path="/a.md", content="x")
    admin.beta.memory_stores.memories.update(created.id, memory_store_id=store.id, content="y", path="/b.md")
    admin.beta.memory_stores.memories.delete(created.id, memory_store_id=store.id)

    assert admin.beta.memory_stores.retrieve(store.id).updated_at == store.updated_at
    assert MemoryStore.objects.get(id=store.id).updated_at == store.updated_at
