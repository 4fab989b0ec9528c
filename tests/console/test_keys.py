import re

from memory import identity
from memory.models import ApiKey

XSS = "<script>alert(1)</script>"


def _secret(response) -> str:
    match = re.search(r'value="(rvk_[A-Za-z0-9_\-]+)"', response.content.decode())
    assert match, "the secret is on the page"
    return match.group(1)


def test_it_mints_agent_key_and_shows_secret_once(alice_admin, workspace):
    agent = identity.create_agent(workspace=workspace, name="writer")
    r = alice_admin.post(f"/w/{workspace.id}/keys/new", {"agent_id": agent.id, "name": "laptop"})
    assert r.status_code == 200  # rendered in the POST response: no redirect, nothing in the URL or session
    assert "no-store" in r["Cache-Control"]
    secret = _secret(r)
    key = ApiKey.objects.get(workspace=workspace, agent=agent, name="laptop")
    assert key.secret_hash == identity.hash_secret(secret) and secret not in key.secret_hash
    assert not ApiKey.objects.filter(secret_hash=secret).exists()
    assert identity.find_api_key(secret) == key
    assert secret not in str(dict(alice_admin.session))
    for page in (f"/w/{workspace.id}/agents/", f"/w/{workspace.id}/agents/{agent.id}"):
        later = alice_admin.get(page)
        assert later.status_code == 200
        assert secret.encode() not in later.content
        assert key.hint.encode() in later.content


def test_it_mints_workspace_key(alice_admin, workspace):
    r = alice_admin.post(f"/w/{workspace.id}/keys/new", {"name": "ci"})
    assert r.status_code == 200
    assert "no-store" in r["Cache-Control"]
    key = ApiKey.objects.get(workspace=workspace, name="ci")
    assert key.is_admin
    assert identity.find_api_key(_secret(r)) == key
    assert b"workspace (admin) key" in r.content


def test_it_rejects_empty_key_name(alice_admin, workspace):
    agent = identity.create_agent(workspace=workspace, name="writer")
    r = alice_admin.post(f"/w/{workspace.id}/keys/new", {"agent_id": agent.id, "name": ""})
    assert r.status_code == 400
    assert b'class="error"' in r.content and b"rvk_" not in r.content
    r = alice_admin.post(f"/w/{workspace.id}/keys/new", {"name": " "})
    assert r.status_code == 400
    assert b'class="error"' in r.content
    assert not ApiKey.objects.exists()


def test_it_refuses_agent_of_another_workspace(alice_admin, workspace, other_workspace):
    foreign = identity.create_agent(workspace=other_workspace, name="spy")
    r = alice_admin.post(f"/w/{workspace.id}/keys/new", {"agent_id": foreign.id, "name": "k"})
    assert r.status_code == 404
    assert not ApiKey.objects.exists()


def test_it_forbids_minting_below_admin(olga_operator, vic_viewer, workspace):
    agent = identity.create_agent(workspace=workspace, name="writer")
    for client in (olga_operator, vic_viewer):
        assert client.post(f"/w/{workspace.id}/keys/new", {"agent_id": agent.id, "name": "k"}).status_code == 403
        assert client.post(f"/w/{workspace.id}/keys/new", {"name": "k"}).status_code == 403
    assert not ApiKey.objects.exists()


def test_it_refuses_get_on_mint(alice_admin, workspace):
    assert alice_admin.get(f"/w/{workspace.id}/keys/new").status_code == 405


def test_it_asks_before_revoking(alice_admin, workspace):
    agent = identity.create_agent(workspace=workspace, name="writer")
    key = identity.issue_api_key(workspace=workspace, name="laptop", agent=agent).key
    r = alice_admin.get(f"/w/{workspace.id}/keys/{key.id}/revoke")
    assert r.status_code == 200
    assert b"Revoke key" in r.content and b"csrfmiddlewaretoken" in r.content
    key.refresh_from_db()
    assert key.revoked_at is None


