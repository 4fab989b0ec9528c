"""GET /v1/memory_stores/{id}/memories (memories.list): path order, prefixes, depth roll-ups, pages."""

import anthropic
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from memory import store as memory_store
from memory import stores
from memory.access import Actor

NOBODY = Actor(api_key_id=None)


def _fill(store, paths):
    return {p: memory_store.create_memory(store=store, path=p, content=f"content of {p}", actor=NOBODY) for p in paths}


def _expected(paths, prefix="/", depth=0):
    """What a listing must return, worked out independently: path order, each roll-up once."""
    items = []
    for path in sorted(paths):
        if not path.startswith(prefix):
            continue
        rest = path[len(prefix):].split("/")
        if depth == 0 or len(rest) <= depth:
            items.append(("memory", path))
        else:
            folder = ("memory_prefix", prefix + "/".join(rest[:depth]) + "/")
            if folder not in items:
                items.append(folder)
    return items


def _seen(items):
    return [(item.type, item.path) for item in items]


# Folders, files beside them, and names with '-' and '.' that sort right around '/'.
TREE = sorted(
    [f"/d{i:02d}/f{j}.md" for i in range(12) for j in range(i % 4 + 1)]
    + [f"/d{i:02d}/sub{k}/deep/x.md" for i in range(0, 12, 3) for k in range(2)]
    + [f"/d{i:02d}.md" for i in range(0, 12, 2)]
    + [f"/d{i:02d}-notes.md" for i in range(1, 12, 5)]
    + ["/d01", "/d0", "/readme.md", "/z/1/2/3/4.md"]
)


@pytest.fixture
def tree(store):
    _fill(store, TREE)
    return store


def test_it_lists_every_memory_in_path_order_by_default(admin, tree):
    items = list(admin.beta.memory_stores.memories.list(tree.id, limit=100))

    assert _seen(items) == [("memory", p) for p in TREE]
    assert all(item.content is None for item in items)  # basic view by default
    assert all(item.content_sha256 and item.content_size_bytes for item in items)


def test_it_lists_everything_under_a_prefix_at_depth_0(admin, tree):
    page = admin.beta.memory_stores.memories.list(tree.id, path_prefix="/d03/", depth=0)

    assert _seen(page.data) == _expected(TREE, "/d03/")
    assert _seen(page.data) == [
        ("memory", "/d03/f0.md"), ("memory", "/d03/f1.md"), ("memory", "/d03/f2.md"), ("memory", "/d03/f3.md"),
        ("memory", "/d03/sub0/deep/x.md"), ("memory", "/d03/sub1/deep/x.md"),
    ]
    assert page.next_page is None


def test_it_matches_whole_segments_only(admin, store):
    _fill(store, ["/notes/a.md", "/notes/sub/b.md", "/notes-archive/a.md", "/notes.md", "/notesx/c.md", "/notes"])

    page = admin.beta.memory_stores.memories.list(store.id, path_prefix="/notes/")

    assert _seen(page.data) == [("memory", "/notes/a.md"), ("memory", "/notes/sub/b.md")]


def test_it_rejects_a_prefix_that_does_not_end_with_a_slash(admin, tree):
    for prefix in ("/d03", "d03/", "/d03/f0.md"):
        with pytest.raises(anthropic.BadRequestError) as caught:
            admin.beta.memory_stores.memories.list(tree.id, path_prefix=prefix)
        assert caught.value.status_code == 400


def test_it_rolls_up_deeper_paths_at_depth_1(admin, store):
    _fill(store, ["/a.md", "/b/x.md", "/b/y.md", "/b/c/z.md", "/c.md", "/d/e/f.md", "/b-side.md"])

    page = admin.beta.memory_stores.memories.list(store.id, depth=1)

    assert _seen(page.data) == [
        ("memory", "/a.md"),
        ("memory", "/b-side.md"),
        ("memory_prefix", "/b/"),
        ("memory", "/c.md"),
        ("memory_prefix", "/d/"),
    ]
    prefix = page.data[2]
    assert prefix.model_dump() == {"type": "memory_prefix", "path": "/b/"}


