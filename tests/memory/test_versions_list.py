"""GET /v1/memory_stores/{id}/memory_versions through the SDK: order, filters, paging, views."""

import anthropic
import pytest
from django.test import Client

from memory import store as memory_store
from memory import stores
from memory.access import Actor
from memory.models import ApiKey, MemoryVersion, Operation


@pytest.fixture
def admin_actor(admin_key):
    return Actor(api_key_id=admin_key.key.id)


def _ids(page_or_items):
    return [v.id for v in page_or_items]


def _history(admin, store, *, path="/notes/a.md"):
    """created → modified → modified → deleted, through the SDK; returns the version ids in write order."""
    memories = admin.beta.memory_stores.memories
    created = memories.create(store.id, path=path, content="one")
    first = memories.update(created.id, memory_store_id=store.id, content="two")
    second = memories.update(created.id, memory_store_id=store.id, content="three")
    memories.delete(created.id, memory_store_id=store.id)
    deleted = MemoryVersion.objects.get(memory_id=created.id, operation=Operation.DELETED)
    return created.id, [created.memory_version_id, first.memory_version_id, second.memory_version_id, deleted.id]


def test_it_lists_versions_newest_first(admin, store):
    memory_id, written = _history(admin, store)

    page = admin.beta.memory_stores.memory_versions.list(store.id)

    assert _ids(page.data) == list(reversed(written))
    assert [v.operation for v in page.data] == ["deleted", "modified", "modified", "created"]
    assert page.next_page is None
    assert all(v.memory_id == memory_id and v.memory_store_id == store.id for v in page.data)
    assert MemoryVersion.objects.filter(store=store).count() == 4


def test_the_default_view_is_basic_with_sha_and_size(admin, store):
    admin.beta.memory_stores.memories.create(store.id, path="/a.md", content="héllo")

    (version,) = admin.beta.memory_stores.memory_versions.list(store.id).data

    assert version.content is None
    stored = MemoryVersion.objects.get(id=version.id)
    assert version.content_sha256 == stored.blob_id
    assert version.content_size_bytes == len("héllo".encode()) == stored.size_bytes
    assert version.path == "/a.md"


def test_it_filters_by_memory_id(admin, store, admin_actor):
    a = memory_store.create_memory(store=store, path="/a.md", content="a", actor=admin_actor)
    b = memory_store.create_memory(store=store, path="/b.md", content="b", actor=admin_actor)
    memory_store.update_memory(store=store, memory_id=a.id, content="a2", actor=admin_actor)

    page = admin.beta.memory_stores.memory_versions.list(store.id, memory_id=a.id)

    assert {v.memory_id for v in page.data} == {a.id}
    assert _ids(page.data) == list(
        MemoryVersion.objects.filter(memory_id=a.id).order_by("-seq").values_list("id", flat=True)
    )
    assert b.id not in {v.memory_id for v in page.data}


def test_an_unknown_memory_id_matches_nothing(admin, store, admin_actor):
    memory_store.create_memory(store=store, path="/a.md", content="a", actor=admin_actor)

    page = admin.beta.memory_stores.memory_versions.list(store.id, memory_id="mem_doesnotexist")

    assert page.data == []
    assert page.next_page is None


@pytest.mark.parametrize("operation", ["created", "modified", "deleted"])
def test_it_filters_by_operation(admin, store, operation):
    _history(admin, store, path="/x.md")
    _history(admin, store, path="/y.md")

    page = admin.beta.memory_stores.memory_versions.list(store.id, operation=operation)

    expected = MemoryVersion.objects.filter(store=store, operation=operation).order_by("-seq")
    assert _ids(page.data) == list(expected.values_list("id", flat=True))
    assert len(page.data) == (4 if operation == "modified" else 2)
    assert {v.operation for v in page.data} == {operation}


def test_an_invalid_operation_is_a_400(admin, store, admin_actor):
    memory_store.create_memory(store=store, path="/a.md", content="a", actor=admin_actor)

    with pytest.raises(anthropic.BadRequestError) as caught:
        admin.beta.memory_stores.memory_versions.list(store.id, operation="renamed")

    assert caught.value.status_code == 400
    assert caught.value.type == "invalid_request_error"
    assert "operation" in caught.value.api_message


