"""A Claude dream when the Messages API fails: the SDK's retries, then one clear error per kind of
failure, the dream `failed` (never left `running`) and what it proposed before the failure kept."""

import socket
import time

import pytest

from dreams import runner
from dreams.models import Dream, DreamStatus, ProposedChange
from tests.dreams.claude.conftest import MODEL, Brain, start
from tests.fakes.messages_api import error, reply, tool_use

OVERLOADED = error(529, "overloaded_error", "Overloaded")
LESSON = "# Editing\n\n- Read a file with the Read tool before editing it: Edit refuses a file it has not read.\n"


def failed(dream) -> dict:
    """The dream, reloaded: it must have ended `failed`; its error."""
    dream = Dream.objects.get(pk=dream.pk)
    assert dream.status == DreamStatus.FAILED
    assert dream.ended_at is not None
    assert set(dream.error) == {"type", "message"}
    message = dream.error["message"]
    # A sentence for a person: no traceback, no exception repr, no raw JSON body.
    assert "Traceback" not in message and "File \"" not in message
    assert "{'type'" not in message and '{"type"' not in message
    return dream.error


def digest_requests(fake):
    return [r for r in fake.requests if (r.body.get("tool_choice") or {}).get("name") == "record_digest"]


def test_it_retries_an_overloaded_api_and_completes(fake, workspace, notes, sessions):
    fake.script(OVERLOADED)  # the first request of the dream, whichever digest it is
    fake.handler = Brain(reply("Nothing to change."))
    dream = start(workspace, notes, sessions)

    assert runner.run_dream(dream.id) == DreamStatus.COMPLETED

    dream = Dream.objects.get(pk=dream.pk)
    assert dream.error is None
    # The fake saw the 529 and the SDK's retry of the very same request.
    requests = fake.requests
    refused = [r for r in requests if r.reply_status == 529]
    assert len(refused) == 1
    retries = [r for r in requests if r.headers.get("x-stainless-retry-count") == "1"]
    assert len(retries) == 1 and retries[0].body == refused[0].body and retries[0].reply_status == 200
    # Three digests (one of them sent twice) and one consolidation turn.
    assert len(requests) == 3 + 1 + 1
    assert fake.handler.digests == 3
    # Usage counts the answered calls only.
    answered = [r for r in requests if r.reply_status == 200]
    assert dream.input_tokens == sum(r.usage["input_tokens"] for r in answered)


def test_it_fails_overloaded_after_its_retries_and_keeps_the_partial_proposal(fake, settings, workspace, notes,
                                                                           sessions):
    settings.REVERIE_CLAUDE_MAX_RETRIES = 2

    def overloaded_from_now_on(request):
        fake.always(OVERLOADED)
        return OVERLOADED

    fake.handler = Brain(
        reply(tool_use("memory", {"command": "create", "path": "/memories/lessons/editing.md", "file_text": LESSON})),
        overloaded_from_now_on,
    )
    dream = start(workspace, notes, sessions)
    started = time.monotonic()

    assert runner.run_dream(dream.id) == DreamStatus.FAILED

    assert time.monotonic() - started < 10  # the fake asks for 1 ms between retries
    error_ = failed(dream)
    assert error_["type"] == "model_overloaded"
    assert "overloaded" in error_["message"].lower() and "Overloaded" in error_["message"]
    assert "again later" in error_["message"]
    # The file created before the API gave out is still proposed (unannotated, so flagged).
    [change] = ProposedChange.objects.filter(proposal__dream=dream)
    assert (change.operation, change.path) == ("create", "/lessons/editing.md")
    assert [w["type"] for w in change.warnings] == ["no_evidence"]
    # The second turn was tried 1 + REVERIE_CLAUDE_MAX_RETRIES times, and nothing after it.
    turns = [r for r in fake.requests if r not in digest_requests(fake)]
    assert [r.reply_status for r in turns] == [200, 529, 529, 529]
    assert [r.headers.get("x-stainless-retry-count") for r in turns[1:]] == ["0", "1", "2"]
    # create_new: the output store got nothing flagged; the input store is untouched.
    dream = Dream.objects.get(pk=dream.pk)
    assert not dream.output_store.memories.filter(path="/lessons/editing.md").exists()
    assert list(notes.memories.values_list("path", flat=True)) == ["/project/notes.md"]


