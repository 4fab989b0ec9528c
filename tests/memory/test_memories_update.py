"""POST /v1/memory_stores/{id}/memories/{memory_id} (memories.update): content, rename, preconditions."""

import hashlib

import anthropic
import pytest

from memory import store as memory_store
from memory import stores
from memory.access import Actor
from memory.models import Memory, MemoryVersion

NOBODY = Actor(api_key_id=None)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@pytest.fixture
def note(store):
    return memory_store.create_memory(store=store, path="/notes/a.md", content="alpha", actor=NOBODY)


def _versions(admin, store, memory_id):
    return [v.id for v in admin.beta.memory_stores.memory_versions.list(store.id, memory_id=memory_id)]


def _unchanged(note):
    row = Memory.objects.get(id=note.id)
    return (row.path, row.blob_id, row.size_bytes, row.head_version_id, row.updated_at) == (
        note.path, note.blob_id, note.size_bytes, note.head_version_id, note.updated_at,
    ) and MemoryVersion.objects.filter(memory_id=note.id).count() == 1


def test_it_changes_content_and_writes_a_new_version(admin, admin_key, store, note):
    updated = admin.beta.memory_stores.memories.update(note.id, memory_store_id=store.id, content="beta")

    assert updated.id == note.id
    assert updated.content is None  # update defaults to the basic view
    assert updated.content_sha256 == sha256("beta")
    assert updated.content_size_bytes == 4
    assert updated.memory_version_id != note.head_version_id
    assert updated.updated_at > note.updated_at
    assert updated.created_at == note.created_at
    assert updated._request_id.startswith("req_")

    row = Memory.objects.get(id=note.id)
    assert (row.blob_id, row.size_bytes, row.head_version_id) == (sha256("beta"), 4, updated.memory_version_id)
    version = MemoryVersion.objects.get(id=updated.memory_version_id)
    assert (version.operation, version.path, version.blob_id) == ("modified", "/notes/a.md", sha256("beta"))
    assert version.api_key_id == admin_key.key.id
    assert _versions(admin, store, note.id) == [updated.memory_version_id, note.head_version_id]
    assert admin.beta.memory_stores.memories.retrieve(note.id, memory_store_id=store.id).content == "beta"


def test_it_returns_content_with_the_full_view(admin, store, note):
    changed = admin.beta.memory_stores.memories.update(note.id, memory_store_id=store.id, content="beta", view="full")
    renamed = admin.beta.memory_stores.memories.update(note.id, memory_store_id=store.id, path="/b.md", view="full")

    assert changed.content == "beta"
    assert renamed.content == "beta"


def test_it_rejects_an_unknown_view_and_changes_nothing(admin, store, note):
    with pytest.raises(anthropic.BadRequestError):
        admin.beta.memory_stores.memories.update(note.id, memory_store_id=store.id, content="beta", view="wide")

    assert _unchanged(note)


def test_it_renames_and_keeps_the_id(admin, store, note):
    renamed = admin.beta.memory_stores.memories.update(note.id, memory_store_id=store.id, path="/archive/a.md")

    assert renamed.id == note.id
    assert renamed.path == "/archive/a.md"
    assert renamed.content_sha256 == note.blob_id
    assert renamed.memory_version_id != note.head_version_id
    row = Memory.objects.get(id=note.id)
    assert (row.path, row.blob_id) == ("/archive/a.md", note.blob_id)
    version = MemoryVersion.objects.get(id=renamed.memory_version_id)
    assert (version.operation, version.path, version.blob_id) == ("modified", "/archive/a.md", note.blob_id)

    # The old path is free again.
    again = admin.beta.memory_stores.memories.create(store.id, path="/notes/a.md", content="new")
    assert again.id != note.id


def test_it_changes_content_and_path_in_one_version(admin, store, note):
    updated = admin.beta.memory_stores.memories.update(
        note.id, memory_store_id=store.id, content="beta", path="/notes/b.md"
    )

    assert (updated.path, updated.content_sha256) == ("/notes/b.md", sha256("beta"))
    assert _versions(admin, store, note.id) == [updated.memory_version_id, note.head_version_id]


