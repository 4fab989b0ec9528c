"""A fleet far larger than one context window: 20 sessions of 200 events against a model with a
30,000-token window. Long sessions are digested in parts, the digests are consolidated in rounds
that each fit, and no request the engine sends is refused for its size."""

import re
import threading
import time
from collections import defaultdict

import pytest

from dreams import runner
from dreams import sessions as domain
from dreams.models import Dream, DreamStatus, ProposedChange
from tests.dreams.claude.conftest import start
from tests.dreams.factories import make_session
from tests.fakes.messages_api import reply, tool_use

WINDOW = 30_000
SESSIONS, EVENTS = 20, 200
PART = re.compile(r'<transcript session="([^"]+)"[^>]* part="(\d+) of (\d+)"')
DIGEST = re.compile(r'<digest session="([^"]+)"')
LESSON = "# Builds\n\n- Run `make deps` before `make test`: the test target fails on a clean checkout without it.\n"


def events_of(session_number: int) -> list[dict]:
    """200 events, each a few hundred characters: a user turn, then tool calls and their results."""
    events = []
    for step in range(EVENTS // 4):
        call = f"toolu_{session_number}_{step}"
        failed = step % 5 == 0
        events += [
            {"type": "user.message", "content": [{"type": "text", "text": (
                f"Step {step} of the migration in service {session_number}: run the test suite for module "
                f"m{step} and fix whatever fails; keep the public API unchanged and note any flaky test. ") * 2}]},
            {"type": "agent.tool_use", "id": call, "name": "Bash", "input": {
                "command": f"cd services/s{session_number} && make test MODULE=m{step} ARGS='-x --timeout 60'",
                "description": "Run the module's tests, stopping at the first failure, with a timeout. " * 2}},
            {"type": "agent.tool_result", "tool_use_id": call, "is_error": failed,
             "content": [{"type": "text", "text": (
                f"FAILED tests/m{step}/test_api.py::test_roundtrip - ImportError: no module named deps_{step}\n"
                if failed else f"collected 42 items; 42 passed in 3.{step:02d}s (module m{step}, service "
                               f"{session_number})\n") * 3}]},
            {"type": "agent.message", "content": [{"type": "text", "text": (
                f"Module m{step} {'needed make deps first' if failed else 'passes'}; moving on to the next "
                "module of the migration after checking the coverage report and the changelog entry. ") * 2}]},
        ]
    return events


@pytest.fixture
def fleet(workspace, agent):
    made = []
    for number in range(SESSIONS):
        session = make_session(workspace, agent, title=f"migration {number}")
        events = events_of(number)
        for start_at in range(0, len(events), 100):
            domain.append_events(session=session, events=events[start_at:start_at + 100])
        made.append(session)
    return made


class FleetBrain:
    """Digests: several lessons per part, citing the part's events. Consolidation: round one writes
    and annotates a lesson, every other round has nothing to add."""

    def __init__(self, sessions):
        self.lock = threading.Lock()
        self.digests, self.turns = [], []
        self.first = sessions[0]

    def __call__(self, request):
        body = request.body
        if (body.get("tool_choice") or {}).get("name") == "record_digest":
            transcript = body["messages"][0]["content"][-1]["text"]
            ids = re.findall(r"^\[(sevt_[A-Za-z0-9]+)\]", transcript, re.MULTILINE)
            part = PART.search(transcript).group(2)
            with self.lock:
                self.digests.append(request)
            return reply(tool_use("record_digest", {"summary": "A migration step by step; some modules needed "
                                                               "`make deps` before their tests ran.", "lessons": [
                {"kind": "error_recovery", "text": f"Lesson {n} of part {part}: a module's tests failed with "
                 "ImportError until `make deps` ran; after it the same `make test` passed, every time.",
                 "event_ids": ids[n:n + 2]} for n in range(6)]}))
        with self.lock:
            self.turns.append(request)
            turn = len(self.turns)
        if turn == 1:
            return reply(tool_use("memory", {"command": "create", "path": "/memories/builds.md", "file_text": LESSON}))
        if turn == 2:
            first_ids = re.findall(r"events: (sevt_[A-Za-z0-9]+)", body["messages"][0]["content"][1]["text"])
            return reply(tool_use("annotate_change", {
                "path": "/memories/builds.md", "category": "pattern", "rationale": "Recurs across the fleet.",
                "evidence": [{"session_id": self.first.id, "event_ids": first_ids[:2]}]}))
        return reply("Nothing more to add from these digests.")


@pytest.mark.parametrize("inline_tokens", [None, 4_000], ids=["default-store-allowance", "store-allowance-4000"])
def test_a_fleet_larger_than_the_context_is_digested_in_parts_and_consolidated_in_rounds(
        fake, settings, workspace, notes, fleet, inline_tokens):
    if inline_tokens is not None:  # what the store may take of a round's first message
        settings.REVERIE_CLAUDE_STORE_INLINE_TOKENS = inline_tokens
    settings.REVERIE_CLAUDE_CONTEXT_TOKENS = WINDOW
    settings.REVERIE_CLAUDE_DIGEST_CHUNK_TOKENS = 6_000
    fake.context_limit = WINDOW
    brain = fake.handler = FleetBrain(fleet)
    dream = start(workspace, notes, fleet)
    started = time.monotonic()

    assert runner.run_dream(dream.id) == DreamStatus.COMPLETED

    assert time.monotonic() - started < 15
    dream = Dream.objects.get(pk=dream.pk)
    assert dream.error is None
    # No request was refused, and every one fit the window with room for its whole answer.
    requests = fake.requests
    assert requests and all(r.reply_status == 200 for r in requests)
    assert all(r.tokens + r.body["max_tokens"] <= WINDOW for r in requests)
    # Every session was digested, the long ones in several parts, each part once.
    parts = defaultdict(set)
    for request in brain.digests:
        session_id, part, of = PART.search(request.body["messages"][0]["content"][-1]["text"]).groups()
        parts[session_id].add((int(part), int(of)))
    assert set(parts) == {s.id for s in fleet}
    for session_id, seen in parts.items():
        count = {of for _, of in seen}.pop()
        assert count > 1 and seen == {(n, count) for n in range(1, count + 1)}
    assert dream.progress["digests_made"] == SESSIONS
    # The digests went to the dreamer in rounds that each fit; every digest in exactly one round, with
    # the lessons of all its parts.
    firsts = [r for r in brain.turns if len(r.body["messages"]) == 1]
    assert len(firsts) > 1
    rounds = [DIGEST.findall(r.body["messages"][0]["content"][1]["text"]) for r in firsts]
    assert sorted(s for found in rounds for s in found) == sorted(s.id for s in fleet)
    if inline_tokens is not None:  # with the store's allowance fitted to the window, rounds hold several digests
        assert len(firsts) < SESSIONS and max(len(found) for found in rounds) > 1
    for number, request in enumerate(firsts, start=1):
        assert f"Round {number} of {len(firsts)}." in request.body["messages"][0]["content"][2]["text"]
    first_digest = firsts[0].body["messages"][0]["content"][1]["text"].split("</digest>")[0]
    assert {f"Lesson 0 of part {n}:" in first_digest for n in range(1, len(parts[rounds[0][0]]) + 1)} == {True}
    assert re.search(r"\(events: sevt_\w+, sevt_\w+\)", first_digest)  # the ids the digest cited are kept
    # Later rounds see the store as the earlier ones left it.
    assert "/memories/builds.md" not in firsts[0].body["messages"][0]["content"][0]["text"]
    assert all("/memories/builds.md" in r.body["messages"][0]["content"][0]["text"] for r in firsts[1:])
    [change] = ProposedChange.objects.filter(proposal__dream=dream)
    assert (change.path, change.warnings) == ("/builds.md", [])
    assert change.evidence and change.evidence[0]["session_id"] == fleet[0].id


def test_a_small_context_still_dreams_with_smaller_parts_and_replies(fake, settings, workspace, notes, sessions):
    """A local model server with an 8k window: replies, transcript parts and the store's share shrink
    to fit, and no request is refused."""
    from dreams import runner
    from dreams.models import Dream, DreamStatus
    from tests.dreams.claude.conftest import Brain, start
    from tests.fakes.messages_api import reply, tool_use

    settings.REVERIE_CLAUDE_CONTEXT_TOKENS = 8_000
    fake.context_limit = 8_000
    fake.handler = Brain(reply(tool_use("memory", {"command": "view", "path": "/memories"})), reply("Done."))
    dream = start(workspace, notes, sessions)

    assert runner.run_dream(dream.id) == DreamStatus.COMPLETED, Dream.objects.get(pk=dream.pk).error
    assert all(r.reply_status == 200 for r in fake.requests)
    assert all(r.tokens + r.body["max_tokens"] <= 8_000 for r in fake.requests)