def test_it_revokes_key(alice_admin, workspace):
    agent = identity.create_agent(workspace=workspace, name="writer")
    issued = identity.issue_api_key(workspace=workspace, name="laptop", agent=agent)
    r = alice_admin.post(f"/w/{workspace.id}/keys/{issued.key.id}/revoke")
    assert r.status_code == 302
    assert r["Location"] == f"/w/{workspace.id}/agents/{agent.id}"
    issued.key.refresh_from_db()
    assert issued.key.revoked_at is not None
    assert identity.find_api_key(issued.secret) is None
    page = alice_admin.get(r["Location"])
    assert b"revoked" in page.content
    # Revoking again changes nothing.
    first = issued.key.revoked_at
    assert alice_admin.post(f"/w/{workspace.id}/keys/{issued.key.id}/revoke").status_code == 302
    issued.key.refresh_from_db()
    assert issued.key.revoked_at == first


def test_it_revokes_workspace_key(alice_admin, workspace):
    key = identity.issue_api_key(workspace=workspace, name="ci").key
    r = alice_admin.post(f"/w/{workspace.id}/keys/{key.id}/revoke")
    assert r.status_code == 302 and r["Location"] == f"/w/{workspace.id}/agents/"
    key.refresh_from_db()
    assert key.revoked_at is not None


def test_it_forbids_revoking_below_admin(olga_operator, vic_viewer, workspace):
    key = identity.issue_api_key(workspace=workspace, name="ci").key
    for client in (olga_operator, vic_viewer):
        assert client.post(f"/w/{workspace.id}/keys/{key.id}/revoke").status_code == 403
        assert client.get(f"/w/{workspace.id}/keys/{key.id}/revoke").status_code == 403
    key.refresh_from_db()
    assert key.revoked_at is None


def test_it_404s_revoking_another_workspace_key(alice_admin, workspace, other_workspace):
    key = identity.issue_api_key(workspace=other_workspace, name="theirs").key
    assert alice_admin.post(f"/w/{workspace.id}/keys/{key.id}/revoke").status_code == 404
    assert alice_admin.post(f"/w/{other_workspace.id}/keys/{key.id}/revoke").status_code == 404
    key.refresh_from_db()
    assert key.revoked_at is None


def test_it_escapes_key_name_on_created_and_revoke_pages(alice_admin, workspace):
    r = alice_admin.post(f"/w/{workspace.id}/keys/new", {"name": XSS})
    assert r.status_code == 200
    assert XSS.encode() not in r.content and b"&lt;script&gt;" in r.content
    key = ApiKey.objects.get(name=XSS)
    r = alice_admin.get(f"/w/{workspace.id}/keys/{key.id}/revoke")
    assert XSS.encode() not in r.content and b"&lt;script&gt;" in r.content


def test_sending_the_same_mint_form_twice_makes_one_key(alice_admin, workspace):
    agent = identity.create_agent(workspace=workspace, name="bot")
    page = alice_admin.get(f"/w/{workspace.id}/agents/{agent.id}")
    token = page.context["mint_token"]
    form = {"agent_id": agent.id, "name": "laptop", "mint_token": token}
    assert alice_admin.post(f"/w/{workspace.id}/keys/new", form).status_code == 200
    again = alice_admin.post(f"/w/{workspace.id}/keys/new", form)  # a reload of the secret page
    assert again.status_code == 302
    assert ApiKey.objects.filter(agent=agent).count() == 1
    assert b"already sent" in alice_admin.get(again["Location"]).content
    # A fresh form makes a fresh key.
    fresh = alice_admin.get(f"/w/{workspace.id}/agents/{agent.id}").context["mint_token"]
    assert fresh != token
    alice_admin.post(f"/w/{workspace.id}/keys/new", {**form, "mint_token": fresh})
    assert ApiKey.objects.filter(agent=agent).count() == 2
