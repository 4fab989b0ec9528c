import pytest

from memory import identity, stores
from memory.models import Access, Grant, MemoryStore

XSS = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def writer(workspace):
    return identity.create_agent(workspace=workspace, name="writer")


def grants_url(workspace):
    return f"/w/{workspace.id}/grants/"


def set_url(workspace):
    return f"/w/{workspace.id}/grants/set"


def default_url(workspace):
    return f"/w/{workspace.id}/grants/default"


def _access(store, agent):
    return Grant.objects.filter(store=store, agent=agent).values_list("access", flat=True).first()


def test_it_shows_matrix_without_n_plus_one(alice_admin, workspace, django_assert_max_num_queries):
    agents = [identity.create_agent(workspace=workspace, name=f"agent-{i}") for i in range(10)]
    all_stores = [stores.create_store(workspace=workspace, name=f"store-{i}") for i in range(5)]
    for i, agent in enumerate(agents):
        stores.set_grant(store=all_stores[i % 5], agent_id=agent.id, access=Access.READ_WRITE)
    archived = stores.archive_store(store=stores.create_store(workspace=workspace, name="old-store"))
    with django_assert_max_num_queries(10):
        r = alice_admin.get(grants_url(workspace))
    assert r.status_code == 200
    assert r.context["section"] == "grants"
    assert len(r.context["rows"]) == 10 and len(r.context["stores"]) == 5
    assert r.content.count(b'name="access"') == 50
    assert r.content.count(b'<option value="read_write" selected>') == 10
    assert archived.name.encode() not in r.content
    assert b'aria-label="Access of agent agent-0 to store store-0"' in r.content
    assert b"hx-post" in r.content and b"<noscript>" in r.content and b"csrfmiddlewaretoken" in r.content


def test_it_pages_agents(alice_admin, workspace, store):
    for i in range(51):
        identity.create_agent(workspace=workspace, name=f"agent-{i:02}")
    r = alice_admin.get(grants_url(workspace))
    assert len(r.context["rows"]) == 50 and b"agent-50" not in r.content
    r = alice_admin.get(grants_url(workspace) + "?page=2")
    assert len(r.context["rows"]) == 1 and b"agent-50" in r.content


def test_it_shows_viewer_read_only(vic_viewer, olga_operator, workspace, store, writer):
    stores.set_grant(store=store, agent_id=writer.id, access=Access.READ_ONLY)
    for client in (vic_viewer, olga_operator):
        r = client.get(grants_url(workspace))
        assert r.status_code == 200
        assert b"<form" not in r.content.split(b"<main")[1]
        assert b"<select disabled" in r.content
        assert b"Read Only" in r.content


def test_it_sets_grant_with_htmx(alice_admin, workspace, store, writer):
    data = {"agent_id": writer.id, "store_id": store.id, "access": "read_write"}
    r = alice_admin.post(set_url(workspace), data, **HX)
    assert r.status_code == 200
    body = r.content.decode()
    assert body.lstrip().startswith(f'<td id="cell-{writer.id}-{store.id}"')
    assert "<html" not in body
    assert '<option value="read_write" selected>' in body
    assert _access(store, writer) == "read_write"


def test_it_sets_grant_without_js(alice_admin, workspace, store, writer):
    r = alice_admin.post(set_url(workspace), {"agent_id": writer.id, "store_id": store.id, "access": "read_only",
                                              "page": "1"})
    assert r.status_code == 302
    assert r["Location"] == f"/w/{workspace.id}/grants/?page=1&stores=1"
    assert _access(store, writer) == "read_only"
    page = alice_admin.get(r["Location"])
    assert b"writer now has Read Only on ops" in page.content


def test_it_removes_grant_for_store_default(alice_admin, workspace, store, writer):
    stores.set_grant(store=store, agent_id=writer.id, access=Access.READ_WRITE)
    r = alice_admin.post(set_url(workspace), {"agent_id": writer.id, "store_id": store.id, "access": ""}, **HX)
    assert r.status_code == 200
    assert b'<option value="" selected>Store default</option>' in r.content
    assert not Grant.objects.filter(store=store, agent=writer).exists()
    # Again: nothing to remove, still fine.
    r = alice_admin.post(set_url(workspace), {"agent_id": writer.id, "store_id": store.id, "access": ""}, **HX)
    assert r.status_code == 200