def test_it_rolls_up_at_depth_2(admin, store):
    _fill(store, ["/a.md", "/b/x.md", "/b/c/z.md", "/b/c/w.md", "/b/d/e/f.md", "/c/y.md"])

    page = admin.beta.memory_stores.memories.list(store.id, depth=2)

    assert _seen(page.data) == [
        ("memory", "/a.md"),
        ("memory_prefix", "/b/c/"),
        ("memory_prefix", "/b/d/"),
        ("memory", "/b/x.md"),
        ("memory", "/c/y.md"),
    ]


def test_it_takes_a_returned_prefix_back_as_path_prefix(admin, tree):
    top = admin.beta.memory_stores.memories.list(tree.id, depth=1, limit=100)
    folders = [item.path for item in top.data if item.type == "memory_prefix"]
    assert "/d03/" in folders

    inner = admin.beta.memory_stores.memories.list(tree.id, path_prefix="/d03/", depth=1)
    deeper = admin.beta.memory_stores.memories.list(tree.id, path_prefix="/d03/sub0/", depth=1)

    assert _seen(inner.data) == _expected(TREE, "/d03/", 1)
    assert ("memory_prefix", "/d03/sub0/") in _seen(inner.data)
    assert _seen(deeper.data) == [("memory_prefix", "/d03/sub0/deep/")]


def test_it_rejects_a_negative_depth(admin, tree):
    with pytest.raises(anthropic.BadRequestError) as caught:
        admin.beta.memory_stores.memories.list(tree.id, depth=-1)

    assert caught.value.status_code == 400


def test_it_counts_prefixes_and_memories_toward_the_limit(admin, store):
    _fill(store, ["/a/1.md", "/a/2.md", "/b.md", "/c/1.md", "/d.md"])

    first = admin.beta.memory_stores.memories.list(store.id, depth=1, limit=2)
    second = first.get_next_page()

    assert _seen(first.data) == [("memory_prefix", "/a/"), ("memory", "/b.md")]
    assert _seen(second.data) == [("memory_prefix", "/c/"), ("memory", "/d.md")]
    # An exactly full last page may still carry a cursor; the page after it must then be empty and final.
    if second.has_next_page():
        third = second.get_next_page()
        assert (third.data, third.next_page) == ([], None)


@pytest.mark.parametrize(
    ("prefix", "depth", "limit"),
    [("/", 0, 7), ("/", 1, 1), ("/", 1, 2), ("/", 1, 3), ("/", 1, 5), ("/", 2, 4), ("/", 3, 3), ("/d03/", 1, 1),
     ("/z/", 2, 1)],
)
def test_it_pages_through_the_tree_without_repeating_or_skipping(admin, tree, prefix, depth, limit):
    expected = _expected(TREE, prefix, depth)

    page = admin.beta.memory_stores.memories.list(tree.id, path_prefix=prefix, depth=depth, limit=limit)
    pages = [page]
    while page.has_next_page():
        page = page.get_next_page()
        pages.append(page)
        assert len(pages) <= len(expected) + 1, "next_page never became null"

    assert all(len(p.data) <= limit for p in pages)
    assert all(len(p.data) == limit for p in pages[:-1] if p.next_page)
    assert pages[-1].next_page is None
    assert [item for p in pages for item in _seen(p.data)] == expected
    assert len(pages) >= len(expected) // limit


def test_it_auto_paginates_with_for(admin, tree):
    items = admin.beta.memory_stores.memories.list(tree.id, depth=1, limit=2)

    assert _seen(items) == _expected(TREE, "/", 1)


def test_it_returns_content_in_the_full_view_and_caps_pages_at_20(admin, tree):
    page = admin.beta.memory_stores.memories.list(tree.id, view="full", limit=100)

    assert len(page.data) == 20
    assert page.next_page
    assert all(item.content == f"content of {item.path}" for item in page.data)
    everything = list(admin.beta.memory_stores.memories.list(tree.id, view="full", limit=100))
    assert _seen(everything) == [("memory", p) for p in TREE]
    assert all(item.content == f"content of {item.path}" for item in everything)


def test_it_honours_a_full_view_limit_under_20(admin, tree):
    page = admin.beta.memory_stores.memories.list(tree.id, view="full", limit=5)

    assert len(page.data) == 5
    assert page.data[0].content == f"content of {TREE[0]}"


def test_it_leaves_out_content_in_the_basic_view(admin, tree):
    page = admin.beta.memory_stores.memories.list(tree.id, view="basic", limit=100)

    assert len(page.data) == len(TREE)
    assert all(item.content is None for item in page.data)


