"""GET /w/<ws>/stores/<store>/search: path and content search with snippets, paged."""

from memory.access import Actor
from memory.store import create_memory

ACTOR = Actor(user_id="user_x")


def _url(workspace, store):
    return f"/w/{workspace.id}/stores/{store.id}/search"


def test_it_shows_the_form_without_searching(vic_viewer, workspace, store):
    r = vic_viewer.get(_url(workspace, store))
    assert r.status_code == 200
    body = r.content.decode()
    assert 'name="q"' in body and 'name="content" value="1" checked' in body
    assert 'hx-target="#results"' in body and f'action="{_url(workspace, store)}"' in body
    assert 'aria-current="page">Search<' in body


def test_it_finds_memories_with_a_snippet(vic_viewer, workspace, store, note):
    r = vic_viewer.get(_url(workspace, store), {"q": "restart", "content": "1"})
    assert r.status_code == 200
    body = r.content.decode()
    assert f'href="/w/{workspace.id}/stores/{store.id}/memories/{note.id}"' in body
    assert "<mark>Restart</mark> with care." in body


def test_an_unticked_content_box_searches_paths_only(vic_viewer, workspace, store, note):
    r = vic_viewer.get(_url(workspace, store), {"q": "restart"})
    assert r.status_code == 200
    assert r.context["hits"] == []
    assert b"No matches." in r.content
    r = vic_viewer.get(_url(workspace, store), {"q": "runbooks"})
    assert len(r.context["hits"]) == 1
    assert b"/<mark>runbooks</mark>/db.md" in r.content


def test_it_pages_and_serves_the_fragment_to_htmx(vic_viewer, workspace, store):
    for i in range(53):
        create_memory(store=store, path=f"/n/{i:02d}.md", content=f"needle {i}", actor=ACTOR)
    r = vic_viewer.get(_url(workspace, store), {"q": "needle", "content": "1"})
    assert len(r.context["hits"]) == 50
    assert b"Next page" in r.content and b"q=needle&amp;content=1&amp;page=" in r.content
    r = vic_viewer.get(_url(workspace, store), {"q": "needle", "content": "1", "page": r.context["next_page"]},
                       HTTP_HX_REQUEST="true")
    assert r.status_code == 200
    assert [h.memory.path for h in r.context["hits"]] == ["/n/50.md", "/n/51.md", "/n/52.md"]
    assert b"<html" not in r.content and b'id="results"' in r.content


def test_it_escapes_paths_and_content(vic_viewer, workspace, store):
    create_memory(store=store, path="/javascript:alert(1)/<img src=x onerror=alert(1)>.md",
                  content="see <script>alert(1)</script> here", actor=ACTOR)
    for q in ("alert", "<script>", "javascript:"):
        r = vic_viewer.get(_url(workspace, store), {"q": q, "content": "1"})
        assert r.status_code == 200
        assert len(r.context["hits"]) == 1
        body = r.content.decode()
        assert "<script>alert" not in body and "<img src=x" not in body
        assert 'href="javascript:' not in body
    assert "&lt;script&gt;" in body or "<mark>javascript:</mark>" in body


def test_bad_input_is_a_400(vic_viewer, workspace, store):
    assert vic_viewer.get(_url(workspace, store), {"q": "x" * 201}).status_code == 400
    r = vic_viewer.get(_url(workspace, store), {"q": "x", "page": "garbage"})
    assert r.status_code == 400 and b"not a valid page cursor" in r.content
    r = vic_viewer.get(_url(workspace, store), {"q": "x", "prefix": "no-slash"})
    assert r.status_code == 400


def test_another_workspace_is_a_404(vic_viewer, workspace, other_workspace, foreign_store):
    create_memory(store=foreign_store, path="/secret.md", content="needle", actor=ACTOR)
    assert vic_viewer.get(_url(other_workspace, foreign_store), {"q": "needle"}).status_code == 404
    assert vic_viewer.get(_url(workspace, foreign_store), {"q": "needle"}).status_code == 404


def test_it_needs_a_login(client, workspace, store):
    assert client.get(_url(workspace, store), {"q": "x"}).status_code == 302