def test_it_fails_with_an_authentication_error_when_the_api_refuses_the_key(fake, monkeypatch, workspace, notes,
                                                                             sessions):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-not-the-fakes-key")
    fake.handler = Brain()
    dream = start(workspace, notes, sessions)

    assert runner.run_dream(dream.id) == DreamStatus.FAILED

    error_ = failed(dream)
    assert error_["type"] == "model_authentication_error"
    assert "invalid x-api-key" in error_["message"] and "ANTHROPIC_API_KEY" in error_["message"]
    assert "sk-not-the-fakes-key" not in error_["message"]
    # 401 is not retried: one request per session digest at most, all refused.
    # (the first refusal ends the dream; another digest in flight may reach the fake cut off, body-less)
    assert fake.requests and {r.reply_status for r in fake.requests if r.body} == {401}
    assert all(r.headers.get("x-stainless-retry-count") == "0" for r in fake.requests)
    assert len(fake.requests) <= 3
    assert not ProposedChange.objects.filter(proposal__dream=dream).exists()


def test_it_fails_with_model_not_found_for_a_model_the_api_does_not_have(fake, workspace, notes, sessions):
    fake.models = frozenset({"claude-some-other-model"})
    fake.handler = Brain()
    dream = start(workspace, notes, sessions)
    assert dream.model_id == MODEL

    assert runner.run_dream(dream.id) == DreamStatus.FAILED

    error_ = failed(dream)
    assert error_["type"] == "model_not_found"
    assert MODEL in error_["message"]
    # Digests were in flight together; the first 404 ends the dream and abandons the others, which may
    # reach the fake cut off. None was answered.
    assert fake.requests and {r.reply_status for r in fake.requests if r.body} == {404}
    assert fake.handler.digests == 0


def test_it_fails_with_the_apis_words_when_a_prompt_is_over_the_context_limit(fake, settings, workspace, notes,
                                                                              sessions):
    from dreams import sessions as domain

    settings.REVERIE_CLAUDE_CONTEXT_TOKENS = 200_000  # the engine believes in a large window…
    fake.context_limit = 3_000  # …the model behind the API has a small one
    # Ten events of ~1,700 characters (a transcript shows at most 2,000 of each): a digest request of far
    # more than 3,000 tokens.
    domain.append_events(session=sessions[0], events=[
        {"type": "agent.tool_result", "id": f"evt_0_big{n}", "tool_use_id": "evt_0_d",
         "content": [{"type": "text", "text": f"Log {n}: " + "a long log line. " * 100}]} for n in range(10)])
    fake.handler = Brain()
    dream = start(workspace, notes, sessions[:1])

    assert runner.run_dream(dream.id) == DreamStatus.FAILED

    error_ = failed(dream)
    assert error_["type"] == "model_request_invalid"
    assert "prompt is too long" in error_["message"]
    assert "(400)" in error_["message"]
    refused = [r for r in fake.requests if r.reply_status == 400]
    assert refused and all(r.tokens > 3_000 for r in refused)
    assert all(r.headers.get("x-stainless-retry-count") == "0" for r in fake.requests)  # a 400 is not retried


def test_it_fails_unreachable_when_nothing_listens_at_the_base_url(fake, monkeypatch, settings, workspace, notes,
                                                                   sessions):
    settings.REVERIE_CLAUDE_MAX_RETRIES = 1  # the SDK waits 0.5 s and up between connection retries
    with socket.socket() as probe:  # a port that was free a moment ago: connections to it are refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("ANTHROPIC_BASE_URL", f"http://127.0.0.1:{port}")
    dream = start(workspace, notes, sessions)
    started = time.monotonic()

    assert runner.run_dream(dream.id) == DreamStatus.FAILED

    assert time.monotonic() - started < 10
    error_ = failed(dream)
    assert error_["type"] == "model_unreachable"
    assert "could not be reached" in error_["message"] and "ANTHROPIC_BASE_URL" in error_["message"]
    assert ".." not in error_["message"]
    assert fake.requests == []


@pytest.mark.parametrize("status, kind", [(500, "api_error"), (429, "rate_limit_error")])
def test_it_fails_overloaded_when_the_api_keeps_failing_or_limiting(fake, workspace, notes, sessions, status, kind):
    fake.always(error(status, kind, "Try again later."))
    dream = start(workspace, notes, sessions)

    assert runner.run_dream(dream.id) == DreamStatus.FAILED

    error_ = failed(dream)
    assert error_["type"] == "model_overloaded"
    assert "Try again later" in error_["message"] and "Start the dream again later." in error_["message"]
    # Every request that arrived whole was refused so (when the dream gives up, the retries of other
    # digests still in flight are abandoned: one may be cut off mid-body, which the fake refuses as 400).
    assert {r.reply_status for r in fake.requests if r.body} == {status}
    time.sleep(0.3)
    assert all(r.reply_status is not None for r in fake.requests)  # nothing is still being sent
