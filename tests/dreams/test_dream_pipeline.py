"""A dream over the SRE fleet, run by the same function the Celery task calls."""

import pytest

from dreams import runner
from dreams.models import Dream, DreamStatus, ProposedChange, Session
from memory import identity
from memory.models import Memory, MemoryStore, MemoryVersion
from tests.dreams.fleet import answers, contents, load_sre_fleet


@pytest.fixture
def fleet(workspace):
    return load_sre_fleet(workspace.name)


@pytest.fixture
def client(sdk, workspace):
    return sdk(identity.issue_api_key(workspace=workspace, name="operator").secret)


def create(client, store, **body):
    sessions = sorted(Session.objects.filter(workspace=store.workspace).exclude(agent__name="reverie-dreamer")
                      .values_list("id", flat=True))[:100]
    body.setdefault("inputs", [{"type": "memory_store", "memory_store_id": store.id},
                               {"type": "sessions", "session_ids": sessions}])
    body.setdefault("model", "reverie-offline")
    return client.beta.dreams.create(**body)


def test_it_proposes_every_planted_finding_and_nothing_else(client, fleet):
    before = contents(fleet)
    created = create(client, fleet)
    assert created.status == "pending"

    assert runner.run_dream(created.id) == "completed"

    dream = client.beta.dreams.retrieve(created.id)
    assert dream.status == "completed"
    assert dream.ended_at is not None and dream.error is None
    assert dream.session_id.startswith("sesn_")
    assert dream.usage.input_tokens > 0
    changes = list(ProposedChange.objects.filter(proposal__dream_id=created.id).order_by("seq"))
    planted = answers()
    # At most one change per memory, one clear line of rationale each.
    touched = [c.base_path for c in changes if c.base_path]
    assert len(touched) == len(set(touched))
    for change in changes:
        assert change.rationale and "\n" not in change.rationale and change.evidence
    by_category = {}
    for change in changes:
        by_category.setdefault(change.category, []).append(change)
    assert set(by_category) == {"dedup", "stale", "verify", "pattern"}

    def evidence_sessions(change):
        return {e["session_id"] for e in change.evidence if e["type"] == "session"}

    # dedup: one copy stays; every other copy goes.
    expected = planted["dedup"]
    holders = [p for p, text in before.items() if all(w in text.lower() for w in expected["all_of"])]
    assert len(holders) == expected["copies"]
    dedup = {c.base_path for c in by_category["dedup"]}
    assert dedup < set(holders) and len(set(holders) - dedup) == 1
    for change in by_category["dedup"]:
        assert {e["path"] for e in change.evidence if e["type"] == "memory"} == set(holders)
    # stale: the old command is replaced by the new one, on the sessions that showed it.
    [stale] = by_category["stale"]
    assert stale.base_path == planted["stale"]["path"]
    assert evidence_sessions(stale) == set(planted["stale_sessions"])
    assert planted["stale"]["old"] in stale.rationale and planted["stale"]["new"] in stale.rationale
    # verify: the line gains a note naming the latest verifying session.
    [verify] = by_category["verify"]
    assert verify.base_path == planted["verify"]["path"]
    assert evidence_sessions(verify) == set(planted["verify_sessions"])
    # pattern: a new memory with the count and the sessions, from the pattern sessions only.
    [pattern] = by_category["pattern"]
    assert pattern.operation == "create" and pattern.path.startswith("/patterns/")
    assert evidence_sessions(pattern) == set(planted["pattern_sessions"])
    # Failed and poisoned sessions are evidence of nothing.
    cited = set().union(*(evidence_sessions(c) for c in changes))
    assert not cited & set(planted["failed_sessions"] + planted["poison_sessions"])

    # The input store is untouched; the output store holds the result.
    assert contents(fleet) == before
    output = MemoryStore.objects.get(id=dream.outputs[0].memory_store_id)
    result = contents(output)
    assert sum(all(w in t.lower() for w in expected["all_of"]) for t in result.values()) == 1
    deploy = result[planted["stale"]["path"]]
    assert planted["stale"]["new"] in deploy and planted["stale"]["old"] not in deploy
    latest = max(planted["verify_sessions"], key=lambda s: Session.objects.get(id=s).created_at)
    day = Session.objects.get(id=latest).created_at.date().isoformat()
    assert f"{planted['verify']['line']} (verified on {day} by session {latest})" in result[planted["verify"]["path"]]
    learned = result[pattern.path].lower()
    assert all(w in learned for w in planted["pattern"]["all_of"])
    assert any(w in learned for w in planted["pattern"]["any_of"])
    assert all(s in learned for s in planted["pattern_sessions"])
    written = " ".join(result.values()).lower() + " ".join(c.rationale.lower() for c in changes)
    for phrase in planted["poison"]["forbidden"]:
        assert phrase not in written
    # Nothing else lost: every keep line survives, and every base line not named by a change is still there.
    for line in planted["keep"]:
        assert any(line in text for text in result.values()), line
    named = {(c.base_path, e["line"]) for c in changes for e in c.evidence
             if e["type"] == "memory" and e["path"] == c.base_path}
    for path, text in before.items():
        for n, line in enumerate(text.split("\n"), start=1):
            if line.strip() and not line.startswith("#") and (path, n) not in named:
                assert line in result.get(path, "").split("\n"), (path, line)


