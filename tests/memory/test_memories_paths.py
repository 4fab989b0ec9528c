"""Memory path rules, as enforced by memories.create and by a rename through memories.update."""

import json
import urllib.error
import urllib.request

import anthropic
import pytest

from memory import store as memory_store
from memory.access import Actor
from memory.models import Memory, MemoryVersion

NOBODY = Actor(api_key_id=None)

VALID = {
    "one-segment": "/a.md",
    "nested": "/notes/2026/a.md",
    "20-segments": "/" + "/".join(f"s{i}" for i in range(20)),
    "1024-bytes": "/" + "a" * 1023,
    "1024-bytes-multibyte": "/" + "é" * 511 + "a",
    "1024-bytes-4-byte-chars": "/" + "🌍" * 255 + "abc",
    "nfc-accent": "/é.md",
    "dot-files": "/.config/.hidden",
    "three-dots": "/.../a",
    "spaces": "/a b/c d.md",
    "no-extension": "/notes",
}

INVALID = {
    "empty": "",
    "relative": "a.md",
    "root-alone": "/",
    "trailing-slash": "/notes/",
    "double-slash": "/notes//a.md",
    "leading-double-slash": "//a.md",
    "dot-segment": "/notes/./a.md",
    "dot-dot-segment": "/notes/../a.md",
    "ends-with-dot": "/notes/.",
    "ends-with-dot-dot": "/..",
    "21-segments": "/" + "/".join(f"s{i}" for i in range(21)),
    "1025-bytes": "/" + "a" * 1024,
    "1025-bytes-multibyte": "/" + "é" * 512,
    "1025-bytes-but-625-chars": "/" + "é" * 400 + "a" * 224,
    "nul": "/a\x00b.md",
    "newline": "/a\nb.md",
    "tab": "/a\tb.md",
    "del": "/a\x7fb.md",
    "c1-control": "/a\x85b.md",
    "zero-width-space": "/a\u200bb.md",
    "byte-order-mark": "/\ufeffa.md",
    "soft-hyphen": "/a\u00adb.md",
    "rtl-override": "/a\u202eb.md",
    "line-separator": "/a\u2028b.md",
    "paragraph-separator": "/a\u2029b.md",
    "not-nfc": "/e\u0301.md",
}


def test_it_uses_length_cases_of_the_sizes_they_claim():
    assert len(VALID["1024-bytes-multibyte"].encode("utf-8")) == 1024
    assert len(VALID["1024-bytes-4-byte-chars"].encode("utf-8")) == 1024
    assert len(INVALID["1025-bytes-multibyte"].encode("utf-8")) == 1025
    assert len(INVALID["1025-bytes-but-625-chars"].encode("utf-8")) == 1025
    assert len(INVALID["1025-bytes-but-625-chars"]) == 625


@pytest.mark.parametrize("path", VALID.values(), ids=VALID.keys())
def test_it_creates_a_memory_at_a_valid_path(admin, store, path):
    created = admin.beta.memory_stores.memories.create(store.id, path=path, content="x")

    assert created.path == path
    assert Memory.objects.get(id=created.id).path == path
    assert admin.beta.memory_stores.memories.retrieve(created.id, memory_store_id=store.id).path == path


@pytest.mark.parametrize("path", INVALID.values(), ids=INVALID.keys())
def test_it_refuses_to_create_a_memory_at_an_invalid_path(admin, store, path):
    with pytest.raises(anthropic.BadRequestError) as caught:
        admin.beta.memory_stores.memories.create(store.id, path=path, content="x")

    assert caught.value.status_code == 400
    assert caught.value.type == "invalid_request_error"
    assert not Memory.objects.filter(store=store).exists()


def test_it_refuses_a_path_that_is_not_a_string(admin, store):
    for path in (None, 42, ["/a.md"]):
        with pytest.raises(anthropic.BadRequestError):
            admin.post(f"/v1/memory_stores/{store.id}/memories", body={"path": path, "content": "x"}, cast_to=object)

    assert not Memory.objects.filter(store=store).exists()


