"""Done as a user would: the SDK starts a Claude dream, a real Celery worker runs it against an
Anthropic-compatible endpoint (the fake, via ANTHROPIC_BASE_URL), and the proposal is reviewed,
approved and rolled back like any other."""

from dreams.models import Dream
from memory import identity
from memory.models import Memory
from tests.dreams.claude.conftest import MODEL, Brain
from tests.fakes.messages_api import reply, tool_use
from tests.worker import running_worker, wait_for

LESSON = "- Read a file before editing it: Edit refuses files it has not read (3 of 3 sessions)."


def test_a_worker_dreams_with_claude_and_the_proposal_is_approved_and_rolled_back(
        fake, sdk, workspace, notes, sessions):
    fake.handler = Brain(
        reply(tool_use("memory", {"command": "str_replace", "path": "/memories/project/notes.md",
                                  "old_str": "Deploys run on Fridays only.\n",
                                  "new_str": f"Deploys run on Fridays only.\n{LESSON}\n"})),
        reply(tool_use("annotate_change", {"path": "/memories/project/notes.md", "category": "pattern",
                                           "rationale": "An edit was refused until the file was read, 3 times.",
                                           "evidence": [{"session_id": s.id, "event_ids": [f"evt_{i}_c"]}
                                                        for i, s in enumerate(sessions)]})),
        reply("One lesson added."),
    )
    admin = sdk(identity.issue_api_key(workspace=workspace, name="operator").secret)
    before = bytes(Memory.objects.get(store=notes, path="/project/notes.md").blob.data).decode()

    with running_worker(env={"ANTHROPIC_API_KEY": "sk-test", "ANTHROPIC_BASE_URL": fake.url,
                             "REVERIE_CLAUDE_MAX_RETRIES": "1"}):
        created = admin.beta.dreams.create(
            inputs=[{"type": "memory_store", "memory_store_id": notes.id},
                    {"type": "sessions", "session_ids": [s.id for s in sessions]}],
            model=MODEL)
        assert wait_for(lambda: Dream.objects.get(pk=created.id).is_terminal, timeout=60)

    dream = admin.beta.dreams.retrieve(created.id)
    assert dream.status == "completed", Dream.objects.get(pk=created.id).error
    assert dream.usage.input_tokens > 0 and dream.usage.output_tokens > 0
    changes = admin.get(f"/v1/dreams/{dream.id}/proposal/changes", options={"params": {"view": "full"}},
                        cast_to=object)["data"]
    assert len(changes) == 1 and changes[0]["warnings"] == [] and LESSON in changes[0]["content"]

    report = admin.post(f"/v1/dreams/{dream.id}/proposal/approve", cast_to=object)
    assert report["status"] == "applied"
    assert LESSON in bytes(Memory.objects.get(store=notes, path="/project/notes.md").blob.data).decode()

    undone = admin.post(f"/v1/dreams/{dream.id}/proposal/rollback", cast_to=object)
    assert undone["status"] == "rolled_back" and len(undone["restored"]) == 1
    assert bytes(Memory.objects.get(store=notes, path="/project/notes.md").blob.data).decode() == before
    # The dream's transcript is readable through the SDK.
    events = list(admin.beta.sessions.events.list(dream.session_id))
    assert any(e.type == "agent.tool_use" and getattr(e, "name", "") == "memory" for e in events)
