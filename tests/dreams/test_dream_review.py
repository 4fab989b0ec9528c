"""Approve, partial approve, conflicts, reject and rollback, end to end through the API."""

import threading

import anthropic
import pytest

from dreams import runner
from dreams.models import ProposedChange
from memory import identity
from memory.access import Actor
from memory.models import ChangeSet, Memory, MemoryStore, MemoryVersion
from memory.store import update_memory
from tests.dreams.fleet import contents, load_sre_fleet
from tests.dreams.test_dream_pipeline import create


@pytest.fixture
def fleet(workspace):
    return load_sre_fleet(workspace.name)


@pytest.fixture
def operator_key(workspace):
    return identity.issue_api_key(workspace=workspace, name="operator")


@pytest.fixture
def client(sdk, operator_key):
    return sdk(operator_key.secret)


@pytest.fixture
def dream(client, fleet):
    created = create(client, fleet)
    runner.run_dream(created.id)
    return created


def output_store_of(dream):
    return MemoryStore.objects.get(produced_by_dreams__id=dream.id)


def post(client, path, body=None):
    return client.post(path, body=body or {}, cast_to=object)


def changes_of(client, dream_id):
    return client.get(f"/v1/dreams/{dream_id}/proposal/changes", options={"params": {"view": "full"}},
                      cast_to=object)["data"]


def test_it_lists_the_proposal_with_rationale_evidence_and_content(client, dream):
    summary = client.get(f"/v1/dreams/{dream.id}/proposal", cast_to=object)
    changes = changes_of(client, dream.id)

    assert summary["status"] == "open"
    assert sum(summary["change_counts"].values()) == len(changes)
    assert summary["change_counts"]["dedup"] >= 1
    for change in changes:
        assert change["evidence"]
        if change["operation"] == "create":
            assert change["base_version_id"] is None and change["content"]
        else:
            assert change["base_content_sha256"] and change["base_version_id"].startswith("memver_")
        if change["operation"] == "modify":
            assert change["content"] is not None


def test_approving_applies_every_change_as_one_changeset_attributed_to_the_operator(client, dream, fleet,
                                                                                    operator_key):
    expected = contents(output_store_of(dream))

    report = post(client, f"/v1/dreams/{dream.id}/proposal/approve")

    assert report["status"] == "applied"
    assert len(report["applied"]) == len(changes_of(client, dream.id))
    assert report["conflicts"] == []
    assert contents(fleet) == expected
    changeset = ChangeSet.objects.get(id=report["changeset_id"])
    assert changeset.actor["dream_id"] == dream.id
    versions = MemoryVersion.objects.filter(changeset=changeset)
    assert versions.count() == len(report["applied"])
    assert set(versions.values_list("api_key_id", flat=True)) == {operator_key.key.id}


def test_a_second_approval_is_harmless(client, dream, fleet):
    first = post(client, f"/v1/dreams/{dream.id}/proposal/approve")
    versions = MemoryVersion.objects.filter(store=fleet).count()

    second = post(client, f"/v1/dreams/{dream.id}/proposal/approve")

    assert second["already_done"] is True
    assert sorted(second["applied"]) == sorted(first["applied"])
    assert MemoryVersion.objects.filter(store=fleet).count() == versions


def test_concurrent_approvals_apply_once(sdk, operator_key, dream, fleet):
    results, errors = [], []

    def approve():
        try:
            results.append(post(sdk(operator_key.secret), f"/v1/dreams/{dream.id}/proposal/approve"))
        except anthropic.APIStatusError as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=approve) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    assert sum(not r["already_done"] for r in results) == 1
    applied = ProposedChange.objects.filter(proposal__dream_id=dream.id).count()
    assert MemoryVersion.objects.filter(store=fleet, changeset__isnull=False).count() == applied


def test_a_partial_approval_applies_the_chosen_changes_and_rejects_the_rest(client, dream, fleet):
    changes = changes_of(client, dream.id)
    chosen = changes[0]

    report = post(client, f"/v1/dreams/{dream.id}/proposal/approve", {"change_ids": [chosen["id"]]})

    assert report["status"] == "partially_applied"
    assert report["applied"] == [chosen["id"]]
    assert sorted(report["rejected"]) == sorted(c["id"] for c in changes[1:])
    for change in changes[1:]:
        if change["operation"] == "create":
            assert not Memory.objects.filter(store=fleet, path=change["path"]).exists()
        else:
            assert Memory.objects.get(id=change["memory_id"]).blob_id == change["base_content_sha256"]


def test_a_memory_changed_since_the_dream_started_is_a_conflict_not_an_overwrite(client, dream, fleet):
    changes = changes_of(client, dream.id)
    moved = changes[0]
    update_memory(store=fleet, memory_id=moved["memory_id"], actor=Actor(), content="someone else's edit")

    report = post(client, f"/v1/dreams/{dream.id}/proposal/approve")

    assert [c["change_id"] for c in report["conflicts"]] == [moved["id"]]
    assert "changed after the dream started" in report["conflicts"][0]["reason"]
    assert report["status"] == "partially_applied"
    assert contents(fleet)[moved["base_path"]] == "someone else's edit"
    assert len(report["applied"]) == len(changes) - 1


