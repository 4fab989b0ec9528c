"""A NUL character in a URL, query string or form is a clear 400 on every database, never a 500."""

import httpx2
import pytest

from memory import identity


@pytest.fixture
def secret(store):
    return identity.issue_api_key(workspace=store.workspace, name="probe").secret


@pytest.mark.parametrize("url", [
    "/v1/memory_stores/memstore_%00x",
    "/v1/memory_stores/{store}/memories/mem_%00",
    "/v1/memory_stores/{store}/memory_versions/memver_%00",
    "/v1/memory_stores/{store}/memories?path_prefix=/a%00/",
    "/v1/memory_stores/{store}/memory_versions?session_id=%00",
    "/v1/sessions/sesn_%00",
    "/v1/sessions?agent_id=%00",
    "/v1/dreams/drm_%00",
])
def test_the_api_refuses_a_nul_with_its_error_envelope(live_server, store, secret, url):
    r = httpx2.get(live_server.url + url.format(store=store.id), headers={"x-api-key": secret})
    assert r.status_code == 400
    assert r.json()["error"]["type"] == "invalid_request_error" and "NUL" in r.json()["error"]["message"]


def test_memory_content_may_still_hold_a_nul(admin, store):
    memory = admin.beta.memory_stores.memories.create(store.id, path="/nul.md", content="a\x00b")
    assert admin.beta.memory_stores.memories.retrieve(memory.id, memory_store_id=store.id).content == "a\x00b"



NUL_ID = "x\u0000y"


@pytest.mark.parametrize("url,body", [
    ("/v1/dreams", {"inputs": [{"type": "memory_store", "memory_store_id": NUL_ID}], "model": "reverie-offline"}),
    ("/v1/dreams", {"inputs": [{"type": "memory_store", "memory_store_id": "{store}"},
                               {"type": "sessions", "session_ids": [NUL_ID]}], "model": "reverie-offline"}),
    ("/v1/dreams", {"inputs": [{"type": "memory_store", "memory_store_id": "{store}"}], "model": "reverie-offline",
                    "session_filter": {"agent_ids": [NUL_ID]}}),
    ("/v1/memory_stores/{store}/grants", {"agent_id": NUL_ID, "access": "read_only"}),
    ("/v1/sessions", {"agent": NUL_ID, "environment_id": "env"}),
    ("/v1/sessions", {"agent": {"type": "agent", "id": NUL_ID}, "environment_id": "env"}),
    ("/v1/memory_stores", {"name": NUL_ID}),
    ("/v1/agents", {"name": NUL_ID}),
])
def test_an_id_with_a_nul_in_a_json_body_is_refused_cleanly(live_server, store, secret, url, body):
    import json

    from dreams.models import Dream, Session
    from memory.models import Grant, MemoryStore

    before = (Dream.objects.count(), Session.objects.count(), Grant.objects.count(), MemoryStore.objects.count())
    text = json.dumps(body).replace("{store}", store.id)
    r = httpx2.post(live_server.url + url.format(store=store.id), content=text,
                    headers={"x-api-key": secret, "content-type": "application/json"})
    # SQLite finds no such row (404); PostgreSQL refuses to compare a NUL (400). Never a 500.
    assert r.status_code in (400, 404), r.text
    assert r.json()["error"]["type"] in ("invalid_request_error", "not_found_error")
    assert (Dream.objects.count(), Session.objects.count(), Grant.objects.count(),
            MemoryStore.objects.count()) == before