def test_it_409s_when_renaming_onto_another_memorys_path(admin, store, note):
    other = memory_store.create_memory(store=store, path="/notes/b.md", content="bravo", actor=NOBODY)

    with pytest.raises(anthropic.ConflictError) as caught:
        admin.beta.memory_stores.memories.update(note.id, memory_store_id=store.id, path="/notes/b.md", content="x")

    err = caught.value
    assert err.status_code == 409
    assert err.type == "memory_path_conflict_error"
    assert err.body["error"]["conflicting_memory_id"] == other.id
    assert err.response.headers["x-should-retry"] == "false"
    assert _unchanged(note)
    assert Memory.objects.get(id=other.id).blob_id == sha256("bravo")


def test_it_treats_a_rename_to_the_current_path_as_a_no_op(admin, store, note):
    same = admin.beta.memory_stores.memories.update(note.id, memory_store_id=store.id, path="/notes/a.md")

    assert same.memory_version_id == note.head_version_id
    assert same.updated_at == note.updated_at
    assert _unchanged(note)
    assert _versions(admin, store, note.id) == [note.head_version_id]


def test_it_treats_the_same_content_as_a_no_op(admin, store, note):
    same = admin.beta.memory_stores.memories.update(note.id, memory_store_id=store.id, content="alpha", view="full")

    assert same.content == "alpha"
    assert same.memory_version_id == note.head_version_id
    assert same.updated_at == note.updated_at
    assert _unchanged(note)
    assert _versions(admin, store, note.id) == [note.head_version_id]


def test_it_treats_null_content_and_null_path_as_omitted(admin, store, note):
    nothing = admin.beta.memory_stores.memories.update(note.id, memory_store_id=store.id, content=None, path=None)
    assert nothing.memory_version_id == note.head_version_id
    assert _unchanged(note)

    renamed = admin.beta.memory_stores.memories.update(note.id, memory_store_id=store.id, content=None, path="/b.md")
    assert (renamed.path, renamed.content_sha256) == ("/b.md", note.blob_id)

    rewritten = admin.beta.memory_stores.memories.update(note.id, memory_store_id=store.id, content="new", path=None)
    assert (rewritten.path, rewritten.content_sha256) == ("/b.md", sha256("new"))
    row = Memory.objects.get(id=note.id)
    assert (row.path, row.blob_id) == ("/b.md", sha256("new"))


def test_it_applies_an_update_whose_precondition_matches(admin, store, note):
    updated = admin.beta.memory_stores.memories.update(
        note.id, memory_store_id=store.id, content="beta",
        precondition={"type": "content_sha256", "content_sha256": sha256("alpha")},
    )

    assert updated.content_sha256 == sha256("beta")
    assert Memory.objects.get(id=note.id).blob_id == sha256("beta")


def test_it_409s_when_the_precondition_does_not_match_and_changes_nothing(admin, store, note):
    with pytest.raises(anthropic.ConflictError) as caught:
        admin.beta.memory_stores.memories.update(
            note.id, memory_store_id=store.id, content="beta",
            precondition={"type": "content_sha256", "content_sha256": sha256("something else")},
        )

    err = caught.value
    assert err.status_code == 409
    assert err.type == "memory_precondition_failed_error"
    assert err.response.headers["x-should-retry"] == "false"
    assert _unchanged(note)


def test_it_checks_the_precondition_on_a_rename(admin, store, note):
    with pytest.raises(anthropic.ConflictError) as caught:
        admin.beta.memory_stores.memories.update(
            note.id, memory_store_id=store.id, path="/renamed.md",
            precondition={"type": "content_sha256", "content_sha256": sha256("stale")},
        )
    assert caught.value.type == "memory_precondition_failed_error"
    assert _unchanged(note)

    renamed = admin.beta.memory_stores.memories.update(
        note.id, memory_store_id=store.id, path="/renamed.md",
        precondition={"type": "content_sha256", "content_sha256": sha256("alpha")},
    )
    assert renamed.path == "/renamed.md"
    assert Memory.objects.get(id=note.id).path == "/renamed.md"


