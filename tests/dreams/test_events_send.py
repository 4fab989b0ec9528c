"""POST /v1/sessions/{id}/events (sessions.events.send): append events as they come."""

import anthropic
import pytest

from dreams.models import Session, SessionEvent
from tests.dreams.factories import make_session, text_event


def _stored(session_id):
    return list(SessionEvent.objects.filter(session_id=session_id).order_by("seq"))


def test_it_appends_events_in_order_and_answers_them_as_stored(admin, workspace, pilot):
    made = make_session(workspace, pilot.agent)

    sent = admin.beta.sessions.events.send(made.id, events=[text_event(text="one"), text_event(text="two")])

    rows = _stored(made.id)
    assert [e.payload["content"][0]["text"] for e in rows] == ["one", "two"]
    assert [e.id for e in sent.data] == [e.id for e in rows]
    assert all(e.id.startswith("sevt_") for e in rows)
    assert sent.data[0].to_dict(mode="json") == rows[0].payload
    assert rows[0].processed_at is not None
    session = Session.objects.get(pk=made.id)
    assert session.event_count == 2
    assert session.last_event_at == rows[-1].processed_at
    assert session.updated_at > made.updated_at


def test_it_keeps_the_ids_and_times_events_come_with(admin, workspace, pilot):
    made = make_session(workspace, pilot.agent)

    admin.beta.sessions.events.send(made.id, events=[
        text_event(id="sevt_mine", processed_at="2026-01-02T03:04:05.000000Z"),
        text_event(id="sevt_queued", processed_at=None),
    ])

    first, second = _stored(made.id)
    assert first.id == "sevt_mine"
    assert first.payload["processed_at"] == "2026-01-02T03:04:05.000000Z"
    assert first.processed_at.isoformat() == "2026-01-02T03:04:05+00:00"
    assert second.processed_at is None and second.payload["processed_at"] is None


def test_it_stores_unknown_event_types_as_they_come(admin, workspace, pilot):
    made = make_session(workspace, pilot.agent)
    odd = {"type": "vendor.custom_signal", "id": "sevt_odd", "processed_at": "2026-01-01T00:00:00Z",
           "nested": {"list": [1, 2.5, None, True], "ünïcode": "✓"}}

    admin.beta.sessions.events.send(made.id, events=[odd])

    assert _stored(made.id)[0].payload == odd
    assert admin.beta.sessions.events.list(made.id).data[0].to_dict(mode="json") == odd


def test_it_keeps_the_result_of_the_last_terminal_evaluation(admin, workspace, pilot):
    made = make_session(workspace, pilot.agent)

    def evaluation(result, iteration):
        return {"type": "span.outcome_evaluation_end", "outcome_id": "outc_1", "result": result,
                "iteration": iteration, "explanation": f"{result}!", "outcome_evaluation_start_id": "sevt_s"}

    steps = [("needs_revision", 0, "needs_revision"), ("satisfied", 1, "satisfied"), ("not-a-result", 2, "satisfied"),
             ("failed", 3, "failed")]
    for result, iteration, expected in steps:
        admin.beta.sessions.events.send(made.id, events=[evaluation(result, iteration)])
        assert Session.objects.get(pk=made.id).outcome_result == expected

    session = admin.beta.sessions.retrieve(made.id)
    assert session.model_extra["outcome"]["result"] == "failed"
    [entry] = session.outcome_evaluations
    assert (entry.result, entry.iteration, entry.explanation) == ("failed", 3, "failed!")


def test_it_follows_status_events(admin, workspace, pilot):
    made = make_session(workspace, pilot.agent)

    admin.beta.sessions.events.send(made.id, events=[{"type": "session.status_running"}])
    assert admin.beta.sessions.retrieve(made.id).status == "running"
    admin.beta.sessions.events.send(made.id, events=[{"type": "session.status_terminated"}])
    assert admin.beta.sessions.retrieve(made.id).status == "terminated"


def test_it_refuses_an_event_id_the_session_already_has_and_appends_nothing(admin, workspace, pilot):
    made = make_session(workspace, pilot.agent, events=[text_event(id="sevt_taken")])

    with pytest.raises(anthropic.ConflictError) as caught:
        admin.beta.sessions.events.send(made.id, events=[text_event(id="sevt_new"), text_event(id="sevt_taken")])

    assert caught.value.response.headers["x-should-retry"] == "false"
    assert [e.id for e in _stored(made.id)] == ["sevt_taken"]
    assert Session.objects.get(pk=made.id).event_count == 1


def test_it_accepts_1000_events_in_one_call(admin, workspace, pilot):
    made = make_session(workspace, pilot.agent)

    sent = admin.beta.sessions.events.send(made.id, events=[{"type": "agent.thinking"}] * 1000)

    assert len(sent.data) == 1000
    assert Session.objects.get(pk=made.id).event_count == 1000


@pytest.mark.parametrize(
    "body, words",
    [
        ({}, "`events` is required"),
        ({"events": "hello"}, "`events` must be a list"),
        ({"events": [{"type": "x"}] * 1001}, "at most 1000"),
        ({"events": [text_event(), 5]}, "`events[1]` must be an object"),
        ({"events": [{"content": []}]}, "`events[0].type` is required"),
        ({"events": [{"type": ""}]}, "`events[0].type`"),
        ({"events": [{"type": ["user.message"]}]}, "`events[0].type`"),
        ({"events": [{"type": "x" * 129}]}, "`events[0].type`"),
        ({"events": [{"type": "x", "id": ""}]}, "`events[0].id`"),
        ({"events": [{"type": "x", "processed_at": 1700000000}]}, "`events[0].processed_at`"),
        ({"events": [text_event(text="a\u0000b")]}, "NUL character"),
        ({"events": [{"type": "x", "id": "a"}, {"type": "x", "id": "a"}]}, "repeats event id"),
    ],
)
def test_it_rejects_invalid_events_with_a_400_and_appends_nothing(admin, workspace, pilot, body, words):
    made = make_session(workspace, pilot.agent, events=[text_event()])

    with pytest.raises(anthropic.BadRequestError) as caught:
        admin.post(f"/v1/sessions/{made.id}/events", body=body, cast_to=object)

    assert caught.value.body["error"]["type"] == "invalid_request_error"
    assert words in caught.value.message
    assert len(_stored(made.id)) == 1


def test_it_lets_an_agent_append_to_its_own_session_only(pilot, copilot, workspace):
    mine = make_session(workspace, pilot.agent)
    theirs = make_session(workspace, copilot.agent)

    pilot.beta.sessions.events.send(mine.id, events=[text_event()])
    with pytest.raises(anthropic.NotFoundError):
        pilot.beta.sessions.events.send(theirs.id, events=[text_event()])

    assert len(_stored(mine.id)) == 1
    assert _stored(theirs.id) == []


def test_it_hides_sessions_of_another_workspace(outsider, workspace, pilot):
    ours = make_session(workspace, pilot.agent)

    with pytest.raises(anthropic.NotFoundError):
        outsider.beta.sessions.events.send(ours.id, events=[text_event()])

    assert _stored(ours.id) == []