def test_it_rejects_an_unknown_view(admin, tree):
    with pytest.raises(anthropic.BadRequestError):
        admin.beta.memory_stores.memories.list(tree.id, view="summary")


@pytest.mark.parametrize("limit", [0, -3, 101])
def test_it_rejects_a_limit_outside_1_to_100(admin, tree, limit):
    with pytest.raises(anthropic.BadRequestError):
        admin.beta.memory_stores.memories.list(tree.id, limit=limit)


def test_it_defaults_to_pages_of_20(admin, tree):
    page = admin.beta.memory_stores.memories.list(tree.id)

    assert len(page.data) == 20
    assert page.next_page


def test_it_rejects_an_invalid_page_cursor(admin, tree):
    for cursor in ("not-a-cursor!", "eyJzIjoibWVtb3JpZXM6LzowIn0", "e30"):
        with pytest.raises(anthropic.BadRequestError):
            admin.beta.memory_stores.memories.list(tree.id, page=cursor)


def test_it_rejects_a_cursor_from_another_listing(admin, tree):
    cursor = admin.beta.memory_stores.memories.list(tree.id, path_prefix="/d03/", limit=1).next_page

    with pytest.raises(anthropic.BadRequestError):
        admin.beta.memory_stores.memories.list(tree.id, path_prefix="/d05/", limit=1, page=cursor)


def test_it_lists_an_empty_store(admin, store):
    page = admin.beta.memory_stores.memories.list(store.id, depth=1)

    assert page.data == []
    assert page.next_page is None


def test_it_lists_a_prefix_with_spaces_and_unicode(admin, store):
    _fill(store, ["/a b/é.md", "/a b/c d/e.md", "/a bc.md"])

    page = admin.beta.memory_stores.memories.list(store.id, path_prefix="/a b/", depth=1)

    assert _seen(page.data) == [("memory_prefix", "/a b/c d/"), ("memory", "/a b/é.md")]


def test_it_lists_only_the_named_store(admin, workspace, tree):
    other = stores.create_store(workspace=workspace, name="other")
    _fill(other, ["/elsewhere.md"])

    assert _seen(admin.beta.memory_stores.memories.list(other.id)) == [("memory", "/elsewhere.md")]


def test_it_404s_for_an_unknown_or_foreign_store(admin, outsider, tree):
    with pytest.raises(anthropic.NotFoundError):
        admin.beta.memory_stores.memories.list("memstore_doesnotexist")
    with pytest.raises(anthropic.NotFoundError):
        outsider.beta.memory_stores.memories.list(tree.id)


def test_it_costs_queries_per_item_not_per_memory_in_the_store(client, workspace, admin_key):
    headers = {"Authorization": f"Bearer {admin_key.secret}"}
    small = stores.create_store(workspace=workspace, name="small")
    big = stores.create_store(workspace=workspace, name="big")
    _fill(small, [f"/f{i}/a.md" for i in range(6)])
    _fill(big, [f"/f{i}/{j}/n{k}.md" for i in range(6) for j in range(4) for k in range(5)])
    client.get(f"/v1/memory_stores/{small.id}/memories", headers=headers)  # records last_used_at once

    counts = {}
    for name, target in (("small", small), ("big", big)):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"/v1/memory_stores/{target.id}/memories?depth=1&limit=5", headers=headers)
        assert response.status_code == 200
        assert [i["path"] for i in response.json()["data"]] == [f"/f{i}/" for i in range(5)]
        counts[name] = len(queries)

    assert counts["big"] == counts["small"]
    assert counts["big"] <= 5 + 4  # one seek per roll-up, plus auth, store and the next-page probe


def test_it_orders_paths_by_code_point(admin, store):
    paths = [
        "/a.md", "/Z.md", "/é.md", "/\ufb00.md", "/\U0001f600.md", "/a b.md", "/a-b.md", "/a/b.md", "/a0.md", "/_x.md",
    ]
    _fill(store, paths)

    flat = list(admin.beta.memory_stores.memories.list(store.id, limit=3))
    rolled = list(admin.beta.memory_stores.memories.list(store.id, depth=1, limit=2))

    assert _seen(flat) == _expected(paths)
    assert [item.path for item in flat] == sorted(paths)
    assert _seen(rolled) == _expected(paths, "/", 1)
