"""memory.search.search_memories: path and content search, in path order, a page at a time."""

import pytest

from memory import search
from memory.access import Actor
from memory.errors import InvalidRequest
from memory.search import search_memories
from memory.store import create_memory

ACTOR = Actor(user_id="user_x")


def _make(store, files):
    return {path: create_memory(store=store, path=path, content=content, actor=ACTOR) for path, content in files}


def _paths(hits):
    return [hit.memory.path for hit in hits]


def test_it_matches_paths_and_content_case_insensitively(store):
    _make(store, [("/ops/Deploy.md", "how to ship"), ("/ops/db.md", "Run the DEPLOY script"), ("/z.md", "nothing")])
    hits, next_page = search_memories(store=store, query="deploy", limit=50)
    assert _paths(hits) == ["/ops/Deploy.md", "/ops/db.md"]
    assert next_page is None
    by_path, by_content = hits
    assert (by_path.path.before, by_path.path.match, by_path.path.after) == ("/ops/", "Deploy", ".md")
    assert by_path.content is None
    assert by_content.path is None
    assert (by_content.content.before, by_content.content.match, by_content.content.after) == \
        ("Run the ", "DEPLOY", " script")


def test_it_can_search_paths_only(store):
    _make(store, [("/notes/deploy.md", "x"), ("/notes/other.md", "deploy")])
    hits, _ = search_memories(store=store, query="deploy", in_content=False, limit=50)
    assert _paths(hits) == ["/notes/deploy.md"]


def test_it_narrows_to_a_folder(store):
    _make(store, [("/a/x.md", "needle"), ("/b/x.md", "needle"), ("/a.md", "needle")])
    hits, _ = search_memories(store=store, query="needle", prefix="/a/", limit=50)
    assert _paths(hits) == ["/a/x.md"]


def test_it_pages_in_path_order_and_stops_at_the_limit(store):
    _make(store, [(f"/n/{i:02d}.md", f"match {i}") for i in range(7)])
    seen, page = [], None
    for _ in range(4):
        hits, page = search_memories(store=store, query="MATCH", limit=3, page=page)
        seen += _paths(hits)
        if page is None:
            break
    assert seen == [f"/n/{i:02d}.md" for i in range(7)]
    assert page is None


def test_a_small_scan_window_ends_a_page_early_and_continues(store, monkeypatch):
    monkeypatch.setattr(search, "SCAN_WINDOW", 2)
    _make(store, [("/1.md", "no"), ("/2.md", "no"), ("/3.md", "no"), ("/4.md", "yes")])
    hits, page = search_memories(store=store, query="yes", limit=10)
    assert hits == [] and page is not None  # two memories examined, more to go
    hits, page = search_memories(store=store, query="yes", limit=10, page=page)
    assert _paths(hits) == ["/4.md"]
    assert page is None


def test_it_finds_text_after_a_nul_and_non_ascii_text(store):
    _make(store, [("/nul.md", "before\x00after NEEDLE"), ("/uni.md", "café — Ünïcode 日本語"),
                  ("/slash.md", "C:\\temp\\x")])
    assert _paths(search_memories(store=store, query="needle", limit=5)[0]) == ["/nul.md"]
    assert _paths(search_memories(store=store, query="日本", limit=5)[0]) == ["/uni.md"]
    assert _paths(search_memories(store=store, query="café", limit=5)[0]) == ["/uni.md"]
    assert _paths(search_memories(store=store, query="\\temp\\", limit=5)[0]) == ["/slash.md"]


def test_like_wildcards_are_literal(store):
    _make(store, [("/pct.md", "100% sure"), ("/plain.md", "100 sure"), ("/under_score.md", "x")])
    assert _paths(search_memories(store=store, query="100%", limit=5)[0]) == ["/pct.md"]
    assert _paths(search_memories(store=store, query="r_s", in_content=False, limit=5)[0]) == ["/under_score.md"]


def test_digits_do_not_match_escaped_bytes(store):
    # On PostgreSQL "é" is searched as \303\251: a query for "303" must not find it.
    _make(store, [("/e.md", "é")])
    assert search_memories(store=store, query="303", limit=5)[0] == []


def test_it_stays_in_its_store(store, workspace):
    from memory import stores

    other = stores.create_store(workspace=workspace, name="other")
    _make(other, [("/x.md", "needle")])
    assert search_memories(store=store, query="needle", limit=5) == ([], None)


@pytest.mark.parametrize("query", ["", "   ", None, "x" * 201, "a\x00b"])
def test_it_refuses_bad_queries(store, query):
    with pytest.raises(InvalidRequest):
        search_memories(store=store, query=query, limit=5)


def test_it_refuses_a_cursor_of_another_search(store):
    _make(store, [(f"/{i}.md", "needle") for i in range(3)])
    _, page = search_memories(store=store, query="needle", limit=1)
    with pytest.raises(InvalidRequest):
        search_memories(store=store, query="other", limit=1, page=page)
    with pytest.raises(InvalidRequest):
        search_memories(store=store, query="needle", limit=1, page="garbage")


def test_snippets_are_short(store):
    _make(store, [("/long.md", "a" * 500 + " needle " + "b" * 500)])
    (hit,), _ = search_memories(store=store, query="needle", limit=5)
    assert hit.content.before.startswith("…") and hit.content.after.endswith("…")
    assert len(hit.content.before) + len(hit.content.after) < 200
