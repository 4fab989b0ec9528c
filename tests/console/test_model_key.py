"""The workspace's model provider page: admins set, replace and remove the workspace's own model key;
everyone else sees only where the key comes from. No page or API response ever shows the key."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from dreams.credentials import set_model_key
from dreams.models import ModelCredential
from dreams.sessions import register_session
from memory import identity
from memory.access import Actor

SECRET = "sk-ant-api03-" + "S3cr3t" * 14 + "7f3a"
SECRET_BODY = "S3cr3t" * 3  # any long piece of the key would give it away


@pytest.fixture(autouse=True)
def no_server_key(monkeypatch, settings):
    for variable in ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_BASE_URL"):
        monkeypatch.delenv(variable, raising=False)
    settings.REVERIE_ENCRYPTION_KEY = ""
    settings.REVERIE_ENCRYPTION_OLD_KEYS = []


def url(workspace):
    return f"/w/{workspace.id}/model"


def remove_url(workspace):
    return f"/w/{workspace.id}/model/remove"


def _saved(workspace, base_url=None):
    return set_model_key(workspace=workspace, api_key=SECRET, base_url=base_url, actor=Actor(user_id="user_x"))


def _assert_no_secret(response):
    content = response.content.decode()
    assert SECRET not in content and SECRET_BODY not in content
    for credential in ModelCredential.objects.all():
        assert credential.api_key_ciphertext not in content


def test_it_says_when_there_is_no_key(vic_viewer, workspace):
    r = vic_viewer.get(url(workspace))
    assert r.status_code == 200
    assert r.context["section"] == "model"
    assert (b"No model key: dreams can use reverie-offline only; set <code>ANTHROPIC_API_KEY</code> for the server "
            b"or a workspace key here.") in r.content
    assert b'aria-current="page">Model' in r.content


def test_it_names_the_servers_key_without_showing_it(vic_viewer, workspace, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-server-" + "Z" * 40)
    r = vic_viewer.get(url(workspace))
    assert r.status_code == 200
    assert b"From the server's <code>ANTHROPIC_API_KEY</code>" in r.content
    assert b"Z" * 20 not in r.content


def test_it_shows_the_base_url_of_the_servers_auth_token(vic_viewer, workspace, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_AUTH_TOKEN", "token-" + "Z" * 40)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "https://proxy.internal")
    r = vic_viewer.get(url(workspace))
    assert b"<code>ANTHROPIC_AUTH_TOKEN</code>" in r.content and b"https://proxy.internal" in r.content


def test_it_shows_the_form_to_admins_only(alice_admin, olga_operator, vic_viewer, workspace):
    r = alice_admin.get(url(workspace))
    assert r.status_code == 200
    assert b'type="password" name="api_key"' in r.content and b'name="base_url"' in r.content
    assert b"csrfmiddlewaretoken" in r.content
    for client in (olga_operator, vic_viewer):
        r = client.get(url(workspace))
        assert r.status_code == 200
        assert b'name="api_key"' not in r.content and b"Remove" not in r.content


def test_it_sets_a_key_as_admin(alice_admin, workspace, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-server-" + "Z" * 40)
    r = alice_admin.post(url(workspace), {"api_key": SECRET, "base_url": "https://gateway.example/anthropic"})
    assert r.status_code == 302
    assert r["Location"] == url(workspace)
    credential = ModelCredential.objects.get()
    assert (credential.workspace_id, credential.key_hint, credential.base_url) == (
        workspace.id, "sk-ant-…7f3a", "https://gateway.example/anthropic")
    assert credential.updated_by["type"] == "user_actor"
    r = alice_admin.get(url(workspace))
    assert r.status_code == 200
    assert b"Workspace key <code>sk-ant-\xe2\x80\xa67f3a</code>" in r.content
    assert b"base URL <span class=\"path\">https://gateway.example/anthropic</span>" in r.content
    assert b"Saved the workspace&#x27;s model key" in r.content
    assert b'value="https://gateway.example/anthropic"' in r.content  # the base URL is not secret
    _assert_no_secret(r)


def test_it_never_caches_the_page(alice_admin, workspace):
    r = alice_admin.get(url(workspace))
    assert "no-store" in r["Cache-Control"]


def test_it_replaces_a_key(alice_admin, workspace):
    _saved(workspace, base_url="https://gateway.example")
    r = alice_admin.post(url(workspace), {"api_key": "another-key-" + "q" * 30 + "9b1c", "base_url": ""})
    assert r.status_code == 302
    credential = ModelCredential.objects.get()
    assert (credential.key_hint, credential.base_url) == ("another…9b1c", None)


def test_it_shows_a_superuser_the_form(root_superuser, workspace):
    assert root_superuser.post(url(workspace), {"api_key": SECRET}).status_code == 302
    assert ModelCredential.objects.get().workspace_id == workspace.id


@pytest.mark.parametrize("form,message", [
    ({"api_key": "", "base_url": ""}, b"Enter the model key."),
    ({}, b"Enter the model key."),
    ({"api_key": "sk-ant-S3cr3tS3cr3tS3cr3t with a space"}, b"printable ASCII"),
    ({"api_key": "sk-S3c"}, b"8 to 512 characters"),
    ({"api_key": SECRET, "base_url": "ftp://gateway.example"}, b"http:// or https://"),
    ({"api_key": SECRET, "base_url": "https://me:pw@gateway.example"}, b"user name or password"),
])
def test_it_refuses_bad_input_without_echoing_the_key(alice_admin, workspace, form, message):
    r = alice_admin.post(url(workspace), form)
    assert r.status_code == 400
    assert b'class="error" role="alert"' in r.content and message in r.content
    assert ModelCredential.objects.count() == 0
    _assert_no_secret(r)
    assert b"S3c" not in r.content
    assert b'name="api_key" required' in r.content and b'name="api_key" value' not in r.content


def test_it_keeps_the_base_url_the_admin_typed_after_an_error(alice_admin, workspace):
    r = alice_admin.post(url(workspace), {"api_key": "short", "base_url": "http://ollama:11434"})
    assert r.status_code == 400
    assert b'value="http://ollama:11434"' in r.content


def test_it_keeps_the_saved_key_when_a_replacement_is_refused(alice_admin, workspace):
    _saved(workspace)
    r = alice_admin.post(url(workspace), {"api_key": SECRET, "base_url": "gateway.example"})
    assert r.status_code == 400
    assert b"sk-ant-\xe2\x80\xa67f3a" in r.content
    _assert_no_secret(r)
    credential = ModelCredential.objects.get()
    assert credential.base_url is None


def test_it_forbids_operator_and_viewer(olga_operator, vic_viewer, workspace):
    _saved(workspace)
    before = ModelCredential.objects.get()
    for client in (olga_operator, vic_viewer):
        assert client.post(url(workspace), {"api_key": "hijack-" + "h" * 30}).status_code == 403
        assert client.get(remove_url(workspace)).status_code == 403
        assert client.post(remove_url(workspace)).status_code == 403
    after = ModelCredential.objects.get()
    assert (after.api_key_ciphertext, after.key_hint, after.updated_at) == (
        before.api_key_ciphertext, before.key_hint, before.updated_at)


def test_it_asks_before_removing(alice_admin, workspace):
    _saved(workspace)
    r = alice_admin.get(url(workspace))
    assert f'href="{remove_url(workspace)}"'.encode() in r.content
    r = alice_admin.get(remove_url(workspace))
    assert r.status_code == 200
    assert b"Remove the workspace's model key?" in r.content
    assert b"sk-ant-\xe2\x80\xa67f3a" in r.content
    assert f'<form method="post" action="{remove_url(workspace)}"'.encode() in r.content
    _assert_no_secret(r)
    assert ModelCredential.objects.count() == 1  # the GET changed nothing


def test_it_removes_the_key(alice_admin, workspace):
    _saved(workspace)
    r = alice_admin.post(remove_url(workspace))
    assert r.status_code == 302
    assert r["Location"] == url(workspace)
    assert ModelCredential.objects.count() == 0
    r = alice_admin.get(url(workspace))
    assert b"Removed the workspace&#x27;s model key." in r.content and b"No model key" in r.content


def test_it_removes_nothing_when_there_is_no_key(alice_admin, workspace):
    r = alice_admin.get(remove_url(workspace))
    assert r.status_code == 200 and b"no key of its own" in r.content and b"Remove key" not in r.content
    assert alice_admin.post(remove_url(workspace)).status_code == 302


def test_it_tells_admins_to_set_an_unreadable_key_again(alice_admin, workspace, settings):
    settings.REVERIE_ENCRYPTION_KEY = "right"
    _saved(workspace)
    settings.REVERIE_ENCRYPTION_KEY = "wrong"
    r = alice_admin.get(url(workspace))
    assert r.status_code == 200
    assert b"The workspace&#x27;s model key cannot be decrypted; set it again." in r.content
    assert alice_admin.post(url(workspace), {"api_key": SECRET}).status_code == 302
    assert b"cannot be decrypted" not in alice_admin.get(url(workspace)).content


def test_it_hides_the_page_from_another_workspaces_admin(workspace, other_workspace):
    _saved(workspace)
    stranger = get_user_model().objects.create_user(username="sam", password="pw")
    identity.add_member(workspace=other_workspace, user=stranger, role="admin")
    client = Client()
    client.force_login(stranger)
    for page in (url(workspace), remove_url(workspace)):
        assert client.get(page).status_code == 404
        assert client.post(page, {"api_key": "hijack-" + "h" * 30}).status_code == 404
    assert ModelCredential.objects.get().key_hint == "sk-ant-…7f3a"
    assert client.get(url(other_workspace)).status_code == 200
    assert b"No model key" in client.get(url(other_workspace)).content


def test_it_counts_queries(alice_admin, workspace, django_assert_max_num_queries):
    _saved(workspace)
    with django_assert_max_num_queries(8):
        assert alice_admin.get(url(workspace)).status_code == 200


def test_no_api_response_shows_the_key(workspace, store, admin_key):
    agent = identity.create_agent(workspace=workspace, name="bot")
    register_session(workspace=workspace, agent=agent, environment_id="env")
    _saved(workspace, base_url="https://gateway.example")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {admin_key.secret}")
    pages = ["/v1/memory_stores", f"/v1/memory_stores/{store.id}", f"/v1/memory_stores/{store.id}/dream_policy",
             "/v1/agents", f"/v1/agents/{agent.id}", f"/v1/agents/{agent.id}/api_keys", "/v1/sessions",
             "/v1/dreams", "/v1/openapi.json"]
    for page in pages:
        r = api.get(page)
        assert r.status_code == 200, (page, r.status_code)
        _assert_no_secret(r)
        assert b"key_hint" not in r.content and b"api_key_ciphertext" not in r.content
