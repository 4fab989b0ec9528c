from django.contrib.auth import get_user_model
from django.test import Client

from memory import identity
from memory.models import Role


def test_it_redirects_anonymous_to_login(workspace, store):
    for url in ["/", f"/w/{workspace.id}/", f"/w/{workspace.id}/stores/{store.id}/"]:
        r = Client().get(url)
        assert r.status_code == 302
        assert r["Location"].startswith("/accounts/login/?next=")


def test_it_signs_in_and_lands_on_workspace(workspace):
    user = get_user_model().objects.create_user(username="olga", password="s3cret-pass")
    identity.add_member(workspace=workspace, user=user, role=Role.OPERATOR)
    client = Client()
    r = client.get("/accounts/login/")
    assert r.status_code == 200
    r = client.post("/accounts/login/", {"username": "olga", "password": "s3cret-pass"})
    assert r.status_code == 302
    r = client.get("/", follow=True)
    assert r.redirect_chain[-1][0] == f"/w/{workspace.id}/"


def test_it_rejects_bad_password(workspace):
    get_user_model().objects.create_user(username="olga", password="s3cret-pass")
    r = Client().post("/accounts/login/", {"username": "olga", "password": "wrong"})
    assert r.status_code == 200
    assert b"did not match" in r.content


def test_it_signs_out(alice_admin, workspace):
    r = alice_admin.post("/accounts/logout/")
    assert r.status_code == 302
    assert alice_admin.get(f"/w/{workspace.id}/").status_code == 302


def test_it_keeps_api_and_healthz_working(transactional_db):
    assert Client().get("/healthz").status_code == 200
    assert Client().get("/v1/memory_stores").status_code == 401