def test_it_filters_by_api_key_id(admin, admin_key, agent_rw, store):
    admin.beta.memory_stores.memories.create(store.id, path="/by-admin.md", content="a")
    mine = agent_rw.beta.memory_stores.memories.create(store.id, path="/by-agent.md", content="b")
    agent_key_id = ApiKey.objects.get(agent=agent_rw.agent).id

    by_agent = admin.beta.memory_stores.memory_versions.list(store.id, api_key_id=agent_key_id)
    by_admin = admin.beta.memory_stores.memory_versions.list(store.id, api_key_id=admin_key.key.id)

    assert _ids(by_agent.data) == [mine.memory_version_id]
    assert by_agent.data[0].created_by.type == "api_actor"
    assert by_agent.data[0].created_by.api_key_id == agent_key_id
    assert [v.path for v in by_admin.data] == ["/by-admin.md"]
    assert by_admin.data[0].created_by.api_key_id == admin_key.key.id


def test_a_service_account_filter_matches_nothing(admin, store, admin_actor):
    memory_store.create_memory(store=store, path="/a.md", content="a", actor=admin_actor)

    page = admin.beta.memory_stores.memory_versions.list(store.id, service_account_id="svac_0123456789")

    assert page.data == []
    assert page.next_page is None
    assert MemoryVersion.objects.filter(store=store).count() == 1


def test_created_at_bounds_are_inclusive(admin, store):
    memories = admin.beta.memory_stores.memories
    created = memories.create(store.id, path="/t.md", content="1")
    memories.update(created.id, memory_store_id=store.id, content="2")
    memories.update(created.id, memory_store_id=store.id, content="3")
    oldest, middle, newest = reversed(admin.beta.memory_stores.memory_versions.list(store.id).data)
    versions = admin.beta.memory_stores.memory_versions

    # A datetime goes on the wire as isoformat() ("+00:00"); a string is sent verbatim ("Z").
    exactly = versions.list(store.id, created_at_gte=middle.created_at, created_at_lte=middle.created_at)
    since = versions.list(store.id, created_at_gte=middle.created_at.isoformat().replace("+00:00", "Z"))
    until = versions.list(store.id, created_at_lte=middle.created_at)

    assert _ids(exactly.data) == [middle.id]
    assert _ids(since.data) == [newest.id, middle.id]
    assert _ids(until.data) == [middle.id, oldest.id]


def test_a_created_at_without_offset_means_utc(admin, store):
    created = admin.beta.memory_stores.memories.create(store.id, path="/n.md", content="1")
    admin.beta.memory_stores.memories.update(created.id, memory_store_id=store.id, content="2")
    newest, oldest = admin.beta.memory_stores.memory_versions.list(store.id).data

    # The SDK sends a naive datetime as isoformat() with no offset.
    page = admin.beta.memory_stores.memory_versions.list(
        store.id, created_at_lte=oldest.created_at.replace(tzinfo=None)
    )

    assert _ids(page.data) == [oldest.id]


def test_a_malformed_page_cursor_is_a_400(admin, store):
    with pytest.raises(anthropic.BadRequestError):
        admin.beta.memory_stores.memory_versions.list(store.id, page="not-a-cursor")


def test_versions_are_listed_on_an_archived_store(admin, store):
    created = admin.beta.memory_stores.memories.create(store.id, path="/a.md", content="a")
    admin.beta.memory_stores.archive(store.id)

    page = admin.beta.memory_stores.memory_versions.list(store.id, view="full")
    fetched = admin.beta.memory_stores.memory_versions.retrieve(created.memory_version_id, memory_store_id=store.id)

    assert _ids(page.data) == [created.memory_version_id]
    assert fetched.content == "a"


def test_a_malformed_created_at_is_a_400(admin, store):
    with pytest.raises(anthropic.BadRequestError):
        admin.beta.memory_stores.memory_versions.list(store.id, created_at_gte="yesterday")


def test_it_pages_to_the_end(admin, store, admin_actor):
    memory = memory_store.create_memory(store=store, path="/p.md", content="0", actor=admin_actor)
    for n in range(1, 7):
        memory_store.update_memory(store=store, memory_id=memory.id, content=str(n), actor=admin_actor)
    expected = list(MemoryVersion.objects.filter(store=store).order_by("-seq").values_list("id", flat=True))

    first = admin.beta.memory_stores.memory_versions.list(store.id, limit=3)
    pages = [first]
    while pages[-1].has_next_page():
        pages.append(pages[-1].get_next_page())

    assert [len(p.data) for p in pages] == [3, 3, 1]
    assert pages[-1].next_page is None
    assert [v.id for p in pages for v in p.data] == expected
    # Auto-pagination reaches the same end without repeating anything.
    assert _ids(admin.beta.memory_stores.memory_versions.list(store.id, limit=2)) == expected