def test_it_changes_nothing_when_both_the_precondition_and_the_path_fail(admin, store, note):
    memory_store.create_memory(store=store, path="/taken.md", content="x", actor=NOBODY)

    with pytest.raises(anthropic.ConflictError) as caught:
        admin.beta.memory_stores.memories.update(
            note.id, memory_store_id=store.id, path="/taken.md",
            precondition={"type": "content_sha256", "content_sha256": sha256("stale")},
        )

    # Which of the two 409s wins is not specified; either way nothing changes.
    assert caught.value.type in ("memory_precondition_failed_error", "memory_path_conflict_error")
    assert _unchanged(note)


def test_it_rejects_a_precondition_of_another_type(admin, store, note):
    cases = {
        "other-type": {"type": "version_id", "content_sha256": sha256("alpha")},
        "etag-type": {"type": "etag", "etag": "abc"},
        "no-type": {"content_sha256": sha256("alpha")},
        "not-an-object": "content_sha256",
    }
    outcomes = {}
    for name, precondition in cases.items():
        try:
            admin.beta.memory_stores.memories.update(
                note.id, memory_store_id=store.id, content="beta", precondition=precondition
            )
            outcomes[name] = 200
        except anthropic.APIStatusError as err:
            outcomes[name] = err.status_code

    assert outcomes == {name: 400 for name in cases}
    assert _unchanged(note)


def test_it_rejects_a_malformed_precondition_digest(admin, store, note):
    cases = {
        "null": None, "empty": "", "short": "abc", "uppercase": sha256("alpha").upper(),
        "65-chars": sha256("alpha") + "0", "not-hex": sha256("alpha")[:-1] + "g", "number": 12345,
    }
    outcomes = {}
    for name, digest in cases.items():
        try:
            admin.beta.memory_stores.memories.update(
                note.id, memory_store_id=store.id, content="beta",
                precondition={"type": "content_sha256", "content_sha256": digest},
            )
            outcomes[name] = 200
        except anthropic.APIStatusError as err:
            outcomes[name] = err.status_code

    assert outcomes == {name: 400 for name in cases}
    assert _unchanged(note)


def test_it_rejects_oversize_content_and_changes_nothing(admin, store, note):
    with pytest.raises(anthropic.BadRequestError):
        admin.beta.memory_stores.memories.update(note.id, memory_store_id=store.id, content="x" * 102_401)

    assert _unchanged(note)


def test_it_accepts_empty_content(admin, store, note):
    updated = admin.beta.memory_stores.memories.update(note.id, memory_store_id=store.id, content="")

    assert updated.content_sha256 == sha256("")
    assert updated.content_size_bytes == 0
    assert Memory.objects.get(id=note.id).size_bytes == 0


def test_it_404s_for_an_unknown_memory(admin, store, note):
    with pytest.raises(anthropic.NotFoundError):
        admin.beta.memory_stores.memories.update("mem_doesnotexist", memory_store_id=store.id, content="x")

    assert _unchanged(note)


def test_it_404s_for_an_existing_memory_under_the_wrong_store(admin, workspace, store, note):
    other = stores.create_store(workspace=workspace, name="other")

    with pytest.raises(anthropic.NotFoundError):
        admin.beta.memory_stores.memories.update(note.id, memory_store_id=other.id, content="x")

    assert _unchanged(note)


def test_it_accepts_patch_as_well_as_post(admin, store, note):
    response = admin.patch(
        f"/v1/memory_stores/{store.id}/memories/{note.id}", body={"content": "via patch"}, cast_to=object
    )

    assert response["content_sha256"] == sha256("via patch")
    assert Memory.objects.get(id=note.id).blob_id == sha256("via patch")


@pytest.mark.parametrize("content", [42, ["a"], {"text": "a"}], ids=["number", "list", "object"])
def test_it_rejects_content_that_is_not_a_string(admin, store, note, content):
    with pytest.raises(anthropic.BadRequestError):
        admin.post(f"/v1/memory_stores/{store.id}/memories/{note.id}", body={"content": content}, cast_to=object)

    assert _unchanged(note)


def test_it_renames_when_only_the_case_changes(admin, store, note):
    renamed = admin.beta.memory_stores.memories.update(note.id, memory_store_id=store.id, path="/Notes/A.md")

    assert renamed.path == "/Notes/A.md"
    assert renamed.memory_version_id != note.head_version_id
    assert Memory.objects.get(id=note.id).path == "/Notes/A.md"
