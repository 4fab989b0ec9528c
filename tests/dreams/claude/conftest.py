"""The Claude engine against a fake Messages API on loopback, driven by the real SDK."""

import re
import threading

import pytest

from dreams import lifecycle
from dreams.models import Dream
from memory import identity
from memory import store as memory_store
from memory.access import Actor, Principal
from tests.dreams.factories import make_session, text_event
from tests.fakes.messages_api import FakeMessagesAPI, reply, tool_use

MODEL = "claude-sonnet-5-5"
EVENT_ID = re.compile(r"\[(evt_[A-Za-z0-9_-]+|[A-Za-z0-9_-]+)\] ")


@pytest.fixture
def fake(monkeypatch, settings):
    with FakeMessagesAPI(api_key="sk-test") as api:
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", api.url)
        monkeypatch.delenv("ANTHROPIC_AUTH_TOKEN", raising=False)
        settings.REVERIE_CLAUDE_MAX_RETRIES = 2
        yield api


class Brain:
    """Answers digest requests itself (they run concurrently, in any order) and consolidation
    turns from a script, in order."""

    def __init__(self, *turns):
        self.turns = list(turns)
        self.lock = threading.Lock()
        self.digests = 0
        self.consolidations = []

    def __call__(self, request):
        body = request.body
        if (body.get("tool_choice") or {}).get("name") == "record_digest":
            with self.lock:
                self.digests += 1
            transcript = body["messages"][0]["content"][-1]["text"]
            ids = re.findall(r"\[(evt_[A-Za-z0-9_-]+)\]", transcript)
            return reply(tool_use("record_digest", {"summary": "A session.", "lessons": [
                {"kind": "harness_rule", "text": "Read a file before editing it.", "event_ids": ids[:1]}]}))
        with self.lock:
            self.consolidations.append(request)
            turn = self.turns.pop(0) if self.turns else reply("Done.")
        return turn(request) if callable(turn) else turn


@pytest.fixture
def agent(workspace):
    return identity.create_agent(workspace=workspace, name="coder")


@pytest.fixture
def sessions(workspace, agent):
    """Three sessions where an edit is refused until the file is read."""
    made = []
    for i in range(3):
        session = make_session(workspace, agent, title=f"task {i}")
        from dreams import sessions as domain

        domain.append_events(session=session, events=[
            text_event("user.message", text=f"Fix the bug in app{i}.py", id=f"evt_{i}_a"),
            {"type": "agent.tool_use", "id": f"evt_{i}_b", "name": "Edit", "input": {"file_path": f"app{i}.py"}},
            {"type": "agent.tool_result", "id": f"evt_{i}_c", "tool_use_id": f"evt_{i}_b", "is_error": True,
             "content": [{"type": "text", "text": "File has not been read yet. Read it first before writing to it."}]},
            {"type": "agent.tool_use", "id": f"evt_{i}_d", "name": "Read", "input": {"file_path": f"app{i}.py"}},
            {"type": "agent.tool_result", "id": f"evt_{i}_e", "tool_use_id": f"evt_{i}_d",
             "content": [{"type": "text", "text": "def main(): pass"}]},
        ])
        made.append(session)
    return made


@pytest.fixture
def notes(store):
    actor = Actor(user_id="user_test")
    memory_store.create_memory(store=store, path="/project/notes.md", actor=actor,
                               content="# Notes\n\nThe service listens on port 8080.\nDeploys run on Fridays only.\n")
    return store


def start(workspace, store, sessions, **fields) -> Dream:
    fields.setdefault("model_id", MODEL)
    return lifecycle.start_dream(principal=Principal(workspace=workspace, user_id="user_test"), store_id=store.id,
                                 session_ids=[s.id for s in sessions], **fields)