def test_it_rejects_unknown_access(alice_admin, workspace, store, writer):
    stores.set_grant(store=store, agent_id=writer.id, access=Access.READ_ONLY)
    r = alice_admin.post(set_url(workspace), {"agent_id": writer.id, "store_id": store.id, "access": "owner"}, **HX)
    assert r.status_code == 400
    assert b'role="alert"' in r.content and b"must be one of" in r.content
    assert b'<option value="read_only" selected>' in r.content  # the cell shows what is stored
    assert _access(store, writer) == "read_only"
    r = alice_admin.post(set_url(workspace), {"agent_id": writer.id, "store_id": store.id, "access": "owner"})
    assert r.status_code == 400
    assert b"must be one of" in r.content and b"<html" in r.content
    assert _access(store, writer) == "read_only"


def test_it_404s_agent_of_another_workspace(alice_admin, workspace, other_workspace, store, foreign_store):
    spy = identity.create_agent(workspace=other_workspace, name="spy")
    r = alice_admin.post(set_url(workspace), {"agent_id": spy.id, "store_id": store.id, "access": "read_write"}, **HX)
    assert r.status_code == 404
    r = alice_admin.post(set_url(workspace), {"agent_id": "agent_nope", "store_id": store.id, "access": "read_write"})
    assert r.status_code == 404
    assert not Grant.objects.exists()


def test_it_404s_store_of_another_workspace(alice_admin, workspace, foreign_store, writer):
    r = alice_admin.post(set_url(workspace), {"agent_id": writer.id, "store_id": foreign_store.id,
                                              "access": "read_write"})
    assert r.status_code == 404
    r = alice_admin.post(default_url(workspace), {"store_id": foreign_store.id, "default_agent_access": "read_write"})
    assert r.status_code == 404
    foreign_store.refresh_from_db()
    assert foreign_store.default_agent_access == "no_access"
    assert not Grant.objects.exists()


def test_it_404s_another_workspace(alice_admin, other_workspace):
    assert alice_admin.get(grants_url(other_workspace)).status_code == 404


def test_it_forbids_operator_and_viewer_changes(olga_operator, vic_viewer, workspace, store, writer):
    for client in (olga_operator, vic_viewer):
        r = client.post(set_url(workspace), {"agent_id": writer.id, "store_id": store.id, "access": "read_write"}, **HX)
        assert r.status_code == 403
        r = client.post(default_url(workspace), {"store_id": store.id, "default_agent_access": "read_write"})
        assert r.status_code == 403
    assert not Grant.objects.exists()
    store.refresh_from_db()
    assert store.default_agent_access == "no_access"


def test_it_sets_store_default_with_htmx(alice_admin, workspace, store):
    r = alice_admin.post(default_url(workspace), {"store_id": store.id, "default_agent_access": "read_only"}, **HX)
    assert r.status_code == 200
    assert r.content.decode().lstrip().startswith(f'<td id="default-{store.id}"')
    assert b'<option value="read_only" selected>' in r.content
    store.refresh_from_db()
    assert store.default_agent_access == "read_only"


def test_it_sets_store_default_without_js(alice_admin, workspace, store):
    r = alice_admin.post(default_url(workspace), {"store_id": store.id, "default_agent_access": "read_write"})
    assert r.status_code == 302
    store.refresh_from_db()
    assert store.default_agent_access == "read_write"


def test_it_rejects_unknown_store_default(alice_admin, workspace, store):
    r = alice_admin.post(default_url(workspace), {"store_id": store.id, "default_agent_access": "all"}, **HX)
    assert r.status_code == 400
    assert b"must be one of" in r.content and b"<html" not in r.content
    r = alice_admin.post(default_url(workspace), {"store_id": store.id, "default_agent_access": ""})
    assert r.status_code == 400
    store.refresh_from_db()
    assert store.default_agent_access == "no_access"


