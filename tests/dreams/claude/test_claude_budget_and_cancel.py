"""A Claude dream's budget, cancel and heartbeat: it stops before the call that would pass its
budget and keeps what it proposed; a cancel ends it at once, even while a model call is in flight;
a slow call does not silence its heartbeat."""

import threading
import time

from django.db import connection

from dreams import lifecycle, runner
from dreams import sessions as domain
from dreams.models import Dream, DreamStatus, ProposedChange
from tests.dreams.claude.conftest import Brain, start
from tests.dreams.factories import make_session, text_event
from tests.fakes.messages_api import delay, reply, tool_use

LESSON = "# Editing\n\n- Read a file with the Read tool before editing it: Edit refuses a file it has not read.\n"


def create_lesson(session):
    return [
        reply(tool_use("memory", {"command": "create", "path": "/memories/lessons/editing.md", "file_text": LESSON})),
        reply(tool_use("annotate_change", {
            "path": "/memories/lessons/editing.md", "category": "pattern", "rationale": "Recurs in 3 sessions.",
            "evidence": [{"session_id": session.id, "event_ids": ["evt_0_c", "evt_0_d"]}]})),
    ]


def tokens(usage: dict) -> int:
    return (usage["input_tokens"] + usage["output_tokens"] + usage["cache_creation_input_tokens"]
            + usage["cache_read_input_tokens"])


def in_thread(target):
    """Run `target` on a thread with its own database connection, closed when it is done."""
    def body():
        try:
            target()
        finally:
            connection.close()

    thread = threading.Thread(target=body, daemon=True)
    thread.start()
    return thread


