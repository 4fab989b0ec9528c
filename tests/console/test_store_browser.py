from memory.access import Actor
from memory.store import create_memory


def _fill(store, paths):
    for path in paths:
        create_memory(store=store, path=path, content=f"content of {path}", actor=Actor(user_id="user_fixture"))


def test_it_shows_root_with_folder_rollups(vic_viewer, workspace, store):
    _fill(store, ["/readme.md", "/runbooks/db.md", "/runbooks/deep/x.md"])
    r = vic_viewer.get(f"/w/{workspace.id}/stores/{store.id}/")
    assert r.status_code == 200
    body = r.content.decode()
    assert "<html" in body
    assert "readme.md" in body
    assert "?prefix=%2Frunbooks%2F" in body
    assert "db.md" not in body  # rolled up into the folder


def test_it_navigates_into_a_folder_with_breadcrumbs(vic_viewer, workspace, store):
    _fill(store, ["/readme.md", "/runbooks/db.md", "/runbooks/deep/x.md"])
    r = vic_viewer.get(f"/w/{workspace.id}/stores/{store.id}/", {"prefix": "/runbooks/"})
    assert r.status_code == 200
    body = r.content.decode()
    assert "db.md" in body and "readme.md" not in body
    assert "?prefix=%2Frunbooks%2Fdeep%2F" in body
    assert 'aria-label="Breadcrumbs"' in body and ">runbooks</a>" in body


def test_it_returns_only_the_listing_fragment_to_htmx(vic_viewer, workspace, store):
    _fill(store, ["/runbooks/db.md"])
    r = vic_viewer.get(f"/w/{workspace.id}/stores/{store.id}/", {"prefix": "/runbooks/"}, headers={"HX-Request": "true"})
    assert r.status_code == 200
    body = r.content.decode()
    assert "<html" not in body
    assert body.strip().startswith('<section id="listing">')
    assert "db.md" in body


def test_it_pages_with_a_cursor(vic_viewer, workspace, store, monkeypatch):
    from console.views import memories

    monkeypatch.setattr(memories, "PAGE_SIZE", 2)
    _fill(store, ["/a.md", "/b.md", "/c.md"])
    r = vic_viewer.get(f"/w/{workspace.id}/stores/{store.id}/")
    assert r.status_code == 200
    page = r.context["next_page"]
    assert page
    assert [row["name"] for row in r.context["rows"]] == ["a.md", "b.md"]
    r = vic_viewer.get(f"/w/{workspace.id}/stores/{store.id}/", {"page": page})
    assert [row["name"] for row in r.context["rows"]] == ["c.md"]
    assert r.context["next_page"] is None


def test_it_rejects_a_bad_prefix(vic_viewer, workspace, store):
    r = vic_viewer.get(f"/w/{workspace.id}/stores/{store.id}/", {"prefix": "no-slash"})
    assert r.status_code == 400


def test_it_404s_another_workspaces_store(alice_admin, workspace, foreign_store):
    assert alice_admin.get(f"/w/{workspace.id}/stores/{foreign_store.id}/").status_code == 404


def test_it_404s_for_non_members(alice_admin, other_workspace, foreign_store):
    assert alice_admin.get(f"/w/{other_workspace.id}/stores/{foreign_store.id}/").status_code == 404


def test_it_escapes_hostile_paths(vic_viewer, workspace, store):
    _fill(store, ['/<img src=x onerror=alert(1)>.md'])
    r = vic_viewer.get(f"/w/{workspace.id}/stores/{store.id}/")
    assert r.status_code == 200
    assert b"<img src=x" not in r.content
    assert b"&lt;img src=x onerror=alert(1)&gt;.md" in r.content


def test_it_carries_csrf_in_hx_headers(vic_viewer, workspace, store):
    r = vic_viewer.get(f"/w/{workspace.id}/stores/{store.id}/")
    assert b'<body hx-headers=\'{"X-CSRFToken": "' in r.content
    assert b"/static/vendor/htmx.min.js" in r.content