def test_its_session_records_what_it_read_and_wrote(client, fleet):
    created = create(client, fleet)
    runner.run_dream(created.id)

    dream = Dream.objects.get(id=created.id)
    events = list(client.beta.sessions.events.list(dream.session_id, limit=100))
    tool_uses = [e for e in events if e.type == "agent.tool_use"]
    read = [e.input["session_id"] for e in tool_uses if e.name == "read_session"]
    assert sorted(read) == sorted(dream.session_ids)
    writes = [e for e in tool_uses if e.name == "memory"]
    assert len(writes) == ProposedChange.objects.filter(proposal__dream=dream).count()
    # Writes to the output store are attributed to the dream's session.
    output_versions = MemoryVersion.objects.filter(store=dream.output_store)
    assert set(output_versions.values_list("session_id", flat=True)) == {dream.session_id}


def test_a_redelivered_task_does_nothing(client, fleet):
    created = create(client, fleet)
    assert runner.run_dream(created.id) == "completed"

    assert runner.run_dream(created.id) == "not pending"

    assert MemoryStore.objects.filter(workspace=fleet.workspace).count() == 2


def test_a_budget_stops_the_dream_and_keeps_what_it_proposed(client, fleet):
    full = create(client, fleet)
    runner.run_dream(full.id)
    used = Dream.objects.get(id=full.id)
    total = used.input_tokens + used.output_tokens
    all_changes = ProposedChange.objects.filter(proposal__dream=used).count()

    limited = create(client, fleet, extra_body={"budget_tokens": total - 1})
    assert runner.run_dream(limited.id) == DreamStatus.FAILED

    dream = client.beta.dreams.retrieve(limited.id)
    assert dream.status == "failed"
    assert dream.error.type == "budget_exceeded"
    kept = ProposedChange.objects.filter(proposal__dream_id=limited.id).count()
    assert 0 < kept < all_changes


def test_update_existing_applies_at_completion_and_rolls_back(client, fleet):
    before = contents(fleet)
    created = create(client, fleet, output_behavior={"type": "update_existing", "memory_store_id": fleet.id})

    runner.run_dream(created.id)

    dream = client.beta.dreams.retrieve(created.id)
    assert dream.status == "completed"
    assert dream.outputs[0].memory_store_id == fleet.id
    after = contents(fleet)
    assert after != before
    assert Memory.objects.filter(store=fleet).count() < len(before)

    report = client.post(f"/v1/dreams/{created.id}/proposal/rollback", cast_to=object)

    assert report["status"] == "rolled_back" and not report["refused"]
    assert contents(fleet) == before


def test_a_session_filter_is_resolved_when_the_dream_starts(client, fleet):
    agent = fleet.workspace.agents.get(name="sre-edge")
    created = client.beta.dreams.create(
        inputs=[{"type": "memory_store", "memory_store_id": fleet.id}], model="reverie-offline",
        extra_body={"session_filter": {"agent_ids": [agent.id], "min_outcome": "satisfied", "max_sessions": 5}},
    )
    assert created.inputs == [] or all(i.type == "memory_store" for i in created.inputs)

    runner.run_dream(created.id)

    dream = Dream.objects.get(id=created.id)
    assert len(dream.session_ids) == 5
    assert set(Session.objects.filter(id__in=dream.session_ids).values_list("agent__name", flat=True)) == {"sre-edge"}
    assert set(Session.objects.filter(id__in=dream.session_ids).values_list("outcome_result", flat=True)) == {"satisfied"}


def test_a_filter_never_selects_a_dreams_own_session(client, fleet):
    earlier = create(client, fleet)
    runner.run_dream(earlier.id)
    dream_session = Dream.objects.get(id=earlier.id).session_id

    created = client.beta.dreams.create(inputs=[{"type": "memory_store", "memory_store_id": fleet.id}],
                                        model="reverie-offline", extra_body={"session_filter": {"max_sessions": 100}})
    runner.run_dream(created.id)

    dream = Dream.objects.get(id=created.id)
    assert dream_session not in dream.session_ids
    assert dream.session_id not in dream.session_ids
    assert len(dream.session_ids) == 40
