from memory import stores
from memory.models import MemoryStore

XSS = "<script>alert(1)</script>"


def url(workspace, store):
    return f"/w/{workspace.id}/stores/{store.id}/settings"


def test_it_shows_settings_and_numbers(alice_admin, workspace, store, note, writer_actor):
    from memory.store import create_memory

    create_memory(store=store, path="/b.md", content="12345", actor=writer_actor)
    r = alice_admin.get(url(workspace, store))
    assert r.status_code == 200
    assert r.context["store_section"] == "settings"
    total = len("# DB\n\nRestart with care.".encode()) + 5
    assert r.context["stats"]["memory_count"] == 2
    assert r.context["stats"]["total_bytes"] == total
    assert f"({total} B)".encode() in r.content
    assert r.context["stats"]["last_change"] is not None
    assert b'name="default_agent_access"' in r.content and b"csrfmiddlewaretoken" in r.content
    assert b'aria-current="page">Settings' in r.content


def test_it_counts_queries(alice_admin, workspace, store, note, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        assert alice_admin.get(url(workspace, store)).status_code == 200


def test_it_shows_viewer_read_only(vic_viewer, workspace, store):
    r = vic_viewer.get(url(workspace, store))
    assert r.status_code == 200
    assert b'name="default_agent_access"' not in r.content
    assert b"Archive store" not in r.content


def test_it_saves_as_admin(alice_admin, workspace, store):
    r = alice_admin.post(url(workspace, store), {"name": "ops2", "description": "runbooks",
                                                  "default_agent_access": "read_only"})
    assert r.status_code == 302
    assert r["Location"] == url(workspace, store)
    store.refresh_from_db()
    assert (store.name, store.description, store.default_agent_access) == ("ops2", "runbooks", "read_only")


def test_it_rejects_empty_name(alice_admin, workspace, store):
    r = alice_admin.post(url(workspace, store), {"name": "  ", "description": "x", "default_agent_access": "read_only"})
    assert r.status_code == 400
    assert b'class="error"' in r.content
    store.refresh_from_db()
    assert (store.name, store.description, store.default_agent_access) == ("ops", "", "no_access")


def test_it_rejects_unknown_access(alice_admin, workspace, store):
    r = alice_admin.post(url(workspace, store), {"name": "new", "default_agent_access": "root"})
    assert r.status_code == 400
    assert b"default_agent_access" in r.content
    store.refresh_from_db()
    assert (store.name, store.default_agent_access) == ("ops", "no_access")


def test_it_refuses_archived_store(alice_admin, workspace, store):
    stores.archive_store(store=store)
    r = alice_admin.get(url(workspace, store))
    assert r.status_code == 200 and b"archived" in r.content and b'name="name"' not in r.content
    r = alice_admin.post(url(workspace, store), {"name": "new", "default_agent_access": "read_only"})
    assert r.status_code == 400
    store.refresh_from_db()
    assert store.name == "ops"


def test_it_forbids_operator_and_viewer(olga_operator, vic_viewer, workspace, store):
    data = {"name": "hijack", "default_agent_access": "read_write"}
    assert olga_operator.post(url(workspace, store), data).status_code == 403
    assert vic_viewer.post(url(workspace, store), data).status_code == 403
    store.refresh_from_db()
    assert (store.name, store.default_agent_access) == ("ops", "no_access")


def test_it_404s_another_workspace_store(alice_admin, workspace, other_workspace, foreign_store):
    assert alice_admin.get(url(workspace, foreign_store)).status_code == 404
    assert alice_admin.post(url(workspace, foreign_store), {"name": "x"}).status_code == 404
    assert alice_admin.get(url(other_workspace, foreign_store)).status_code == 404
    foreign_store.refresh_from_db()
    assert foreign_store.name == "secret"


def test_it_requires_login(client, workspace, store):
    r = client.get(url(workspace, store))
    assert r.status_code == 302 and "/login/" in r["Location"]


def test_it_escapes_store_name(alice_admin, workspace):
    store = stores.create_store(workspace=workspace, name=XSS, description="<img src=x onerror=alert(1)>")
    r = alice_admin.get(url(workspace, store))
    assert r.status_code == 200
    assert XSS.encode() not in r.content
    assert b"<img src=x" not in r.content
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in r.content
    assert MemoryStore.objects.filter(name=XSS).exists()
