from django.test import Client

from memory.models import MemoryStore


def test_it_lists_stores_with_counts(alice_admin, workspace, store, note):
    r = alice_admin.get(f"/w/{workspace.id}/")
    assert r.status_code == 200
    assert b"ops" in r.content
    assert b'<td class="num">1</td>' in r.content
    assert alice_admin.session["console_workspace_id"] == workspace.id


def test_it_hides_other_workspace(alice_admin, other_workspace, foreign_store):
    assert alice_admin.get(f"/w/{other_workspace.id}/").status_code == 404


def test_it_lets_superuser_see_every_workspace(root_superuser, workspace, other_workspace):
    r = root_superuser.get(f"/w/{other_workspace.id}/")
    assert r.status_code == 200
    assert b"acme" in r.content and b"globex" in r.content  # the switcher lists both


def test_it_remembers_the_workspace(root_superuser, workspace, other_workspace):
    root_superuser.get(f"/w/{other_workspace.id}/")
    r = root_superuser.get("/")
    assert r.status_code == 302
    assert r["Location"] == f"/w/{other_workspace.id}/"


def test_it_creates_store_as_admin(alice_admin, workspace):
    r = alice_admin.post(f"/w/{workspace.id}/", {"name": "runbooks", "description": "how we fix things"})
    assert r.status_code == 302
    assert MemoryStore.objects.filter(workspace=workspace, name="runbooks").exists()


def test_it_rejects_invalid_store_name(alice_admin, workspace):
    r = alice_admin.post(f"/w/{workspace.id}/", {"name": ""})
    assert r.status_code == 400
    assert MemoryStore.objects.filter(workspace=workspace).count() == 0


def test_it_forbids_operator_and_viewer_creating_stores(olga_operator, vic_viewer, workspace):
    assert olga_operator.post(f"/w/{workspace.id}/", {"name": "x"}).status_code == 403
    assert vic_viewer.post(f"/w/{workspace.id}/", {"name": "x"}).status_code == 403
    assert not MemoryStore.objects.filter(workspace=workspace).exists()


def test_it_archives_store_as_admin(alice_admin, workspace, store):
    r = alice_admin.post(f"/w/{workspace.id}/stores/{store.id}/archive")
    assert r.status_code == 302
    store.refresh_from_db()
    assert store.archived_at is not None


def test_it_forbids_viewer_archiving(vic_viewer, workspace, store):
    assert vic_viewer.post(f"/w/{workspace.id}/stores/{store.id}/archive").status_code == 403
    store.refresh_from_db()
    assert store.archived_at is None


def test_it_404s_archiving_another_workspace_store(alice_admin, workspace, foreign_store):
    assert alice_admin.post(f"/w/{workspace.id}/stores/{foreign_store.id}/archive").status_code == 404
    foreign_store.refresh_from_db()
    assert foreign_store.archived_at is None


def test_it_enforces_csrf(workspace):
    from django.contrib.auth import get_user_model

    from memory import identity
    from memory.models import Role

    user = get_user_model().objects.create_user(username="alice", password="pw")
    identity.add_member(workspace=workspace, user=user, role=Role.ADMIN)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    r = client.post(f"/w/{workspace.id}/", {"name": "sneaky"})
    assert r.status_code == 403
    assert not MemoryStore.objects.filter(name="sneaky").exists()
    # With the token from the page (as the form and the hx-headers on <body> send it) it works.
    page = client.get(f"/w/{workspace.id}/")
    token = page.cookies["csrftoken"].value
    r = client.post(f"/w/{workspace.id}/", {"name": "legit"}, headers={"X-CSRFToken": token})
    assert r.status_code == 302
    assert MemoryStore.objects.filter(name="legit").exists()


def test_it_shows_each_store_size_and_its_last_write(alice_admin, workspace, store, note, django_assert_max_num_queries):
    from memory import stores as store_ops

    for index in range(3):
        store_ops.create_store(workspace=workspace, name=f"extra-{index}")
    with django_assert_max_num_queries(12):  # one query for every store's usage, not one per store
        r = alice_admin.get(f"/w/{workspace.id}/")
    assert r.status_code == 200
    stores = {s.name: s for s in r.context["stores"]}
    assert stores["ops"].total_bytes == note.size_bytes == len("# DB\n\nRestart with care.")
    assert stores["ops"].last_change == note.updated_at
    assert stores["extra-0"].total_bytes == 0 and stores["extra-0"].last_change is None
    assert f"{note.size_bytes}\xa0bytes".encode() in r.content


def test_it_pages_a_long_store_list(alice_admin, workspace):
    from memory import stores as store_ops

    for index in range(53):
        store_ops.create_store(workspace=workspace, name=f"store-{index:02d}")
    first = alice_admin.get(f"/w/{workspace.id}/")
    assert len(first.context["stores"]) == 50 and b'rel="next"' in first.content
    second = alice_admin.get(f"/w/{workspace.id}/?page=2")
    assert [s.name for s in second.context["stores"]] == ["store-50", "store-51", "store-52"]
    assert alice_admin.get(f"/w/{workspace.id}/?page=junk").status_code == 200  # the first page
