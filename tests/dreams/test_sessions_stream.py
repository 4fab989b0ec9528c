"""`client.beta.sessions.events.stream`: server-sent events of what a session appends, live."""

import threading
import time

import anthropic
import pytest

from dreams import sessions as session_ops
from memory import identity
from tests.dreams.factories import make_session, text_event


@pytest.fixture
def agent(workspace):
    return identity.create_agent(workspace=workspace, name="pilot")


@pytest.fixture
def session(workspace, agent):
    return make_session(workspace, agent, events=[text_event(text="before the stream")])


def _read_in_background(stream, into: list):
    def read():
        for event in stream:
            into.append(event)

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return thread


def _wait(predicate, seconds=15):
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_it_streams_events_as_they_are_appended_until_the_session_ends(admin, session):
    received = []
    stream = admin.beta.sessions.events.stream(session.id)
    reader = _read_in_background(stream, received)
    session_ops.append_events(session=session, events=[text_event(text="one"), text_event("agent.message", text="two")])
    _wait(lambda: len(received) == 2)
    assert [e.type for e in received] == ["user.message", "agent.message"]  # not the event from before
    assert received[1].content[0].text == "two"
    session_ops.append_events(session=session, events=[{"type": "session.status_terminated"}])
    reader.join(timeout=15)
    assert not reader.is_alive()  # the stream ended with the session
    assert received[-1].type == "session.status_terminated"


def test_an_agent_cannot_stream_another_agents_session(sdk, workspace, session):
    other = identity.create_agent(workspace=workspace, name="other")
    client = sdk(identity.issue_api_key(workspace=workspace, name="k", agent=other).secret)
    with pytest.raises(anthropic.NotFoundError):
        client.beta.sessions.events.stream(session.id)


def test_an_unknown_session_is_a_404(admin, transactional_db):
    with pytest.raises(anthropic.NotFoundError):
        admin.beta.sessions.events.stream("sesn_nope")


def test_streams_past_the_limit_answer_429_and_free_their_slot_when_done(admin, session, settings):
    settings.REVERIE_MAX_EVENT_STREAMS = 1
    settings.REVERIE_EVENT_STREAM_SECONDS = 2
    first = admin.beta.sessions.events.stream(session.id)
    with pytest.raises(anthropic.RateLimitError):
        admin.with_options(max_retries=0).beta.sessions.events.stream(session.id)
    received = []
    _read_in_background(first, received).join(timeout=15)  # ends after REVERIE_EVENT_STREAM_SECONDS
    second = admin.beta.sessions.events.stream(session.id)  # the slot is free again
    second.close()


def test_an_idle_stream_sends_pings_that_the_sdk_skips(admin, session, settings, monkeypatch):
    settings.REVERIE_EVENT_STREAM_SECONDS = 2
    monkeypatch.setattr(session_ops, "follow_events", _fast_heartbeats(session_ops.follow_events))
    response = admin.beta.sessions.events.with_streaming_response.stream(session.id)
    with response as raw:
        text = b"".join(raw.iter_bytes()).decode()
    assert "event: ping" in text and raw.headers["content-type"].startswith("text/event-stream")


def _fast_heartbeats(follow):
    def follow_fast(**kwargs):
        return follow(**{**kwargs, "heartbeat_seconds": 0.2, "poll_seconds": 0.1})

    return follow_fast


def test_archiving_the_session_ends_its_stream(admin, session):
    received = []
    reader = _read_in_background(admin.beta.sessions.events.stream(session.id), received)
    session_ops.archive_session(session=session)
    reader.join(timeout=15)
    assert not reader.is_alive() and received == []
