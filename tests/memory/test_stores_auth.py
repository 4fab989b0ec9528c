"""Authentication on the memory store API: `Authorization: Bearer <key>` or `x-api-key: <key>`."""

import json
import urllib.error
import urllib.request

import anthropic
import pytest

from memory.models import MemoryStore


@pytest.fixture
def get(live_server):
    """GET a path with the given headers; returns (status, headers, parsed JSON body)."""

    def send(path, headers):
        request = urllib.request.Request(live_server.url + path, headers=headers)
        try:
            with urllib.request.urlopen(request) as response:
                return response.status, response.headers, json.loads(response.read())
        except urllib.error.HTTPError as error:
            with error:
                return error.code, error.headers, json.loads(error.read())

    return send


def _assert_401(status, headers, body):
    assert status == 401
    assert headers["request-id"].startswith("req_")
    assert body["type"] == "error"
    assert body["error"]["type"] == "authentication_error"
    assert body["error"]["message"]
    assert body["request_id"] == headers["request-id"]


def test_it_accepts_a_bearer_token(get, admin_key, store):
    status, _, body = get("/v1/memory_stores", {"Authorization": f"Bearer {admin_key.secret}"})

    assert status == 200
    assert [s["id"] for s in body["data"]] == [store.id]


def test_it_accepts_an_x_api_key_header(get, admin_key, store):
    status, _, body = get("/v1/memory_stores", {"x-api-key": admin_key.secret})

    assert status == 200
    assert [s["id"] for s in body["data"]] == [store.id]


def test_it_accepts_the_bearer_scheme_in_any_case(get, admin_key, store):
    status, _, body = get(f"/v1/memory_stores/{store.id}", {"Authorization": f"bearer {admin_key.secret}"})

    assert status == 200
    assert body["id"] == store.id


def test_it_401s_without_a_key(get, store):
    _assert_401(*get("/v1/memory_stores", {}))
    _assert_401(*get(f"/v1/memory_stores/{store.id}", {}))


def test_it_401s_for_an_unknown_key(get, store):
    _assert_401(*get("/v1/memory_stores", {"Authorization": "Bearer rvk_not-a-real-key"}))
    _assert_401(*get("/v1/memory_stores", {"x-api-key": "rvk_not-a-real-key"}))
    _assert_401(*get("/v1/memory_stores", {"Authorization": "Bearer "}))


def test_it_raises_authentication_error_in_the_sdk_for_a_wrong_key(sdk, store):
    stranger = sdk("rvk_wrong")

    with pytest.raises(anthropic.AuthenticationError) as caught:
        stranger.beta.memory_stores.list()

    err = caught.value
    assert err.status_code == 401
    assert err.type == "authentication_error"
    assert err.request_id.startswith("req_")


def test_it_writes_nothing_for_a_wrong_key(sdk, store):
    stranger = sdk("rvk_wrong")

    with pytest.raises(anthropic.AuthenticationError):
        stranger.beta.memory_stores.create(name="sneaky")
    with pytest.raises(anthropic.AuthenticationError):
        stranger.beta.memory_stores.memories.create(store.id, path="/a.md", content="x")

    assert list(MemoryStore.objects.values_list("id", flat=True)) == [store.id]
    assert MemoryStore.objects.get(id=store.id).memory_count == 0