def test_rejecting_closes_the_proposal_and_changes_nothing(client, dream, fleet):
    before = contents(fleet)

    report = post(client, f"/v1/dreams/{dream.id}/proposal/reject")

    assert report["status"] == "rejected"
    assert contents(fleet) == before
    with pytest.raises(anthropic.BadRequestError):
        post(client, f"/v1/dreams/{dream.id}/proposal/rollback")


def test_rejecting_one_change_keeps_the_proposal_open(client, dream):
    changes = changes_of(client, dream.id)

    report = post(client, f"/v1/dreams/{dream.id}/proposal/reject", {"change_ids": [changes[0]["id"]]})

    assert report["status"] == "open"
    assert report["rejected"] == [changes[0]["id"]]


def test_rollback_restores_every_memory_with_new_versions(client, dream, fleet):
    before = contents(fleet)
    ids_before = set(Memory.objects.filter(store=fleet).values_list("id", flat=True))
    post(client, f"/v1/dreams/{dream.id}/proposal/approve")
    versions_after_apply = MemoryVersion.objects.filter(store=fleet).count()

    report = post(client, f"/v1/dreams/{dream.id}/proposal/rollback")

    assert report["status"] == "rolled_back"
    assert report["refused"] == []
    assert contents(fleet) == before
    # Deleted memories come back under their own ids; history grows, never shrinks.
    assert set(Memory.objects.filter(store=fleet).values_list("id", flat=True)) == ids_before
    assert MemoryVersion.objects.filter(store=fleet).count() == versions_after_apply + len(report["restored"])
    again = post(client, f"/v1/dreams/{dream.id}/proposal/rollback")
    assert again["already_done"] is True


def test_rollback_refuses_a_memory_written_after_the_approval(client, dream, fleet):
    post(client, f"/v1/dreams/{dream.id}/proposal/approve")
    modified = [c for c in changes_of(client, dream.id) if c["operation"] == "modify"][0]
    update_memory(store=fleet, memory_id=modified["memory_id"], actor=Actor(), content="a later write")

    report = post(client, f"/v1/dreams/{dream.id}/proposal/rollback")

    assert [r["change_id"] for r in report["refused"]] == [modified["id"]]
    assert "changed after the dream was applied" in report["refused"][0]["reason"]
    assert contents(fleet)[modified["path"]] == "a later write"
    assert len(report["restored"]) == len(changes_of(client, dream.id)) - 1


def test_an_agent_key_cannot_review(sdk, workspace, dream):
    agent = identity.create_agent(workspace=workspace, name="intruder")
    intruder = sdk(identity.issue_api_key(workspace=workspace, name="k", agent=agent).secret)

    with pytest.raises(anthropic.PermissionDeniedError):
        post(intruder, f"/v1/dreams/{dream.id}/proposal/approve")


def test_another_workspace_cannot_see_the_proposal(outsider, dream):
    with pytest.raises(anthropic.NotFoundError):
        post(outsider, f"/v1/dreams/{dream.id}/proposal/approve")


def test_the_orphan_sweep_keeps_content_a_proposal_still_holds(client, dream, fleet):
    from memory.models import Blob
    from memory.tasks import sweep_orphan_blobs

    proposed = set(ProposedChange.objects.filter(proposal__dream_id=dream.id, blob__isnull=False)
                   .values_list("blob_id", flat=True))
    assert proposed
    # With the output store gone, only the proposal holds the proposed content.
    from memory.stores import delete_store

    delete_store(store=output_store_of(dream))

    sweep_orphan_blobs()

    assert set(Blob.objects.filter(sha256__in=proposed).values_list("sha256", flat=True)) == proposed
    assert post(client, f"/v1/dreams/{dream.id}/proposal/approve")["status"] == "applied"


def test_after_a_conflict_a_rerun_proposes_against_the_store_as_it_is_now(client, dream, fleet):
    moved = changes_of(client, dream.id)[0]
    update_memory(store=fleet, memory_id=moved["memory_id"], actor=Actor(), content="someone else's edit")
    post(client, f"/v1/dreams/{dream.id}/proposal/approve")

    rerun = post(client, f"/v1/dreams/{dream.id}/rerun")
    runner.run_dream(rerun["id"])

    assert rerun["trigger"] == "rerun" and rerun["id"] != dream.id
    fresh = changes_of(client, rerun["id"])
    current = {m.id: m.head_version_id for m in Memory.objects.filter(store=fleet)}
    assert all(c["base_version_id"] == current[c["memory_id"]] for c in fresh if c["memory_id"] in current)
    assert moved["memory_id"] not in {c["memory_id"] for c in fresh}