def test_it_refuses_get_on_actions(alice_admin, workspace):
    assert alice_admin.get(set_url(workspace)).status_code == 405
    assert alice_admin.get(default_url(workspace)).status_code == 405


def test_it_escapes_names(alice_admin, vic_viewer, workspace):
    agent = identity.create_agent(workspace=workspace, name=XSS)
    store = stores.create_store(workspace=workspace, name=IMG)
    for client in (alice_admin, vic_viewer):
        r = client.get(grants_url(workspace))
        assert XSS.encode() not in r.content and IMG.encode() not in r.content
        assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in r.content
        assert b"&lt;img src=x onerror=alert(1)&gt;" in r.content
    r = alice_admin.post(set_url(workspace), {"agent_id": agent.id, "store_id": store.id, "access": "read_only"}, **HX)
    assert XSS.encode() not in r.content and IMG.encode() not in r.content
    assert MemoryStore.objects.filter(name=IMG).exists()


def test_it_lets_removed_grant_fall_back_to_store_default(alice_admin, workspace, store, writer):
    from memory.access import Principal, get_store
    from memory.errors import NotFound

    stores.set_grant(store=store, agent_id=writer.id, access=Access.READ_WRITE)
    stores.update_store(store=store, default_agent_access=Access.READ_ONLY)
    alice_admin.post(set_url(workspace), {"agent_id": writer.id, "store_id": store.id, "access": ""}, **HX)
    assert get_store(Principal(workspace=workspace, agent=writer), store.id).access == "read_only"
    stores.update_store(store=store, default_agent_access=Access.NO_ACCESS)
    with pytest.raises(NotFound):
        get_store(Principal(workspace=workspace, agent=writer), store.id)


def test_remove_grant_refuses_agent_of_another_workspace(workspace, other_workspace, store):
    from memory.errors import NotFound

    spy = identity.create_agent(workspace=other_workspace, name="spy")
    with pytest.raises(NotFound):
        stores.remove_grant(store=store, agent_id=spy.id)


def test_it_lets_superuser_change_grants(root_superuser, workspace, store, writer):
    assert root_superuser.get(grants_url(workspace)).status_code == 200
    r = root_superuser.post(set_url(workspace), {"agent_id": writer.id, "store_id": store.id, "access": "no_access"},
                            **HX)
    assert r.status_code == 200
    assert _access(store, writer) == "no_access"


def test_it_needs_csrf_token_from_hx_headers(workspace, store, writer):
    from django.contrib.auth import get_user_model
    from django.test import Client

    from memory.models import Role

    user = get_user_model().objects.create_user(username="alice", password="pw")
    identity.add_member(workspace=workspace, user=user, role=Role.ADMIN)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    data = {"agent_id": writer.id, "store_id": store.id, "access": "read_write"}
    assert client.post(set_url(workspace), data, **HX).status_code == 403
    assert not Grant.objects.exists()
    page = client.get(grants_url(workspace))
    token = page.cookies["csrftoken"].value
    assert b"hx-headers=" in page.content and b"X-CSRFToken" in page.content
    r = client.post(set_url(workspace), data, headers={"X-CSRFToken": token}, **HX)
    assert r.status_code == 200
    assert _access(store, writer) == "read_write"


def test_it_pages_the_store_columns(alice_admin, workspace, writer):
    from console.views.grants import STORE_COLUMNS

    for index in range(STORE_COLUMNS + 3):
        stores.create_store(workspace=workspace, name=f"s-{index:02d}")
    first = alice_admin.get(grants_url(workspace))
    assert len(first.context["stores"]) == STORE_COLUMNS and b"Next stores" in first.content
    second = alice_admin.get(grants_url(workspace) + "?stores=2")
    assert [s.name for s in second.context["stores"]] == [f"s-{i:02d}" for i in range(STORE_COLUMNS, STORE_COLUMNS + 3)]
    # A change made on the second page of stores comes back to it.
    data = {"agent_id": writer.id, "store_id": second.context["stores"][0].id, "access": "read_only",
            "page": "1", "stores": "2"}
    r = alice_admin.post(set_url(workspace), data)
    assert r["Location"].endswith("?page=1&stores=2")