def test_it_keeps_paths_as_sent_without_normalising(admin, store):
    created = admin.beta.memory_stores.memories.create(store.id, path="/caf\u00e9.md", content="x")

    assert created.path == "/café.md"
    assert Memory.objects.get(id=created.id).path.encode("utf-8") == b"/caf\xc3\xa9.md"


def test_it_treats_paths_case_sensitively(admin, store):
    lower = admin.beta.memory_stores.memories.create(store.id, path="/notes/readme.md", content="lower")
    upper = admin.beta.memory_stores.memories.create(store.id, path="/Notes/README.md", content="upper")
    mixed = admin.beta.memory_stores.memories.create(store.id, path="/notes/README.md", content="mixed")

    assert len({lower.id, upper.id, mixed.id}) == 3
    assert sorted(Memory.objects.filter(store=store).values_list("path", flat=True)) == [
        "/Notes/README.md", "/notes/README.md", "/notes/readme.md",
    ]


def test_it_renames_a_memory_to_each_valid_path(admin, store):
    memory = memory_store.create_memory(store=store, path="/original.md", content="x", actor=NOBODY)

    refused = {}
    for name, path in VALID.items():
        try:
            updated = admin.beta.memory_stores.memories.update(memory.id, memory_store_id=store.id, path=path)
        except anthropic.APIStatusError as err:
            refused[name] = err.status_code
            continue
        assert (updated.id, updated.path) == (memory.id, path)
        assert Memory.objects.get(id=memory.id).path == path

    assert refused == {}
    assert MemoryVersion.objects.filter(memory_id=memory.id).count() == 1 + len(VALID)


def test_it_refuses_to_rename_a_memory_to_any_invalid_path(admin, store):
    memory = memory_store.create_memory(store=store, path="/original.md", content="x", actor=NOBODY)

    outcomes = {}
    for name, path in INVALID.items():
        try:
            admin.beta.memory_stores.memories.update(memory.id, memory_store_id=store.id, path=path)
            outcomes[name] = 200
            memory_store.update_memory(store=store, memory_id=memory.id, path="/original.md", actor=NOBODY)
        except anthropic.APIStatusError as err:
            outcomes[name] = err.status_code

    assert outcomes == {name: 400 for name in INVALID}
    assert Memory.objects.get(id=memory.id).path == "/original.md"
    assert MemoryVersion.objects.filter(memory_id=memory.id).count() == 1


@pytest.fixture
def post_json(live_server, admin_key):
    """POST a JSON body as the admin, bypassing the SDK (which cannot encode a lone surrogate)."""

    def send(path, body):
        request = urllib.request.Request(
            live_server.url + path,
            data=json.dumps(body).encode("ascii"),  # ensure_ascii: a lone surrogate travels as a \u escape
            method="POST",
            headers={"Authorization": f"Bearer {admin_key.secret}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            with error:
                return error.code, json.loads(error.read())

    return send


def test_it_refuses_a_path_with_a_lone_surrogate(post_json, store):
    status, body = post_json(f"/v1/memory_stores/{store.id}/memories", {"path": "/a\ud800.md", "content": "x"})

    assert status == 400
    assert body["error"]["type"] == "invalid_request_error"
    assert not Memory.objects.filter(store=store).exists()


def test_it_refuses_to_rename_to_a_path_with_a_lone_surrogate(post_json, store):
    memory = memory_store.create_memory(store=store, path="/original.md", content="x", actor=NOBODY)

    status, body = post_json(f"/v1/memory_stores/{store.id}/memories/{memory.id}", {"path": "/a\udfff.md"})

    assert status == 400
    assert body["error"]["type"] == "invalid_request_error"
    assert Memory.objects.get(id=memory.id).path == "/original.md"
