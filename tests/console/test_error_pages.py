"""Console errors are pages of the console (the API keeps its JSON envelope)."""

from django.contrib.auth import get_user_model
from django.test import Client


def test_an_unknown_console_page_is_a_404_page(alice_admin):
    r = alice_admin.get("/w/wrkspc_nope/")
    assert r.status_code == 404
    assert r["Content-Type"].startswith("text/html")
    assert b"Not found" in r.content and b'href="/"' in r.content


def test_a_role_too_low_is_a_403_page_naming_the_role(vic_viewer, workspace, store):
    r = vic_viewer.get(f"/w/{workspace.id}/stores/{store.id}/memories/new")
    assert r.status_code == 403
    assert b"Not allowed" in r.content and b"operator" in r.content


def test_an_expired_form_says_so(workspace):
    client = Client(enforce_csrf_checks=True)
    client.force_login(get_user_model().objects.create_superuser(username="root", password="pw"))
    r = client.post(f"/w/{workspace.id}/", {"name": "x"})
    assert r.status_code == 403
    assert b"Form expired" in r.content and b"Reload the page" in r.content


def test_the_api_keeps_its_json_errors(client, transactional_db):
    r = client.get("/v1/nowhere")
    assert r.status_code == 404
    assert r.json()["type"] == "error" and r.json()["error"]["type"] == "not_found_error"


def test_the_console_refuses_a_nul_in_a_form_with_a_page(alice_admin, workspace, store):
    r = alice_admin.post(f"/w/{workspace.id}/grants/set", {"agent_id": "agent_\x00", "store_id": store.id,
                                                          "access": "read_only"})
    assert r.status_code == 400 and b"NUL" in r.content
