"""Wire details every endpoint shares: request ids, the error envelope, routing, bodies, size limits.
Raw calls use urllib so that what is on the wire, not what the SDK makes of it, is checked."""

import json
import urllib.error
import urllib.request
from datetime import datetime

import anthropic
import pytest

from memory import store as memory_store
from memory.access import Actor
from memory.models import Memory, MemoryStore

NOBODY = Actor(api_key_id=None)


@pytest.fixture
def raw(live_server, admin_key):
    """Send one request as the admin; returns (status, headers, parsed JSON body)."""

    def send(method, path, *, body=None, headers=None, auth=True):
        sent = {"Content-Type": "application/json"}
        if auth:
            sent["Authorization"] = f"Bearer {admin_key.secret}"
        sent.update(headers or {})
        data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(live_server.url + path, data=data, method=method, headers=sent)
        try:
            with urllib.request.urlopen(request) as response:
                return response.status, response.headers, json.loads(response.read())
        except urllib.error.HTTPError as error:
            with error:
                return error.code, error.headers, json.loads(error.read())

    return send


def _assert_envelope(status, headers, body, *, expected_status, error_type):
    assert status == expected_status
    assert headers["Content-Type"].startswith("application/json")
    assert headers["request-id"].startswith("req_")
    assert set(body) == {"type", "error", "request_id"}
    assert body["type"] == "error"
    assert body["request_id"] == headers["request-id"]
    assert body["error"]["type"] == error_type
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]


def test_it_sends_a_request_id_on_every_success(admin, store):
    note = memory_store.create_memory(store=store, path="/a.md", content="x", actor=NOBODY)

    responses = [
        admin.beta.memory_stores.create(name="new"),
        admin.beta.memory_stores.retrieve(store.id),
        admin.beta.memory_stores.list(),
        admin.beta.memory_stores.memories.list(store.id),
        admin.beta.memory_stores.memories.retrieve(note.id, memory_store_id=store.id),
        admin.beta.memory_stores.memories.update(note.id, memory_store_id=store.id, content="y"),
        admin.beta.memory_stores.memories.delete(note.id, memory_store_id=store.id),
    ]

    request_ids = [r._request_id for r in responses]
    assert all(rid.startswith("req_") for rid in request_ids)
    assert len(set(request_ids)) == len(request_ids)


def test_it_sends_a_request_id_and_the_envelope_on_sdk_errors(admin, store):
    memory_store.create_memory(store=store, path="/a.md", content="x", actor=NOBODY)
    calls = [
        (lambda: admin.beta.memory_stores.retrieve("memstore_nope"), anthropic.NotFoundError, "not_found_error"),
        (lambda: admin.beta.memory_stores.create(name=""), anthropic.BadRequestError, "invalid_request_error"),
        (
            lambda: admin.beta.memory_stores.memories.create(store.id, path="/a.md", content="again"),
            anthropic.ConflictError,
            "memory_path_conflict_error",
        ),
    ]
    for call, error_class, error_type in calls:
        with pytest.raises(error_class) as caught:
            call()
        err = caught.value
        assert err.request_id.startswith("req_")
        body = err.response.json()
        _assert_envelope(
            err.status_code, err.response.headers, body, expected_status=err.status_code, error_type=error_type
        )
        assert err.type == error_type
        assert err.api_message == body["error"]["message"]


def test_it_answers_404_in_the_envelope_for_an_unknown_route(raw, store):
    for path in ("/v1/nope", f"/v1/memory_stores/{store.id}/nope", "/v1/memory_stores/"):
        status, headers, body = raw("GET", path)
        _assert_envelope(status, headers, body, expected_status=404, error_type="not_found_error")


def test_it_answers_405_in_the_envelope_for_a_wrong_method(raw, store):
    for method, path in (("PUT", f"/v1/memory_stores/{store.id}"), ("DELETE", "/v1/memory_stores"),
                         ("PUT", f"/v1/memory_stores/{store.id}/memories")):
        status, headers, body = raw(method, path, body={"name": "x"})
        assert status == 405
        assert set(body) == {"type", "error", "request_id"}
        assert body["type"] == "error"
        assert body["request_id"] == headers["request-id"]
        assert body["error"]["message"]
    assert MemoryStore.objects.get(id=store.id).name == "ops"


def test_it_answers_400_in_the_envelope_for_malformed_json(raw, store):
    for body in (b'{"name": ', b"not json at all", b'{"name": "x",}'):
        status, headers, parsed = raw("POST", "/v1/memory_stores", body=body)
        _assert_envelope(status, headers, parsed, expected_status=400, error_type="invalid_request_error")

    assert MemoryStore.objects.count() == 1


def test_it_answers_400_for_a_json_body_that_is_not_an_object(raw, store):
    for body in ([{"name": "x"}], "a string", 42, None):
        encoded = json.dumps(body).encode("utf-8")
        status, headers, parsed = raw("POST", "/v1/memory_stores", body=encoded)
        _assert_envelope(status, headers, parsed, expected_status=400, error_type="invalid_request_error")
        status, _, _ = raw("POST", f"/v1/memory_stores/{store.id}/memories", body=encoded)
        assert status == 400

    assert MemoryStore.objects.count() == 1
    assert not Memory.objects.exists()


