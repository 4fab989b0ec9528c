"""POST /v1/memory_stores (memory_stores.create)."""

import anthropic
import pytest
from anthropic.types.beta import BetaInvalidMetadataError

from memory.models import MemoryStore


def test_it_creates_a_store_with_defaults(admin, workspace):
    created = admin.beta.memory_stores.create(name="Ops notes")

    assert created.type == "memory_store"
    assert created.id.startswith("memstore_")
    assert created.name == "Ops notes"
    assert created.description == ""
    assert created.metadata == {}
    assert created.archived_at is None
    assert created.created_at == created.updated_at
    assert created._request_id.startswith("req_")

    row = MemoryStore.objects.get(id=created.id)
    assert row.workspace_id == workspace.id
    assert row.name == "Ops notes"
    assert row.description == ""
    assert row.metadata == {}
    assert row.archived_at is None
    assert row.memory_count == 0


def test_it_creates_a_store_with_description_and_metadata(admin):
    created = admin.beta.memory_stores.create(
        name="ops", description="What the ops agent learned.", metadata={"team": "sre", "tier": "1"}
    )

    assert created.description == "What the ops agent learned."
    assert created.metadata == {"team": "sre", "tier": "1"}
    row = MemoryStore.objects.get(id=created.id)
    assert row.description == "What the ops agent learned."
    assert row.metadata == {"team": "sre", "tier": "1"}


def test_it_allows_names_that_are_not_unique(admin, store):
    created = admin.beta.memory_stores.create(name=store.name)

    assert created.id != store.id
    assert MemoryStore.objects.filter(name=store.name).count() == 2


@pytest.mark.parametrize("name", ["a", "x" * 255, "Ünïcödé 📚 store", "two  spaces"])
def test_it_accepts_names_of_1_to_255_characters(admin, name):
    created = admin.beta.memory_stores.create(name=name)

    assert created.name == name
    assert MemoryStore.objects.get(id=created.id).name == name


@pytest.mark.parametrize(
    "name",
    [
        "",
        "x" * 256,
        "a\x00b",
        "line\nbreak",
        "tab\there",
        "bell\x07",
        "del\x7f",
        "c1\x85control",
    ],
    ids=["empty", "256-chars", "nul", "newline", "tab", "bell", "del", "c1-control"],
)
def test_it_rejects_invalid_names(admin, name):
    with pytest.raises(anthropic.BadRequestError) as caught:
        admin.beta.memory_stores.create(name=name)

    assert caught.value.status_code == 400
    assert caught.value.type == "invalid_request_error"
    assert not MemoryStore.objects.exists()


def test_it_rejects_a_missing_name(admin):
    with pytest.raises(anthropic.BadRequestError) as caught:
        admin.post("/v1/memory_stores", body={"description": "no name"}, cast_to=object)

    assert caught.value.status_code == 400
    assert caught.value.type == "invalid_request_error"
    assert not MemoryStore.objects.exists()


def test_it_rejects_a_null_name(admin):
    with pytest.raises(anthropic.BadRequestError):
        admin.beta.memory_stores.create(name=None)

    assert not MemoryStore.objects.exists()


def test_it_accepts_a_description_of_1024_characters(admin):
    created = admin.beta.memory_stores.create(name="ops", description="d" * 1024)

    assert created.description == "d" * 1024
    assert MemoryStore.objects.get(id=created.id).description == "d" * 1024


def test_it_rejects_a_description_over_1024_characters(admin):
    with pytest.raises(anthropic.BadRequestError) as caught:
        admin.beta.memory_stores.create(name="ops", description="d" * 1025)

    assert caught.value.status_code == 400
    assert not MemoryStore.objects.exists()


def test_it_accepts_16_metadata_pairs_and_the_longest_keys_and_values(admin):
    metadata = {f"k{i:02d}": "v" for i in range(15)}
    metadata["k" * 64] = "v" * 512

    created = admin.beta.memory_stores.create(name="ops", metadata=metadata)

    assert created.metadata == metadata
    assert MemoryStore.objects.get(id=created.id).metadata == metadata


@pytest.mark.parametrize(
    "metadata",
    [
        {f"k{i:02d}": "v" for i in range(17)},
        {"": "v"},
        {"k" * 65: "v"},
        {"k": "v" * 513},
    ],
    ids=["17-pairs", "empty-key", "65-char-key", "513-char-value"],
)
def test_it_rejects_invalid_metadata_with_the_invalid_metadata_code(admin, metadata):
    with pytest.raises(BetaInvalidMetadataError) as caught:
        admin.beta.memory_stores.create(name="ops", metadata=metadata)

    err = caught.value
    assert err.status_code == 400
    assert err.type == "invalid_request_error"
    assert err.error_code == "invalid_metadata"
    assert err.body["error"]["details"] == {"error_code": "invalid_metadata"}
    assert err.api_message
    assert not MemoryStore.objects.exists()


def test_it_rejects_a_metadata_value_that_is_not_a_string(admin):
    with pytest.raises(anthropic.BadRequestError) as caught:
        admin.beta.memory_stores.create(name="ops", metadata={"count": 3})

    assert caught.value.status_code == 400
    assert not MemoryStore.objects.exists()


def test_it_rejects_metadata_that_is_not_an_object(admin):
    with pytest.raises(anthropic.BadRequestError) as caught:
        admin.beta.memory_stores.create(name="ops", metadata=["team", "sre"])

    assert caught.value.status_code == 400
    assert not MemoryStore.objects.exists()
