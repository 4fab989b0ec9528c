"""Which key a Claude dream uses (none: refused, unless the operator opted into the offline engine;
a workspace key wins over the environment), and what it pays for again: digests are cached by
the session's content, and the operator's instructions reach both stages."""

import anthropic
import pytest

from dreams import credentials, lifecycle, runner
from dreams import sessions as domain
from dreams.models import Dream, DreamStatus, ProposedChange
from memory import identity
from memory.access import Actor, Principal
from tests.dreams.claude.conftest import MODEL, Brain, start
from tests.dreams.factories import text_event
from tests.fakes.messages_api import reply, tool_use

WORKSPACE_KEY = "sk-ant-workspace-0123456789abcdef0123456789"


@pytest.fixture
def client(sdk, workspace):
    return sdk(identity.issue_api_key(workspace=workspace, name="operator").secret)


@pytest.fixture
def no_key(fake, monkeypatch):
    """No key in the environment (the fake fixture, which sets one, comes first)."""
    for variable in ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_BASE_URL"):
        monkeypatch.delenv(variable, raising=False)


def create(client, store, sessions, model, **body):
    return client.beta.dreams.create(model=model, inputs=[
        {"type": "memory_store", "memory_store_id": store.id},
        {"type": "sessions", "session_ids": [s.id for s in sessions]}], **body)


def digest_requests(fake):
    return [r for r in fake.requests if (r.body.get("tool_choice") or {}).get("name") == "record_digest"]


def system_text(request) -> str:
    return "".join(block["text"] for block in request.body["system"])


def test_a_claude_dream_without_a_key_is_refused_with_what_to_do(no_key, client, notes, sessions):
    with pytest.raises(anthropic.BadRequestError) as refused:
        create(client, notes, sessions, MODEL)

    message = refused.value.api_message
    assert refused.value.status_code == 400
    assert MODEL in message and "ANTHROPIC_API_KEY" in message and "'reverie-offline'" in message
    assert not Dream.objects.exists()
    # The offline engine needs no key.
    created = create(client, notes, sessions, "reverie-offline")
    assert created.status == "pending"
    assert Dream.objects.get(pk=created.id).engine == "reverie-offline"
    assert runner.run_dream(created.id) == DreamStatus.COMPLETED


def test_an_operator_may_run_claude_dreams_offline_without_a_key(no_key, settings, fake, client, notes, sessions):
    settings.REVERIE_CLAUDE_WITHOUT_KEY = "offline"
    created = create(client, notes, sessions, MODEL)

    dream = Dream.objects.get(pk=created.id)
    assert (dream.model_id, dream.engine) == (MODEL, "reverie-offline")
    assert runner.run_dream(dream.id) == DreamStatus.COMPLETED
    assert client.beta.dreams.retrieve(created.id).status == "completed"
    assert fake.requests == []  # no model was asked


def test_a_workspace_key_is_used_when_the_environment_has_none(no_key, fake, workspace, notes, sessions):
    fake.api_key = WORKSPACE_KEY
    credentials.set_model_key(workspace=workspace, api_key=WORKSPACE_KEY, base_url=fake.url,
                              actor=Actor(user_id="user_test"))
    fake.handler = Brain(reply("Nothing to change."))
    dream = start(workspace, notes, sessions)
    assert dream.engine == "claude"

    assert runner.run_dream(dream.id) == DreamStatus.COMPLETED

    assert len(fake.requests) == 3 + 1
    # This SDK sends the key as a bearer token.
    assert {r.headers.get("authorization") for r in fake.requests} == {f"Bearer {WORKSPACE_KEY}"}
    assert all(r.reply_status == 200 for r in fake.requests)


def test_a_workspace_key_wins_over_the_environments(monkeypatch, fake, workspace, notes, sessions):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-environment-key-that-the-fake-refuses")
    fake.api_key = WORKSPACE_KEY
    credentials.set_model_key(workspace=workspace, api_key=WORKSPACE_KEY, base_url=None,
                              actor=Actor(user_id="user_test"))  # the environment's base URL: the fake
    fake.handler = Brain(reply("Nothing to change."))
    dream = start(workspace, notes, sessions)

    assert runner.run_dream(dream.id) == DreamStatus.COMPLETED
    assert {r.headers.get("authorization") for r in fake.requests} == {f"Bearer {WORKSPACE_KEY}"}


def test_a_rerun_reads_unchanged_sessions_from_the_digest_cache(fake, workspace, notes, sessions):
    brain = fake.handler = Brain(reply("Nothing to change."), reply("Nothing to change."), reply("Nothing."))
    principal = Principal(workspace=workspace, user_id="user_test")
    first = start(workspace, notes, sessions)
    assert runner.run_dream(first.id) == DreamStatus.COMPLETED
    assert brain.digests == 3

    again = lifecycle.rerun_dream(principal=principal, dream=first)
    assert runner.run_dream(again.id) == DreamStatus.COMPLETED

    assert brain.digests == 3  # not one digest request
    again = Dream.objects.get(pk=again.pk)
    assert (again.progress["digests_cached"], again.progress["digests_made"]) == (3, 0)
    # The consolidation read the same digests as the first time.
    first_turn, second_turn = brain.consolidations[0], brain.consolidations[1]
    assert first_turn.body["messages"][0]["content"][1] == second_turn.body["messages"][0]["content"][1]

    # One session gets a new event: that one is digested again, the others still come from the cache.
    domain.append_events(session=sessions[1], events=[text_event("user.message", text="One more thing.",
                                                                 id="evt_1_f")])
    changed = lifecycle.rerun_dream(principal=principal, dream=first)
    assert runner.run_dream(changed.id) == DreamStatus.COMPLETED

    assert brain.digests == 4
    [redigest] = digest_requests(fake)[3:]
    transcript = redigest.body["messages"][0]["content"][-1]["text"]
    assert f'session="{sessions[1].id}"' in transcript and "[evt_1_f] user.message: One more thing." in transcript
    changed = Dream.objects.get(pk=changed.pk)
    assert (changed.progress["digests_cached"], changed.progress["digests_made"]) == (2, 1)


def test_the_instructions_reach_both_stages_and_key_the_cache(fake, workspace, notes, sessions):
    instructions = "Only keep lessons about editing files; write them as short imperative bullets."
    fake.handler = Brain(
        reply(tool_use("memory", {"command": "view", "path": "/memories"})),
        reply("Nothing about editing is missing."),
    )
    plain = start(workspace, notes, sessions)
    assert runner.run_dream(plain.id) == DreamStatus.COMPLETED
    before = len(fake.requests)

    dream = start(workspace, notes, sessions, instructions=instructions)
    assert runner.run_dream(dream.id) == DreamStatus.COMPLETED

    requests = fake.requests[before:]
    digests = [r for r in requests if r in digest_requests(fake)]
    turns = [r for r in requests if r not in digests]
    # Other instructions, other digests: the cache did not answer for the dream with instructions.
    assert len(digests) == 3 and len(turns) == 1
    for request in requests:
        assert system_text(request).endswith(f"The operator who started this dream asks:\n{instructions}")
    assert all(instructions not in system_text(r) for r in fake.requests[:before])
    assert not ProposedChange.objects.filter(proposal__dream=dream).exists()
