"""A Claude dream end to end: digests, then a tool loop over the working copy, then the proposal."""

from dreams import runner
from dreams.models import Dream, DreamStatus, ProposedChange, SessionEvent
from tests.dreams.claude.conftest import Brain, start
from tests.fakes.messages_api import reply, tool_use

LESSON = "Read a file with the Read tool before editing it: Edit refuses a file it has not read."


def annotate(path, session, events, category="pattern", **extra):
    return tool_use("annotate_change", {"path": path, "category": category, "rationale": "Recurs in 3 sessions.",
                                        "evidence": [{"session_id": session.id, "event_ids": events}], **extra})


def test_it_proposes_what_the_model_wrote_with_its_annotation(fake, workspace, notes, sessions):
    fake.handler = Brain(
        reply(tool_use("memory", {"command": "view", "path": "/memories"})),
        reply(tool_use("memory", {"command": "create", "path": "/memories/lessons/editing.md",
                                  "file_text": f"# Editing\n\n- {LESSON}\n"})),
        reply(annotate("/memories/lessons/editing.md", sessions[0], ["evt_0_c", "evt_0_d"])),
        reply("I recorded one lesson."),
    )
    dream = start(workspace, notes, sessions)
    assert dream.engine == "claude"

    assert runner.run_dream(dream.id) == DreamStatus.COMPLETED

    dream = Dream.objects.get(pk=dream.pk)
    assert dream.error is None
    change = ProposedChange.objects.get(proposal__dream=dream)
    assert (change.operation, change.path, change.category) == ("create", "/lessons/editing.md", "pattern")
    assert change.evidence == [{"type": "session", "session_id": sessions[0].id, "event_ids": ["evt_0_c", "evt_0_d"]}]
    assert change.warnings == []
    # Usage is what the API reported, summed over every call.
    calls = [r for r in fake.requests if r.reply_status == 200]
    assert len(calls) == 3 + 4  # a digest per session, four consolidation turns
    assert dream.input_tokens == sum(r.usage["input_tokens"] for r in calls)
    assert dream.output_tokens == sum(r.usage["output_tokens"] for r in calls)
    assert dream.cache_read_input_tokens == sum(r.usage["cache_read_input_tokens"] for r in calls)
    # Every consolidation turn sends the whole history: no server-side thread needed.
    turns = fake.handler.consolidations
    assert all("thread" not in r.body for r in turns)
    assert [len(r.body["messages"]) for r in turns] == [1, 3, 5, 7]
    # The dream's own session says what it did.
    events = list(SessionEvent.objects.filter(session_id=dream.session_id).order_by("seq").values_list("type", "payload"))
    uses = [p for t, p in events if t == "agent.tool_use" and p.get("name") == "memory"]
    assert {"command": "create", "path": "/memories/lessons/editing.md"}.items() <= uses[1]["input"].items()
    assert any(t == "span.model_request_end" for t, _ in events)