def test_it_answers_413_for_a_body_over_1_mb(admin, raw, store):
    status, headers, body = raw(
        "POST", f"/v1/memory_stores/{store.id}/memories", body={"path": "/big.md", "content": "x" * 1_100_000}
    )
    _assert_envelope(status, headers, body, expected_status=413, error_type="request_too_large")

    with pytest.raises(anthropic.ContentTooLargeError) as caught:
        admin.beta.memory_stores.memories.create(store.id, path="/big.md", content="x" * 1_100_000)
    assert caught.value.status_code == 413
    assert caught.value.type == "request_too_large"
    assert caught.value.request_id.startswith("req_")
    assert not Memory.objects.exists()


def test_it_draws_the_413_line_just_above_1_mb(raw, store):
    def body_of(size):
        skeleton = json.dumps({"path": "/big.md", "content": ""}).encode("utf-8")
        padded = json.dumps({"path": "/big.md", "content": "x" * (size - len(skeleton))}).encode("utf-8")
        assert len(padded) == size
        return padded

    at_limit, _, body = raw("POST", f"/v1/memory_stores/{store.id}/memories", body=body_of(1_048_576))
    over, _, _ = raw("POST", f"/v1/memory_stores/{store.id}/memories", body=body_of(1_048_577))

    # At the limit the body is read, and the content (far over 100 kB) is what is refused.
    assert (at_limit, body["error"]["type"]) == (400, "invalid_request_error")
    assert over == 413
    assert not Memory.objects.exists()


def test_it_accepts_the_largest_memory_even_when_json_escaping_grows_it(admin, store):
    content = "\x01" * 102_400  # each byte travels as \u0001: six bytes on the wire

    created = admin.beta.memory_stores.memories.create(store.id, path="/escaped.md", content=content)

    assert created.content_size_bytes == 102_400
    assert Memory.objects.get(id=created.id).size_bytes == 102_400


def test_it_takes_an_empty_body_post_as_no_body(raw, store):
    status, headers, body = raw("POST", f"/v1/memory_stores/{store.id}/archive", body=b"")

    assert status == 200
    assert headers["request-id"].startswith("req_")
    assert body["id"] == store.id
    assert body["archived_at"] is not None
    assert MemoryStore.objects.get(id=store.id).archived_at is not None


def test_it_takes_an_empty_body_delete(raw, store):
    note = memory_store.create_memory(store=store, path="/a.md", content="x", actor=NOBODY)

    status, _, body = raw("DELETE", f"/v1/memory_stores/{store.id}/memories/{note.id}", body=b"")

    assert status == 200
    assert body == {"type": "memory_deleted", "id": note.id}
    assert not Memory.objects.filter(id=note.id).exists()


def test_it_tolerates_a_stray_beta_query_param(admin, store):
    beta = {"beta": "true"}

    created = admin.beta.memory_stores.memories.create(store.id, path="/a.md", content="x", extra_query=beta)
    fetched = admin.beta.memory_stores.memories.retrieve(created.id, memory_store_id=store.id, extra_query=beta)
    updated = admin.beta.memory_stores.memories.update(
        created.id, memory_store_id=store.id, content="y", extra_query=beta
    )
    listed = admin.beta.memory_stores.memories.list(store.id, extra_query=beta)
    renamed = admin.beta.memory_stores.update(store.id, name="renamed", extra_query=beta)
    deleted = admin.beta.memory_stores.memories.delete(created.id, memory_store_id=store.id, extra_query=beta)

    assert fetched.content == "x"
    assert updated.content_sha256 != created.content_sha256
    assert [m.id for m in listed.data] == [created.id]
    assert renamed.name == "renamed"
    assert deleted.id == created.id
    assert MemoryStore.objects.get(id=store.id).name == "renamed"


def test_it_ignores_unknown_body_fields(admin, store):
    created = admin.beta.memory_stores.memories.create(
        store.id, path="/a.md", content="x", extra_body={"colour": "blue"}
    )

    assert Memory.objects.get(id=created.id).path == "/a.md"


def test_it_needs_no_anthropic_version_or_beta_header(raw, store):
    status, _, body = raw("GET", f"/v1/memory_stores/{store.id}")

    assert status == 200
    assert body["id"] == store.id
    assert set(body) >= {"type", "id", "name", "description", "metadata", "created_at", "updated_at", "archived_at"}


def test_it_answers_json_with_every_nullable_field_present(raw, store):
    note = memory_store.create_memory(store=store, path="/a.md", content="x", actor=NOBODY)

    _, headers, memory = raw("GET", f"/v1/memory_stores/{store.id}/memories/{note.id}?view=basic")
    _, _, page = raw("GET", f"/v1/memory_stores/{store.id}/memories")

    assert headers["Content-Type"].startswith("application/json")
    assert memory["content"] is None
    assert set(memory) >= {
        "type", "id", "memory_store_id", "path", "content", "content_sha256", "content_size_bytes",
        "memory_version_id", "created_at", "updated_at",
    }
    assert set(page) >= {"data", "next_page"}
    assert page["next_page"] is None
    assert datetime.fromisoformat(memory["created_at"]).tzinfo is not None
