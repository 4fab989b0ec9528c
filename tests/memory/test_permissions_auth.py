"""Authentication: `Authorization: Bearer <key>` or `x-api-key: <key>`; unknown or revoked keys are 401."""

import json
import urllib.error
import urllib.request

import anthropic
import pytest

from memory import identity
from memory.models import ApiKey, Memory, MemoryVersion


def _request(live_server, path, *, headers, method="GET", body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        live_server.url + path, data=data, method=method, headers={"Content-Type": "application/json", **headers}
    )
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.mark.parametrize("scheme", ["Bearer", "bearer"])
def test_a_bearer_key_authenticates(live_server, admin_key, store, scheme):
    status, body = _request(
        live_server, f"/v1/memory_stores/{store.id}", headers={"Authorization": f"{scheme} {admin_key.secret}"}
    )

    assert status == 200
    assert body["id"] == store.id


def test_an_x_api_key_authenticates_and_attributes_writes(live_server, agent_rw, store):
    secret = agent_rw.api_key
    status, body = _request(
        live_server,
        f"/v1/memory_stores/{store.id}/memories",
        method="POST",
        headers={"x-api-key": secret},
        body={"path": "/x.md", "content": "x"},
    )

    assert status == 200
    version = MemoryVersion.objects.get(id=body["memory_version_id"])
    assert version.api_key_id == identity.find_api_key(secret).id


def test_an_unknown_key_is_a_401(sdk, store):
    client = sdk("rvk_not-a-real-key")

    with pytest.raises(anthropic.AuthenticationError) as caught:
        client.beta.memory_stores.retrieve(store.id)

    assert caught.value.status_code == 401
    assert caught.value.type == "authentication_error"


def test_an_unknown_x_api_key_is_a_401(live_server, store):
    status, body = _request(live_server, f"/v1/memory_stores/{store.id}", headers={"x-api-key": "rvk_nope"})

    assert status == 401
    assert body["error"]["type"] == "authentication_error"


def test_a_missing_key_is_a_401(live_server, store):
    status, body = _request(live_server, f"/v1/memory_stores/{store.id}", headers={})

    assert status == 401
    assert body["type"] == "error"
    assert body["error"]["type"] == "authentication_error"


def test_a_revoked_key_is_a_401_and_writes_nothing(sdk, workspace, store):
    issued = identity.issue_api_key(workspace=workspace, name="soon revoked")
    client = sdk(issued.secret)
    assert client.beta.memory_stores.retrieve(store.id).id == store.id

    identity.revoke_api_key(key=issued.key)

    with pytest.raises(anthropic.AuthenticationError):
        client.beta.memory_stores.retrieve(store.id)
    with pytest.raises(anthropic.AuthenticationError):
        client.beta.memory_stores.memories.create(store.id, path="/a.md", content="a")
    assert not Memory.objects.filter(store=store).exists()


def test_a_revoked_agent_key_is_a_401(agent_rw, store):
    identity.revoke_api_key(key=ApiKey.objects.get(agent=agent_rw.agent))

    with pytest.raises(anthropic.AuthenticationError):
        agent_rw.beta.memory_stores.memories.list(store.id)


def test_another_workspaces_admin_cannot_reach_this_workspace(outsider, store):
    with pytest.raises(anthropic.NotFoundError):
        outsider.beta.memory_stores.retrieve(store.id)

    assert store.id not in {s.id for s in outsider.beta.memory_stores.list()}
