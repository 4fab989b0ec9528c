from memory.models import Memory


def test_it_shows_the_form_prefilled_with_the_folder(olga_operator, workspace, store):
    r = olga_operator.get(f"/w/{workspace.id}/stores/{store.id}/memories/new", {"prefix": "/runbooks/"})
    assert r.status_code == 200
    assert b'value="/runbooks/"' in r.content


def test_it_creates_a_memory(olga_operator, workspace, store):
    r = olga_operator.post(f"/w/{workspace.id}/stores/{store.id}/memories/new",
                           {"path": "/runbooks/dns.md", "content": "It is always DNS."})
    assert r.status_code == 302
    memory = Memory.objects.get(store=store, path="/runbooks/dns.md")
    assert r["Location"] == f"/w/{workspace.id}/stores/{store.id}/memories/{memory.id}"
    store.refresh_from_db()
    assert store.memory_count == 1


def test_it_reports_a_taken_path(olga_operator, workspace, store, note):
    r = olga_operator.post(f"/w/{workspace.id}/stores/{store.id}/memories/new", {"path": note.path, "content": "dup"})
    assert r.status_code == 409
    assert b"already exists" in r.content
    assert Memory.objects.filter(store=store).count() == 1


def test_it_refuses_writes_to_an_archived_store(olga_operator, workspace, store):
    from memory.stores import archive_store

    archive_store(store=store)
    r = olga_operator.post(f"/w/{workspace.id}/stores/{store.id}/memories/new", {"path": "/a.md", "content": "x"})
    assert r.status_code == 400
    assert not Memory.objects.filter(store=store).exists()


def test_it_forbids_viewers(vic_viewer, workspace, store):
    r = vic_viewer.post(f"/w/{workspace.id}/stores/{store.id}/memories/new", {"path": "/a.md", "content": "x"})
    assert r.status_code == 403
    assert not Memory.objects.filter(store=store).exists()


def test_it_404s_another_workspaces_store(olga_operator, workspace, foreign_store):
    r = olga_operator.post(f"/w/{workspace.id}/stores/{foreign_store.id}/memories/new", {"path": "/a.md", "content": "x"})
    assert r.status_code == 404
    assert not Memory.objects.filter(store=foreign_store).exists()
