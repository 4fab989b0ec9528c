"""POST /v1/memory_stores/{id} (memory_stores.update): a patch."""

import anthropic
import pytest
from anthropic.types.beta import BetaInvalidMetadataError

from memory import stores
from memory.models import MemoryStore


@pytest.fixture
def described(workspace):
    return stores.create_store(
        workspace=workspace, name="ops", description="runbooks", metadata={"team": "sre", "tier": "1"}
    )


def test_it_changes_only_the_fields_sent(admin, described):
    updated = admin.beta.memory_stores.update(described.id, name="ops-renamed")

    assert updated.name == "ops-renamed"
    assert updated.description == "runbooks"
    assert updated.metadata == {"team": "sre", "tier": "1"}
    assert updated._request_id.startswith("req_")
    row = MemoryStore.objects.get(id=described.id)
    assert (row.name, row.description, row.metadata) == ("ops-renamed", "runbooks", {"team": "sre", "tier": "1"})


def test_it_bumps_updated_at_on_a_change(admin, described):
    updated = admin.beta.memory_stores.update(described.id, description="new words")

    assert updated.updated_at > described.updated_at
    assert updated.created_at == described.created_at
    assert MemoryStore.objects.get(id=described.id).updated_at == updated.updated_at


def test_it_merges_metadata_key_by_key_and_null_deletes_a_key(admin, described):
    updated = admin.beta.memory_stores.update(described.id, metadata={"tier": None, "region": "eu", "team": "ops"})

    assert updated.metadata == {"team": "ops", "region": "eu"}
    assert MemoryStore.objects.get(id=described.id).metadata == {"team": "ops", "region": "eu"}


def test_it_ignores_null_for_a_missing_metadata_key(admin, described):
    updated = admin.beta.memory_stores.update(described.id, metadata={"nope": None})

    assert updated.metadata == {"team": "sre", "tier": "1"}


def test_it_clears_the_description_with_null(admin, described):
    updated = admin.beta.memory_stores.update(described.id, description=None)

    assert updated.description == ""
    assert MemoryStore.objects.get(id=described.id).description == ""


def test_it_clears_the_description_with_an_empty_string(admin, described):
    updated = admin.beta.memory_stores.update(described.id, description="")

    assert updated.description == ""
    assert MemoryStore.objects.get(id=described.id).description == ""


def test_it_treats_null_name_and_null_metadata_as_no_change(admin, described):
    updated = admin.beta.memory_stores.update(described.id, name=None, metadata=None)

    assert updated.name == "ops"
    assert updated.metadata == {"team": "sre", "tier": "1"}
    row = MemoryStore.objects.get(id=described.id)
    assert (row.name, row.metadata) == ("ops", {"team": "sre", "tier": "1"})


def test_it_applies_the_16_pair_limit_to_the_merged_result(admin, workspace):
    full = stores.create_store(workspace=workspace, name="full", metadata={f"k{i:02d}": "v" for i in range(16)})

    with pytest.raises(BetaInvalidMetadataError) as caught:
        admin.beta.memory_stores.update(full.id, metadata={"one-more": "v"})

    assert caught.value.status_code == 400
    assert caught.value.error_code == "invalid_metadata"
    assert len(MemoryStore.objects.get(id=full.id).metadata) == 16

    # Deleting one key makes room for another in the same patch.
    updated = admin.beta.memory_stores.update(full.id, metadata={"k00": None, "one-more": "v"})
    assert len(updated.metadata) == 16
    assert "k00" not in updated.metadata and updated.metadata["one-more"] == "v"


@pytest.mark.parametrize(
    "metadata",
    [{"": "v"}, {"k" * 65: "v"}, {"k": "v" * 513}],
    ids=["empty-key", "65-char-key", "513-char-value"],
)
def test_it_rejects_invalid_metadata_and_changes_nothing(admin, described, metadata):
    with pytest.raises(BetaInvalidMetadataError) as caught:
        admin.beta.memory_stores.update(described.id, metadata={**metadata, "team": "changed"})

    assert caught.value.error_code == "invalid_metadata"
    row = MemoryStore.objects.get(id=described.id)
    assert row.metadata == {"team": "sre", "tier": "1"}
    assert row.updated_at == described.updated_at


@pytest.mark.parametrize("name", ["", "x" * 256, "bad\nname"], ids=["empty", "256-chars", "control"])
def test_it_rejects_an_invalid_name_and_changes_nothing(admin, described, name):
    with pytest.raises(anthropic.BadRequestError):
        admin.beta.memory_stores.update(described.id, name=name, description="changed")

    row = MemoryStore.objects.get(id=described.id)
    assert (row.name, row.description) == ("ops", "runbooks")


def test_it_rejects_a_description_over_1024_characters(admin, described):
    with pytest.raises(anthropic.BadRequestError):
        admin.beta.memory_stores.update(described.id, description="d" * 1025)

    assert MemoryStore.objects.get(id=described.id).description == "runbooks"


def test_it_refuses_to_update_an_archived_store(admin, described):
    archived = stores.archive_store(store=described)

    with pytest.raises(anthropic.BadRequestError) as caught:
        admin.beta.memory_stores.update(described.id, name="too late")

    assert caught.value.status_code == 400
    assert caught.value.type == "invalid_request_error"
    row = MemoryStore.objects.get(id=described.id)
    assert row.name == "ops"
    assert row.updated_at == archived.updated_at


def test_it_404s_for_an_unknown_store(admin, described):
    with pytest.raises(anthropic.NotFoundError):
        admin.beta.memory_stores.update("memstore_doesnotexist", name="x")


def test_it_404s_for_another_workspaces_store(outsider, described):
    with pytest.raises(anthropic.NotFoundError):
        outsider.beta.memory_stores.update(described.id, name="hijacked")

    assert MemoryStore.objects.get(id=described.id).name == "ops"