def test_filters_are_kept_across_pages(admin, store, admin_actor):
    keep = memory_store.create_memory(store=store, path="/keep.md", content="0", actor=admin_actor)
    other = memory_store.create_memory(store=store, path="/other.md", content="0", actor=admin_actor)
    for n in range(1, 5):
        memory_store.update_memory(store=store, memory_id=keep.id, content=str(n), actor=admin_actor)
        memory_store.update_memory(store=store, memory_id=other.id, content=str(n), actor=admin_actor)

    listed = admin.beta.memory_stores.memory_versions.list(store.id, memory_id=keep.id, operation="modified", limit=2)

    assert len(_ids(listed)) == 4
    assert {(v.memory_id, v.operation) for v in listed} == {(keep.id, "modified")}


def test_the_full_view_carries_content(admin, store):
    memories = admin.beta.memory_stores.memories
    created = memories.create(store.id, path="/f.md", content="first")
    memories.update(created.id, memory_store_id=store.id, content="second")

    page = admin.beta.memory_stores.memory_versions.list(store.id, view="full")

    assert [v.content for v in page.data] == ["second", "first"]


def test_the_full_view_caps_a_page_at_20(admin, store, admin_actor):
    memory = memory_store.create_memory(store=store, path="/many.md", content="v0", actor=admin_actor)
    for n in range(1, 25):
        memory_store.update_memory(store=store, memory_id=memory.id, content=f"v{n}", actor=admin_actor)

    full = admin.beta.memory_stores.memory_versions.list(store.id, view="full", limit=100)
    basic = admin.beta.memory_stores.memory_versions.list(store.id, limit=100)

    assert len(full.data) == 20
    assert full.next_page is not None
    assert [v.content for v in full.data] == [f"v{n}" for n in range(24, 4, -1)]
    rest = full.get_next_page()
    assert [v.content for v in rest.data] == [f"v{n}" for n in range(4, -1, -1)]
    assert rest.next_page is None
    assert len(basic.data) == 25
    assert basic.next_page is None


@pytest.mark.parametrize("limit", [0, 101])
def test_a_limit_outside_1_to_100_is_a_400(admin, store, limit):
    with pytest.raises(anthropic.BadRequestError):
        admin.beta.memory_stores.memory_versions.list(store.id, limit=limit)


def test_an_invalid_view_is_a_400(admin, store):
    with pytest.raises(anthropic.BadRequestError):
        admin.beta.memory_stores.memory_versions.list(store.id, view="everything")


def test_it_still_lists_a_deleted_memorys_history(admin, store):
    memory_id, written = _history(admin, store)

    page = admin.beta.memory_stores.memory_versions.list(store.id, memory_id=memory_id, view="full")

    assert _ids(page.data) == list(reversed(written))
    deleted = page.data[0]
    assert deleted.operation == "deleted"
    assert deleted.path == "/notes/a.md"
    assert deleted.content is None and deleted.content_sha256 is None and deleted.content_size_bytes is None
    assert [v.content for v in page.data[1:]] == ["three", "two", "one"]


def test_another_stores_versions_are_not_listed(admin, workspace, store, admin_actor):
    other = stores.create_store(workspace=workspace, name="elsewhere")
    theirs = memory_store.create_memory(store=other, path="/a.md", content="a", actor=admin_actor)
    memory_store.create_memory(store=store, path="/a.md", content="a", actor=admin_actor)

    mine = admin.beta.memory_stores.memory_versions.list(store.id)
    by_their_memory = admin.beta.memory_stores.memory_versions.list(store.id, memory_id=theirs.id)

    assert {v.memory_store_id for v in mine.data} == {store.id}
    assert len(mine.data) == 1
    assert by_their_memory.data == []


def test_listing_costs_the_same_queries_whatever_the_page_size(
    admin_key, store, admin_actor, django_assert_max_num_queries
):
    """No query per version: content comes with the page (select_related), not one read each."""
    memory = memory_store.create_memory(store=store, path="/q.md", content="0", actor=admin_actor)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {admin_key.secret}")
    url = f"/v1/memory_stores/{store.id}/memory_versions?view=full&limit=20"

    with django_assert_max_num_queries(10) as few:
        assert client.get(url).status_code == 200
    for n in range(1, 20):
        memory_store.update_memory(store=store, memory_id=memory.id, content=str(n), actor=admin_actor)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)

    assert response.status_code == 200
    assert len(response.json()["data"]) == 20