def wait_for(condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_it_stops_at_its_budget_and_keeps_what_it_proposed(fake, workspace, notes, sessions):
    views = [reply(tool_use("memory", {"command": "view", "path": "/memories"})) for _ in range(40)]
    fake.handler = Brain(*create_lesson(sessions[0]), *views)
    budget = 15_000
    dream = start(workspace, notes, sessions, budget_tokens=budget)

    assert runner.run_dream(dream.id) == DreamStatus.FAILED

    dream = Dream.objects.get(pk=dream.pk)
    assert dream.error["type"] == "budget_exceeded"
    assert f"budget of {budget}" in dream.error["message"] and "kept what it proposed" in dream.error["message"]
    # What it wrote before the budget ran out is proposed, with its evidence.
    [change] = ProposedChange.objects.filter(proposal__dream=dream)
    assert (change.operation, change.path, change.category, change.warnings) == \
        ("create", "/lessons/editing.md", "pattern", [])
    assert change.evidence[0]["session_id"] == sessions[0].id
    # It stopped early: most of the scripted turns were never asked for.
    assert fake.handler.digests == 3
    assert 3 <= len(fake.handler.consolidations) < 20
    # The usage recorded is the API's; it passes the budget by less than one call's worth.
    answered = [r for r in fake.requests if r.reply_status == 200]
    assert len(answered) == len(fake.requests)
    used = sum(tokens(r.usage) for r in answered)
    assert dream.input_tokens + dream.output_tokens + dream.cache_creation_input_tokens + \
        dream.cache_read_input_tokens == used
    assert used - budget <= max(tokens(r.usage) for r in answered)
    # create_new: the unflagged change reached the output store even though the dream failed.
    assert dream.output_store.memories.filter(path="/lessons/editing.md").exists()


def test_a_budget_spent_on_digests_stops_before_consolidating(fake, workspace, notes, sessions):
    fake.handler = Brain(*create_lesson(sessions[0]))
    budget = 1_500  # not quite two digests
    dream = start(workspace, notes, sessions, budget_tokens=budget)

    assert runner.run_dream(dream.id) == DreamStatus.FAILED

    dream = Dream.objects.get(pk=dream.pk)
    assert dream.error["type"] == "budget_exceeded"
    answered = [r for r in fake.requests if r.reply_status == 200]
    used = sum(tokens(r.usage) for r in answered)
    assert used >= budget and used - budget <= max(tokens(r.usage) for r in answered)
    # The digest stage stopped at its share of the budget (the rest is for consolidating), and said so;
    # the budget was gone before a consolidation call, so nothing was proposed.
    assert 1 <= fake.handler.digests < 3
    assert dream.progress["sessions_skipped_for_budget"] == 3 - fake.handler.digests
    assert fake.handler.consolidations == []
    assert not ProposedChange.objects.filter(proposal__dream=dream).exists()


def test_the_budget_holds_while_concurrent_digests_write_long_answers(fake, settings, workspace, agent, notes):
    settings.REVERIE_CLAUDE_CONCURRENCY = 4
    many = []
    for i in range(8):
        session = make_session(workspace, agent, title=f"task {i}")
        domain.append_events(session=session, events=[text_event("user.message", text=f"Task {i}", id=f"evt_t{i}")])
        many.append(session)

    def brain(request):  # every digest answers with about 1,500 output tokens
        if (request.body.get("tool_choice") or {}).get("name") == "record_digest":
            return reply(tool_use("record_digest", {"summary": "S" * 900, "lessons": [
                {"kind": "other", "text": "L" * 990, "event_ids": []} for _ in range(5)]}))
        return reply("Nothing to change.")

    fake.handler = brain
    budget = 10_000
    dream = start(workspace, notes, many, budget_tokens=budget)

    runner.run_dream(dream.id)

    dream = Dream.objects.get(pk=dream.pk)
    assert dream.status in (DreamStatus.COMPLETED, DreamStatus.FAILED)
    digests = [tokens(r.usage) for r in fake.requests if r.usage and r.body.get("tool_choice")]
    calls = [tokens(r.usage) for r in fake.requests if r.usage]
    # Calls in flight count with all their max_tokens: neither the digests' share (70%) nor the whole
    # budget is passed by more than one call, however many digests were in flight at once.
    assert sum(digests) - int(budget * 0.7) <= max(digests)
    assert sum(calls) - budget <= max(calls)
    assert len(digests) + dream.progress["sessions_skipped_for_budget"] == len(many)


def test_a_cancel_ends_the_dream_while_a_model_call_is_in_flight(fake, workspace, notes, sessions):
    fake.handler = Brain(*create_lesson(sessions[0]), delay(30, reply("Too late.")))
    dream = start(workspace, notes, sessions)
    canceled = {}

    def cancel_once_the_slow_call_is_sent():
        wait_for(lambda: len(fake.handler.consolidations) == 3)
        time.sleep(0.3)  # the call is surely in flight: the fake holds it for 30 s
        canceled["requests"] = len(fake.requests)
        canceled["at"] = time.monotonic()
        lifecycle.cancel_dream(dream=Dream.objects.get(pk=dream.pk))

    thread = in_thread(cancel_once_the_slow_call_is_sent)
    assert runner.run_dream(dream.id) == "canceled"
    returned = time.monotonic()
    thread.join(5)

    assert returned - canceled["at"] < 2
    time.sleep(0.5)  # an abandoned call's retry would show by now
    assert len(fake.requests) == canceled["requests"]
    dream = Dream.objects.get(pk=dream.pk)
    assert dream.status == DreamStatus.CANCELED and dream.error is None and dream.ended_at is not None
    # Nothing was applied or materialized afterwards, and the runner cannot finish it any more.
    assert runner.run_dream(dream.id) == "not pending"
    assert Dream.objects.get(pk=dream.pk).status == DreamStatus.CANCELED
    assert list(dream.output_store.memories.values_list("path", flat=True)) == ["/project/notes.md"]
    # What the working copy held when the cancel came stays in the proposal, guarded, for review.
    kept = ProposedChange.objects.get(proposal__dream=dream)
    assert kept.operation == "create" and kept.review_state == "pending" and kept.evidence


def test_the_heartbeat_goes_on_while_a_slow_call_is_in_flight(fake, settings, workspace, notes, sessions):
    settings.REVERIE_DREAM_PROGRESS_SECONDS = 1
    fake.handler = Brain(delay(2.5, reply("Nothing to change.")))
    dream = start(workspace, notes, sessions)
    beats = []

    def watch_the_heartbeat():
        wait_for(lambda: len(fake.handler.consolidations) == 1)
        beats.append(Dream.objects.get(pk=dream.pk).heartbeat_at)
        time.sleep(1.6)
        beats.append(Dream.objects.get(pk=dream.pk).heartbeat_at)

    thread = in_thread(watch_the_heartbeat)
    started = time.monotonic()
    assert runner.run_dream(dream.id) == DreamStatus.COMPLETED
    thread.join(5)

    assert time.monotonic() - started >= 2.5
    before, after = beats
    assert after > before
